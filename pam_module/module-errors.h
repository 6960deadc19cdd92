/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <security/pam_modules.h>

typedef enum ModuleStage {
        MODULE_STAGE_AUTH,
        MODULE_STAGE_ACCOUNT,
        MODULE_STAGE_PASSWORD,
        _MODULE_STAGE_MAX,
} ModuleStage;

/* The PAM code for a failed step's error name or a bus error reply's name, in a stage. */
int module_error_to_pam(const char *name, ModuleStage stage);

/* Logs why passgated could not be asked (a negative errno) and returns the PAM code for it. */
int module_unreachable(pam_handle_t *pamh, int r);
