/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "coupon.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

/* 8 digits and 24 letters: 32 symbols, 5 bits each. */
static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/* Symbols before each dash of the grouped form: "XXXX-XXXX-XX". */
static void group(const char symbols[static COUPON_SYMBOLS], char out[static COUPON_TEXT_MAX])
{
        size_t o = 0;
        for (size_t i = 0; i < COUPON_SYMBOLS; i++) {
                if (i == 4 || i == 8)
                        out[o++] = '-';
                out[o++] = symbols[i];
        }
        out[o] = '\0';
}

void coupon_generate(char out[static COUPON_TEXT_MAX])
{
        char symbols[COUPON_SYMBOLS];
        for (size_t i = 0; i < COUPON_SYMBOLS; i++)
                symbols[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
        group(symbols, out);
        sodium_memzero(symbols, sizeof symbols);
}

int coupon_normalize(const char *typed, char out[static COUPON_TEXT_MAX])
{
        char symbols[COUPON_SYMBOLS];
        size_t n = 0;
        int r = 0;

        for (const char *p = typed; *p && r == 0; p++) {
                if (*p == '-' || *p == ' ')
                        continue;
                char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
                if (n >= COUPON_SYMBOLS || !strchr(alphabet, c))
                        r = -EINVAL;
                else
                        symbols[n++] = c;
        }
        if (r == 0 && n == COUPON_SYMBOLS)
                group(symbols, out);
        else
                r = -EINVAL;
        sodium_memzero(symbols, sizeof symbols);
        return r;
}

void coupon_key(const Pepper *p, const char *coupon, uint8_t out[static PEPPER_HASH_BYTES])
{
        pepper_hash(p->code_key, "booking-coupon", coupon, out);
}
