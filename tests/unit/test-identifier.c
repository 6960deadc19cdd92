/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "identifier.h"
#include "macro.h"

static const PhoneRules ru = { .country_code = 7, .trunk_prefix = "8" };

static void assert_phone(const char *in, const PhoneRules *r, const char *want)
{
        _cleanup_erase_ char *out = NULL;

        assert_int_equal(phone_normalize(in, r, &out), 0);
        assert_string_equal(out, want);
}

static void assert_not_phone(const char *in, const PhoneRules *r)
{
        char *out = NULL;

        assert_int_equal(phone_normalize(in, r, &out), -EINVAL);
        assert_null(out);
}

static void assert_email(const char *in, const char *want)
{
        _cleanup_free_ char *out = NULL;

        assert_int_equal(email_normalize(in, &out), 0);
        assert_string_equal(out, want);
}

static void assert_not_email(const char *in)
{
        char *out = NULL;

        assert_int_equal(email_normalize(in, &out), -EINVAL);
        assert_null(out);
}

static void test_phone_national(void **state)
{
        assert_phone("8 912 345-67-89", &ru, "+79123456789");
        assert_phone("8(912)345-67-89", &ru, "+79123456789");
        assert_phone("8 (912) 345-67-89", &ru, "+79123456789");
        assert_phone("8.912.345.67.89", &ru, "+79123456789");
        assert_phone("89123456789", &ru, "+79123456789");
        assert_phone(" 8 912 345 67 89 ", &ru, "+79123456789");
        assert_phone("8 800 555-35-35", &ru, "+78005553535");

        assert_phone("020 7946 0958", &(PhoneRules){ 44, "0" }, "+442079460958");
        assert_phone("1 (212) 555-0100", &(PhoneRules){ 1, "1" }, "+12125550100");
        assert_phone("030 1234567", &(PhoneRules){ 49, "0" }, "+49301234567");
        assert_phone("(30) 1234567", &(PhoneRules){ 49, "" }, "+49301234567");
        assert_phone("30 1234567", &(PhoneRules){ 49, NULL }, "+49301234567");
        assert_phone("0 1234", &(PhoneRules){ 380, "0" }, "+3801234");
}

static void test_phone_international(void **state)
{
        assert_phone("+7 912 345-67-89", &ru, "+79123456789");
        assert_phone("+7 (912) 345 67 89", &ru, "+79123456789");
        assert_phone("+79123456789", NULL, "+79123456789");
        assert_phone("+44 20 7946 0958", &ru, "+442079460958");
        assert_phone("+1234567", &ru, "+1234567");
        assert_phone("+123456789012345", &ru, "+123456789012345");
}

static void test_phone_invalid(void **state)
{
        assert_not_phone(NULL, &ru);
        assert_not_phone("", &ru);
        assert_not_phone("   ", &ru);
        assert_not_phone("+", &ru);
        assert_not_phone("ivan", &ru);
        assert_not_phone("8 912 ABC-67-89", &ru);
        assert_not_phone("8 912 345-67-8x", &ru);
        assert_not_phone("8 912 345-67-89-", &ru);
        assert_not_phone("-8 912 345-67-89", &ru);
        assert_not_phone("8_912_345_67_89", &ru);
        /* A national number under +7 has exactly 10 digits. */
        assert_not_phone("8 912 345-67-8", &ru);
        assert_not_phone("8 912 345-67-890", &ru);
        assert_not_phone("+7 912 345-67-8", &ru);
        assert_not_phone("+7 912 345-67-890", &ru);
        /* E.164: 7 to 15 digits, no country code starting with 0. */
        assert_not_phone("+123456", &ru);
        assert_not_phone("+1234567890123456", &ru);
        assert_not_phone("+1234567890123456789012345", &ru);
        assert_not_phone("+0123456789", &ru);
        /* '+' only in front, right before a digit. */
        assert_not_phone("8+9123456789", &ru);
        assert_not_phone("89123456789+", &ru);
        assert_not_phone("++79123456789", &ru);
        assert_not_phone("+ 7 912 345-67-89", &ru);
        assert_not_phone("+(7) 912 345-67-89", &ru);
        /* National numbers need the trunk prefix, and rules to read them with. */
        assert_not_phone("9123456789", &ru);
        assert_not_phone("7 912 345-67-89", &ru);
        assert_not_phone("8 912 345-67-89", NULL);
        assert_not_phone("8 912 345-67-89", &(PhoneRules){ 0, "8" });
        /* One pair of parentheses around digits. */
        assert_not_phone("8 (912 345-67-89", &ru);
        assert_not_phone("8 912) 345-67-89", &ru);
        assert_not_phone("8 ((912)) 345-67-89", &ru);
        assert_not_phone("8 (912) (345) 67-89", &ru);
        assert_not_phone("8 () 9123456789", &ru);
        assert_not_phone("8 ( 912) 345-67-89", &ru);
        assert_not_phone("8 (912 ) 345-67-89", &ru);
        /* Other countries: national number 4 digits or more, 7 to 15 in all. */
        assert_not_phone("0 123", &(PhoneRules){ 380, "0" });
        assert_not_phone("0 1234", &(PhoneRules){ 44, "0" });
        assert_not_phone("0 12345678901234", &(PhoneRules){ 44, "0" });
}

static void test_phone_rules(void **state)
{
        assert_true(phone_rules_valid(&ru));
        assert_true(phone_rules_valid(&(PhoneRules){ 49, NULL }));
        assert_true(phone_rules_valid(&(PhoneRules){ 999, "06" }));
        assert_false(phone_rules_valid(NULL));
        assert_false(phone_rules_valid(&(PhoneRules){ 0, "8" }));
        assert_false(phone_rules_valid(&(PhoneRules){ 1000, "8" }));
        assert_false(phone_rules_valid(&(PhoneRules){ 7, "x" }));
        assert_false(phone_rules_valid(&(PhoneRules){ 7, "8888" }));
}

static void test_email(void **state)
{
        assert_email("ivan.petrov@example.com", "ivan.petrov@example.com");
        assert_email("  Ivan.Petrov@Example.COM\t", "Ivan.Petrov@example.com");
        assert_email("ivan+tag@mail.example.ru", "ivan+tag@mail.example.ru");
        assert_email("Иван@Почта.РФ", "Иван@Почта.РФ");
        assert_email("a@xn--80a1acny.xn--p1ai", "a@xn--80a1acny.xn--p1ai");

        assert_not_email(NULL);
        assert_not_email("");
        assert_not_email("ivan.example.com");
        assert_not_email("ivan@petrov@example.com");
        assert_not_email("@example.com");
        assert_not_email("ivan@");
        assert_not_email("ivan@localhost");
        assert_not_email("ivan petrov@example.com");
        assert_not_email("ivan@exam ple.com");
        assert_not_email("ivan@example.com\n");
        assert_not_email("ivan\r\nBcc: x@example.com");
        assert_not_email("ivan,root@example.com");
        assert_not_email("<ivan>@example.com");
        assert_not_email("ivan@.example.com");
        assert_not_email("ivan@example..com");
        assert_not_email("ivan@example.com.");
        assert_not_email("ivan@-example.com");
        assert_not_email("ivan@example-.com");
        assert_not_email("ivan@exa_mple.com");
        assert_not_email("iv\xff"
                         "an@example.com");
}

static void test_email_lengths(void **state)
{
        char local[66], addr[300];

        memset(local, 'a', 64);
        local[64] = '\0';
        snprintf(addr, sizeof(addr), "%s@example.com", local);
        assert_email(addr, addr);
        local[64] = 'a';
        local[65] = '\0';
        snprintf(addr, sizeof(addr), "%s@example.com", local);
        assert_not_email(addr);

        /* 254 bytes in all: "a@" and 252 bytes of domain. */
        memset(addr, 'b', sizeof(addr));
        memcpy(addr, "a@", 2);
        for (size_t i = 2 + 60; i < 254; i += 61)
                addr[i] = '.';
        addr[253] = 'c';
        addr[254] = '\0';
        assert_email(addr, addr);
        addr[254] = 'c';
        addr[255] = '\0';
        assert_not_email(addr);
}

static void test_unix_name(void **state)
{
        assert_true(unix_name_valid("ivan"));
        assert_true(unix_name_valid("_apt"));
        assert_true(unix_name_valid("user-1_2"));
        assert_true(unix_name_valid("Ivan"));
        assert_true(unix_name_valid("a"));
        assert_true(unix_name_valid("abcdefghijabcdefghijabcdefghija"));

        assert_false(unix_name_valid(NULL));
        assert_false(unix_name_valid(""));
        assert_false(unix_name_valid("abcdefghijabcdefghijabcdefghijab"));
        assert_false(unix_name_valid("1ivan"));
        assert_false(unix_name_valid("-ivan"));
        assert_false(unix_name_valid("1000"));
        assert_false(unix_name_valid("iv.an"));
        assert_false(unix_name_valid("ivan$"));
        assert_false(unix_name_valid("ivan "));
        assert_false(unix_name_valid(" ivan"));
        assert_false(unix_name_valid("iv/an"));
        assert_false(unix_name_valid("иван"));
}

static void test_kind_strings(void **state)
{
        assert_string_equal(id_kind_to_string(ID_UNIX_NAME), "user");
        assert_string_equal(id_kind_to_string(ID_PHONE), "phone");
        assert_string_equal(id_kind_to_string(ID_EMAIL), "email");
        assert_string_equal(id_kind_to_string(ID_SNILS), "snils");
        assert_null(id_kind_to_string(_ID_KIND_MAX));
}

static void assert_candidates(const char *typed, const PhoneRules *r, size_t want_n, IdKind kind0,
                              const char *value0, IdKind kind1, const char *value1)
{
        IdCandidate c[ID_CANDIDATES_MAX];
        size_t n = 99;

        assert_int_equal(identifier_candidates(typed, r, c, &n), 0);
        assert_int_equal(n, want_n);
        if (n > 0) {
                assert_int_equal(c[0].kind, kind0);
                assert_string_equal(c[0].value, value0);
        }
        if (n > 1) {
                assert_int_equal(c[1].kind, kind1);
                assert_string_equal(c[1].value, value1);
        }
        id_candidates_free(c, n);
        for (size_t i = 0; i < n; i++)
                assert_null(c[i].value);
}

static void assert_one(const char *typed, const PhoneRules *r, IdKind kind, const char *value)
{
        assert_candidates(typed, r, 1, kind, value, 0, NULL);
}

static void assert_none(const char *typed, const PhoneRules *r)
{
        assert_candidates(typed, r, 0, 0, NULL, 0, NULL);
}

static void test_candidates(void **state)
{
        IdCandidate c[ID_CANDIDATES_MAX];
        size_t n = 99;

        assert_one("ivan", &ru, ID_UNIX_NAME, "ivan");
        assert_one("Ivan.Petrov@Example.com", &ru, ID_EMAIL, "Ivan.Petrov@example.com");
        assert_one("+7 912 345-67-89", &ru, ID_PHONE, "+79123456789");
        assert_one("8 (912) 345-67-89", &ru, ID_PHONE, "+79123456789");
        assert_one("112-233-445 95", &ru, ID_SNILS, "11223344595");
        assert_one("11223344595", &ru, ID_SNILS, "11223344595");
        /* 8-912-345-67-89 would be a SNILS with check number 26, not 89. */
        assert_one("89123456789", &ru, ID_PHONE, "+79123456789");

        /* A phone number that is also a valid SNILS: both, phone first. */
        assert_candidates("8 912 345-67-26", &ru, 2, ID_PHONE, "+79123456726", ID_SNILS,
                          "89123456726");
        assert_candidates("89123456726", &ru, 2, ID_PHONE, "+79123456726", ID_SNILS, "89123456726");
        /* Without national rules only the SNILS reading is left. */
        assert_one("8 912 345-67-26", NULL, ID_SNILS, "89123456726");

        assert_none("", &ru);
        assert_none("ivan@", &ru);
        assert_none("ivan petrov", &ru);
        assert_none("112-233-445 96", &ru);
        assert_none("9123456789", &ru);
        assert_none("+7 912", &ru);
        assert_none("иван", &ru);

        assert_int_equal(identifier_candidates(NULL, &ru, c, &n), -EINVAL);
        assert_int_equal(n, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_phone_national), cmocka_unit_test(test_phone_international),
                cmocka_unit_test(test_phone_invalid),  cmocka_unit_test(test_phone_rules),
                cmocka_unit_test(test_email),          cmocka_unit_test(test_email_lengths),
                cmocka_unit_test(test_unix_name),      cmocka_unit_test(test_kind_strings),
                cmocka_unit_test(test_candidates),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
