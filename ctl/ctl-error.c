/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "bus-names.h"
#include "ctl-error.h"
#include "macro.h"
#include "messages.h"

/*
 * Consulted before sd-bus's own table, so it also moves standard names out of the classes sd-bus
 * would give them: InvalidArgs is the daemon refusing a value (EINVAL stays a usage error here),
 * Failed is a plain failure (sd-bus says EACCES).
 */
static const sd_bus_error_map ctl_error_map[] = {
        SD_BUS_ERROR_MAP(PG_ERROR_ACCESS_DENIED, EACCES),
        SD_BUS_ERROR_MAP(PG_ERROR_PERMISSION_DENIED, EACCES),
        SD_BUS_ERROR_MAP(PG_ERROR_NO_SUCH_ACCOUNT, ESRCH),
        SD_BUS_ERROR_MAP(PG_ERROR_NO_SUCH_UNIX_USER, ESRCH),
        SD_BUS_ERROR_MAP(PG_ERROR_NO_SUCH_CENTER, ESRCH),
        SD_BUS_ERROR_MAP(PG_ERROR_NO_SUCH_SLOT, ESRCH),
        SD_BUS_ERROR_MAP(PG_ERROR_NO_SUCH_COUPON, ESRCH),
        SD_BUS_ERROR_MAP(PG_ERROR_NO_SUCH_REQUEST, ESRCH),
        SD_BUS_ERROR_MAP(SD_BUS_ERROR_SERVICE_UNKNOWN, EHOSTUNREACH),
        SD_BUS_ERROR_MAP(SD_BUS_ERROR_NAME_HAS_NO_OWNER, EHOSTUNREACH),
        SD_BUS_ERROR_MAP(SD_BUS_ERROR_NO_SERVER, EHOSTDOWN),
        SD_BUS_ERROR_MAP(SD_BUS_ERROR_DISCONNECTED, ECONNRESET),
        SD_BUS_ERROR_MAP(SD_BUS_ERROR_NO_REPLY, ETIMEDOUT),
        SD_BUS_ERROR_MAP(SD_BUS_ERROR_TIMEOUT, ETIMEDOUT),
        SD_BUS_ERROR_MAP(PG_ERROR_INVALID_ARGS, EDOM),
        SD_BUS_ERROR_MAP(SD_BUS_ERROR_INVALID_SIGNATURE, EDOM),
        SD_BUS_ERROR_MAP(PG_ERROR_PASSWORD_REJECTED, EDOM),
        SD_BUS_ERROR_MAP(PG_ERROR_INVALID_IDENTIFIER, EDOM),
        SD_BUS_ERROR_MAP(PG_ERROR_IDENTIFIER_IN_USE, EEXIST),
        SD_BUS_ERROR_MAP(PG_ERROR_ACCOUNT_EXISTS, EEXIST),
        SD_BUS_ERROR_MAP(PG_ERROR_CENTER_EXISTS, EEXIST),
        /* The places are taken, or the contact holds enough: a request refused as it stands. */
        SD_BUS_ERROR_MAP(PG_ERROR_SLOT_FULL, EDOM),
        SD_BUS_ERROR_MAP(PG_ERROR_TOO_MANY_BOOKINGS, EDOM),
        /* Too many requests in a while: refused, whatever was asked and by whom. */
        SD_BUS_ERROR_MAP(PG_ERROR_RATE_LIMITED, EDOM),
        SD_BUS_ERROR_MAP(PG_ERROR_NO_CONTACT, EDOM),
        SD_BUS_ERROR_MAP(PG_ERROR_AUTHENTICATION_FAILED, EKEYREJECTED),
        /* Recovery ends so after wrong codes: who asked did not prove to be the account's owner. */
        SD_BUS_ERROR_MAP(PG_ERROR_TOO_MANY_ATTEMPTS, EKEYREJECTED),
        /* A clerk's reset request: the person's documents did not prove the identity. */
        SD_BUS_ERROR_MAP(PG_ERROR_DOCUMENTS_MISMATCH, EKEYREJECTED),
        /* The delivery backend failed, not the input: a plain failure, try later. */
        SD_BUS_ERROR_MAP(PG_ERROR_DELIVERY_FAILED, EIO),
        SD_BUS_ERROR_MAP(SD_BUS_ERROR_FAILED, EIO),
        SD_BUS_ERROR_MAP_END,
};

int ctl_error_map_register(void)
{
        int r = sd_bus_error_add_map(ctl_error_map);
        return r < 0 ? r : 0;
}

int ctl_exit_status(int r)
{
        switch (r) {
        case 0:
                return CTL_EXIT_SUCCESS;
        case -EINVAL:
                return CTL_EXIT_USAGE;
        case -EACCES:
        case -EPERM:
                return CTL_EXIT_ACCESS_DENIED;
        case -ESRCH:
                return CTL_EXIT_NO_SUCH_ACCOUNT;
        case -EHOSTUNREACH:
        case -EHOSTDOWN:
        case -ECONNREFUSED:
        case -ECONNRESET:
        case -ENOTCONN:
        case -ETIMEDOUT:
                return CTL_EXIT_UNREACHABLE;
        case -EDOM:
        case -EEXIST:
                return CTL_EXIT_REFUSED;
        case -EKEYREJECTED:
                return CTL_EXIT_AUTH_FAILED;
        default:
                return CTL_EXIT_FAILURE;
        }
}

int ctl_error(int r, const char *format, ...)
{
        va_list ap;

        fputs("passgatectl: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
        return r;
}

int ctl_bus_error(const sd_bus_error *e, int r)
{
        const char *text;

        if (sd_bus_error_is_set(e))
                r = -sd_bus_error_get_errno(e);
        if (e && !isempty(e->message))
                text = e->message;
        else if (e && e->name)
                text = e->name;
        else if (r == -EHOSTUNREACH)
                /* strerror() would speak of network routes. */
                text = _(MSG_CTL_NOT_RUNNING);
        else
                text = strerror(-r);

        /* These come from the bus, not from passgated: say which service is missing. */
        if (ctl_exit_status(r) == CTL_EXIT_UNREACHABLE)
                return ctl_error(r, _(MSG_CTL_UNREACHABLE), text);
        return ctl_error(r, "%s", text);
}

int ctl_conv_error(const char *error_name, const char *message)
{
        const sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(error_name, message);

        if (!error_name)
                return ctl_error(-EIO, "%s", isempty(message) ? strerror(EIO) : message);
        return ctl_bus_error(&e, -EIO);
}

int ctl_parse_error(int r)
{
        /* Whatever sd-bus said, it is not a usage error: keep it out of class 2. */
        return ctl_error(-EBADMSG, _(MSG_CTL_BAD_REPLY), strerror(-r));
}
