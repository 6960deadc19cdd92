/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ctl-number.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ctl_parse_u64(const char *s, uint64_t *ret)
{
        unsigned long long v;

        if (!s[0] || s[strspn(s, "0123456789")] != '\0')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, NULL, 10);
        if (errno != 0)
                return -EINVAL;
        *ret = v;
        return 0;
}
