/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the password policy: length, normalisation, strength, context, blocklist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "conf.h"
#include "daemon.h"
#include "macro.h"
#include "messages.h"
#include "pepper.h"
#include "policy.h"
#include "scratch.h"

#define STRONG "correct-orbit-walnut-tundra-9f"

static char tmpdir[] = "/tmp/pg-test-policy-XXXXXX";
static Pepper pepper;
static Config *config;
static Policy *policy;

static int setup(void **state)
{
        char path[256];
        uint8_t key[32];

        if (!mkdtemp(tmpdir))
                return -1;
        memset(key, 0x5a, sizeof key);
        if (scratch_pepper(tmpdir, "pepper", key, &pepper) < 0)
                return -1;
        /* A missing configuration file: the defaults (15 to 256 code points). */
        snprintf(path, sizeof path, "%s/missing.conf", tmpdir);
        if (config_load(path, &config, stderr) < 0)
                return -1;
        return policy_new(config, &policy) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        policy_free(policy);
        config_free(config);
        pepper_wipe(&pepper);
        return scratch_remove(tmpdir);
}

static PolicyVerdict check_with(const Policy *p, const char *password, const Account *a)
{
        PolicyVerdict v = { "unset", 12345 };
        int r = policy_check(p, password, a, &pepper, &v);
        if (r == 0)
                assert_null(v.message);
        else {
                assert_int_equal(r, -EINVAL);
                assert_non_null(v.message);
        }
        return v;
}

static PolicyVerdict check(const char *password, const Account *a)
{
        return check_with(policy, password, a);
}

static void assert_accepted(const char *password, const Account *a)
{
        PolicyVerdict v = check(password, a);
        if (v.message)
                fail_msg("'%s' refused: %s", password, v.message);
}

static void assert_refused(const char *password, const Account *a, const char *message)
{
        PolicyVerdict v = check(password, a);
        if (!v.message)
                fail_msg("'%s' accepted", password);
        if (message && strcmp(v.message, message) != 0)
                fail_msg("'%s' refused with '%s', expected '%s'", password, v.message, message);
}

/* n copies of a UTF-8 string. */
static char *repeat(const char *unit, size_t n)
{
        size_t l = strlen(unit);
        char *s = malloc(l * n + 1);
        assert_non_null(s);
        for (size_t i = 0; i < n; i++)
                memcpy(s + i * l, unit, l);
        s[l * n] = 0;
        return s;
}

static void test_defaults(void **state)
{
        assert_int_equal(policy->min_length, 15);
        assert_int_equal(policy->max_length, 256);
        assert_true(policy_max_bytes(policy) >= 256 * 4);
}

static void test_length_in_code_points(void **state)
{
        PolicyVerdict v;

        /* 14 code points: too short, and the message says the minimum. */
        v = check("k7#qZ!w9@Lm2$x", NULL);
        assert_string_equal(v.message, MSG_PW_TOO_SHORT);
        assert_int_equal(v.arg, 15);
        assert_refused("", NULL, MSG_PW_TOO_SHORT);

        /* 15 code points, random: accepted. */
        assert_accepted("k7#qZ!w9@Lm2$xP", NULL);

        /* Cyrillic: 15 code points are 30 bytes; counted as 15, not 30. */
        assert_accepted("жёлтый,кит;ъщу!", NULL);
        /* 14 Cyrillic code points are 28 bytes, still too short. */
        v = check("жёлтый,кит;ъщу", NULL);
        assert_string_equal(v.message, MSG_PW_TOO_SHORT);
        assert_int_equal(v.arg, 15);
        /* Four-byte code points too. */
        assert_refused("🦊🐙🦉🐝🦋🐢🦀🐍🦒🐘🦜🐧🦔🐇", NULL,
                       MSG_PW_TOO_SHORT);

        /* 256 code points: the maximum; 257: too long. */
        _cleanup_free_ char *at_max = repeat("q7Z#kP2!mW", 26);
        at_max[256] = 0;
        assert_accepted(at_max, NULL);
        _cleanup_free_ char *over = repeat("q7Z#kP2!mW", 26);
        over[257] = 0;
        v = check(over, NULL);
        assert_string_equal(v.message, MSG_PW_TOO_LONG);
        assert_int_equal(v.arg, 256);
        /* 257 multi-byte code points (under the byte limit) are too long as well. */
        _cleanup_free_ char *cyr = repeat("ж", 257);
        v = check(cyr, NULL);
        assert_string_equal(v.message, MSG_PW_TOO_LONG);
        /* Far beyond the byte limit: refused before anything else looks at it. */
        _cleanup_free_ char *huge = repeat("x", 1 << 20);
        v = check(huge, NULL);
        assert_string_equal(v.message, MSG_PW_TOO_LONG);
        assert_int_equal(v.arg, 256);
}

static void test_normalize(void **state)
{
        char *s = NULL;

        assert_int_equal(password_normalize("ｐａｓｓ", &s), 0);
        assert_string_equal(s, "pass");
        free(s);
        /* Composed and decomposed forms give the same bytes. */
        char *a = NULL, *b = NULL;
        assert_int_equal(password_normalize("caf\xc3\xa9", &a), 0);
        assert_int_equal(password_normalize("cafe\xcc\x81", &b), 0);
        assert_string_equal(a, b);
        free(a);
        free(b);
        /* Ligatures and compatibility characters. */
        assert_int_equal(password_normalize("\xef\xac\x81", &s), 0); /* U+FB01 ﬁ */
        assert_string_equal(s, "fi");
        free(s);
        assert_int_equal(password_normalize("", &s), 0);
        assert_string_equal(s, "");
        free(s);

        /* Invalid UTF-8 is refused, and nothing is returned. */
        s = NULL;
        assert_true(password_normalize("abc\xff", &s) < 0);
        assert_true(password_normalize("\xc3", &s) < 0);
        assert_true(password_normalize("\xc0\xaf", &s) < 0);        /* overlong "/" */
        assert_true(password_normalize("\xed\xa0\x80xyz", &s) < 0); /* a surrogate */
        assert_null(s);
}

static void test_invalid_characters(void **state)
{
        assert_refused("k7#qZ!w9@Lm2$xP\n", NULL, MSG_PW_NOT_UTF8);
        assert_refused("k7#qZ!w9\t@Lm2$xP", NULL, MSG_PW_NOT_UTF8);
        assert_refused("\x1bk7#qZ!w9@Lm2$xP", NULL, MSG_PW_NOT_UTF8);
        assert_refused("k7#qZ!w9@Lm2$xP\x7f", NULL, MSG_PW_NOT_UTF8);
        assert_refused("k7#qZ!w9@Lm2$xP\xff\xfe", NULL, MSG_PW_NOT_UTF8);
        assert_refused("k7#qZ!w9@Lm2$xP\xc3", NULL, MSG_PW_NOT_UTF8);
}

/* Refused as common or predictable: which of the two is zxcvbn's call. */
static void assert_weak(const char *password)
{
        PolicyVerdict v = check(password, NULL);
        if (!v.message)
                fail_msg("'%s' accepted", password);
        if (strcmp(v.message, MSG_PW_COMMON) != 0 && strcmp(v.message, MSG_PW_PREDICTABLE) != 0)
                fail_msg("'%s' refused with '%s'", password, v.message);
}

static void test_weak(void **state)
{
        assert_weak("passwordpassword1");
        assert_weak("aaaaaaaaaaaaaaaaaaaa");
        assert_weak("123456789012345678");
        assert_weak("qwertyuiopasdfghjkl");
        assert_weak("abcdefghijklmnopqrstuvwxyz");
        assert_weak("iloveyouiloveyou");
}

static void test_strong(void **state)
{
        assert_accepted(STRONG, NULL);
        assert_accepted("violet magnet orchard sparrow lantern", NULL);
        assert_accepted("Gx8$wQ2!rN5^vL0&zK7*", NULL);
        assert_accepted("чёрный кот ловит синих рыб на закате", NULL);
}

static void account_with_details(Account *a)
{
        *a = (Account){
                .user = strdup("zhvyrblik"),
                .full_name = strdup("Svetlana Kuznetsova"),
                .phone = strdup("+79817354206"),
                .email = strdup("lana.k@example.org"),
        };
}

static void test_own_context(void **state)
{
        Account a;

        account_with_details(&a);
        /* Strong for a stranger; for this account, its own user name and phone. */
        assert_accepted("zhvyrblik9817354206", NULL);
        assert_refused("zhvyrblik9817354206", &a, MSG_PW_CONTEXT);
        assert_refused("Zhvyrblik-9817354206", &a, MSG_PW_CONTEXT);
        assert_refused("9817354206zhvyrblik", &a, MSG_PW_CONTEXT);
        assert_refused("zhvyrblik+79817354206", &a, MSG_PW_CONTEXT);
        /* The full name, case aside, with the phone. */
        assert_accepted("kuznetsova79817354206", NULL);
        assert_refused("kuznetsova79817354206", &a, MSG_PW_CONTEXT);
        /* Unrelated strong passwords stay acceptable with the account known. */
        assert_accepted(STRONG, &a);
        account_clear(&a);
}

static void set_document(Account *a, DocType t, const char *kind, const char *number,
                         const char *last)
{
        a->documents[t].set = true;
        pepper_hash(pepper.document_key, kind, number, a->documents[t].hash);
        snprintf(a->documents[t].last, sizeof a->documents[t].last, "%s", last);
}

static void test_document_numbers(void **state)
{
        Account a = { .user = strdup("petrov") };
        Policy *short_policy = NULL;

        set_document(&a, DOC_SNILS, "snils", "11223344595", "95");
        set_document(&a, DOC_PASSPORT, "passport", "4510123456", "456");

        /* A strong phrase, refused only because its digits are the account's SNILS. */
        assert_accepted("Wombat-Quixotic-Zephyr-Gleam", &a);
        assert_refused("Wombat-Quixotic-Zephyr 112-233-445 95", &a, MSG_PW_CONTEXT);
        assert_refused("Wombat-Quixotic-Zephyr 11223344595", &a, MSG_PW_CONTEXT);
        assert_refused("Wombat-Quixotic-Zephyr 45 10 123456", &a, MSG_PW_CONTEXT);
        /* Another valid SNILS is not the account's. */
        assert_accepted("Wombat-Quixotic-Zephyr 087-654-302 00", &a);
        assert_accepted("Wombat-Quixotic-Zephyr 08765430200", NULL);

        /* The bare number, under a policy short enough to let it reach the document check. */
        assert_int_equal(policy_new(config, &short_policy), 0);
        short_policy->min_length = 11;
        PolicyVerdict v = check_with(short_policy, "11223344595", &a);
        assert_string_equal(v.message, MSG_PW_CONTEXT);
        v = check_with(short_policy, "112-233-445 95", &a);
        assert_string_equal(v.message, MSG_PW_CONTEXT);
        policy_free(short_policy);
        account_clear(&a);
}

static void test_blocklist(void **state)
{
        char path[300];
        Config c = *config;
        Policy *p = NULL;

        snprintf(path, sizeof path, "%s/blocklist", tmpdir);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs("Tr0ub4dor&3-Horse-Battery\r\n"
              "\n"
              "zebra-quartz-nimbus-ochre-42\n"
              "LOUD-CASTLE-PEBBLE-MINT-77",
              f);
        fclose(f);

        c.blocklist_path = path;
        assert_int_equal(policy_new(&c, &p), 0);
        assert_int_equal(p->n_blocklist, 3);

        PolicyVerdict v = check_with(p, "zebra-quartz-nimbus-ochre-42", NULL);
        assert_string_equal(v.message, MSG_PW_BLOCKED);
        v = check_with(p, "ZEBRA-Quartz-Nimbus-Ochre-42", NULL);
        assert_string_equal(v.message, MSG_PW_BLOCKED);
        v = check_with(p, "tr0ub4dor&3-horse-battery", NULL);
        assert_string_equal(v.message, MSG_PW_BLOCKED);
        v = check_with(p, "loud-castle-pebble-mint-77", NULL);
        assert_string_equal(v.message, MSG_PW_BLOCKED);
        /* Whole entries only. */
        v = check_with(p, "zebra-quartz-nimbus-ochre-4", NULL);
        assert_null(v.message);
        v = check_with(p, STRONG, NULL);
        assert_null(v.message);
        policy_free(p);

        /* A blocklist that cannot be read is an error, not an empty list. */
        snprintf(path, sizeof path, "%s/no-such-list", tmpdir);
        p = NULL;
        assert_int_equal(policy_new(&c, &p), -ENOENT);
        assert_null(p);
}

static void test_generate(void **state)
{
        char *a = NULL, *b = NULL;

        for (int i = 0; i < 20; i++) {
                assert_int_equal(password_generate(policy, &a), 0);
                assert_non_null(a);
                assert_int_equal(strlen(a), 23);
                assert_accepted(a, NULL);
                /* Normalisation does not change it: what is shown is what is hashed. */
                char *n = NULL;
                assert_int_equal(password_normalize(a, &n), 0);
                assert_string_equal(n, a);
                free(n);
                if (b)
                        assert_string_not_equal(a, b);
                free(b);
                b = a;
                a = NULL;
        }
        free(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),    cmocka_unit_test(test_length_in_code_points),
                cmocka_unit_test(test_normalize),   cmocka_unit_test(test_invalid_characters),
                cmocka_unit_test(test_weak),        cmocka_unit_test(test_strong),
                cmocka_unit_test(test_own_context), cmocka_unit_test(test_document_numbers),
                cmocka_unit_test(test_blocklist),   cmocka_unit_test(test_generate),
        };

        if (sodium_init() < 0)
                return 1;
        return cmocka_run_group_tests(tests, setup, teardown);
}
