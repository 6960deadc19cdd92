/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fullname.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "macro.h"

#define CYRILLIC_SMALL_IO 0x0451     /* ё */
#define CYRILLIC_SMALL_IE "\xd0\xb5" /* е, UTF-8 */

int full_name_fold(const char *name, char **ret)
{
        size_t n = strlen(name), len = 0, folded_len = 0;

        if (u8_check((const uint8_t *)name, n))
                return -EILSEQ;
        /* Compatibility forms first (ﬁ, full-width letters, no-break spaces), then the case: the
         * fold composes again, so "е" + U+0308 and "Ё" both end as the one "ё" replaced below. */
        _cleanup_free_ uint8_t *nfkc =
                u8_normalize(UNINORM_NFKC, (const uint8_t *)name, n, NULL, &len);
        if (!nfkc)
                return -errno;
        _cleanup_free_ uint8_t *folded =
                u8_casefold(nfkc, len, NULL, UNINORM_NFKC, NULL, &folded_len);
        if (!folded)
                return -errno;

        /* "ё" and "е" are both two bytes: the result is never longer than the folded form. */
        char *out = malloc(folded_len + 1);
        if (!out)
                return -ENOMEM;
        size_t o = 0;
        bool space = false;
        for (size_t i = 0; i < folded_len;) {
                ucs4_t uc;
                int k = u8_mbtouc(&uc, folded + i, folded_len - i);
                if (uc_is_property_white_space(uc))
                        space = o > 0;
                else {
                        if (space)
                                out[o++] = ' ';
                        space = false;
                        if (uc == CYRILLIC_SMALL_IO)
                                memcpy(out + o, CYRILLIC_SMALL_IE, k);
                        else
                                memcpy(out + o, folded + i, k);
                        o += k;
                }
                i += k;
        }
        out[o] = 0;
        *ret = out;
        return 0;
}
