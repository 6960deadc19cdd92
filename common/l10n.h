/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * A text of messages.h in the language of a locale name ("ru_RU.UTF-8"), switching only the calling
 * thread's locale and only for the lookup: the daemon serves many languages at once, and a PAM
 * module must leave its application's locale alone. The text itself when the name is malformed,
 * the locale is not installed on this host or it has no catalog.
 */
const char *l10n_gettext(const char *locale, const char *msgid) __attribute__((format_arg(2)));
