/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the form full names are compared in: NFKC, case folded, ё as е, spaces collapsed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>

#include "fullname.h"

static void assert_folds_to(const char *name, const char *want)
{
        char *got = NULL;
        assert_int_equal(full_name_fold(name, &got), 0);
        assert_string_equal(got, want);
        free(got);
}

static void test_spellings(void **state)
{
        static const char *const same[] = {
                "Пётр Семёнов",
                "пётр семёнов",
                "ПЁТР СЕМЁНОВ",
                "Петр Семенов",
                "Пе\xcc\x88тр Семе\xcc\x88нов", /* е + U+0308 */
                "ПЕ\xcc\x88ТР СЕМЕ\xcc\x88НОВ", /* Е + U+0308 */
                "  Пётр \t\n Семёнов  ",        /* white space of any kind, any length */
                "Пётр\xc2\xa0Семёнов",          /* no-break space */
                "Пётр\xe3\x80\x80Семёнов",      /* ideographic space */
        };
        for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
                assert_folds_to(same[i], "петр семенов");
        assert_folds_to("Ｉｖａｎ ＰＥＴＲＯＶ", "ivan petrov"); /* full-width forms */
        assert_folds_to("Straße", "strasse");
        assert_folds_to("", "");
        assert_folds_to(" \t ", "");
}

static void test_different_names_stay_different(void **state)
{
        assert_folds_to("Семёнова", "семенова");
        assert_folds_to("Иван-Петров", "иван-петров");
}

static void test_invalid_utf8(void **state)
{
        char *got = NULL;
        assert_int_equal(full_name_fold("\xff\xfe", &got), -EILSEQ);
        assert_null(got);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_spellings),
                cmocka_unit_test(test_different_names_stay_different),
                cmocka_unit_test(test_invalid_utf8),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
