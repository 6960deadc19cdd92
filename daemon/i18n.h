/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Texts in each client's language come from l10n_gettext(); this prepares its catalogs. */

/* Finds the catalogs and makes them UTF-8; once at start, before any thread. */
int i18n_setup(void);
