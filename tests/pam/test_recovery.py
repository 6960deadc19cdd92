#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
""""I don't know the password" through pam_passgate.so: an empty password at the login prompt,
then phone or e-mail, a document, the code from the spool, a new password. Every document type
and both channels; a wrong document and an unknown account take the same steps, with the same
texts, and nothing is sent for them."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import make_inn, make_passport, national_phone, strong_password  # noqa: E402
from harness.pamcase import (ASK_IDENTIFIER, ASK_NEW, ASK_PASSWORD, ASK_REPEAT, AUTH_ERR,  # noqa: E402
                             OFF, OK, ON, PamTestCase)

ASK_CONTACT = 'Phone or e-mail of your account:'
ASK_DOC_TYPE = 'Choose an identity document:'
DOC_MENU = ['1) Passport', '2) SNILS', '3) INN']
ASK_NUMBER = {
    'passport': 'Passport series and number (4 + 6 digits):',
    'snils': 'SNILS (11 digits):',
    'inn': 'INN (10 or 12 digits):',
}
CHOICE = {'passport': '1', 'snils': '2', 'inn': '3'}
RECOVERED = 'Your password has been changed. Log in with the new password.'
CODE_WRONG = 'The code is wrong or has expired.'
BURNED = 'Too many wrong codes. Start again later.'


def ask_code(masked):
    return f'A code was sent to {masked}. Enter it (or type "resend" for a new one):'


def masked_phone(e164):
    return f'+7 *** ***-**-{e164[-2:]}'


def masked_email(addr):
    local, domain = addr.split('@')
    return f'{local[0]}***@{domain}'


class Recovery(PamTestCase):
    def setUp(self):
        self.sb.config_extra['lockout'] = {'disable_after': '20'}
        super().setUp()
        self.passport = make_passport()
        self.inn = make_inn()
        self.make_account(Documents={'passport': self.passport, 'snils': self.snils, 'inn': self.inn})
        self.numbers = {'passport': self.passport, 'snils': self.snils, 'inn': self.inn}
        self.notices_before = {m['file'] for m in self.sb.spool_messages()}

    def codes_sent(self):
        return [m for m in self.sb.spool_messages()
                if m['file'] not in self.notices_before and 'code' in m.get('Subject', '')]

    def recover(self, contact, doc, number, code=None, new=None, login=None):
        """Runs the whole flow at a login prompt; code None reads it from the spool once sent."""
        new = new or strong_password()
        answers = ['', contact, CHOICE[doc], number,
                   code if code is not None else (lambda: self.sb.wait_code(self.sent_to(contact))),
                   new, new]
        return self.sb.pam(user=login or self.user, answers=answers), new

    def sent_to(self, contact):
        return self.email if '@' in contact else self.phone

    def expected_prompts(self, doc, masked):
        return [(OFF, ASK_PASSWORD), (ON, ASK_CONTACT), (ON, ASK_DOC_TYPE), (ON, ASK_NUMBER[doc]),
                (OFF, ask_code(masked))]

    def assertRecovered(self, res, new, doc, masked):
        self.assertPam(res, auth=AUTH_ERR)
        self.assertEqual(res.prompts(), self.expected_prompts(doc, masked) +
                         [(OFF, ASK_NEW), (OFF, ASK_REPEAT)])
        self.assertEqual(res.infos()[:3], DOC_MENU)
        self.assertEqual(res.errors(), [RECOVERED])
        self.assertNotIn('acct', res.codes, 'recovery is no login unless the admin says so')
        self.assertLoginFailed(self.login(self.user, self.pw))
        self.assertLoggedIn(self.login(self.user, new))

    def test_each_document_and_channel(self):
        cases = [('passport', self.phone, masked_phone(self.phone)),
                 ('snils', self.email, masked_email(self.email)),
                 ('inn', national_phone(self.phone), masked_phone(self.phone)),
                 ('passport', self.email.upper().replace(self.email.split('@')[0].upper(),
                                                         self.email.split('@')[0]),
                  masked_email(self.email))]
        for doc, contact, masked in cases:
            with self.subTest(doc=doc, contact=contact):
                self.sb.advance_clock(3601)  # a fresh hour: each case may send its own code
                res, new = self.recover(contact, doc, self.numbers[doc])
                self.assertRecovered(res, new, doc, masked)
                self.pw = new
                sent = self.codes_sent()[-1]
                self.assertEqual(sent['To'], self.sent_to(contact))
                self.assertEqual(sent['Channel'], 'email' if '@' in contact else 'sms')

    def test_document_numbers_with_spaces_and_dashes(self):
        spaced = ' '.join(self.inn)
        res, new = self.recover(self.phone, 'inn', spaced)
        self.assertRecovered(res, new, 'inn', masked_phone(self.phone))

    def test_wrong_document_and_unknown_account_look_alike(self):
        other = make_passport()
        unknown_phone = harness.make_phone()
        runs = {
            'wrong document': self.recover(self.phone, 'passport', other, code='123456')[0],
            'unknown phone': self.recover(unknown_phone, 'passport', self.passport, code='123456',
                                          login='nobody-' + self.user[-6:])[0],
        }
        for name, res in runs.items():
            with self.subTest(name):
                self.assertPam(res, auth='PAM_MAXTRIES')
                masked = masked_phone(self.phone if name == 'wrong document' else unknown_phone)
                self.assertEqual(res.prompts(), self.expected_prompts('passport', masked) +
                                 [(OFF, ask_code(masked))] * 2)
                self.assertEqual(res.errors(), [CODE_WRONG, CODE_WRONG, BURNED])
        self.assertEqual(self.codes_sent(), [], 'nothing is sent when the data do not match')
        self.assertLoggedIn(self.login(self.user, self.pw))

    def test_malformed_numbers_are_asked_again_with_the_reason(self):
        answers = ['', self.phone, '2', '123-456-789 00', 'twelve', '1234567890123', '']
        res = self.sb.pam(user=self.user, answers=answers)
        self.assertPam(res, auth='PAM_MAXTRIES')
        self.assertEqual(res.prompts()[3:], [(ON, ASK_NUMBER['snils'])] * 4)
        self.assertEqual(res.errors(), ['This is not a valid SNILS: check the digits.'] * 3 +
                         ['Too many unsuccessful attempts. Start again.'])
        self.assertEqual(self.codes_sent(), [])

    def test_unknown_document_type_is_asked_again(self):
        res = self.sb.pam(user=self.user, answers=['', self.phone, '7', 'driving-licence', '1'])
        self.assertEqual(res.prompts()[2:], [(ON, ASK_DOC_TYPE)] * 3 + [(ON, ASK_NUMBER['passport'])])
        self.assertEqual(res.errors()[:2], ['Choose one of the listed documents.'] * 2)

    def test_identifier_typed_at_the_first_prompt_is_the_contact(self):
        new = strong_password()
        answers = [self.email, '', '1', self.passport, lambda: self.sb.wait_code(self.email), new, new]
        res = self.sb.pam(answers=answers)
        self.assertPam(res, auth=AUTH_ERR)
        self.assertEqual(res.prompts(), [(ON, ASK_IDENTIFIER), (OFF, ASK_PASSWORD), (ON, ASK_DOC_TYPE),
                                         (ON, ASK_NUMBER['passport']),
                                         (OFF, ask_code(masked_email(self.email))), (OFF, ASK_NEW),
                                         (OFF, ASK_REPEAT)])
        self.assertLoggedIn(self.login(self.user, new))

    def test_generated_password(self):
        answers = ['', self.phone, '1', self.passport, lambda: self.sb.wait_code(self.phone), '']
        res = self.sb.pam(user=self.user, answers=answers)
        self.assertPam(res, auth=AUTH_ERR)
        generated = harness.pamcase.generated_password(res)
        self.assertTrue(generated, repr(res))
        self.sb.secrets.add(generated)
        self.assertLoggedIn(self.login(self.user, generated))

    def test_recovery_lifts_the_disabled_state(self):
        for _ in range(20):                 # [lockout] disable_after at its lowest, apart in time
            self.login(self.user, strong_password())
            self.sb.advance_clock(3600)
        self.assertTrue(self.account()['Disabled'])
        res, new = self.recover(self.phone, 'passport', self.passport)
        self.assertRecovered(res, new, 'passport', masked_phone(self.phone))
        self.assertFalse(self.account()['Disabled'])
        self.assertEqual(self.account()['Failures'], 0)

    def test_locked_account_gets_no_code(self):
        self.sb.accounts('LockAccount', 'ss', self.user, 'audit')
        res, _ = self.recover(self.phone, 'passport', self.passport, code='123456')
        self.assertEqual(res.prompts()[:5], self.expected_prompts('passport', masked_phone(self.phone)))
        self.assertEqual(res.errors(), [CODE_WRONG, CODE_WRONG, BURNED])
        self.assertEqual(self.codes_sent(), [])


class RecoveryLogsIn(PamTestCase):
    """[recovery] login_after_recovery = yes: the recovered user is logged in."""

    def setUp(self):
        self.sb.config_extra['recovery'] = {'login_after_recovery': 'yes'}
        super().setUp()
        self.passport = make_passport()
        self.make_account(Documents={'passport': self.passport})

    def tearDown(self):
        super().tearDown()
        self.sb.config_extra.pop('recovery', None)

    def test_logged_in_after_recovery(self):
        new = strong_password()
        answers = ['', self.phone, '1', self.passport, lambda: self.sb.wait_code(self.phone), new, new]
        res = self.sb.pam(user=self.user, answers=answers)
        self.assertLoggedIn(res)
        self.assertLoggedIn(self.login(self.user, new))


if __name__ == '__main__':
    harness.main()
