/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_ext.h>
#include <security/pam_modutil.h>

#include "bus-names.h"
#include "conv-client.h"
#include "macro.h"
#include "module-auth.h"
#include "module-client.h"
#include "module-conv.h"
#include "module-errors.h"

typedef struct AuthContext {
        pam_handle_t *pamh;
        const ModuleOptions *options;
        ModuleConv conv;
        const char *stored; /* PAM_AUTHTOK from an earlier module, offered once */
        bool stored_used;
        int pam_code; /* why ask() gave up, PAM_SUCCESS while it did not */
} AuthContext;

static int auth_fail(AuthContext *c, int pam_code, int r)
{
        c->pam_code = pam_code;
        return r;
}

static int auth_ask(const ConvPrompt *p, char **ret_answer, void *userdata)
{
        AuthContext *c = userdata;
        bool password = streq(p->kind, PG_STEP_SECRET) && streq(p->id, "password");
        int r;

        module_debug(c->pamh, c->options, "Step %s (%s)", p->id, p->kind);

        if (password && c->stored && !c->stored_used) {
                c->stored_used = true;
                *ret_answer = strdup(c->stored);
                return *ret_answer ? 0 : auth_fail(c, PAM_BUF_ERR, -ENOMEM);
        }
        if (password && c->options->use_first_pass) {
                module_debug(c->pamh, c->options, "use_first_pass: no password to offer");
                return auth_fail(c, PAM_AUTH_ERR, -EPERM);
        }

        r = module_conv_render(&c->conv, p, ret_answer);
        if (r < 0)
                return auth_fail(c, r == -ENOMEM ? PAM_BUF_ERR : PAM_CONV_ERR, r);

        if (password) {
                /* Later modules with try_first_pass get what the user typed. */
                r = pam_set_item(c->pamh, PAM_AUTHTOK, *ret_answer);
                if (r != PAM_SUCCESS)
                        return auth_fail(c, r, -EIO);
        }
        return 0;
}

/*
 * PAM_USER before the login is whatever the application passed: any identifier the user typed,
 * a SNILS (a document number) too. Only a unix user's name is logged, as pam_unix does.
 */
static const char *user_for_log(pam_handle_t *pamh, const char *user)
{
        if (isempty(user))
                return "";
        return pam_modutil_getpwnam(pamh, user) ? user : "(not a unix user name)";
}

static int run_login(pam_handle_t *pamh, const ModuleOptions *options, sd_bus *bus,
                     const char *user, AuthContext *ctx, ConvResult *ret)
{
        ConvClientInfo client;
        int r;

        module_client_info(pamh, false, &client);
        ctx->conv = (ModuleConv){ .pamh = pamh, .fold = client.remote };
        r = conv_run(bus, PG_FLOW_LOGIN, user, &client, options->timeout_usec, auth_ask, ctx, ret);
        module_conv_flush(&ctx->conv);
        if (r < 0)
                return ctx->pam_code != PAM_SUCCESS ? ctx->pam_code : module_unreachable(pamh, r);
        return PAM_SUCCESS;
}

int module_authenticate(pam_handle_t *pamh, const ModuleOptions *options)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(conv_result_clear) ConvResult result = {};
        const void *user = NULL, *stored = NULL;
        AuthContext ctx;
        int r;

        /* Not pam_get_user(): when no name is known the daemon asks for any identifier. */
        r = pam_get_item(pamh, PAM_USER, &user);
        if (r != PAM_SUCCESS)
                return r;
        if (options->use_first_pass || options->try_first_pass) {
                r = pam_get_item(pamh, PAM_AUTHTOK, &stored);
                if (r != PAM_SUCCESS)
                        return r;
        }

        r = conv_bus_open(options->timeout_usec, &bus);
        if (r < 0)
                return module_unreachable(pamh, r);

        ctx = (AuthContext){
                .pamh = pamh,
                .options = options,
                /* An empty password starts recovery: never send one the user did not type. */
                .stored = isempty(stored) ? NULL : stored,
                .pam_code = PAM_SUCCESS,
        };
        r = run_login(pamh, options, bus, user, &ctx, &result);
        if (r != PAM_SUCCESS)
                return r;

        if (result.error && streq(result.error, PG_ERROR_AUTHENTICATION_FAILED) &&
            ctx.stored_used && options->try_first_pass && !options->use_first_pass) {
                module_debug(pamh, options, "Stored password refused, asking the user");
                conv_result_clear(&result);
                ctx = (AuthContext){ .pamh = pamh, .options = options, .pam_code = PAM_SUCCESS };
                r = run_login(pamh, options, bus, user, &ctx, &result);
                if (r != PAM_SUCCESS)
                        return r;
        }

        if (result.error) {
                pam_syslog(pamh, LOG_NOTICE, "Authentication failed for user \"%s\": %s",
                           user_for_log(pamh, user), result.error);
                if (!options->silent && !isempty(result.message))
                        (void)module_conv_show(pamh, PAM_ERROR_MSG, result.message);
                return module_error_to_pam(result.error, MODULE_STAGE_AUTH);
        }

        /* Silent on success, as pam_unix: a forced change is announced by the account stage. */
        module_debug(pamh, options, "Logged in as \"%s\"", result.user);
        return pam_set_item(pamh, PAM_USER, result.user);
}
