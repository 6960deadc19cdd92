/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
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
        { "center", "9fcd0154d26a4033a699cc8dabe08db7" },
        { "appointment", "91656db4702e4df6863e17bc72d67da3" },
};

static const char *message_id(const char *event)
{
        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                if (!strncmp(event, ids[i].prefix, strlen(ids[i].prefix)))
                        return ids[i].message_id;
        return ids[2].message_id;
}

static void journal(const char *event, const char *user, uid_t caller, const char *detail)
{
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
}

/*
 * Events of a write transaction reach the journal only once it committed: a failed or retried
 * transaction must not log what never happened, or log it twice. All writes run on the writer
 * thread, one transaction at a time.
 */
typedef struct Held {
        char *event, *user, *detail;
        uid_t caller;
        struct Held *next;
} Held;

static _Thread_local Held *held_first, *held_last;

static void held_free_all(void)
{
        for (Held *h = held_first, *n; h; h = n) {
                n = h->next;
                free(h->event);
                free(h->user);
                free(h->detail);
                free(h);
        }
        held_first = held_last = NULL;
}

void audit_txn_begin(void)
{
        held_free_all();
}

void audit_txn_end(bool committed)
{
        for (Held *h = committed ? held_first : NULL; h; h = h->next)
                journal(h->event, h->user, h->caller, h->detail);
        held_free_all();
}

static int hold(const char *event, const char *user, uid_t caller, const char *detail)
{
        Held *h = calloc(1, sizeof(Held));
        if (!h || !(h->event = strdup(event)) || !(h->user = strdup(user)) ||
            !(h->detail = strdup(detail))) {
                if (h) {
                        free(h->event);
                        free(h->user);
                        free(h);
                }
                return -ENOMEM;
        }
        h->caller = caller;
        if (held_last)
                held_last->next = h;
        else
                held_first = h;
        held_last = h;
        return 0;
}

int audit_event(Daemon *d, MDB_txn *txn, const char *user, const char *event, uid_t caller,
                const char *detail)
{
        detail = detail ? detail : "";
        user = user ? user : "";
        if (!txn) {
                journal(event, user, caller, detail);
                return 0;
        }
        int r = hold(event, user, caller, detail);
        if (r < 0)
                return r;

        char full[512];
        snprintf(full, sizeof full, "caller=%u%s%s", (unsigned)caller, *detail ? " " : "", detail);
        return store_audit_append(d->store, txn, now_usec(), user, event, full);
}

typedef struct AuditArgs {
        char *user, *event, *detail;
        uid_t caller;
        write_done_t done;
        void *userdata;
} AuditArgs;

static int audit_txn(Store *s, MDB_txn *txn, void *userdata)
{
        AuditArgs *a = userdata;
        /* The journal has it already: only the store is left. */
        return store_audit_append(s, txn, now_usec(), a->user, a->event, a->detail);
}

static void audit_written(Daemon *d, int r, void *userdata)
{
        AuditArgs *a = userdata;
        if (a->done)
                a->done(d, r, a->userdata);
        free(a->user);
        free(a->event);
        free(a->detail);
        free(a);
}

int audit_write(Daemon *d, const char *user, const char *event, uid_t caller, const char *detail,
                write_done_t done, void *userdata)
{
        AuditArgs *a = calloc(1, sizeof(AuditArgs));
        if (!a)
                return -ENOMEM;
        user = user ? user : "";
        detail = detail ? detail : "";
        journal(event, user, caller, detail);
        a->user = strdup(user);
        a->event = strdup(event);
        if (asprintf(&a->detail, "caller=%u%s%s", (unsigned)caller, *detail ? " " : "", detail) < 0)
                a->detail = NULL;
        a->done = done;
        a->userdata = userdata;
        if (!a->user || !a->event || !a->detail) {
                audit_written(d, -ENOMEM, a);
                return -ENOMEM;
        }
        int r = daemon_write(d, audit_txn, a, audit_written);
        if (r < 0)
                audit_written(d, r, a);
        return r;
}
