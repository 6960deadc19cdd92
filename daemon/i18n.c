/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "i18n.h"

#include <errno.h>
#include <libintl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "macro.h"

int i18n_setup(void)
{
        if (!bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR))
                return -errno;
        /* Texts go out on D-Bus, which carries UTF-8 whatever the daemon's own locale. */
        if (!bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8"))
                return -errno;
        /* gettext lets LANGUAGE outrank every locale: the host's would override each client's. */
        if (unsetenv("LANGUAGE") < 0)
                return -errno;
        return 0;
}
