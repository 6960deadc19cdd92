/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <security/pam_modules.h>

#include "module-options.h"

/* PAM_PRELIM_CHECK: whether passgated answers; PAM_SUCCESS or PAM_TRY_AGAIN. */
int module_password_check(pam_handle_t *pamh, const ModuleOptions *options);

/* PAM_UPDATE_AUTHTOK: the "change-password" flow for PAM_USER; returns a PAM code. */
int module_password_update(pam_handle_t *pamh, int flags, const ModuleOptions *options);
