/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "bench-identity.h"

#include <stdio.h>

/* As common/document.c checks them: weights 9..1, mod 101, 100 and 101 giving 00. */
static unsigned snils_check(uint32_t d9)
{
        unsigned s = 0;

        for (unsigned w = 1; w <= 9; w++, d9 /= 10)
                s += (d9 % 10) * w;
        if (s < 100)
                return s;
        s %= 101;
        return s == 100 ? 0 : s;
}

/* A person's 12-digit INN: two check digits, weighted sums mod 11 mod 10. */
static void inn_digits(uint32_t i, char out[13])
{
        static const unsigned w11[] = { 7, 2, 4, 10, 3, 5, 9, 4, 6, 8 };
        static const unsigned w12[] = { 3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8 };
        unsigned s11 = 0, s12 = 0;

        snprintf(out, 13, "77%08u", i);
        for (unsigned k = 0; k < 10; k++)
                s11 += (unsigned)(out[k] - '0') * w11[k];
        out[10] = (char)('0' + s11 % 11 % 10);
        for (unsigned k = 0; k < 11; k++)
                s12 += (unsigned)(out[k] - '0') * w12[k];
        out[11] = (char)('0' + s12 % 11 % 10);
        out[12] = 0;
}

void identity_format(IdentityField f, uint32_t i, char *buf, size_t size)
{
        /* Above 001-001-998, the first SNILS that carries check digits. */
        uint32_t snils = 100000000u + i;
        char inn[13];

        switch (f) {
        case IDENTITY_USER:
                snprintf(buf, size, "pg%08u", i);
                break;
        case IDENTITY_PHONE:
                /* A mobile number: 9, then i as the other nine national digits. */
                snprintf(buf, size, "8 9%02u %03u-%02u-%02u", i / 10000000, i / 10000 % 1000,
                         i / 100 % 100, i % 100);
                break;
        case IDENTITY_EMAIL:
                snprintf(buf, size, "person.%u@Bench.Example", i);
                break;
        case IDENTITY_SNILS:
                snprintf(buf, size, "%03u-%03u-%03u %02u", snils / 1000000, snils / 1000 % 1000,
                         snils % 1000, snils_check(snils));
                break;
        case IDENTITY_PASSPORT:
                snprintf(buf, size, "45 %02u %06u", i / 1000000, i % 1000000);
                break;
        case IDENTITY_INN:
                inn_digits(i, inn);
                snprintf(buf, size, "%s", inn);
                break;
        case IDENTITY_FULL_NAME:
                snprintf(buf, size, "Тестова Алёна Сергеевна %u", i);
                break;
        case IDENTITY_UNKNOWN_PHONE:
                snprintf(buf, size, "+7 495 %03u-%02u-%02u", i / 10000 % 1000, i / 100 % 100,
                         i % 100);
                break;
        default:
                snprintf(buf, size, "?");
        }
}
