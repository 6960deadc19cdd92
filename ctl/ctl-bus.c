/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdbool.h>

#include "bus-names.h"
#include "conv-client.h"
#include "ctl-bus.h"
#include "ctl-error.h"
#include "macro.h"
#include "messages.h"

int ctl_bus_open(sd_bus **ret)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = conv_bus_open(CTL_CALL_TIMEOUT_USEC, &bus);
        if (r < 0)
                /* Whether the socket is missing, refused or denied, the daemon is out of reach. */
                return ctl_error(-ENOTCONN, _(MSG_CTL_NO_BUS), strerror(-r));

        /* An admin authorized by polkit may be asked for a password by an agent on this terminal.
         */
        r = sd_bus_set_allow_interactive_authorization(bus, isatty(STDIN_FILENO));
        if (r < 0)
                return ctl_error(r, _(MSG_CTL_NO_BUS), strerror(-r));

        *ret = TAKE_PTR(bus);
        return 0;
}

int ctl_bus_new_call(sd_bus *bus, const char *interface, const char *member, sd_bus_message **ret)
{
        int r = sd_bus_message_new_method_call(bus, ret, PG_BUS_NAME, PG_OBJECT_PATH, interface,
                                               member);
        if (r < 0)
                return ctl_error(r, _(MSG_CTL_BUILD_CALL), strerror(-r));
        return 0;
}

int ctl_bus_call(sd_bus *bus, sd_bus_message *m, sd_bus_message **ret_reply)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call(bus, m, 0, &error, ret_reply);
        if (r < 0)
                return ctl_bus_error(&error, r);
        return 0;
}

int ctl_bus_call_method(sd_bus *bus, const char *interface, const char *member,
                        sd_bus_message **ret_reply, const char *types, ...)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = ctl_bus_new_call(bus, interface, member, &m);
        if (r < 0)
                return r;

        va_start(ap, types);
        r = sd_bus_message_appendv(m, types, ap);
        va_end(ap);
        if (r < 0)
                /* sd-bus refuses text that is not UTF-8: the argument was bad. */
                return ctl_error(-EINVAL, _(MSG_CTL_BUILD_CALL), strerror(-r));

        return ctl_bus_call(bus, m, ret_reply);
}
