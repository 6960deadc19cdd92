/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Texts in each client's language. The daemon answers many clients at once, so it never changes
 * the process locale: a lookup switches only the calling thread's, and only for its duration.
 */

/* Finds the catalogs and makes them UTF-8; once at start, before any thread. */
int i18n_setup(void);

/*
 * A text of messages.h in the language of a client's Locale ("ru_RU.UTF-8"), or the text itself
 * when the locale is malformed, not installed on this host or has no catalog.
 */
const char *i18n_gettext(const char *locale, const char *msgid) __attribute__((format_arg(2)));
