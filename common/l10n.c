/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "l10n.h"

#include <libintl.h>
#include <locale.h>
#include <string.h>

#include "config.h"
#include "macro.h"

/* What locale names are made of; anything else (a path, say) never reaches the C library. */
#define LOCALE_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.@"

const char *l10n_gettext(const char *locale, const char *msgid)
{
        if (isempty(locale) || locale[0] == '.' ||
            locale[strspn(locale, LOCALE_NAME_CHARS)] != '\0')
                return msgid;
        locale_t l = newlocale(LC_MESSAGES_MASK, locale, (locale_t)0);
        if (l == (locale_t)0)
                return msgid;
        locale_t old = uselocale(l);
        /* The text lives in the loaded catalog, not in l: it outlasts freelocale(). */
        const char *text = dgettext(GETTEXT_PACKAGE, msgid);
        uselocale(old);
        freelocale(l);
        return text;
}
