/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>

#include "bus-names.h"
#include "clock.h"
#include "daemon.h"
#include "identifier.h"
#include "lockout.h"
#include "macro.h"
#include "messages.h"

int method_begin_conversation(sd_bus_message *m, void *userdata, sd_bus_error *error);

static int get_account_status(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        const char *user;
        uid_t owner;
        Account a = {};
        int r;

        if ((r = sd_bus_message_read(m, "s", &user)) < 0)
                return r;
        /* Others learn nothing, not even whether the account exists. */
        if (caller != 0 && (unix_user_uid(user, &owner) < 0 || owner != caller))
                return sd_bus_error_set(error, PG_ERROR_ACCESS_DENIED,
                                        "Only root or the account's owner may see its status.");
        /* Not a unix name, no account (and LMDB refuses an empty key with an I/O error). */
        if (!unix_name_valid(user))
                return bus_account_error(error, -ENOENT);
        if ((r = store_read_account(d->store, user, &a)) < 0)
                return bus_account_error(error, r);
        bool locked = a.locked || a.disabled;
        bool must_change = a.must_change;
        uint64_t expires = a.password_expires_usec;
        account_clear(&a);
        return sd_bus_reply_method_return(m, "a{sv}", 3, "PasswordChangeRequired", "b", must_change,
                                          "Locked", "b", locked, "PasswordExpiresUSec", "t",
                                          expires);
}

static int method_get_account_status(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return with_caller(userdata, m, get_account_status, error);
}

static int method_get_password_policy(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Daemon *d = userdata;
        _cleanup_free_ char *description = NULL;

        if (asprintf(&description, _(MSG_POLICY_DESCRIPTION), d->policy->min_length,
                     d->policy->max_length) < 0)
                return -ENOMEM;
        return sd_bus_reply_method_return(m, "a{sv}", 3, "MinLength", "u", d->policy->min_length,
                                          "MaxLength", "u", d->policy->max_length, "Description",
                                          "s", description);
}

static int method_generate_password(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Daemon *d = userdata;
        _cleanup_erase_ char *password = NULL;
        sd_bus_message *reply = NULL;

        int r = password_generate(d->policy, &password);
        if (r < 0)
                return r;
        if ((r = sd_bus_message_new_method_return(m, &reply)) < 0)
                return r;
        sd_bus_message_sensitive(reply);
        r = sd_bus_message_append(reply, "s", password);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("BeginConversation",
                                SD_BUS_ARGS("s", flow, "s", login, "a{sv}", client),
                                SD_BUS_RESULT("o", conversation), method_begin_conversation,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetAccountStatus", SD_BUS_ARGS("s", user),
                                SD_BUS_RESULT("a{sv}", status), method_get_account_status,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetPasswordPolicy", SD_BUS_NO_ARGS, SD_BUS_RESULT("a{sv}", policy),
                                method_get_password_policy, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GeneratePassword", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", password),
                                method_generate_password,
                                SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_SIGNAL_WITH_ARGS("PasswordChanged", SD_BUS_ARGS("s", user, "s", how), 0),
        SD_BUS_SIGNAL_WITH_ARGS("AccountLocked", SD_BUS_ARGS("s", user), 0),
        SD_BUS_VTABLE_END,
};

int bus_manager_register(Daemon *d)
{
        return sd_bus_add_object_vtable(d->bus, NULL, PG_OBJECT_PATH, PG_IFACE_MANAGER,
                                        manager_vtable, d);
}
