/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "support.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l10n.h"
#include "macro.h"
#include "messages.h"

size_t support_contacts(const Config *cf, SupportContact out[static SUPPORT_CONTACTS_MAX])
{
        const SupportContact all[SUPPORT_CONTACTS_MAX] = {
                { "hotline", MSG_SUPPORT_HOTLINE, cf->support_hotline },
                { "abroad", MSG_SUPPORT_ABROAD, cf->support_abroad },
                { "chat", MSG_SUPPORT_CHAT, cf->support_chat },
        };
        size_t n = 0;

        for (size_t i = 0; i < SUPPORT_CONTACTS_MAX; i++)
                if (!isempty(all[i].value))
                        out[n++] = all[i];
        return n;
}

int support_line(const Config *cf, const char *locale, char **ret)
{
        SupportContact c[SUPPORT_CONTACTS_MAX];
        size_t n = support_contacts(cf, c);
        _cleanup_free_ char *list = NULL;

        *ret = NULL;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *part = NULL, *joined = NULL;
                if (asprintf(&part, l10n_gettext(locale, c[i].text), c[i].value) < 0 ||
                    asprintf(&joined, "%s%s%s", list ? list : "", list ? ", " : "", part) < 0)
                        return -ENOMEM;
                free(list);
                list = TAKE_PTR(joined);
        }
        if (list && asprintf(ret, l10n_gettext(locale, MSG_SUPPORT_LINE), list) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}
