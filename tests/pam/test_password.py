#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Changing passwords through pam_passgate.so: the forced change at login end to end, a wrong old
password (refused, counted as a failure), weak new passwords (refused with the reason), a generated
password, root resetting another user's password, a user changing their own."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import strong_password  # noqa: E402
from harness.pamcase import (ASK_NEW, ASK_OLD, ASK_PASSWORD, ASK_REPEAT, AUTH_ERR, OFF, OK,  # noqa: E402
                             PamTestCase, generated_password)

NEW_AUTHTOK_REQD = 'PAM_NEW_AUTHTOK_REQD'


class ForcedChange(PamTestCase):
    def setUp(self):
        super().setUp()
        self.make_account(must_change=True)
        self.new = strong_password()

    def test_forced_change_end_to_end(self):
        res = self.sb.pam(user=self.user, answers=[self.pw, self.pw, self.new, self.new])
        self.assertPam(res, auth=OK, acct=NEW_AUTHTOK_REQD, chauthtok=OK)
        self.assertEqual(res.prompts(), [(OFF, ASK_PASSWORD), (OFF, ASK_OLD), (OFF, ASK_NEW),
                                         (OFF, ASK_REPEAT)])
        self.assertEqual(res.user, self.user)
        self.assertFalse(self.sb.manager('GetAccountStatus', 's', self.user)['PasswordChangeRequired'])
        self.assertLoggedIn(self.login(self.user, self.new))
        self.assertLoginFailed(self.login(self.user, self.pw))

    def test_forced_change_by_phone_login(self):
        res = self.sb.pam(answers=[self.phone, self.pw, self.pw, self.new, self.new])
        self.assertPam(res, auth=OK, acct=NEW_AUTHTOK_REQD, chauthtok=OK)
        self.assertEqual(res.user, self.user)
        self.assertLoggedIn(self.login(self.phone, self.new))

    def test_wrong_old_password_fails_and_counts(self):
        self.assertEqual(self.account()['Failures'], 0)
        res = self.sb.pam(user=self.user, answers=[self.pw, strong_password(), self.new, self.new])
        self.assertPam(res, auth=OK, acct=NEW_AUTHTOK_REQD)
        self.assertNotEqual(res.chauthtok, OK, repr(res))
        self.assertEqual(res.prompts()[:2], [(OFF, ASK_PASSWORD), (OFF, ASK_OLD)])
        self.assertNotIn((OFF, ASK_NEW), res.prompts(), 'no new password after a wrong old one')
        self.assertEqual(self.account()['Failures'], 1)
        self.assertTrue(any('fail' in e[2] and 'password' in e[2] for e in self.audit()), self.audit())
        # Nothing changed: the old password still logs in, and must still be changed.
        self.assertLoginFailed(self.login(self.user, self.new))
        res = self.sb.pam(user=self.user, answers=[self.pw])
        self.assertPam(res, auth=OK, acct=NEW_AUTHTOK_REQD)

    def test_wrong_old_password_visible_in_passgatectl(self):
        self.sb.pam(user=self.user, answers=[self.pw, strong_password()])
        show = self.sb.ctl('--json', 'user', 'show', self.user)
        self.assertEqual(show.rc, 0, show)
        failures = show.json.get('Failures', show.json.get('failures')) if isinstance(show.json, dict) else None
        if failures is None:
            plain = self.sb.ctl('user', 'show', self.user)
            self.assertRegex(plain.stdout, r'(?i)failures?\s*:?\s*1\b', plain)
        else:
            self.assertEqual(failures, 1, show)

    def test_weak_new_password_refused_with_reason(self):
        weak = [('short', ('too short',)),
                ('password1234567890', ('common', 'leaked', 'predictable')),
                (f'{self.user}-{self.user}', ('own details',))]
        for bad, reasons in weak:
            with self.subTest(password=bad):
                res = self.sb.pam(user=self.user, answers=[self.pw, self.pw, bad, self.new, self.new])
                self.assertPam(res, auth=OK, acct=NEW_AUTHTOK_REQD, chauthtok=OK)
                self.assertEqual(res.prompts(), [(OFF, ASK_PASSWORD), (OFF, ASK_OLD), (OFF, ASK_NEW),
                                                 (OFF, ASK_NEW), (OFF, ASK_REPEAT)])
                why = [e for e in res.errors() if 'must change' not in e.lower()]
                self.assertEqual(len(why), 1, res)
                self.assertTrue(any(r in why[0].lower() for r in reasons), res)
                # Shown right before the new password is asked again.
                idx = res.messages.index(('ERROR_MSG', why[0]))
                self.assertEqual(res.messages[idx + 1], (OFF, ASK_NEW), res)
                self.assertLoggedIn(self.login(self.user, self.new))
                # Back to a forced change with self.pw for the next round.
                self.sb.set_password(self.user, self.pw, must_change=True)
                self.new = strong_password()

    def test_mismatched_repeat_asks_again(self):
        res = self.sb.pam(user=self.user, answers=[self.pw, self.pw, self.new, self.new + 'x', self.new, self.new])
        self.assertPam(res, chauthtok=OK)
        self.assertTrue(any('match' in e for e in res.errors()), res)
        self.assertLoggedIn(self.login(self.user, self.new))

    def test_generated_password(self):
        res = self.sb.pam(user=self.user, answers=[self.pw, self.pw, ''])
        self.assertPam(res, auth=OK, acct=NEW_AUTHTOK_REQD, chauthtok=OK)
        generated = generated_password(res)
        self.assertTrue(generated, res)
        self.sb.secrets.add(generated)
        self.assertNotIn((OFF, ASK_REPEAT), res.prompts())
        self.assertLoggedIn(self.login(self.user, generated))
        self.assertLoginFailed(self.login(self.user, self.pw))


class PasswdCommand(PamTestCase):
    """pam_chauthtok(0), as passwd(1) does."""
    n_users = 2

    def setUp(self):
        super().setUp()
        self.make_account()
        self.new = strong_password()

    def test_root_resets_another_users_password(self):
        res = self.sb.pam(user=self.user, password=True, answers=[self.new, self.new])
        self.assertPam(res, chauthtok=OK)
        self.assertEqual(res.prompts(), [(OFF, ASK_NEW), (OFF, ASK_REPEAT)])
        self.assertEqual(res.rc, 0, res)
        self.assertLoggedIn(self.login(self.user, self.new))

    def test_user_changes_own_password(self):
        res = self.sb.pam(user=self.user, password=True, as_user=self.user,
                          answers=[self.pw, self.new, self.new])
        self.assertPam(res, chauthtok=OK)
        self.assertEqual(res.prompts(), [(OFF, ASK_OLD), (OFF, ASK_NEW), (OFF, ASK_REPEAT)])
        self.assertLoggedIn(self.login(self.user, self.new))

    def test_user_wrong_old_password_counts(self):
        res = self.sb.pam(user=self.user, password=True, as_user=self.user,
                          answers=[strong_password(), self.new, self.new])
        self.assertNotEqual(res.chauthtok, OK, res)
        self.assertEqual(self.account()['Failures'], 1)
        self.assertLoggedIn(self.login(self.user, self.pw))

    def test_user_may_not_change_someone_elses(self):
        other = self.users[1]
        res = self.sb.pam(user=self.user, password=True, as_user=other,
                          answers=[self.pw, self.new, self.new])
        self.assertNotEqual(res.chauthtok, OK, res)
        self.assertNotIn((OFF, ASK_NEW), res.prompts())
        self.assertLoggedIn(self.login(self.user, self.pw))


if __name__ == '__main__':
    harness.main()
