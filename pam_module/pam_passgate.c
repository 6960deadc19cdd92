/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pam_passgate: renders the conversations that passgated drives. The module decides no rule of
 * its own; see module-*.c for each PAM stage.
 */
#include <security/pam_modules.h>

#include "macro.h"
#include "module-account.h"
#include "module-auth.h"
#include "module-options.h"
#include "module-password.h"

_public_ int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        ModuleOptions options;

        module_options_parse(pamh, flags, argc, argv, &options);
        return module_authenticate(pamh, &options);
}

/* Credentials belong to other modules (pam_unix, pam_systemd): nothing to establish here. */
_public_ int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        return PAM_SUCCESS;
}

_public_ int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        ModuleOptions options;

        module_options_parse(pamh, flags, argc, argv, &options);
        return module_acct_mgmt(pamh, &options);
}

_public_ int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        ModuleOptions options;

        module_options_parse(pamh, flags, argc, argv, &options);
        if (flags & PAM_PRELIM_CHECK)
                return module_password_check(pamh, &options);
        if (flags & PAM_UPDATE_AUTHTOK)
                return module_password_update(pamh, flags, &options);
        return PAM_SERVICE_ERR;
}
