/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the per-account lockout: growing delays, the cap, disabling, resets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <string.h>

#include "account.h"
#include "conf.h"
#include "lockout.h"
#include "macro.h"

#define SEC  1000000ULL
#define MIN_ (60 * SEC)
#define T0   1700000000000000ULL

static Config *config;

static int setup(void **state)
{
        /* A missing file: defaults (5 failures, 60 s doubling up to 15 min, disable at 100). */
        return config_load("/nonexistent/passgate-test.conf", &config, stderr) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        config_free(config);
        return 0;
}

static void account(Account *a)
{
        *a = (Account){ .user = strdup("ivanov"), .password_hash = strdup("$argon2id$x") };
}

/* n failures, one second apart, the last one at the returned time. */
static uint64_t fail_n(Account *a, unsigned n, uint64_t start)
{
        uint64_t t = start;
        for (unsigned i = 0; i < n; i++) {
                t = start + i * SEC;
                lockout_record_failure(a, config, t);
        }
        return t;
}

static void test_defaults(void **state)
{
        assert_int_equal(config->lockout_after, 5);
        assert_int_equal(config->disable_after, 100);
        assert_true(config->lockout_base_usec == 60 * SEC);
        assert_true(config->lockout_max_usec == 15 * MIN_);
}

static void test_no_delay_under_five(void **state)
{
        Account a;

        account(&a);
        assert_true(lockout_until(&a, config) == 0);
        assert_false(lockout_blocked(&a, config, T0));
        for (unsigned i = 1; i < 5; i++) {
                assert_false(lockout_record_failure(&a, config, T0 + i * SEC));
                assert_int_equal(a.failures, i);
                assert_true(a.last_failure_usec == T0 + i * SEC);
                assert_true(lockout_until(&a, config) == 0);
                assert_false(lockout_blocked(&a, config, T0 + i * SEC));
        }
        account_clear(&a);
}

static void test_delays(void **state)
{
        Account a;
        const struct {
                unsigned failures;
                uint64_t delay;
        } want[] = {
                { 5, 60 * SEC },  { 6, 120 * SEC },  { 7, 240 * SEC },  { 8, 480 * SEC },
                { 9, 15 * MIN_ }, { 10, 15 * MIN_ }, { 50, 15 * MIN_ }, { 99, 15 * MIN_ },
        };

        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                account(&a);
                uint64_t last = fail_n(&a, want[i].failures, T0);
                assert_int_equal(a.failures, want[i].failures);
                uint64_t until = lockout_until(&a, config);
                if (until != last + want[i].delay)
                        fail_msg("%u failures: delay %llu s, expected %llu s", want[i].failures,
                                 (unsigned long long)((until - last) / SEC),
                                 (unsigned long long)(want[i].delay / SEC));
                /* The delay runs from the last failure; its edges. */
                assert_true(lockout_blocked(&a, config, last));
                assert_true(lockout_blocked(&a, config, last + want[i].delay - 1));
                assert_false(lockout_blocked(&a, config, last + want[i].delay));
                assert_false(lockout_blocked(&a, config, last + want[i].delay + 3600 * SEC));
                account_clear(&a);
        }
}

static void test_cap_with_huge_counts(void **state)
{
        Account a;

        account(&a);
        a.failures = UINT32_MAX - 1;
        a.last_failure_usec = T0;
        assert_true(lockout_until(&a, config) == T0 + 15 * MIN_);
        lockout_record_failure(&a, config, T0);
        lockout_record_failure(&a, config, T0);
        /* The counter saturates rather than wrapping to 0. */
        assert_int_equal(a.failures, UINT32_MAX);
        assert_true(lockout_until(&a, config) == T0 + 15 * MIN_);
        account_clear(&a);
}

static void test_disable(void **state)
{
        Account a;
        unsigned disabled_at = 0, times = 0;

        account(&a);
        for (unsigned i = 1; i <= 150; i++)
                if (lockout_record_failure(&a, config, T0 + i * SEC)) {
                        times++;
                        disabled_at = i;
                }
        /* Exactly once, at the 100th failure. */
        assert_int_equal(times, 1);
        assert_int_equal(disabled_at, 100);
        assert_true(a.disabled);
        /* Disabled is not a delay: it stays, however long one waits. */
        assert_true(lockout_blocked(&a, config, T0 + 365 * 24 * 3600 * SEC));
        /* A success (which cannot happen while disabled) does not lift it either. */
        lockout_record_success(&a);
        assert_true(a.disabled);
        assert_true(lockout_blocked(&a, config, T0 + 365 * 24 * 3600 * SEC));
        /* Only a new password (recovery, admin) does. */
        assert_int_equal(account_set_password_hash(&a, "$argon2id$new", 5, T0), 0);
        assert_false(a.disabled);
        assert_int_equal(a.failures, 0);
        assert_false(lockout_blocked(&a, config, T0));
        account_clear(&a);

        /* 99 failures do not disable. */
        account(&a);
        for (unsigned i = 1; i <= 99; i++)
                assert_false(lockout_record_failure(&a, config, T0 + i * SEC));
        assert_false(a.disabled);
        account_clear(&a);
}

static void test_success_resets(void **state)
{
        Account a;

        account(&a);
        uint64_t last = fail_n(&a, 7, T0);
        assert_true(lockout_blocked(&a, config, last + 1));
        lockout_record_success(&a);
        assert_int_equal(a.failures, 0);
        assert_true(a.last_failure_usec == 0);
        assert_true(lockout_until(&a, config) == 0);
        assert_false(lockout_blocked(&a, config, last + 1));
        /* Counting starts again from zero: four more failures do not delay. */
        fail_n(&a, 4, last + 10 * SEC);
        assert_true(lockout_until(&a, config) == 0);
        account_clear(&a);
}

static void test_other_blocks(void **state)
{
        Account a;

        account(&a);
        a.locked = true;
        assert_true(lockout_blocked(&a, config, T0));
        a.locked = false;
        assert_false(lockout_blocked(&a, config, T0));
        a.disabled = true;
        assert_true(lockout_blocked(&a, config, T0));
        a.disabled = false;
        a.password_hash = erase_and_free(a.password_hash);
        assert_true(lockout_blocked(&a, config, T0));
        account_clear(&a);
}

static void test_configured(void **state)
{
        Config c = *config;
        Account a;

        c.lockout_after = 3;
        c.disable_after = 20;
        c.lockout_base_usec = 10 * SEC;
        c.lockout_max_usec = 60 * SEC;
        account(&a);
        for (unsigned i = 1; i <= 2; i++)
                lockout_record_failure(&a, &c, T0);
        assert_true(lockout_until(&a, &c) == 0);
        lockout_record_failure(&a, &c, T0);
        assert_true(lockout_until(&a, &c) == T0 + 10 * SEC);
        lockout_record_failure(&a, &c, T0);
        assert_true(lockout_until(&a, &c) == T0 + 20 * SEC);
        lockout_record_failure(&a, &c, T0);
        assert_true(lockout_until(&a, &c) == T0 + 40 * SEC);
        lockout_record_failure(&a, &c, T0);
        assert_true(lockout_until(&a, &c) == T0 + 60 * SEC);
        unsigned times = 0;
        for (unsigned i = a.failures; i < 30; i++)
                times += lockout_record_failure(&a, &c, T0);
        assert_int_equal(times, 1);
        account_clear(&a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),     cmocka_unit_test(test_no_delay_under_five),
                cmocka_unit_test(test_delays),       cmocka_unit_test(test_cap_with_huge_counts),
                cmocka_unit_test(test_disable),      cmocka_unit_test(test_success_resets),
                cmocka_unit_test(test_other_blocks), cmocka_unit_test(test_configured),
        };

        if (sodium_init() < 0)
                return 1;
        return cmocka_run_group_tests(tests, setup, teardown);
}
