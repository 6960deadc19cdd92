/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>

#include "bus-names.h"
#include "clock.h"
#include "daemon.h"
#include "macro.h"

static int save_txn(Store *s, MDB_txn *txn, void *userdata)
{
        void **args = userdata;
        Daemon *d = args[0];
        const PasswordSave *ps = args[1];
        Account a = {};

        int r = store_get_account(s, txn, ps->user, &a);
        if (r < 0)
                return r;
        r = account_set_password_hash(&a, ps->hash, d->config->history, now_usec());
        if (r >= 0) {
                a.must_change = ps->must_change;
                r = store_put_account(s, txn, &a);
        }
        if (r >= 0)
                r = audit_event(d, txn, ps->user, "password-changed", ps->caller, ps->how);
        account_clear(&a);
        return r;
}

int password_save(Daemon *d, const PasswordSave *s)
{
        void *args[] = { d, (void *)s };
        int r = store_write(d->store, save_txn, args);
        if (r < 0)
                return r;
        (void)sd_bus_emit_signal(d->bus, PG_OBJECT_PATH, PG_IFACE_MANAGER, "PasswordChanged", "ss",
                                 s->user, s->how);
        return 0;
}
