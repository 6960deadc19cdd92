/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>

#include "document.h"
#include "macro.h"

#define SNILS_DIGITS    11
#define PASSPORT_DIGITS 10
#define BLANKS          " \t"

static const char *const doc_type_table[_DOC_MAX] = {
        [DOC_PASSPORT] = "passport",
        [DOC_SNILS] = "snils",
        [DOC_INN] = "inn",
};

const char *doc_type_to_string(DocType t)
{
        if ((unsigned)t >= _DOC_MAX)
                return NULL;
        return doc_type_table[t];
}

int doc_type_from_string(const char *s, DocType *ret)
{
        if (!s)
                return -EINVAL;
        for (DocType t = 0; t < _DOC_MAX; t++)
                if (streq(s, doc_type_table[t])) {
                        *ret = t;
                        return 0;
                }
        return -EINVAL;
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/*
 * Collects the digits of a number written with separators between them, into a buffer that is
 * wiped on any failure: even a malformed number may be most of a real one.
 */
static int extract_digits(const char *in, const char *separators, size_t min, size_t max,
                          char **ret)
{
        _cleanup_erase_ char *d = NULL;
        size_t len, n = 0;

        if (!in)
                return -EINVAL;
        in += strspn(in, BLANKS);
        len = strlen(in);
        while (len > 0 && strchr(BLANKS, in[len - 1]))
                len--;
        if (len == 0 || !is_digit(in[0]) || !is_digit(in[len - 1]))
                return -EINVAL;

        d = calloc(max + 1, 1);
        if (!d)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++)
                if (is_digit(in[i])) {
                        if (n == max)
                                return -EINVAL;
                        d[n++] = in[i];
                } else if (!strchr(separators, in[i]))
                        return -EINVAL;
        if (n < min)
                return -EINVAL;

        *ret = TAKE_PTR(d);
        return 0;
}

static unsigned digit_value(char c)
{
        return (unsigned)(c - '0');
}

static unsigned weighted_sum(const char *digits, const unsigned *weights, size_t n)
{
        unsigned s = 0;

        for (size_t i = 0; i < n; i++)
                s += digit_value(digits[i]) * weights[i];
        return s;
}

int snils_normalize(const char *in, char **ret)
{
        static const unsigned weights[9] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
        _cleanup_erase_ char *d = NULL;
        unsigned sum, check;
        int r;

        r = extract_digits(in, " -", SNILS_DIGITS, SNILS_DIGITS, &d);
        if (r < 0)
                return r;

        /* The Pension Fund defines check digits only for numbers above 001-001-998. */
        if (strncmp(d, "001001998", 9) <= 0)
                return -EINVAL;

        sum = weighted_sum(d, weights, 9);
        /* Sums of 100 and 101, and remainders of 100, all give 00. */
        check = sum < 100 ? sum : sum % 101 % 100;
        if (check != digit_value(d[9]) * 10 + digit_value(d[10]))
                return -EBADMSG;

        *ret = TAKE_PTR(d);
        return 0;
}

int passport_normalize(const char *in, char **ret)
{
        return extract_digits(in, " ", PASSPORT_DIGITS, PASSPORT_DIGITS, ret);
}

static unsigned inn_check(const char *digits, const unsigned *weights, size_t n)
{
        return weighted_sum(digits, weights, n) % 11 % 10;
}

int inn_normalize(const char *in, char **ret)
{
        static const unsigned organisation[] = { 2, 4, 10, 3, 5, 9, 4, 6, 8 };
        static const unsigned person_11th[] = { 7, 2, 4, 10, 3, 5, 9, 4, 6, 8 };
        static const unsigned person_12th[] = { 3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8 };
        _cleanup_erase_ char *d = NULL;
        size_t n;
        int r;

        r = extract_digits(in, " ", 10, 12, &d);
        if (r < 0)
                return r;

        n = strlen(d);
        if (n == 11)
                return -EINVAL;
        if (n == 10 && inn_check(d, organisation, 9) != digit_value(d[9]))
                return -EBADMSG;
        if (n == 12 && (inn_check(d, person_11th, 10) != digit_value(d[10]) ||
                        inn_check(d, person_12th, 11) != digit_value(d[11])))
                return -EBADMSG;

        *ret = TAKE_PTR(d);
        return 0;
}

int document_normalize(DocType t, const char *in, char **ret)
{
        switch (t) {
        case DOC_PASSPORT:
                return passport_normalize(in, ret);
        case DOC_SNILS:
                return snils_normalize(in, ret);
        case DOC_INN:
                return inn_normalize(in, ret);
        default:
                return -EINVAL;
        }
}
