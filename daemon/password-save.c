/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
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
        const char *how;
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
                r = store_put_account(s, txn, &a);
        }
        if (r >= 0)
                r = audit_event(sv->d, txn, sv->user, "password-changed", sv->caller, sv->how);
        account_clear(&a);
        return r;
}

static void saved(Daemon *d, int r, void *userdata)
{
        Save *sv = userdata;
        if (r >= 0)
                (void)sd_bus_emit_signal(d->bus, PG_OBJECT_PATH, PG_IFACE_MANAGER,
                                         "PasswordChanged", "ss", sv->user, sv->how);
        sv->done(d, r, sv->userdata);
        free(sv->user);
        erase_and_free(sv->hash);
        free(sv);
}

int password_save(Daemon *d, const PasswordSave *s, write_done_t done, void *userdata)
{
        Save *sv = calloc(1, sizeof(Save));
        if (!sv)
                return -ENOMEM;
        *sv = (Save){ .user = strdup(s->user),
                      .hash = strdup(s->hash),
                      .must_change = s->must_change,
                      .how = s->how,
                      .caller = s->caller,
                      .d = d,
                      .done = done,
                      .userdata = userdata };
        int r = sv->user && sv->hash ? daemon_write(d, save_txn, sv, saved) : -ENOMEM;
        if (r < 0) {
                free(sv->user);
                erase_and_free(sv->hash);
                free(sv);
        }
        return r;
}
