/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <libintl.h>

#include "config.h"
#include "l10n.h"
#include "module-client.h"
#include "module-i18n.h"

const char *module_gettext(pam_handle_t *pamh, const char *msgid)
{
        /* A module has no start-up to do this once; both are cheap when nothing changes. */
        if (!bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR) ||
            !bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8"))
                return msgid;
        return l10n_gettext(module_client_locale(pamh), msgid);
}
