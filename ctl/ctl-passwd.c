/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ctl-passwd.h"
#include "bus-names.h"
#include "conv-client.h"
#include "ctl-bus.h"
#include "ctl-dialogue.h"
#include "ctl-error.h"
#include "ctl-tty.h"
#include "ctl-user.h"
#include "macro.h"
#include "messages.h"

static int set_password_from_stdin(const char *user, bool must_change)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_erase_ char *password = NULL;
        int r;

        r = tty_read_line(_(MSG_CTL_ASK_NEW_PASSWORD), false, &password);
        if (r < 0)
                return r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = ctl_bus_new_call(bus, PG_IFACE_ACCOUNTS, "SetPassword", &m);
        if (r < 0)
                return r;
        r = sd_bus_message_sensitive(m);
        if (r < 0)
                return ctl_error(r, _(MSG_CTL_BUILD_CALL), strerror(-r));
        r = sd_bus_message_append(m, "ssb", user, password, must_change);
        if (r < 0)
                /* sd-bus refuses text that is not UTF-8. */
                return ctl_error(-EDOM, _(MSG_CTL_BUILD_CALL), strerror(-r));
        return ctl_bus_call(bus, m, NULL);
}

static int change_password(const char *user, const CtlArgs *args, bool admin_reset)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(conv_result_clear) ConvResult result = { 0 };
        const Dialogue dialogue = {
                .json = args->json,
                .generate = args->given & OPT_GENERATE,
                .admin_reset = admin_reset,
        };
        int r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;

        r = dialogue_run(bus, PG_FLOW_CHANGE_PASSWORD, user, &dialogue, &result);
        if (r < 0)
                return r;
        if (result.error)
                return ctl_conv_error(result.error, result.message);

        if (args->given & OPT_MUST_CHANGE)
                return ctl_bus_call_method(bus, PG_IFACE_ACCOUNTS, "ExpirePassword", NULL, "s",
                                           user);
        return 0;
}

int verb_user_passwd(int argc, char **argv, const CtlArgs *args)
{
        _cleanup_free_ char *self = NULL;
        const char *user;
        bool admin_reset;
        int r;

        if ((args->given & OPT_PASSWORD_STDIN) && (args->given & OPT_GENERATE))
                return ctl_error(-EINVAL, "%s", _(MSG_CTL_STDIN_OR_GENERATE));

        r = ctl_calling_user(&self);
        if (r < 0)
                return r;
        user = argc > 1 ? argv[1] : self;
        r = ctl_user_name_check(user);
        if (r < 0)
                return r;

        if (args->given & OPT_PASSWORD_STDIN)
                return set_password_from_stdin(user, args->given & OPT_MUST_CHANGE);

        /* Only root may skip the old password, and only for someone else's account. */
        admin_reset = geteuid() == 0 && argc > 1 && !streq(user, self);
        if ((args->given & OPT_MUST_CHANGE) && !admin_reset)
                return ctl_error(-EINVAL, "%s", _(MSG_CTL_MUST_CHANGE_USAGE));

        return change_password(user, args, admin_reset);
}
