/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include <security/pam_modules.h>

#include "conv-client.h"

/* The locale the user reads ("ru_RU.UTF-8"), NULL when none is set. Owned by the PAM handle or
 * the environment. */
const char *module_client_locale(pam_handle_t *pamh);

/* Describes the PAM application to the daemon. The strings stay owned by the PAM handle. */
void module_client_info(pam_handle_t *pamh, bool admin_reset, ConvClientInfo *ret);
