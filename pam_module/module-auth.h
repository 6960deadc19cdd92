/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <security/pam_modules.h>

#include "module-options.h"

/* The "login" flow; returns a PAM code. */
int module_authenticate(pam_handle_t *pamh, const ModuleOptions *options);
