#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Logging in through pam_passgate.so (pam_wrapper + pam-driver): every kind of identifier, wrong
passwords and unknown identifiers that look exactly alike, and the account stage."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import digits, national_phone, strong_password  # noqa: E402
from harness.pamcase import (ASK_IDENTIFIER, ASK_PASSWORD, AUTH_ERR, OFF, OK, ON,  # noqa: E402
                             PamTestCase)


class Login(PamTestCase):
    def setUp(self):
        super().setUp()
        self.make_account()

    def test_by_unix_name(self):
        res = self.login(self.user, self.pw)
        self.assertLoggedIn(res)
        self.assertEqual(res.prompts(), [(OFF, ASK_PASSWORD)])

    def test_by_unix_name_typed_at_the_prompt(self):
        res = self.sb.pam(answers=[self.user, self.pw])
        self.assertLoggedIn(res)
        self.assertEqual(res.prompts(), [(ON, ASK_IDENTIFIER), (OFF, ASK_PASSWORD)])

    def test_by_phone_national_form(self):
        self.assertLoggedIn(self.login(national_phone(self.phone), self.pw))

    def test_by_phone_national_form_typed(self):
        self.assertLoggedIn(self.sb.pam(answers=[national_phone(self.phone), self.pw]))

    def test_by_phone_international_form(self):
        self.assertLoggedIn(self.login(self.phone, self.pw))

    def test_by_phone_international_form_typed(self):
        self.assertLoggedIn(self.sb.pam(answers=[self.phone, self.pw]))

    def test_by_email_other_case_in_domain(self):
        local, domain = self.email.split('@')
        self.assertLoggedIn(self.login(f'{local}@{domain.upper()}', self.pw))
        self.assertLoggedIn(self.sb.pam(answers=[f'{local}@{domain.title()}', self.pw]))

    def test_by_snils(self):
        self.assertLoggedIn(self.login(self.snils, self.pw))
        self.assertLoggedIn(self.sb.pam(answers=[digits(self.snils), self.pw]))

    def test_wrong_password(self):
        res = self.login(self.user, strong_password())
        self.assertLoginFailed(res)
        self.assertEqual(res.prompts(), [(OFF, ASK_PASSWORD)])

    def test_unknown_identifier_looks_like_a_wrong_password(self):
        wrong_pw = strong_password()
        pairs = [
            # typed at the prompt: a known and an unknown phone
            (dict(answers=[self.phone, wrong_pw]), dict(answers=[harness.make_phone(), wrong_pw])),
            # given by the application: a known and an unknown name
            (dict(user=self.user, answers=[wrong_pw]), dict(user='pgnosuchuser', answers=[wrong_pw])),
            # a known and an unknown SNILS
            (dict(user=self.snils, answers=[wrong_pw]), dict(user=harness.make_snils(), answers=[wrong_pw])),
        ]
        for known, unknown in pairs:
            with self.subTest(known=known.get('user')):
                a = self.sb.pam(**known)
                b = self.sb.pam(**unknown)
                self.assertLoginFailed(a)
                self.assertLoginFailed(b)
                self.assertEqual(a.messages, b.messages)
                self.assertEqual(a.codes, b.codes)
                self.assertEqual(a.rc, b.rc)

    def test_locked_account_looks_like_a_wrong_password(self):
        self.sb.accounts('LockAccount', 'ss', self.user, 'test')
        locked = self.login(self.user, self.pw)
        wrong = self.login(self.user, strong_password())
        self.assertLoginFailed(locked)
        self.assertEqual(locked.messages, wrong.messages)
        self.assertEqual(locked.codes, wrong.codes)

    def test_empty_identifier_fails(self):
        res = self.sb.pam(answers=['', self.pw])
        self.assertPam(res, auth=AUTH_ERR)

    def test_unknown_service_is_denied(self):
        res = self.sb.pam('passgate-nosuchservice', user=self.user, answers=[self.pw])
        self.assertNotEqual(res.auth, OK, repr(res))
        self.assertNotEqual(res.rc, 0)

    def test_no_password_in_driver_output_or_log(self):
        res = self.login(self.user, self.pw)
        self.assertLoggedIn(res)
        self.assertNotIn(self.pw, res.stdout)
        self.assertNotIn(self.pw, res.stderr)
        self.assertNoLeaks(self.sb, [self.pw])


class AccountStage(PamTestCase):
    """passgate-acct: authenticated elsewhere (pam_permit), account stage from passgate."""

    def setUp(self):
        super().setUp()
        self.make_account()

    def acct(self, user):
        return self.sb.pam('passgate-acct', user=user)

    def test_ok(self):
        res = self.acct(self.user)
        self.assertPam(res, auth=OK, acct=OK)

    def test_unknown_user(self):
        res = self.acct('pgnosuchuser')
        if harness.is_root():
            self.assertPam(res, auth=OK, acct='PAM_USER_UNKNOWN')
        else:
            # A non-root application may not learn whether someone else's account exists.
            self.assertPam(res, auth=OK, acct='PAM_PERM_DENIED')

    def test_locked(self):
        self.sb.accounts('LockAccount', 'ss', self.user, 'test')
        res = self.acct(self.user)
        self.assertPam(res, acct='PAM_PERM_DENIED')
        self.assertTrue(res.errors(), 'the user is told why')

    def test_must_change(self):
        self.sb.accounts('ExpirePassword', 's', self.user)
        res = self.sb.pam('passgate-acct', user=self.user, answers=[])
        self.assertPam(res, acct='PAM_NEW_AUTHTOK_REQD')


if __name__ == '__main__':
    harness.main()
