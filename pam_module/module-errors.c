/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "bus-names.h"
#include "macro.h"
#include "module-errors.h"

static const struct {
        const char *name;
        int code[_MODULE_STAGE_MAX]; /* auth, account, password */
} error_table[] = {
        { PG_ERROR_AUTHENTICATION_FAILED, { PAM_AUTH_ERR, PAM_AUTH_ERR, PAM_AUTH_ERR } },
        { PG_ERROR_PASSWORD_REJECTED, { PAM_AUTH_ERR, PAM_AUTHTOK_ERR, PAM_AUTHTOK_ERR } },
        { PG_ERROR_TOO_MANY_ATTEMPTS, { PAM_MAXTRIES, PAM_MAXTRIES, PAM_MAXTRIES } },
        { PG_ERROR_RATE_LIMITED, { PAM_MAXTRIES, PAM_MAXTRIES, PAM_MAXTRIES } },
        { PG_ERROR_PERMISSION_DENIED, { PAM_PERM_DENIED, PAM_PERM_DENIED, PAM_PERM_DENIED } },
        { PG_ERROR_ACCESS_DENIED, { PAM_PERM_DENIED, PAM_PERM_DENIED, PAM_PERM_DENIED } },
        { PG_ERROR_NO_SUCH_ACCOUNT, { PAM_USER_UNKNOWN, PAM_USER_UNKNOWN, PAM_USER_UNKNOWN } },
        { PG_ERROR_NO_SUCH_UNIX_USER, { PAM_USER_UNKNOWN, PAM_USER_UNKNOWN, PAM_USER_UNKNOWN } },
        { PG_ERROR_INVALID_IDENTIFIER, { PAM_AUTH_ERR, PAM_USER_UNKNOWN, PAM_USER_UNKNOWN } },
        /* Login and passwd ask again after these; PAM_ABORT would end the whole application. */
        { PG_ERROR_CANCELLED, { PAM_AUTH_ERR, PAM_AUTHTOK_ERR, PAM_AUTHTOK_ERR } },
        { PG_ERROR_EXPIRED, { PAM_AUTH_ERR, PAM_AUTHTOK_ERR, PAM_AUTHTOK_ERR } },
        { PG_ERROR_STORE, { PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL } },
        { PG_ERROR_DELIVERY_FAILED,
          { PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL } },
        /* Recovered: not logged in; the message asks for a login with the new password. */
        { PG_ERROR_PASSWORD_RECOVERED, { PAM_AUTH_ERR, PAM_AUTH_ERR, PAM_AUTH_ERR } },
};

/* Unknown names fail closed, each stage the way its callers expect. */
static const int error_default[_MODULE_STAGE_MAX] = {
        PAM_AUTH_ERR,
        PAM_AUTHINFO_UNAVAIL,
        PAM_AUTHTOK_ERR,
};

int module_error_to_pam(const char *name, ModuleStage stage)
{
        for (size_t i = 0; name && i < ELEMENTSOF(error_table); i++)
                if (streq(name, error_table[i].name))
                        return error_table[i].code[stage];
        return error_default[stage];
}

int module_unreachable(pam_handle_t *pamh, int r)
{
        errno = -r;
        pam_syslog(pamh, LOG_ERR, "Cannot reach passgated: %m");
        return r == -ENOMEM ? PAM_BUF_ERR : PAM_AUTHINFO_UNAVAIL;
}
