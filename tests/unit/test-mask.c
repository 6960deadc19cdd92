/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "macro.h"
#include "mask.h"

static void assert_phone_mask(const char *e164, const char *want)
{
        _cleanup_free_ char *m = NULL;

        assert_int_equal(mask_phone(e164, &m), 0);
        assert_string_equal(m, want);
}

static void assert_email_mask(const char *email, const char *want)
{
        _cleanup_free_ char *m = NULL;

        assert_int_equal(mask_email(email, &m), 0);
        assert_string_equal(m, want);
}

static void assert_document_mask(DocType t, const char *number, const char *want_mask,
                                 const char *want_last)
{
        _cleanup_free_ char *m = NULL, *last = NULL;

        assert_int_equal(mask_document(t, number, &m), 0);
        assert_string_equal(m, want_mask);
        assert_int_equal(document_last_digits(t, number, &last), 0);
        assert_string_equal(last, want_last);
}

static void assert_document_refused(DocType t, const char *number)
{
        char *m = NULL;

        assert_int_equal(mask_document(t, number, &m), -EINVAL);
        assert_int_equal(document_last_digits(t, number, &m), -EINVAL);
        assert_null(m);
}

static void test_phone(void **state)
{
        char *m = NULL;

        assert_phone_mask("+79123456767", "+7 *** ***-**-67");
        assert_phone_mask("+442079460958", "+4 * *** ***-**-58");
        assert_phone_mask("+12125550100", "+1 *** ***-**-00");
        assert_phone_mask("+1234567", "+1 **-**-67");
        assert_phone_mask("+123456789012345", "+1 * *** *** ***-**-45");

        assert_int_equal(mask_phone(NULL, &m), -EINVAL);
        assert_int_equal(mask_phone("", &m), -EINVAL);
        assert_int_equal(mask_phone("79123456767", &m), -EINVAL);
        assert_int_equal(mask_phone("+7 912 345-67-67", &m), -EINVAL);
        assert_int_equal(mask_phone("+7912345676a", &m), -EINVAL);
        assert_int_equal(mask_phone("+0123456789", &m), -EINVAL);
        assert_int_equal(mask_phone("+123456", &m), -EINVAL);
        assert_int_equal(mask_phone("+1234567890123456", &m), -EINVAL);
        assert_null(m);
}

static void test_email(void **state)
{
        char *m = NULL;

        assert_email_mask("ivan.petrov@example.com", "i***@example.com");
        assert_email_mask("a@example.com", "*@example.com");
        assert_email_mask("ёжик@example.com", "ё***@example.com");
        assert_email_mask("ё@почта.рф", "*@почта.рф");

        assert_int_equal(mask_email(NULL, &m), -EINVAL);
        assert_int_equal(mask_email("example.com", &m), -EINVAL);
        assert_int_equal(mask_email("@example.com", &m), -EINVAL);
        assert_int_equal(mask_email("ivan@", &m), -EINVAL);
        assert_int_equal(mask_email("ivan@a@example.com", &m), -EINVAL);
        assert_int_equal(mask_email("\xd1@example.com", &m), -EINVAL);
        assert_null(m);
}

static void test_documents(void **state)
{
        assert_document_mask(DOC_PASSPORT, "4510123456", "**** ***456", "456");
        assert_document_mask(DOC_SNILS, "11223344595", "***-***-*** 95", "95");
        assert_document_mask(DOC_INN, "7707083893", "********93", "93");
        assert_document_mask(DOC_INN, "500100732259", "**********59", "59");

        assert_document_refused(DOC_PASSPORT, NULL);
        assert_document_refused(DOC_PASSPORT, "");
        assert_document_refused(DOC_PASSPORT, "45 10 123456");
        assert_document_refused(DOC_PASSPORT, "451012345");
        assert_document_refused(DOC_SNILS, "112-233-445 95");
        assert_document_refused(DOC_SNILS, "1122334459");
        assert_document_refused(DOC_INN, "77070838931");
        assert_document_refused(DOC_INN, "770708389x");
        assert_document_refused(_DOC_MAX, "4510123456");
}

/* The digits of s, in order. */
static void digits_of(const char *s, char *out)
{
        for (; *s; s++)
                if (*s >= '0' && *s <= '9')
                        *out++ = *s;
        *out = '\0';
}

static void random_digits(char *out, size_t n)
{
        for (size_t i = 0; i < n; i++)
                out[i] = (char)('0' + randombytes_uniform(10));
        out[n] = '\0';
}

/* Whatever the number, a mask shows exactly the digits meant to be shown, and no others. */
static void test_masks_hide_digits(void **state)
{
        static const size_t lengths[_DOC_MAX][2] = {
                [DOC_PASSPORT] = { 10, 10 },
                [DOC_SNILS] = { 11, 11 },
                [DOC_INN] = { 10, 12 },
        };
        char number[17], shown[17], want[17];

        assert_true(sodium_init() >= 0);
        for (unsigned round = 0; round < 2000; round++) {
                _cleanup_free_ char *phone_mask = NULL, *email_mask = NULL;
                char email[64];

                for (DocType t = 0; t < _DOC_MAX; t++)
                        for (size_t k = 0; k < 2; k++) {
                                _cleanup_free_ char *m = NULL, *last = NULL;

                                random_digits(number, lengths[t][k]);
                                assert_int_equal(mask_document(t, number, &m), 0);
                                assert_int_equal(document_last_digits(t, number, &last), 0);
                                assert_int_equal(strlen(last), t == DOC_PASSPORT ? 3 : 2);
                                assert_string_equal(last, number + strlen(number) - strlen(last));
                                digits_of(m, shown);
                                assert_string_equal(shown, last);
                        }

                number[0] = '+';
                random_digits(number + 1, 7 + randombytes_uniform(9));
                number[1] = (char)('1' + randombytes_uniform(9));
                assert_int_equal(mask_phone(number, &phone_mask), 0);
                snprintf(want, sizeof(want), "%c%s", number[1], number + strlen(number) - 2);
                digits_of(phone_mask, shown);
                assert_string_equal(shown, want);

                random_digits(number, 1 + randombytes_uniform(15));
                snprintf(email, sizeof(email), "x%s@example.com", number);
                assert_int_equal(mask_email(email, &email_mask), 0);
                assert_string_equal(email_mask, "x***@example.com");
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_phone),
                cmocka_unit_test(test_email),
                cmocka_unit_test(test_documents),
                cmocka_unit_test(test_masks_hide_digits),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
