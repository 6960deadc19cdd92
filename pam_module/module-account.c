/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include <security/pam_ext.h>

#include "bus-names.h"
#include "conv-client.h"
#include "macro.h"
#include "messages.h"
#include "module-account.h"
#include "module-conv.h"
#include "module-errors.h"
#include "module-i18n.h"

typedef struct AccountStatus {
        bool locked;
        bool change_required;
} AccountStatus;

static int read_flag(sd_bus_message *m, bool *ret)
{
        const char *contents;
        int b, r;

        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;
        if (!streq(contents, "b"))
                return -EPROTO;
        r = sd_bus_message_read(m, "v", "b", &b);
        if (r < 0)
                return r;
        *ret = b;
        return 0;
}

static int parse_status(sd_bus_message *m, AccountStatus *ret)
{
        AccountStatus s = {};
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        for (;;) {
                const char *key;

                r = sd_bus_message_enter_container(m, 'e', "sv");
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                if (streq(key, "Locked"))
                        r = read_flag(m, &s.locked);
                else if (streq(key, "PasswordChangeRequired"))
                        r = read_flag(m, &s.change_required);
                else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        *ret = s;
        return 0;
}

static void tell(pam_handle_t *pamh, const ModuleOptions *options, const char *text)
{
        if (!options->silent)
                (void)module_conv_show(pamh, PAM_ERROR_MSG, text);
}

int module_acct_mgmt(pam_handle_t *pamh, const ModuleOptions *options)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const void *user = NULL;
        AccountStatus status;
        int r;

        r = pam_get_item(pamh, PAM_USER, &user);
        if (r != PAM_SUCCESS)
                return r;
        if (isempty(user))
                return PAM_USER_UNKNOWN;

        r = conv_bus_open(options->timeout_usec, &bus);
        if (r < 0)
                return module_unreachable(pamh, r);
        r = conv_call_method(bus, PG_IFACE_MANAGER, "GetAccountStatus", options->timeout_usec,
                             &error, &reply, "s", user);
        if (r < 0) {
                r = module_error_to_pam(error.name, MODULE_STAGE_ACCOUNT);
                pam_syslog(pamh, r == PAM_AUTHINFO_UNAVAIL ? LOG_ERR : LOG_NOTICE,
                           "Account status of \"%s\" not available: %s", (const char *)user,
                           error.name ? error.name : "?");
                return r;
        }
        r = parse_status(reply, &status);
        if (r < 0)
                return module_unreachable(pamh, -EPROTO);

        module_debug(pamh, options, "Account \"%s\": locked=%d change_required=%d",
                     (const char *)user, status.locked, status.change_required);
        if (status.locked) {
                tell(pamh, options, module_gettext(pamh, MSG_PAM_ACCOUNT_LOCKED));
                return PAM_PERM_DENIED;
        }
        if (status.change_required) {
                tell(pamh, options, module_gettext(pamh, MSG_CHANGE_REQUIRED));
                return PAM_NEW_AUTHTOK_REQD;
        }
        return PAM_SUCCESS;
}
