/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "document.h"
#include "macro.h"

static void assert_normalizes(int (*f)(const char *, char **), const char *in, const char *want)
{
        _cleanup_erase_ char *out = NULL;

        assert_int_equal(f(in, &out), 0);
        assert_string_equal(out, want);
}

static void assert_rejected(int (*f)(const char *, char **), const char *in, int error)
{
        char *out = NULL;

        assert_int_equal(f(in, &out), error);
        assert_null(out);
}

static void test_doc_type_strings(void **state)
{
        DocType t;

        for (DocType i = 0; i < _DOC_MAX; i++) {
                assert_int_equal(doc_type_from_string(doc_type_to_string(i), &t), 0);
                assert_int_equal(t, i);
        }
        assert_string_equal(doc_type_to_string(DOC_PASSPORT), "passport");
        assert_string_equal(doc_type_to_string(DOC_SNILS), "snils");
        assert_string_equal(doc_type_to_string(DOC_INN), "inn");
        assert_null(doc_type_to_string(_DOC_MAX));
        assert_null(doc_type_to_string((DocType)-1));
        assert_int_equal(doc_type_from_string("Passport", &t), -EINVAL);
        assert_int_equal(doc_type_from_string("", &t), -EINVAL);
        assert_int_equal(doc_type_from_string(NULL, &t), -EINVAL);
}

static void test_snils_valid(void **state)
{
        assert_normalizes(snils_normalize, "112-233-445 95", "11223344595");
        assert_normalizes(snils_normalize, "11223344595", "11223344595");
        assert_normalizes(snils_normalize, "112 233 445 95", "11223344595");
        assert_normalizes(snils_normalize, "  112-233-445 95\t", "11223344595");
        /* One per branch of the rule: sum < 100, == 100, == 101, > 101, remainder 100. */
        assert_normalizes(snils_normalize, "110-704-341 93", "11070434193");
        assert_normalizes(snils_normalize, "050-234-316 00", "05023431600");
        assert_normalizes(snils_normalize, "016-103-396 00", "01610339600");
        assert_normalizes(snils_normalize, "291-417-776 94", "29141777694");
        assert_normalizes(snils_normalize, "820-981-233 00", "82098123300");
        assert_normalizes(snils_normalize, "001-001-999 65", "00100199965");
}

static void test_snils_invalid(void **state)
{
        assert_rejected(snils_normalize, "112-233-445 96", -EBADMSG);
        assert_rejected(snils_normalize, "112-233-445 59", -EBADMSG);
        assert_rejected(snils_normalize, "291-417-776 95", -EBADMSG);
        assert_rejected(snils_normalize, "820-981-233 01", -EBADMSG);
        assert_rejected(snils_normalize, "121-233-445 95", -EBADMSG);

        assert_rejected(snils_normalize, NULL, -EINVAL);
        assert_rejected(snils_normalize, "", -EINVAL);
        assert_rejected(snils_normalize, "   ", -EINVAL);
        assert_rejected(snils_normalize, "112-233-445 9", -EINVAL);
        assert_rejected(snils_normalize, "112-233-445 955", -EINVAL);
        assert_rejected(snils_normalize, "112-233-44a 95", -EINVAL);
        assert_rejected(snils_normalize, "112_233_445_95", -EINVAL);
        assert_rejected(snils_normalize, "-11223344595", -EINVAL);
        assert_rejected(snils_normalize, "11223344595-", -EINVAL);
        assert_rejected(snils_normalize, "+11223344595", -EINVAL);
        /* Full-width digits are not digits here. */
        assert_rejected(snils_normalize,
                        "\uff11\uff11\uff12\uff12\uff13\uff13\uff14\uff14\uff15\uff19"
                        "\uff15",
                        -EINVAL);
        /* No check digits are defined up to 001-001-998. */
        assert_rejected(snils_normalize, "001-001-998 64", -EINVAL);
        assert_rejected(snils_normalize, "000-000-000 00", -EINVAL);
}

static void test_passport(void **state)
{
        assert_normalizes(passport_normalize, "45 10 123456", "4510123456");
        assert_normalizes(passport_normalize, "4510 123456", "4510123456");
        assert_normalizes(passport_normalize, "4510123456", "4510123456");
        assert_normalizes(passport_normalize, " 4510 123456 ", "4510123456");

        assert_rejected(passport_normalize, NULL, -EINVAL);
        assert_rejected(passport_normalize, "", -EINVAL);
        assert_rejected(passport_normalize, "4510 12345", -EINVAL);
        assert_rejected(passport_normalize, "4510 1234567", -EINVAL);
        assert_rejected(passport_normalize, "4510-123456", -EINVAL);
        assert_rejected(passport_normalize, "4510 12345a", -EINVAL);
        assert_rejected(passport_normalize, "N4510 123456", -EINVAL);
}

static void test_inn_valid(void **state)
{
        assert_normalizes(inn_normalize, "7707083893", "7707083893");
        assert_normalizes(inn_normalize, "500100732259", "500100732259");
        assert_normalizes(inn_normalize, " 7707083893 ", "7707083893");
        assert_normalizes(inn_normalize, "5001 0073 2259", "500100732259");
}

static void test_inn_invalid(void **state)
{
        assert_rejected(inn_normalize, "7707083894", -EBADMSG);
        assert_rejected(inn_normalize, "7707083839", -EBADMSG);
        /* Each of the two check digits of a personal INN counts. */
        assert_rejected(inn_normalize, "500100732269", -EBADMSG);
        assert_rejected(inn_normalize, "500100732258", -EBADMSG);

        assert_rejected(inn_normalize, NULL, -EINVAL);
        assert_rejected(inn_normalize, "", -EINVAL);
        assert_rejected(inn_normalize, "770708389", -EINVAL);
        assert_rejected(inn_normalize, "77070838930", -EINVAL);
        assert_rejected(inn_normalize, "5001007322590", -EINVAL);
        assert_rejected(inn_normalize, "7707O83893", -EINVAL);
        assert_rejected(inn_normalize, "7707-083893", -EINVAL);
}

static void test_document_normalize(void **state)
{
        _cleanup_erase_ char *passport = NULL, *snils = NULL, *inn = NULL;
        char *none = NULL;

        assert_int_equal(document_normalize(DOC_PASSPORT, "45 10 123456", &passport), 0);
        assert_string_equal(passport, "4510123456");
        assert_int_equal(document_normalize(DOC_SNILS, "112-233-445 95", &snils), 0);
        assert_string_equal(snils, "11223344595");
        assert_int_equal(document_normalize(DOC_INN, "7707083893", &inn), 0);
        assert_string_equal(inn, "7707083893");

        assert_int_equal(document_normalize(DOC_SNILS, "112-233-445 96", &none), -EBADMSG);
        assert_int_equal(document_normalize(DOC_INN, "112-233-445 95", &none), -EINVAL);
        assert_int_equal(document_normalize(_DOC_MAX, "4510123456", &none), -EINVAL);
        assert_null(none);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_doc_type_strings),   cmocka_unit_test(test_snils_valid),
                cmocka_unit_test(test_snils_invalid),      cmocka_unit_test(test_passport),
                cmocka_unit_test(test_inn_valid),          cmocka_unit_test(test_inn_invalid),
                cmocka_unit_test(test_document_normalize),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
