/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ctl-recover.h"
#include "bus-names.h"
#include "conv-client.h"
#include "ctl-bus.h"
#include "ctl-dialogue.h"
#include "ctl-error.h"
#include "macro.h"

int verb_recover(int argc, char **argv, const CtlArgs *args)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(conv_result_clear) ConvResult result = { 0 };
        const Dialogue dialogue = {
                .json = args->json,
                .generate = args->given & OPT_GENERATE,
        };
        int r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;

        /* No LOGIN: the daemon asks for the phone or e-mail itself. */
        r = dialogue_run(bus, PG_FLOW_RECOVERY, argc > 1 ? argv[1] : NULL, &dialogue, &result);
        if (r < 0)
                return r;
        /*
         * PasswordRecovered is how a login conversation ends a recovery: the password was changed,
         * which is all recover is for.
         */
        if (result.error && !streq(result.error, PG_ERROR_PASSWORD_RECOVERED))
                return ctl_conv_error(result.error, result.message);

        /* "Log in with the new password": the one thing left to do. */
        dialogue_say(&dialogue, result.message);
        return 0;
}
