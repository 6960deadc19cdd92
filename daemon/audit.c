/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "clock.h"
#include "daemon.h"
#include "macro.h"

/* One MESSAGE_ID per kind of event, so journalctl MESSAGE_ID=… finds them. */
static const struct {
        const char *prefix;
        const char *message_id;
} ids[] = {
        { "login", "6a3c4f0e2b7d4e1f9a8b5c6d7e8f9012" },
        { "password", "1f2e3d4c5b6a47988a7b6c5d4e3f2a10" },
        { "account", "9c8b7a6f5e4d43c2b1a0f9e8d7c6b5a4" },
        { "lockout", "4d5e6f708192430a9b8c7d6e5f4a3b2c" },
};

static const char *message_id(const char *event)
{
        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                if (!strncmp(event, ids[i].prefix, strlen(ids[i].prefix)))
                        return ids[i].message_id;
        return ids[2].message_id;
}

int audit_event(Daemon *d, MDB_txn *txn, const char *user, const char *event, uid_t caller,
                const char *detail)
{
        detail = detail ? detail : "";
        user = user ? user : "";
        sd_journal_send("MESSAGE=passgate: %s%s%s%s%s", event, *user ? " user=" : "", user,
                        *detail ? ": " : "", detail, "MESSAGE_ID=%s", message_id(event),
                        "PRIORITY=%d", 5, "PASSGATE_EVENT=%s", event, "PASSGATE_USER=%s", user,
                        "PASSGATE_CALLER_UID=%u", (unsigned)caller, "PASSGATE_DETAIL=%s", detail,
                        NULL);
        /* Run by hand or by a test harness there may be no journal; under systemd stderr is the
         * journal already. */
        if (!getenv("JOURNAL_STREAM"))
                fprintf(stderr, "audit: %s user=%s caller=%u %s\n", event, user, (unsigned)caller,
                        detail);

        char full[512];
        snprintf(full, sizeof full, "caller=%u%s%s", (unsigned)caller, *detail ? " " : "", detail);
        return txn ? store_audit_append(d->store, txn, now_usec(), user, event, full) : 0;
}

typedef struct AuditArgs {
        Daemon *d;
        const char *user, *event, *detail;
        uid_t caller;
} AuditArgs;

static int audit_txn(Store *s, MDB_txn *txn, void *userdata)
{
        AuditArgs *a = userdata;
        return audit_event(a->d, txn, a->user, a->event, a->caller, a->detail);
}

int audit_write(Daemon *d, const char *user, const char *event, uid_t caller, const char *detail)
{
        AuditArgs a = { d, user, event, detail, caller };
        return store_write(d->store, audit_txn, &a);
}
