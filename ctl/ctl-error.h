/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <systemd/sd-bus.h>

/*
 * Exit statuses of passgatectl, the one place they are defined (--help and passgatectl(1) repeat
 * them), with the error names that lead to each:
 *
 *   0  success; recover: also PasswordRecovered (the password was changed)
 *   1  any other failure: StoreFailure, DeliveryFailed, Cancelled, Expired, unknown names
 *   2  usage error: unknown verb or option, missing or extra argument, bad number
 *   3  access denied: org.freedesktop.DBus.Error.AccessDenied, PermissionDenied
 *   4  no such account, unix user, center, slot, coupon or request: NoSuchAccount,
 *      NoSuchUnixUser, NoSuchCenter, NoSuchSlot, NoSuchCoupon, NoSuchRequest
 *   5  the daemon cannot be reached: no bus, ServiceUnknown, NameHasNoOwner, NoReply, timeouts
 *   6  the daemon refused an input or a request: InvalidArgs, PasswordRejected, IdentifierInUse,
 *      InvalidIdentifier, AccountExists, RateLimited, NoContact, CenterExists, SlotFull,
 *      TooManyBookings
 *   7  authentication failed in a conversation: AuthenticationFailed, TooManyAttempts; support
 *      verify: no match (the identity was not confirmed); DocumentsMismatch (a reset request)
 *
 * Functions return 0 or a negative errno; the errno carries the class of the failure up to main(),
 * so every D-Bus error name the daemon may send is mapped to an errno that belongs to one class.
 */
enum {
        CTL_EXIT_SUCCESS = 0,
        CTL_EXIT_FAILURE = 1,
        CTL_EXIT_USAGE = 2,
        CTL_EXIT_ACCESS_DENIED = 3,
        CTL_EXIT_NO_SUCH_ACCOUNT = 4,
        CTL_EXIT_UNREACHABLE = 5,
        CTL_EXIT_REFUSED = 6,
        CTL_EXIT_AUTH_FAILED = 7,
};

/* Makes sd_bus_error_get_errno() place passgate's error names into the classes above. */
int ctl_error_map_register(void);

int ctl_exit_status(int r);

/* Prints "passgatectl: <message>" to stderr and returns r. */
int ctl_error(int r, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Prints a failed call's error and returns its class as a negative errno. */
int ctl_bus_error(const sd_bus_error *e, int r);

/* Same for a conversation that ended in a "failed" step. */
int ctl_conv_error(const char *error_name, const char *message);

/* Reports a reply that does not have the signature the contract promises. */
int ctl_parse_error(int r);
