/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#define MODULE_TIMEOUT_DEFAULT_SEC 10
#define MODULE_TIMEOUT_MAX_SEC     600

/* What one pam_sm_* call was asked to do: from its flags and its arguments in the PAM stack. */
typedef struct ModuleOptions {
        bool debug;
        bool silent;
        bool use_first_pass;
        bool try_first_pass;
        bool use_authtok;
        uint64_t timeout_usec;
} ModuleOptions;

void module_options_parse(pam_handle_t *pamh, int flags, int argc, const char **argv,
                          ModuleOptions *ret);

/* Debug lines name steps and error names only, never what the user typed. */
#define module_debug(pamh, options, ...)                                                           \
        do {                                                                                       \
                if ((options)->debug)                                                              \
                        pam_syslog((pamh), LOG_DEBUG, __VA_ARGS__);                                \
        } while (0)
