#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Lockout through pam_passgate.so: after 5 consecutive failures a delay (60 s, doubling, at most
15 min) refuses even the right password, exactly like a wrong one; the counters survive a restart
and a crash; a success resets them; after 100 failures the password is disabled. Time moves with the
test clock (PASSGATE_TEST_CLOCK_FILE, -Dtest_hooks=true), never by sleeping."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import strong_password  # noqa: E402
from harness.pamcase import PamTestCase  # noqa: E402

LOCKOUT_AFTER = 5
FIRST_DELAY = 60
MAX_DELAY = 15 * 60
DISABLE_AFTER = 100


class Lockout(PamTestCase):
    @classmethod
    def setUpClass(cls):
        if os.environ.get('PASSGATE_TEST_HOOKS') != '1':
            raise AssertionError('the lockout tests need a build with -Dtest_hooks=true (a movable clock)')
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.make_account()

    def fail(self, n, login=None):
        for i in range(n):
            self.assertLoginFailed(self.login(login or self.user, strong_password()))

    def assertBlocked(self):
        right = self.login(self.user, self.pw)
        wrong = self.login(self.user, strong_password())
        self.assertLoginFailed(right)
        self.assertEqual(right.messages, wrong.messages, 'a delayed account looks like a wrong password')
        self.assertEqual(right.codes, wrong.codes)

    def test_four_failures_do_not_block(self):
        self.fail(LOCKOUT_AFTER - 1)
        self.assertLoggedIn(self.login(self.user, self.pw))
        self.assertEqual(self.account()['Failures'], 0, 'a success resets the counter')
        # And the count starts again from zero.
        self.fail(LOCKOUT_AFTER - 1)
        self.assertLoggedIn(self.login(self.user, self.pw))

    def test_five_failures_block_and_survive_a_restart(self):
        self.fail(LOCKOUT_AFTER)
        self.assertBlocked()
        self.sb.restart_daemon()
        self.assertLoginFailed(self.login(self.user, self.pw))
        self.assertEqual(self.account()['Failures'], LOCKOUT_AFTER, 'attempts during the delay do not count')
        self.sb.set_clock(FIRST_DELAY + 1)
        self.assertLoggedIn(self.login(self.user, self.pw))
        self.assertEqual(self.account()['Failures'], 0)

    def test_block_ends_after_the_first_delay(self):
        self.fail(LOCKOUT_AFTER)
        self.sb.set_clock(FIRST_DELAY - 5)
        self.assertLoginFailed(self.login(self.user, self.pw))
        self.sb.set_clock(FIRST_DELAY + 1)
        self.assertLoggedIn(self.login(self.user, self.pw))

    def test_counters_survive_a_crash(self):
        self.fail(LOCKOUT_AFTER)
        self.sb.kill_daemon()
        self.sb.start_daemon()
        self.assertLoginFailed(self.login(self.user, self.pw))
        self.sb.set_clock(FIRST_DELAY + 1)
        self.assertLoggedIn(self.login(self.user, self.pw))

    def test_delay_doubles_up_to_fifteen_minutes(self):
        self.fail(LOCKOUT_AFTER)
        t = 0
        delay = FIRST_DELAY
        for _ in range(6):                      # 60, 120, ... capped at 900
            t += delay + 1
            self.sb.set_clock(t)
            self.fail(1)                        # counted: the delay had passed
            delay = min(delay * 2, MAX_DELAY)
            self.sb.set_clock(t + delay - 5)
            self.assertLoginFailed(self.login(self.user, self.pw))
        self.assertEqual(delay, MAX_DELAY)
        self.sb.set_clock(t + MAX_DELAY + 1)
        self.assertLoggedIn(self.login(self.user, self.pw))

    def test_failures_by_any_identifier_count_for_the_account(self):
        self.fail(2, self.phone)
        self.fail(2, self.email)
        self.fail(1, self.snils)
        self.assertLoginFailed(self.login(self.user, self.pw))
        self.sb.set_clock(FIRST_DELAY + 1)
        self.assertLoggedIn(self.login(self.phone, self.pw))

    def test_disabled_after_one_hundred_failures(self):
        # Over D-Bus for speed (the same daemon code as the module's); the last check through PAM.
        t = 0
        for i in range(DISABLE_AFTER):
            self.assertEqual(self.sb.login(self.user, strong_password())[0], 'failed')
            if i + 1 >= LOCKOUT_AFTER:
                t += MAX_DELAY + 1
                self.sb.set_clock(t)
        a = self.account()
        self.assertEqual(a['Failures'], DISABLE_AFTER)
        self.assertTrue(a['Disabled'])
        self.assertTrue(self.sb.manager('GetAccountStatus', 's', self.user)['Locked'])
        self.sb.set_clock(t + 24 * 3600)
        self.assertBlocked()
        self.sb.restart_daemon()
        self.assertLoginFailed(self.login(self.user, self.pw))
        self.assertTrue(any('disabled' in e[2] for e in self.audit()), self.audit())
        # An administrator brings it back.
        self.sb.accounts('UnlockAccount', 's', self.user)
        self.assertLoggedIn(self.login(self.user, self.pw))


if __name__ == '__main__':
    harness.main()
