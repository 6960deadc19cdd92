/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target of the document validators (common/document.h) and of the masks
 * (common/mask.h): every document type on the input, masks of what normalised (which must always
 * succeed and show exactly the promised digits), and phone and e-mail masks of the input read as
 * a contact. Masks are also given the raw input, which they must refuse or mask, never overrun.
 */
#include <errno.h>
#include <stdbool.h>

#include "document.h"
#include "fuzz.h"
#include "identifier.h"
#include "macro.h"
#include "mask.h"

#define DIGITS "0123456789"

static const PhoneRules russia = { 7, "8" };

static size_t count_of(const char *s, const char *set)
{
        size_t n = 0;

        for (; *s; s++)
                n += strchr(set, *s) != NULL;
        return n;
}

static void check_document_mask(DocType t, const char *d)
{
        _cleanup_free_ char *m = NULL, *last = NULL;
        size_t n = strlen(d), shown;

        FUZZ_CHECK(document_last_digits(t, d, &last) == 0);
        shown = strlen(last);
        FUZZ_CHECK(shown == (t == DOC_PASSPORT ? 3 : 2));
        FUZZ_CHECK(streq(last, d + n - shown));

        FUZZ_CHECK(mask_document(t, d, &m) == 0);
        /* The last digits, in place; every other digit a star; nothing but separators besides. */
        FUZZ_CHECK(strlen(m) >= shown && streq(m + strlen(m) - shown, last));
        FUZZ_CHECK(count_of(m, DIGITS) == shown);
        FUZZ_CHECK(count_of(m, "*") == n - shown);
        FUZZ_CHECK(count_of(m, DIGITS "* -") == strlen(m));
}

static void check_document(DocType t, const char *in)
{
        _cleanup_erase_ char *d = NULL, *again = NULL;
        _cleanup_free_ char *raw_mask = NULL, *raw_last = NULL;
        size_t n;
        int k;

        k = document_normalize(t, in, &d);
        FUZZ_CHECK(k == 0 || k == -EINVAL || k == -EBADMSG);
        if (t >= _DOC_MAX)
                FUZZ_CHECK(k == -EINVAL);

        /* Not normalised: the masks must refuse or mask it, and mask only a run of digits. */
        if (mask_document(t, in, &raw_mask) == 0)
                FUZZ_CHECK(strspn(in, DIGITS) == strlen(in));
        if (document_last_digits(t, in, &raw_last) == 0)
                FUZZ_CHECK(strspn(in, DIGITS) == strlen(in));

        if (k < 0)
                return;
        n = strlen(d);
        FUZZ_CHECK(strspn(d, DIGITS) == n);
        switch (t) {
        case DOC_PASSPORT:
                FUZZ_CHECK(n == 10);
                break;
        case DOC_SNILS:
                FUZZ_CHECK(n == 11);
                break;
        case DOC_INN:
                FUZZ_CHECK(n == 10 || n == 12);
                break;
        default:
                FUZZ_CHECK(!"normalised an unknown type");
        }
        FUZZ_CHECK(document_normalize(t, d, &again) == 0 && streq(again, d));
        check_document_mask(t, d);
}

/* "+7 *** ***-**-67": the first digit and the last two shown, every other digit a star. */
static void check_phone_mask(const char *in)
{
        _cleanup_erase_ char *e164 = NULL;
        _cleanup_free_ char *m = NULL, *raw = NULL;
        size_t n;

        if (mask_phone(in, &raw) == 0)
                FUZZ_CHECK(in[0] == '+');
        if (phone_normalize(in, &russia, &e164) < 0)
                return;
        n = strlen(e164) - 1;
        FUZZ_CHECK(mask_phone(e164, &m) == 0);
        FUZZ_CHECK(m[0] == '+' && m[1] == e164[1]);
        FUZZ_CHECK(streq(m + strlen(m) - 2, e164 + 1 + n - 2));
        FUZZ_CHECK(count_of(m, DIGITS) == 3);
        FUZZ_CHECK(count_of(m, "*") == n - 3);
}

/* "i***@example.com": one character of the local part at most, the domain whole. */
static void check_email_mask(const char *in)
{
        _cleanup_free_ char *e = NULL, *m = NULL, *raw = NULL;

        if (mask_email(in, &raw) == 0)
                FUZZ_CHECK(strchr(raw, '@'));
        if (email_normalize(in, &e) < 0)
                return;
        FUZZ_CHECK(mask_email(e, &m) == 0);
        FUZZ_CHECK(streq(strchr(m, '@'), strchr(e, '@')));
        FUZZ_CHECK(m[0] == '*' || strncmp(strchr(m, '@') - 3, "***", 3) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *s = fuzz_string(data, size);

        /* One past the last type too: it must be refused, not indexed. */
        for (DocType t = 0; t <= _DOC_MAX; t++)
                check_document(t, s);
        check_phone_mask(s);
        check_email_mask(s);
        return 0;
}
