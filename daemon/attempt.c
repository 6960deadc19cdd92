/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "attempt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus-names.h"
#include "clock.h"
#include "lockout.h"
#include "macro.h"
#include "request.h"

typedef struct Args {
        Daemon *d;
        Attempt o;
        attempt_done_t done;
        void *userdata;
} Args;

/* Re-reads the account inside the write: a change that landed while hashing is not undone. */
static int record(Store *s, MDB_txn *txn, void *userdata)
{
        Args *args = userdata;
        Attempt *o = &args->o;
        Daemon *d = args->d;
        Account a = {};
        char event[64];
        uint64_t now = now_usec();
        int r = store_get_account(s, txn, o->user, &a);
        if (r < 0)
                return r;

        bool blocked = lockout_blocked(&a, d->config, now);
        o->succeeded = o->matched && !blocked;
        o->disabled_now = false;
        if (o->succeeded) {
                lockout_record_success(&a);
                if (o->new_hash) {
                        char *h = strdup(o->new_hash);
                        if (!h) {
                                account_clear(&a);
                                return -ENOMEM;
                        }
                        erase_and_free(a.password_hash);
                        a.password_hash = h;
                }
                o->change_required = a.must_change;
                snprintf(event, sizeof event, "%s-success", o->event);
                r = audit_event(d, txn, o->user, event, o->caller, "");
                /* The owner knows the password: a reset filed in their name is not wanted. */
                if (r >= 0)
                        r = requests_cancel_user(d, txn, o->user, o->caller,
                                                 "the current password was used");
        } else if (blocked) {
                snprintf(event, sizeof event, "%s-refused", o->event);
                r = audit_event(d, txn, o->user, event, o->caller,
                                a.locked           ? "locked"
                                : a.disabled       ? "disabled"
                                : !a.password_hash ? "no password"
                                : a.password_expires_usec && now >= a.password_expires_usec
                                        ? "temporary password expired"
                                        : "delayed after failures");
        } else {
                o->disabled_now = lockout_record_failure(&a, d->config, now);
                snprintf(event, sizeof event, "%s-failure", o->event);
                char detail[64];
                snprintf(detail, sizeof detail, "wrong password, %u consecutive", a.failures);
                r = audit_event(d, txn, o->user, event, o->caller, detail);
                if (r >= 0 && o->disabled_now)
                        r = audit_event(d, txn, o->user, "lockout-disabled", o->caller,
                                        "too many consecutive failures");
        }
        if (r >= 0 && !blocked)
                r = store_put_account(s, txn, &a);
        account_clear(&a);
        return r;
}

int attempt_job(Daemon *d, const char *user, const char *password, HashJob **ret)
{
        _cleanup_erase_ char *normalized = NULL;
        Account a = {};
        const char *hash = d->dummy_hash;

        int r = password_normalize(password, &normalized);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && user && store_read_account(d->store, user, &a) == 0 &&
            !lockout_blocked(&a, d->config, now_usec()))
                hash = a.password_hash;
        HashJob *job = hash_job_new(normalized ? normalized : password, d->config->opslimit,
                                    d->config->memlimit);
        r = job ? hash_job_add_hash(job, hash) : -ENOMEM;
        if (r >= 0)
                job->rehash = hash != d->dummy_hash;
        account_clear(&a);
        if (r < 0) {
                hash_job_free(job);
                return r;
        }
        *ret = job;
        return 0;
}

static void recorded(Daemon *d, int r, void *userdata)
{
        Args *args = userdata;
        if (r >= 0 && args->o.disabled_now)
                (void)sd_bus_emit_signal(d->bus, PG_OBJECT_PATH, PG_IFACE_MANAGER, "AccountLocked",
                                         "s", args->o.user);
        args->done(d, &args->o, r, args->userdata);
        free(args->o.user);
        erase_and_free(args->o.new_hash);
        free(args);
}

int attempt_record(Daemon *d, const char *user, bool matched, const char *new_hash, uid_t caller,
                   const char *event, attempt_done_t done, void *userdata)
{
        Args *args = calloc(1, sizeof(Args));
        if (!args)
                return -ENOMEM;
        *args = (Args){
                .d = d,
                .done = done,
                .userdata = userdata,
                .o = { .user = strdup(user), .matched = matched, .caller = caller, .event = event }
        };
        int r = args->o.user ? 0 : -ENOMEM;
        if (r >= 0 && new_hash && !(args->o.new_hash = strdup(new_hash)))
                r = -ENOMEM;
        if (r >= 0)
                r = daemon_write(d, record, args, recorded);
        if (r < 0) {
                free(args->o.user);
                erase_and_free(args->o.new_hash);
                free(args);
        }
        return r;
}
