/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ctl-status.h"
#include "bus-names.h"
#include "ctl-bus.h"
#include "ctl-props.h"
#include "ctl-user.h"
#include "macro.h"

int verb_status(int argc, char **argv, const CtlArgs *args)
{
        static const char *const order[] = {
                "PasswordChangeRequired",
                "Locked",
                "PasswordExpiresUSec",
                NULL,
        };
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *user = NULL;
        int r;

        if (argc > 1) {
                r = ctl_user_name_check(argv[1]);
                if (r < 0)
                        return r;
                user = strdup(argv[1]);
                if (!user)
                        return -ENOMEM;
        } else {
                r = ctl_calling_user(&user);
                if (r < 0)
                        return r;
        }

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = ctl_bus_call_method(bus, PG_IFACE_MANAGER, "GetAccountStatus", &reply, "s", user);
        if (r < 0)
                return r;
        return print_properties(reply, order, args->json);
}
