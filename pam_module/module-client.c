/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "macro.h"
#include "module-client.h"

static const char *item_string(pam_handle_t *pamh, int item)
{
        const void *v = NULL;

        if (pam_get_item(pamh, item, &v) != PAM_SUCCESS)
                return NULL;
        return v;
}

/* The language the user will read: the PAM environment is what the session gets, then ours. */
const char *module_client_locale(pam_handle_t *pamh)
{
        static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
        const char *v;

        for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
                v = pam_getenv(pamh, vars[i]);
                if (!isempty(v))
                        return v;
        }
        for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
                v = getenv(vars[i]);
                if (!isempty(v))
                        return v;
        }
        return NULL;
}

void module_client_info(pam_handle_t *pamh, bool admin_reset, ConvClientInfo *ret)
{
        const char *service = item_string(pamh, PAM_SERVICE);

        *ret = (ConvClientInfo){
                .service = service,
                .remote = !isempty(item_string(pamh, PAM_RHOST)),
                .renderer = service && strncmp(service, "gdm", strlen("gdm")) == 0 ? "gdm" : "text",
                .locale = module_client_locale(pamh),
                .admin_reset = admin_reset,
        };
}
