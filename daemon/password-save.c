/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-names.h"
#include "clock.h"
#include "daemon.h"
#include "macro.h"

typedef struct Save {
        char *user;
        char *hash;
        bool must_change;
        uint64_t expires_usec;
        const char *how;
        int (*hook)(Daemon *d, MDB_txn *txn, Account *a, void *userdata);
        void *hook_userdata;
        char *locale;
        char *phone, *email; /* the contacts to notify, once stored */
        uid_t caller;
        Daemon *d;
        write_done_t done;
        void *userdata;
} Save;

static int save_txn(Store *s, MDB_txn *txn, void *userdata)
{
        Save *sv = userdata;
        Account a = {};

        int r = store_get_account(s, txn, sv->user, &a);
        if (r < 0)
                return r;
        r = account_set_password_hash(&a, sv->hash, sv->d->config->history, now_usec());
        if (r >= 0) {
                a.must_change = sv->must_change;
                a.password_expires_usec = sv->expires_usec;
                if (sv->hook)
                        r = sv->hook(sv->d, txn, &a, sv->hook_userdata);
        }
        if (r >= 0)
                r = store_put_account(s, txn, &a);
        /* Notices count against the host's budget too; none when it is spent. */
        free(sv->phone);
        free(sv->email);
        sv->phone = sv->email = NULL;
        unsigned n = !!a.phone + !!a.email;
        if (r >= 0 && n > 0) {
                int b = notice_budget_take(sv->d, txn, n);
                if (b >= 0) {
                        sv->phone = TAKE_PTR(a.phone);
                        sv->email = TAKE_PTR(a.email);
                } else if (b != -EDQUOT)
                        r = b;
                else
                        fprintf(stderr, "passgated: message budget spent: no notice to %s\n",
                                sv->user);
        }
        if (r >= 0)
                r = audit_event(sv->d, txn, sv->user, "password-changed", sv->caller, sv->how);
        account_clear(&a);
        return r;
}

static void save_free(Save *sv)
{
        free(sv->user);
        erase_and_free(sv->hash);
        free(sv->locale);
        free(sv->phone);
        free(sv->email);
        free(sv);
}

static void saved(Daemon *d, int r, void *userdata)
{
        Save *sv = userdata;
        if (r >= 0) {
                (void)sd_bus_emit_signal(d->bus, PG_OBJECT_PATH, PG_IFACE_MANAGER,
                                         "PasswordChanged", "ss", sv->user, sv->how);
                notify_password_changed(d, sv->user, sv->phone, sv->email, sv->how, sv->locale);
        }
        sv->done(d, r, sv->userdata);
        save_free(sv);
}

int password_save(Daemon *d, const PasswordSave *s, write_done_t done, void *userdata)
{
        Save *sv = calloc(1, sizeof(Save));
        if (!sv)
                return -ENOMEM;
        *sv = (Save){ .user = strdup(s->user),
                      .hash = strdup(s->hash),
                      .must_change = s->must_change,
                      .expires_usec = s->expires_usec,
                      .locale = s->locale ? strdup(s->locale) : NULL,
                      .how = s->how,
                      .hook = s->hook,
                      .hook_userdata = s->hook_userdata,
                      .caller = s->caller,
                      .d = d,
                      .done = done,
                      .userdata = userdata };
        int r = sv->user && sv->hash && (sv->locale || !s->locale)
                        ? daemon_write(d, save_txn, sv, saved)
                        : -ENOMEM;
        if (r < 0)
                save_free(sv);
        return r;
}
