/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <security/pam_modules.h>

#include "module-options.h"

/* Whether PAM_USER may log in now, from GetAccountStatus; returns a PAM code. */
int module_acct_mgmt(pam_handle_t *pamh, const ModuleOptions *options);
