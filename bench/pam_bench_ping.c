/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The yardstick for a login's fixed cost: a PAM module that does what any bus-backed module must
 * and nothing else. It opens a system-bus connection the way pam_passgate does (the same client
 * code), makes one call to passgated (GetPasswordPolicy, answered on its bus thread) and closes
 * the connection. It asks no question and checks nothing.
 */
#include <security/pam_modules.h>

#include "bus-names.h"
#include "conv-client.h"
#include "macro.h"

#define PING_TIMEOUT_USEC (25 * UINT64_C(1000000))

_public_ int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;

        int r = conv_bus_open(PING_TIMEOUT_USEC, &bus);
        if (r >= 0)
                r = conv_call_method(bus, PG_IFACE_MANAGER, "GetPasswordPolicy", PING_TIMEOUT_USEC,
                                     &error, &reply, NULL);
        sd_bus_error_free(&error);
        return r < 0 ? PAM_AUTHINFO_UNAVAIL : PAM_SUCCESS;
}

_public_ int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        return PAM_SUCCESS;
}
