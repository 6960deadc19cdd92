/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistr.h>

#include "document.h"
#include "identifier.h"
#include "macro.h"

#define BLANKS        " \t"
#define DIGITS        "0123456789"
#define ASCII_LETTERS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

#define E164_MIN_DIGITS       7
#define E164_MAX_DIGITS       15
#define NATIONAL_MIN_DIGITS   4
#define ZONE7_NATIONAL_DIGITS 10
#define TRUNK_PREFIX_MAX      3
#define EMAIL_MAX             254
#define EMAIL_LOCAL_MAX       64
#define UNIX_NAME_MAX         31

static const char *const id_kind_table[_ID_KIND_MAX] = {
        [ID_UNIX_NAME] = "user",
        [ID_PHONE] = "phone",
        [ID_EMAIL] = "email",
        [ID_SNILS] = "snils",
};

const char *id_kind_to_string(IdKind k)
{
        if ((unsigned)k >= _ID_KIND_MAX)
                return NULL;
        return id_kind_table[k];
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static const char *strip(const char *s, size_t *ret_len)
{
        size_t len;

        s += strspn(s, BLANKS);
        len = strlen(s);
        while (len > 0 && strchr(BLANKS, s[len - 1]))
                len--;
        *ret_len = len;
        return s;
}

bool phone_rules_valid(const PhoneRules *r)
{
        const char *t;

        if (!r || r->country_code < 1 || r->country_code > 999)
                return false;
        t = r->trunk_prefix ? r->trunk_prefix : "";
        return strlen(t) <= TRUNK_PREFIX_MAX && t[strspn(t, DIGITS)] == '\0';
}

/*
 * Collects the digits of a typed phone number. Separators may only stand between digits and '+'
 * only in front, so that anything else makes the input some other kind of identifier. The buffer
 * is wiped on failure: what looked like a phone may be a SNILS.
 */
static int phone_digits(const char *in, char **ret, bool *ret_international)
{
        _cleanup_erase_ char *d = NULL;
        bool international, in_parens = false, had_parens = false;
        size_t len, n = 0;
        const char *s;

        s = strip(in, &len);
        international = len > 0 && s[0] == '+';
        if (international) {
                s++;
                len--;
        }
        if (len == 0 || !is_digit(s[len - 1]) ||
            !(is_digit(s[0]) || (!international && s[0] == '(')))
                return -EINVAL;

        d = calloc(E164_MAX_DIGITS + 1, 1);
        if (!d)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                if (is_digit(s[i])) {
                        if (n == E164_MAX_DIGITS)
                                return -EINVAL;
                        d[n++] = s[i];
                } else if (s[i] == '(') {
                        if (had_parens || !is_digit(s[i + 1]))
                                return -EINVAL;
                        in_parens = had_parens = true;
                } else if (s[i] == ')') {
                        if (!in_parens || !is_digit(s[i - 1]))
                                return -EINVAL;
                        in_parens = false;
                } else if (!strchr(" -.", s[i]))
                        return -EINVAL;
        }
        if (in_parens)
                return -EINVAL;

        *ret = TAKE_PTR(d);
        *ret_international = international;
        return 0;
}

static bool national_length_valid(unsigned country_code, size_t cc_digits, size_t national_digits)
{
        if (country_code == 7)
                return national_digits == ZONE7_NATIONAL_DIGITS;
        return national_digits >= NATIONAL_MIN_DIGITS &&
               cc_digits + national_digits >= E164_MIN_DIGITS &&
               cc_digits + national_digits <= E164_MAX_DIGITS;
}

int phone_normalize(const char *in, const PhoneRules *r, char **ret)
{
        _cleanup_erase_ char *d = NULL, *e164 = NULL;
        char cc[4];
        const char *trunk, *national;
        size_t n, ccl, nl;
        bool international;
        int k;

        if (!in)
                return -EINVAL;
        k = phone_digits(in, &d, &international);
        if (k < 0)
                return k;
        n = strlen(d);

        if (international) {
                /* No country code starts with 0; zone 7 (Russia, Kazakhstan) is 10 digits long. */
                if (n < E164_MIN_DIGITS || d[0] == '0' ||
                    (d[0] == '7' && n != 1 + ZONE7_NATIONAL_DIGITS))
                        return -EINVAL;
                e164 = calloc(1 + n + 1, 1);
                if (!e164)
                        return -ENOMEM;
                e164[0] = '+';
                memcpy(e164 + 1, d, n);
        } else {
                if (!phone_rules_valid(r))
                        return -EINVAL;
                trunk = r->trunk_prefix ? r->trunk_prefix : "";
                if (strncmp(d, trunk, strlen(trunk)) != 0)
                        return -EINVAL;
                national = d + strlen(trunk);
                nl = strlen(national);
                ccl = (size_t)snprintf(cc, sizeof(cc), "%u", r->country_code);
                if (!national_length_valid(r->country_code, ccl, nl))
                        return -EINVAL;
                e164 = calloc(1 + ccl + nl + 1, 1);
                if (!e164)
                        return -ENOMEM;
                e164[0] = '+';
                memcpy(e164 + 1, cc, ccl);
                memcpy(e164 + 1 + ccl, national, nl);
        }

        *ret = TAKE_PTR(e164);
        return 0;
}

static bool email_local_valid(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];

                /* Specials would need quoting and could add recipients to a "To:" header. */
                if (c <= ' ' || c == 0x7f || strchr("\"(),:;<>[\\]", c))
                        return false;
        }
        return true;
}

static bool email_domain_valid(const char *s, size_t len)
{
        size_t label = 0, labels = 0;

        for (size_t i = 0; i <= len; i++) {
                unsigned char c = i < len ? (unsigned char)s[i] : '.';

                if (c == '.') {
                        if (label == 0 || s[i - 1] == '-')
                                return false;
                        labels++;
                        label = 0;
                } else if (c >= 0x80 || is_digit((char)c) || strchr(ASCII_LETTERS, c) ||
                           (c == '-' && label > 0))
                        label++;
                else
                        return false;
        }
        return labels >= 2;
}

int email_normalize(const char *in, char **ret)
{
        _cleanup_free_ char *e = NULL;
        const char *s, *at;
        size_t len, local;

        if (!in)
                return -EINVAL;
        s = strip(in, &len);
        if (len == 0 || len > EMAIL_MAX || u8_check((const uint8_t *)s, len))
                return -EINVAL;
        at = memchr(s, '@', len);
        if (!at)
                return -EINVAL;
        local = (size_t)(at - s);
        if (local == 0 || local > EMAIL_LOCAL_MAX || !email_local_valid(s, local) ||
            !email_domain_valid(at + 1, len - local - 1))
                return -EINVAL;

        e = strndup(s, len);
        if (!e)
                return -ENOMEM;
        for (char *p = e + local + 1; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p += 'a' - 'A';

        *ret = TAKE_PTR(e);
        return 0;
}

bool unix_name_valid(const char *in)
{
        size_t len;

        if (isempty(in) || !(strchr(ASCII_LETTERS, in[0]) || in[0] == '_'))
                return false;
        len = strspn(in, ASCII_LETTERS DIGITS "_-");
        return in[len] == '\0' && len <= UNIX_NAME_MAX;
}

int identifier_candidates(const char *typed, const PhoneRules *r,
                          IdCandidate out[static ID_CANDIDATES_MAX], size_t *n)
{
        _cleanup_erase_ char *phone = NULL, *snils = NULL;
        char *value;
        int k;

        *n = 0;
        if (!typed)
                return -EINVAL;

        /* '@' fits no other kind, and a unix name starts with a letter: neither can be a number. */
        if (strchr(typed, '@')) {
                k = email_normalize(typed, &value);
                if (k < 0)
                        return k == -EINVAL ? 0 : k;
                out[(*n)++] = (IdCandidate){ ID_EMAIL, value };
                return 0;
        }
        if (unix_name_valid(typed)) {
                value = strdup(typed);
                if (!value)
                        return -ENOMEM;
                out[(*n)++] = (IdCandidate){ ID_UNIX_NAME, value };
                return 0;
        }

        k = phone_normalize(typed, r, &phone);
        if (k < 0 && k != -EINVAL)
                return k;
        k = snils_normalize(typed, &snils);
        if (k < 0 && k != -EINVAL && k != -EBADMSG)
                return k;
        if (phone)
                out[(*n)++] = (IdCandidate){ ID_PHONE, TAKE_PTR(phone) };
        if (snils)
                out[(*n)++] = (IdCandidate){ ID_SNILS, TAKE_PTR(snils) };
        return 0;
}

void id_candidates_free(IdCandidate *c, size_t n)
{
        for (size_t i = 0; i < n; i++)
                c[i].value = erase_and_free(c[i].value);
}
