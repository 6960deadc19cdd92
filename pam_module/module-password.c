/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modutil.h>

#include "bus-names.h"
#include "conv-client.h"
#include "macro.h"
#include "module-client.h"
#include "module-conv.h"
#include "module-errors.h"
#include "module-password.h"

#define STEP_OLD_PASSWORD    "old-password"
#define STEP_NEW_PASSWORD    "new-password"
#define STEP_REPEAT_PASSWORD "repeat-password"
#define STEP_GENERATED       "generated"

typedef struct PasswordContext {
        pam_handle_t *pamh;
        const ModuleOptions *options;
        ModuleConv conv;
        const char *stored_old; /* PAM_OLDAUTHTOK from an earlier module, offered once */
        const char *stored_new; /* PAM_AUTHTOK from an earlier module, offered once */
        bool old_used;
        bool new_used;
        bool new_from_store; /* the new password sent last came from stored_new */
        char *new_password;  /* the new password sent or generated last */
        int pam_code;        /* why ask() gave up, PAM_SUCCESS while it did not */
} PasswordContext;

static void password_context_clear(PasswordContext *c)
{
        c->new_password = erase_and_free(c->new_password);
}

static int password_fail(PasswordContext *c, int pam_code, int r)
{
        c->pam_code = pam_code;
        return r;
}

static int remember_new(PasswordContext *c, const char *password, bool from_store)
{
        char *copy = strdup(password);

        if (!copy)
                return -ENOMEM;
        erase_and_free(c->new_password);
        c->new_password = copy;
        c->new_from_store = from_store;
        return 0;
}

static int offer_stored(PasswordContext *c, const char *stored, char **ret_answer)
{
        *ret_answer = strdup(stored);
        return *ret_answer ? 0 : password_fail(c, PAM_BUF_ERR, -ENOMEM);
}

/* Returns 1 with an answer from a stored token, 0 to ask the user, or a negative errno. */
static int answer_from_store(PasswordContext *c, const ConvPrompt *p, char **ret_answer)
{
        const ModuleOptions *o = c->options;
        int r;

        if (!streq(p->kind, PG_STEP_SECRET))
                return 0;

        if (streq(p->id, STEP_OLD_PASSWORD)) {
                if (c->stored_old && !c->old_used) {
                        c->old_used = true;
                        r = offer_stored(c, c->stored_old, ret_answer);
                        return r < 0 ? r : 1;
                }
                if (o->use_first_pass)
                        return password_fail(c, PAM_AUTHTOK_ERR, -EPERM);
        } else if (streq(p->id, STEP_NEW_PASSWORD)) {
                if (c->stored_new && !c->new_used) {
                        c->new_used = true;
                        r = offer_stored(c, c->stored_new, ret_answer);
                        if (r >= 0)
                                r = remember_new(c, c->stored_new, true);
                        return r < 0 ? password_fail(c, PAM_BUF_ERR, r) : 1;
                }
                if (o->use_first_pass || o->use_authtok)
                        return password_fail(c, PAM_AUTHTOK_ERR, -EPERM);
        } else if (streq(p->id, STEP_REPEAT_PASSWORD) && c->new_from_store) {
                r = offer_stored(c, c->new_password, ret_answer);
                return r < 0 ? r : 1;
        }
        return 0;
}

static int password_ask(const ConvPrompt *p, char **ret_answer, void *userdata)
{
        PasswordContext *c = userdata;
        int r;

        module_debug(c->pamh, c->options, "Step %s (%s)", p->id, p->kind);

        r = answer_from_store(c, p, ret_answer);
        if (r != 0)
                return r < 0 ? r : 0;

        r = module_conv_render(&c->conv, p, ret_answer);
        if (r < 0)
                return password_fail(c, r == -ENOMEM ? PAM_BUF_ERR : PAM_CONV_ERR, r);

        if (streq(p->id, STEP_GENERATED) && !isempty(p->password))
                r = remember_new(c, p->password, false);
        else if (streq(p->kind, PG_STEP_SECRET) && streq(p->id, STEP_NEW_PASSWORD))
                r = remember_new(c, *ret_answer, false);
        else if (streq(p->kind, PG_STEP_SECRET) && streq(p->id, STEP_OLD_PASSWORD)) {
                /* Later modules with use_first_pass get what the user typed. */
                r = pam_set_item(c->pamh, PAM_OLDAUTHTOK, *ret_answer);
                if (r != PAM_SUCCESS)
                        return password_fail(c, r, -EIO);
        }
        if (r < 0)
                return password_fail(c, PAM_BUF_ERR, r);
        return 0;
}

/*
 * Like pam_unix: root outside a login (no PAM_CHANGE_EXPIRED_AUTHTOK) sets another user's
 * password without the old one. A user forced to change at login always proves the old one.
 */
static bool want_admin_reset(pam_handle_t *pamh, int flags, const char *user)
{
        const struct passwd *pw;

        if (getuid() != 0 || (flags & PAM_CHANGE_EXPIRED_AUTHTOK))
                return false;
        pw = pam_modutil_getpwnam(pamh, user);
        return !pw || pw->pw_uid != 0;
}

/*
 * Answers PAM_USER_UNKNOWN for a user passgate does not know: a stack that jumps over pam_unix on
 * success here would otherwise skip pam_unix's own check, where it asks for the current password.
 */
int module_password_check(pam_handle_t *pamh, const ModuleOptions *options)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const void *user = NULL;
        int r;

        r = pam_get_item(pamh, PAM_USER, &user);
        if (r != PAM_SUCCESS)
                return r;
        if (isempty(user))
                return PAM_USER_UNKNOWN;
        r = conv_bus_open(options->timeout_usec, &bus);
        if (r >= 0)
                r = conv_call_method(bus, PG_IFACE_MANAGER, "GetAccountStatus",
                                     options->timeout_usec, &error, NULL, "s", user);
        if (r < 0 && conv_error_is_answer(&error))
                return module_error_to_pam(error.name, MODULE_STAGE_PASSWORD);
        if (r < 0) {
                (void)module_unreachable(pamh, r);
                return PAM_TRY_AGAIN;
        }
        return PAM_SUCCESS;
}

int module_password_update(pam_handle_t *pamh, int flags, const ModuleOptions *options)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(conv_result_clear) ConvResult result = {};
        _cleanup_(password_context_clear) PasswordContext ctx = {};
        const void *user = NULL, *stored_old = NULL, *stored_new = NULL;
        ConvClientInfo client;
        int r;

        r = pam_get_item(pamh, PAM_USER, &user);
        if (r != PAM_SUCCESS)
                return r;
        if (isempty(user))
                return PAM_USER_UNKNOWN;
        if (options->use_first_pass || options->try_first_pass || options->use_authtok) {
                r = pam_get_item(pamh, PAM_OLDAUTHTOK, &stored_old);
                if (r != PAM_SUCCESS)
                        return r;
                r = pam_get_item(pamh, PAM_AUTHTOK, &stored_new);
                if (r != PAM_SUCCESS)
                        return r;
        }

        r = conv_bus_open(options->timeout_usec, &bus);
        if (r < 0)
                return module_unreachable(pamh, r);

        ctx = (PasswordContext){
                .pamh = pamh,
                .options = options,
                /* An empty new password asks the daemon to generate one: only when typed. */
                .stored_old = isempty(stored_old) ? NULL : stored_old,
                .stored_new = isempty(stored_new) ? NULL : stored_new,
                .pam_code = PAM_SUCCESS,
        };
        module_client_info(pamh, want_admin_reset(pamh, flags, user), &client);
        module_debug(pamh, options, "Changing the password of \"%s\"%s", (const char *)user,
                     client.admin_reset ? " as administrator" : "");

        ctx.conv = (ModuleConv){ .pamh = pamh, .fold = client.remote };
        r = conv_run(bus, PG_FLOW_CHANGE_PASSWORD, user, &client, options->timeout_usec,
                     password_ask, &ctx, &result);
        module_conv_flush(&ctx.conv);
        if (r < 0)
                return ctx.pam_code != PAM_SUCCESS ? ctx.pam_code : module_unreachable(pamh, r);

        if (result.error) {
                pam_syslog(pamh, LOG_NOTICE, "Password change failed for user \"%s\": %s",
                           (const char *)user, result.error);
                if (!options->silent && !isempty(result.message))
                        (void)module_conv_show(pamh, PAM_ERROR_MSG, result.message);
                return module_error_to_pam(result.error, MODULE_STAGE_PASSWORD);
        }

        pam_syslog(pamh, LOG_NOTICE, "Password changed for user \"%s\"", (const char *)user);
        if (!options->silent && !isempty(result.message))
                (void)module_conv_show(pamh, PAM_TEXT_INFO, result.message);
        /* Stacked modules (use_authtok) store the same new password. */
        if (!isempty(ctx.new_password))
                return pam_set_item(pamh, PAM_AUTHTOK, ctx.new_password);
        return PAM_SUCCESS;
}
