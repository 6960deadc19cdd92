/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "module-options.h"

static int parse_timeout(const char *s, uint64_t *ret)
{
        unsigned long v;
        char *end;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || v == 0 || v > MODULE_TIMEOUT_MAX_SEC)
                return -EINVAL;
        *ret = (uint64_t)v * UINT64_C(1000000);
        return 0;
}

void module_options_parse(pam_handle_t *pamh, int flags, int argc, const char **argv,
                          ModuleOptions *ret)
{
        ModuleOptions o = {
                .silent = flags & PAM_SILENT,
                .timeout_usec = MODULE_TIMEOUT_DEFAULT_SEC * UINT64_C(1000000),
        };

        /* A typo in the PAM stack must not lock everybody out: warn and go on. */
        for (int i = 0; i < argc; i++) {
                const char *a = argv[i];

                if (streq(a, "debug"))
                        o.debug = true;
                else if (streq(a, "use_first_pass"))
                        o.use_first_pass = true;
                else if (streq(a, "try_first_pass"))
                        o.try_first_pass = true;
                else if (streq(a, "use_authtok"))
                        o.use_authtok = true;
                else if (strncmp(a, "timeout=", strlen("timeout=")) == 0) {
                        if (parse_timeout(a + strlen("timeout="), &o.timeout_usec) < 0)
                                pam_syslog(pamh, LOG_WARNING,
                                           "Ignoring invalid %s (1 to %d seconds allowed)", a,
                                           MODULE_TIMEOUT_MAX_SEC);
                } else
                        pam_syslog(pamh, LOG_WARNING, "Ignoring unknown option: %s", a);
        }

        *ret = o;
}
