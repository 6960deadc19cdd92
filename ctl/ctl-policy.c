/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "bus-names.h"
#include "ctl-bus.h"
#include "ctl-error.h"
#include "ctl-output.h"
#include "ctl-policy.h"
#include "ctl-props.h"
#include "macro.h"

int verb_policy(int argc, char **argv, const CtlArgs *args)
{
        static const char *const order[] = { "MinLength", "MaxLength", "Description", NULL };
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = ctl_bus_call_method(bus, PG_IFACE_MANAGER, "GetPasswordPolicy", &reply, "");
        if (r < 0)
                return r;
        return print_properties(reply, order, args->json);
}

int verb_generate(int argc, char **argv, const CtlArgs *args)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *password;
        int r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = ctl_bus_call_method(bus, PG_IFACE_MANAGER, "GeneratePassword", &reply, "");
        if (r < 0)
                return r;
        /* The reply holds the password: have sd-bus wipe it when it is freed. */
        r = sd_bus_message_sensitive(reply);
        if (r < 0)
                return ctl_parse_error(r);
        r = sd_bus_message_read(reply, "s", &password);
        if (r < 0)
                return ctl_parse_error(r);

        if (args->json)
                json_string(stdout, password);
        else
                fputs(password, stdout);
        fputc('\n', stdout);
        return 0;
}
