/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "macro.h"

/* No 0/O, 1/l/I: generated passwords get read aloud and copied by hand. */
static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

#define GROUPS     4
#define GROUP_SIZE 5

/* Four groups of five from 57 symbols: about 117 bits, readable as xxxxx-xxxxx-xxxxx-xxxxx. */
int password_generate(const Policy *p, char **ret)
{
        for (int tries = 0; tries < 16; tries++) {
                char *s = malloc(GROUPS * (GROUP_SIZE + 1));
                if (!s)
                        return -ENOMEM;
                size_t o = 0;
                for (int g = 0; g < GROUPS; g++) {
                        if (g)
                                s[o++] = '-';
                        for (int i = 0; i < GROUP_SIZE; i++)
                                s[o++] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
                }
                s[o] = 0;
                PolicyVerdict v;
                if (policy_check(p, s, NULL, NULL, &v) == 0) {
                        *ret = s;
                        return 0;
                }
                erase_and_free(s);
        }
        return -EIO;
}
