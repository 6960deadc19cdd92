/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <libintl.h>
#include <locale.h>
#include <string.h>

#include "config.h"
#include "macro.h"
#include "module-client.h"
#include "module-i18n.h"

/* What locale names are made of; anything else (a path, say) never reaches the C library. */
#define LOCALE_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.@"

const char *module_gettext(pam_handle_t *pamh, const char *msgid)
{
        const char *name = module_client_locale(pamh);

        if (isempty(name) || name[0] == '.' || name[strspn(name, LOCALE_NAME_CHARS)] != '\0')
                return msgid;
        /* A module has no start-up to do this once; both are cheap when nothing changes. */
        if (!bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR) ||
            !bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8"))
                return msgid;

        locale_t l = newlocale(LC_MESSAGES_MASK, name, (locale_t)0);
        if (l == (locale_t)0)
                return msgid;
        locale_t old = uselocale(l);
        /* The text lives in the loaded catalog, not in l: it outlasts freelocale(). */
        const char *text = dgettext(GETTEXT_PACKAGE, msgid);
        uselocale(old);
        freelocale(l);
        return text;
}
