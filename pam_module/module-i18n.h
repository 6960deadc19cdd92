/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <security/pam_modules.h>

/*
 * A text of messages.h in the PAM user's language (module_client_locale()), in UTF-8 as the
 * daemon's texts are; the text itself when that locale is not installed or has no catalog. The
 * application's locale is left alone: it belongs to the application, and may be another user's.
 */
const char *module_gettext(pam_handle_t *pamh, const char *msgid) __attribute__((format_arg(2)));
