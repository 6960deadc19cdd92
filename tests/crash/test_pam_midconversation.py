#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""passgated going away in the middle of one PAM conversation (tests/pam/test_unavailable.py covers
a daemon that is gone, killed or hung before the conversation starts): killed at a prompt, killed
and restarted at a prompt (the new daemon does not know the conversation), frozen at a prompt,
killed while it holds the answer. The module must fail with PAM_AUTHINFO_UNAVAIL (so a stack can
fall back) and never wait past its timeout= (2 s in the passgate-timeout service, 10 s by default),
and nothing half-done may stick: the password is what it was.

The answers are callables (Sandbox._pam_interactive runs one when its prompt is shown): they act on
the daemon at that very moment, then answer."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import is_root, strong_password  # noqa: E402
from harness.pamcase import ASK_NEW, ASK_OLD, ASK_PASSWORD, ASK_REPEAT, OFF, ON, PamTestCase  # noqa: E402

UNAVAIL = 'PAM_AUTHINFO_UNAVAIL'
SHORT_TIMEOUT = 2       # timeout=2 in tests/services/passgate-timeout.in
DEFAULT_TIMEOUT = 10    # MODULE_TIMEOUT_DEFAULT_SEC in pam_module/module-options.h
MARGIN = 1.5            # process start-up, pam_wrapper, a loaded machine


class MidConversation(PamTestCase):
    def setUp(self):
        super().setUp()
        self.make_account()
        self.timers = []

    def tearDown(self):
        for t in self.timers:
            t.join()
        if self.sb.daemon_proc is not None and self.sb.daemon_proc.poll() is None:
            self.sb.thaw_daemon()
        super().tearDown()

    # ------------------------------------------------------------ what happens at a prompt

    def kill(self, answer):
        def act():
            self.sb.kill_daemon()
            return answer
        return act

    def kill_and_restart(self, answer):
        def act():
            self.sb.kill_daemon()
            self.sb.start_daemon()      # same store: the conversation is not in it
            return answer
        return act

    def freeze(self, answer):
        def act():
            self.sb.freeze_daemon()
            return answer
        return act

    def freeze_then_kill(self, answer, after=0.5):
        """The answer reaches a daemon that cannot act on it and dies `after` seconds later."""
        def act():
            self.sb.freeze_daemon()
            t = threading.Timer(after, self.sb.kill_daemon)
            t.start()
            self.timers.append(t)
            return answer
        return act

    def assertUnavailable(self, res, stage, within):
        for t in self.timers:       # a kill still under way is over before the next step
            t.join()
        self.assertEqual(res.codes.get(stage), UNAVAIL, repr(res))
        self.assertNotEqual(res.rc, 0, repr(res))
        self.assertLess(res.elapsed, within + MARGIN, repr(res))

    def assertPasswordUnchanged(self, *not_set):
        if self.sb.daemon_proc is None or self.sb.daemon_proc.poll() is not None:
            self.sb.daemon_proc = None
            self.sb.start_daemon()
        self.assertLoggedIn(self.login(self.user, self.pw))
        for p in not_set:
            self.assertLoginFailed(self.login(self.user, p))

    # ------------------------------------------------------------ login

    def test_login_killed_at_the_password_prompt(self):
        res = self.sb.pam(user=self.user, answers=[self.kill(self.pw)])
        self.assertEqual(res.prompts(), [(OFF, ASK_PASSWORD)])
        self.assertUnavailable(res, 'auth', 0)      # no timeout involved: the name is gone
        self.assertNotIn('acct', res.codes)
        self.assertPasswordUnchanged()

    def test_login_killed_and_restarted_at_the_password_prompt(self):
        res = self.sb.pam(user=self.user, answers=[self.kill_and_restart(self.pw)])
        self.assertUnavailable(res, 'auth', 0)
        self.assertLoggedIn(self.login(self.user, self.pw))

    def test_login_frozen_at_the_password_prompt(self):
        t0 = time.monotonic()
        res = self.sb.pam('passgate-timeout', user=self.user, answers=[self.freeze(self.pw)])
        self.assertUnavailable(res, 'auth', SHORT_TIMEOUT)
        self.assertLess(time.monotonic() - t0, SHORT_TIMEOUT + MARGIN)
        self.sb.thaw_daemon()
        self.assertLoggedIn(self.login(self.user, self.pw))

    def test_login_killed_while_it_holds_the_answer(self):
        res = self.sb.pam(user=self.user, answers=[self.freeze_then_kill(self.pw)])
        self.assertUnavailable(res, 'auth', 0.5)    # NoReply at the kill, not the 10 s timeout
        self.assertPasswordUnchanged()

    # ------------------------------------------------------------ password change (passwd)

    def change(self, new, last, service='passgate'):
        """pam_chauthtok as passwd(1) runs it: root is not asked the current password, a user is."""
        first = [] if is_root() else [self.pw]
        return self.sb.pam(service, user=self.user, password=True, answers=first + [new, last])

    def prompts_until_repeat(self):
        return ([] if is_root() else [(OFF, ASK_OLD)]) + [(OFF, ASK_NEW), (OFF, ASK_REPEAT)]

    def test_change_killed_at_the_repeat_prompt(self):
        new = strong_password()
        res = self.change(new, self.kill(new))
        self.assertEqual(res.prompts(), self.prompts_until_repeat())
        self.assertUnavailable(res, 'chauthtok', 0)
        self.assertPasswordUnchanged(new)

    def test_change_killed_and_restarted_at_the_repeat_prompt(self):
        new = strong_password()
        res = self.change(new, self.kill_and_restart(new))
        self.assertUnavailable(res, 'chauthtok', 0)
        self.assertPasswordUnchanged(new)

    def test_change_frozen_at_the_repeat_prompt(self):
        new = strong_password()
        res = self.change(new, self.freeze(new), service='passgate-timeout')
        self.assertUnavailable(res, 'chauthtok', SHORT_TIMEOUT)
        self.sb.thaw_daemon()
        # The daemon takes the queued answer once thawed, for a conversation nobody follows any
        # more: whether it saves it is its business, but it must be one of the two passwords.
        works = [p for p in (self.pw, new) if self.login(self.user, p).auth == 'PAM_SUCCESS']
        self.assertEqual(len(works), 1, works)

    def test_change_killed_while_it_holds_the_new_password(self):
        new = strong_password()
        res = self.change(new, self.freeze_then_kill(new))
        self.assertUnavailable(res, 'chauthtok', 0.5)
        self.assertPasswordUnchanged(new)

    # ------------------------------------------------------------ recovery at the login prompt

    def test_recovery_killed_at_the_code_prompt(self):
        answers = ['', self.phone, '2', self.snils, self.kill('000000')]
        res = self.sb.pam(user=self.user, answers=answers)
        self.assertEqual([k for k, _ in res.prompts()], [OFF, ON, ON, ON, OFF], repr(res))
        self.assertUnavailable(res, 'auth', 0)
        self.assertPasswordUnchanged()

    def test_recovery_killed_at_the_new_password_prompt(self):
        new = strong_password()
        answers = ['', self.phone, '2', self.snils, lambda: self.sb.wait_code(self.phone),
                   self.kill(new)]
        res = self.sb.pam(user=self.user, answers=answers)
        self.assertEqual(res.prompts()[-1], (OFF, ASK_NEW), repr(res))
        self.assertUnavailable(res, 'auth', 0)
        self.assertPasswordUnchanged(new)


if __name__ == '__main__':
    harness.main()
