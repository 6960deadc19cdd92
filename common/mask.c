/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistr.h>

#include "macro.h"
#include "mask.h"

#define DIGITS "0123456789"

/* The number of digits after the '+' of an E.164 number, or 0 when e164 is not one. */
static size_t e164_digits(const char *e164)
{
        size_t n;

        if (!e164 || e164[0] != '+' || e164[1] == '0')
                return 0;
        n = strspn(e164 + 1, DIGITS);
        if (e164[1 + n] != '\0' || n < 7 || n > 15)
                return 0;
        return n;
}

int mask_phone(const char *e164, char **ret)
{
        char buf[sizeof("+1 * *** *** ***-**-12")], *p = buf;
        size_t n, hidden, group;
        char *m;

        n = e164_digits(e164);
        if (n == 0)
                return -EINVAL;

        /*
         * "+7 *** ***-**-67" generalised: the first digit, then the hidden ones in threes counted
         * from the right, then two pairs of which only the last is shown.
         */
        hidden = n - 5;
        *p++ = '+';
        *p++ = e164[1];
        *p++ = ' ';
        group = hidden % 3 ? hidden % 3 : 3;
        for (size_t i = 0; i < hidden; i++) {
                if (i == group) {
                        *p++ = ' ';
                        group += 3;
                }
                *p++ = '*';
        }
        p = stpcpy(p, "-**-");
        memcpy(p, e164 + 1 + n - 2, 2);
        p[2] = '\0';

        m = strdup(buf);
        if (!m)
                return -ENOMEM;
        *ret = m;
        return 0;
}

int mask_email(const char *email, char **ret)
{
        const char *at;
        size_t local;
        int first, r;
        char *m;

        if (!email)
                return -EINVAL;
        at = strchr(email, '@');
        if (!at || at == email || strchr(at + 1, '@') || at[1] == '\0')
                return -EINVAL;
        local = (size_t)(at - email);

        /* A whole character, not a byte of one; three stars whatever the length, to hide it too. */
        first = u8_mblen((const uint8_t *)email, local);
        if (first <= 0)
                return -EINVAL;
        if ((size_t)first == local)
                r = asprintf(&m, "*%s", at);
        else
                r = asprintf(&m, "%.*s***%s", first, email, at);
        if (r < 0)
                return -ENOMEM;
        *ret = m;
        return 0;
}

/*
 * The layout of a masked number ('#' stands for a digit) and how many of its last digits stay
 * visible; -EINVAL when s is not a normalised number of type t.
 */
static int document_shape(DocType t, const char *s, const char **ret_layout, size_t *ret_shown)
{
        size_t len;

        if (!s)
                return -EINVAL;
        len = strspn(s, DIGITS);
        if (s[len] != '\0')
                return -EINVAL;

        switch (t) {
        case DOC_PASSPORT:
                if (len != 10)
                        return -EINVAL;
                *ret_layout = "#### ######";
                *ret_shown = 3;
                return 0;
        case DOC_SNILS:
                if (len != 11)
                        return -EINVAL;
                *ret_layout = "###-###-### ##";
                *ret_shown = 2;
                return 0;
        case DOC_INN:
                if (len != 10 && len != 12)
                        return -EINVAL;
                *ret_layout = len == 10 ? "##########" : "############";
                *ret_shown = 2;
                return 0;
        default:
                return -EINVAL;
        }
}

int mask_document(DocType t, const char *normalized, char **ret)
{
        const char *layout;
        size_t shown, i = 0;
        char *m;
        int r;

        r = document_shape(t, normalized, &layout, &shown);
        if (r < 0)
                return r;
        m = strdup(layout);
        if (!m)
                return -ENOMEM;

        for (char *p = m; *p; p++)
                if (*p == '#') {
                        *p = i >= strlen(normalized) - shown ? normalized[i] : '*';
                        i++;
                }
        *ret = m;
        return 0;
}

int document_last_digits(DocType t, const char *normalized, char **ret)
{
        const char *layout;
        size_t shown;
        char *d;
        int r;

        r = document_shape(t, normalized, &layout, &shown);
        if (r < 0)
                return r;
        d = strdup(normalized + strlen(normalized) - shown);
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}
