#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""org.passgate1.Support, the support desk: its contacts for any uid and under a recovery that
cannot go on; VerifyIdentity (spellings of one name that match, wrong names and documents and
unknown logins that do not, the same way), who may call it (root, polkit allowing or denying
org.passgate1.support, no polkit), its limits per agent and per account (kept across a restart) and
its audit; SendRecoveryCode, whose code a recovery started by the user keeps and accepts. Names,
numbers and codes never show in the daemon's log."""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import N, make_inn, make_passport, make_phone, make_snils, strong_password  # noqa: E402

IFACE = N.PG_IFACE_SUPPORT
SUPPORT = N.PG_POLKIT_SUPPORT
MANAGE = N.PG_POLKIT_MANAGE
CLIENT = {'Service': 'passgate-test', 'Renderer': 'app'}
CONTACTS = {'hotline': '8 800 555-35-35', 'abroad': '+7 495 555-35-35',
            'chat': 'https://support.example.org/chat'}
SUPPORT_LINE = ('Support: hotline 8 800 555-35-35, from abroad +7 495 555-35-35, '
                'chat https://support.example.org/chat')
NAME = 'Пётр Иванович Семёнов'
E_DIAERESIS = 'е\u0308'     # "е" followed by a combining diaeresis: "ё" decomposed


class Base(harness.TestCase):
    polkit = None
    config = {'support': dict(CONTACTS, verify_per_hour='1000', verify_account_per_hour='100')}

    @classmethod
    def setUpClass(cls):
        cls.sb = harness.Sandbox(polkit=cls.polkit, config={k: dict(v) for k, v in cls.config.items()},
                                 daemon=False).start()
        cls.addClassCleanup(cls.sb.close)
        cls.user, cls.agent = cls.sb.make_users(2)

    def setUp(self):
        sb = self.sb
        if sb.daemon_proc is not None:
            sb.stop_daemon()
        sb.start_daemon(fresh=True)
        sb.set_clock(0)
        self.pw = strong_password()
        self.phone = make_phone()
        self.email = f'petr.{harness.sandbox.secrets.token_hex(3)}@example.net'
        self.passport = make_passport()
        self.snils = make_snils()
        self.inn = make_inn()
        sb.create_account(self.user, self.pw, FullName=NAME, Phone=self.phone, Email=self.email,
                          Documents={'passport': self.passport, 'snils': self.snils, 'inn': self.inn})
        # The notices of that first password, then an empty spool for the test.
        sb.wait_message(lambda m: m['To'] == self.email)
        sb.wait_message(lambda m: m['To'] == self.phone)
        for name in os.listdir(sb.spool_dir):
            os.unlink(os.path.join(sb.spool_dir, name))
        self.typed = {NAME, self.phone, self.email}

    def tearDown(self):
        self.assertNoLeaks(self.sb, sorted(self.typed | {self.passport, harness.digits(self.passport),
                                                         self.inn, harness.digits(self.snils)}))

    def verify(self, name=NAME, doc='passport', number=None, login=None, user=None):
        number = self.passport if number is None else number
        login = self.user if login is None else login
        self.typed.update({name, number, login})
        return self.sb.call(IFACE, 'VerifyIdentity', 'ssss', login, name, doc, number, user=user)

    def send_code(self, login=None, user=None):
        return self.sb.call(IFACE, 'SendRecoveryCode', 's', self.user if login is None else login,
                            user=user)

    def audit(self, event):
        return [e for e in self.sb.accounts('ListAudit', 'tu', 0, 0) if e[2] == event]

    def code_messages(self):
        return [m for m in self.sb.spool_messages() if re.search(r'\b\d{6}\b', m['body'])]

    def set_name(self, name):
        self.sb.accounts('UpdateAccount', 'sa{sv}', self.user, harness.account_props(FullName=name))


class Contacts(Base):
    def test_any_uid_gets_the_configured_contacts(self):
        self.assertEqual(self.sb.call(IFACE, 'GetContacts', user=self.agent), CONTACTS)
        self.assertEqual(self.sb.call(IFACE, 'GetContacts', user=self.user), CONTACTS)

    def test_keys_not_configured_are_left_out(self):
        try:
            self.sb.config_extra['support'] = {'chat': CONTACTS['chat']}
            self.sb.restart_daemon()
            self.assertEqual(self.sb.call(IFACE, 'GetContacts', user=self.agent),
                             {'chat': CONTACTS['chat']})
            self.sb.config_extra.pop('support')
            self.sb.restart_daemon()
            self.assertEqual(self.sb.call(IFACE, 'GetContacts', user=self.agent), {})
        finally:
            self.sb.config_extra['support'] = dict(self.config['support'])

    def recovery_until_burned(self, contact, number):
        path = self.sb.manager('BeginConversation', 'ssa{sv}', 'recovery', contact, CLIENT)
        self.sb.step(path)
        self.sb.step(path, 'passport')
        kind, prompt = self.sb.step(path, number)
        self.assertEqual(prompt['Id'], 'code')
        for _ in range(3):
            kind, prompt = self.sb.step(path, '000000')
        return kind, prompt

    def test_a_recovery_that_cannot_go_on_offers_the_contacts(self):
        # Too many wrong codes: a known account and an unknown phone end alike.
        known = self.recovery_until_burned(self.phone, self.passport)
        unknown = self.recovery_until_burned(make_phone(), self.passport)
        self.assertEqual(known, unknown)
        kind, prompt = known
        self.assertEqual((kind, prompt['Error']), ('failed', N.PG_ERROR_TOO_MANY_ATTEMPTS))
        self.assertEqual(prompt['Message'], 'Too many wrong codes. Start again later.\n' + SUPPORT_LINE)
        # Rate limited: the account's wrong codes hold it for the hour.
        path = self.sb.manager('BeginConversation', 'ssa{sv}', 'recovery', self.phone, CLIENT)
        self.sb.step(path)
        self.sb.step(path, 'passport')
        kind, prompt = self.sb.step(path, self.passport)
        self.assertEqual((kind, prompt['Error'], prompt['Message']),
                         ('failed', N.PG_ERROR_RATE_LIMITED,
                          'Too many attempts. Try again later.\n' + SUPPORT_LINE))

    def test_only_the_configured_parts_and_none_without_contacts(self):
        try:
            self.sb.config_extra['support'] = {'hotline': CONTACTS['hotline']}
            self.sb.config_extra['delivery'] = {'sms': 'command:/bin/false'}
            self.sb.restart_daemon()
            path = self.sb.manager('BeginConversation', 'ssa{sv}', 'recovery', self.phone, CLIENT)
            self.sb.step(path)
            self.sb.step(path, 'passport')
            self.sb.step(path, self.passport)
            time.sleep(0.3)
            kind, prompt = self.sb.step(path, '123456')
            self.assertEqual((prompt['Error'], prompt['Message']),
                             (N.PG_ERROR_DELIVERY_FAILED, 'The code could not be sent. Try again later.\n'
                              'Support: hotline 8 800 555-35-35'))
            self.sb.config_extra.pop('support')
            self.sb.restart_daemon()
            kind, prompt = self.recovery_until_burned(make_phone(), self.passport)
            self.assertEqual(prompt['Message'], 'Too many wrong codes. Start again later.')
        finally:
            self.sb.config_extra['support'] = dict(self.config['support'])
            self.sb.config_extra.pop('delivery', None)


class Verify(Base):
    def test_spellings_of_the_name_match(self):
        variants = [
            NAME,
            'пётр иванович семёнов',
            'ПЁТР ИВАНОВИЧ СЕМЁНОВ',
            'Петр Иванович Семенов',                            # ё typed as е
            'ПЕТР ИВАНОВИЧ СЕМЕНОВ',
            f'П{E_DIAERESIS}тр Иванович Сем{E_DIAERESIS}нов',   # ё decomposed
            'ПЕ\u0308ТР ИВАНОВИЧ СЕМЕ\u0308НОВ',                # Ё decomposed
            '   Пётр   Иванович    Семёнов  ',                  # spaces around and between
            'Пётр\u00a0Иванович\u3000Семёнов',                  # no-break and ideographic spaces
        ]
        for name in variants:
            with self.subTest(name=name):
                self.assertIs(self.verify(name), True)

    def test_e_and_yo_both_ways_and_nfkc_forms(self):
        self.set_name('Петр Семенов')
        self.assertIs(self.verify('Пётр СЕМЁНОВ'), True)
        self.assertIs(self.verify(f'П{E_DIAERESIS}тр Семенов'), True)
        self.set_name(f'П{E_DIAERESIS}тр Семёнов')        # kept decomposed, typed composed
        self.assertIs(self.verify('ПЁТР семенов'), True)
        self.set_name('Ivan Petrov')
        self.assertIs(self.verify('Ｉｖａｎ ＰＥＴＲＯＶ'), True)     # full-width: NFKC
        self.assertIs(self.verify('Ivan Petrov', 'inn', self.inn), True)

    def test_every_document_and_every_login(self):
        self.assertIs(self.verify(NAME, 'passport', harness.digits(self.passport)), True)
        self.assertIs(self.verify(NAME, 'snils', self.snils), True)
        self.assertIs(self.verify(NAME, 'snils', harness.digits(self.snils)), True)
        self.assertIs(self.verify(NAME, 'inn', self.inn), True)
        for login in (self.phone, harness.national_phone(self.phone), self.email, self.snils):
            with self.subTest(login=login):
                self.assertIs(self.verify(login=login), True)

    def test_a_wrong_name_or_document_gives_false(self):
        self.assertIs(self.verify('Пётр Иванович Семёнова'), False)
        self.assertIs(self.verify('Пётр Семёнов'), False)
        self.assertIs(self.verify('Пётр Иваноович Семёнов'), False)
        self.assertIs(self.verify(''), False)
        self.assertIs(self.verify(NAME, 'passport', make_passport()), False)
        self.assertIs(self.verify(NAME, 'snils', make_snils()), False)
        self.assertIs(self.verify(NAME, 'snils', harness.bad_snils(self.snils)), False)   # malformed
        self.assertIs(self.verify(NAME, 'passport', '12'), False)
        self.assertIs(self.verify(NAME, 'inn', self.passport), False)    # another document's number
        self.sb.accounts('UpdateAccount', 'sa{sv}', self.user,
                         harness.account_props(Documents={'inn': ''}))
        self.assertIs(self.verify(NAME, 'inn', self.inn), False)          # no such document kept

    def test_unknown_login_gives_false_the_same_way(self):
        for login in (make_phone(), 'nosuchuser', f'x{self.email}'):
            with self.subTest(login=login):
                self.assertIs(self.verify(login=login), False)
        audit = self.audit('support-verify')
        self.assertEqual([e[1] for e in audit[-3:]], ['', '', ''])
        self.assertTrue(all(e[3] == 'caller=0 passport no match' for e in audit[-3:]), audit)

    def test_malformed_arguments_are_refused(self):
        self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.verify, NAME, 'driving-licence', '123')
        self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.verify, login='')
        self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.verify, login='a' * 300)
        self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.verify, 'Ж' * 600)
        self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.verify, NAME + '\n')
        self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.verify, NAME, 'passport', 'x' * 100)
        self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.verify, NAME, 'passport', self.passport + '\x1b')
        self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.send_code, '')
        self.assertEqual(self.audit('support-verify'), [], 'refused before anything was checked')

    def test_audited_with_the_agent_and_no_name_or_number(self):
        self.verify()
        self.verify(NAME, 'inn', make_inn())
        audit = self.audit('support-verify')
        self.assertEqual([(e[1], e[3]) for e in audit],
                         [(self.user, 'caller=0 passport match'), (self.user, 'caller=0 inn no match')])
        everything = repr(self.sb.accounts('ListAudit', 'tu', 0, 0))
        for s in (NAME, 'Семёнов', 'семенов', self.passport, harness.digits(self.passport), self.inn):
            self.assertNotIn(s, everything)


class Limits(Base):
    config = {'support': {'verify_per_hour': '6', 'verify_account_per_hour': '3'}}

    def test_per_account_known_and_unknown_alike_also_after_a_restart(self):
        unknown = make_phone()
        for login in (self.user, unknown):
            for i in range(3):
                self.verify(login=login, number=make_passport())
            self.assertBusError(N.PG_ERROR_RATE_LIMITED, self.verify, login=login)
        # Another login of the same account counts for it too.
        self.assertBusError(N.PG_ERROR_RATE_LIMITED, self.verify, login=self.phone)
        self.sb.restart_daemon()
        self.assertBusError(N.PG_ERROR_RATE_LIMITED, self.verify, login=self.user)
        self.assertEqual(len(self.audit('support-verify-limited')), 4)
        self.sb.advance_clock(3601)
        self.assertIs(self.verify(), True)

    def test_per_agent_also_after_a_restart(self):
        for i in range(6):
            self.assertIs(self.verify(login=make_phone()), False)
        self.sb.restart_daemon()
        self.assertBusError(N.PG_ERROR_RATE_LIMITED, self.verify)
        self.sb.advance_clock(3601)
        self.assertIs(self.verify(), True)


class SendCode(Base):
    def begin(self, number=None, contact=None):
        """A recovery started by the account's own uid, up to the code prompt (one connection)."""
        M, C = harness.sandbox.IFACE_MANAGER, harness.sandbox.IFACE_CONVERSATION
        calls = [dict(iface=M, method='BeginConversation', sig='ssa{sv}',
                      args=['recovery', contact or self.phone, CLIENT])]
        calls += [dict(iface=C, method='Step', sig='a{sv}', args=[a], path={'ref': 0})
                  for a in ({}, {'Value': 'passport'}, {'Value': number or self.passport})]
        return calls

    def run_as_user(self, calls):
        res = self.sb.call_seq(calls, self.user)
        for r in res:
            self.assertNotIn('error', r, res)
        return [r['value'] for r in res]

    def answer(self, code):
        C = harness.sandbox.IFACE_CONVERSATION
        return dict(iface=C, method='Step', sig='a{sv}', args=[{'Value': code}], path={'ref': 0})

    def test_the_code_goes_to_the_phone_and_a_recovery_keeps_and_accepts_it(self):
        self.assertIsNone(self.send_code())
        code = self.sb.wait_code(self.phone)
        self.assertEqual(len(self.code_messages()), 1)
        self.assertEqual([(e[1], e[3]) for e in self.audit('recovery-code-sent')],
                         [(self.user, 'caller=0 support')])
        # Past the resend cooldown, well within the code's lifetime.
        self.sb.advance_clock(300)
        steps = self.run_as_user(self.begin() + [self.answer(code)])
        kind, prompt = steps[3]
        self.assertEqual((kind, prompt['Id']), ('secret', 'code'))
        self.assertEqual(steps[4][1]['Id'], 'new-password')
        time.sleep(0.3)
        self.assertEqual(len(self.code_messages()), 1, 'the recovery start sent no second code')
        self.assertEqual(len(self.audit('recovery-code-kept')), 1)

    def test_the_document_step_still_counts(self):
        self.send_code()
        code = self.sb.wait_code(self.phone)
        steps = self.run_as_user(self.begin(make_passport()) + [self.answer(code)])
        self.assertEqual(steps[4][1].get('Notice'), 'The code is wrong or has expired.')
        steps = self.run_as_user(self.begin() + [self.answer(code)])
        self.assertEqual(steps[4][1]['Id'], 'new-password')

    def test_a_start_after_its_lifetime_sends_a_new_code(self):
        self.send_code()
        old = self.sb.wait_code(self.phone)
        self.sb.advance_clock(601)
        self.run_as_user(self.begin())
        new = self.sb.wait_code(self.phone)
        self.assertEqual(len(self.code_messages()), 2)
        if new != old:
            steps = self.run_as_user(self.begin() + [self.answer(old)])
            self.assertEqual(steps[4][1].get('Notice'), 'The code is wrong or has expired.')

    def test_by_any_login_and_to_the_email_without_a_phone(self):
        self.send_code(self.snils)
        self.sb.wait_code(self.phone)
        self.sb.accounts('UpdateAccount', 'sa{sv}', self.user, harness.account_props(Phone=''))
        self.send_code(self.email)
        msg = self.sb.wait_message(lambda m: m['To'] == self.email and re.search(r'\b\d{6}\b', m['body']))
        self.sb.secrets.add(re.search(r'\b(\d{6})\b', msg['body']).group(1))
        self.assertEqual(msg['Channel'], 'email')

    def test_unknown_locked_or_without_contact_answer_alike_and_send_nothing(self):
        self.sb.accounts('UpdateAccount', 'sa{sv}', self.user,
                         harness.account_props(Phone='', Email=''))
        for login in (make_phone(), 'nosuchuser', self.user):
            with self.subTest(login=login):
                self.assertIsNone(self.send_code(login))
        self.sb.accounts('UpdateAccount', 'sa{sv}', self.user, harness.account_props(Phone=self.phone))
        self.sb.accounts('LockAccount', 'ss', self.user, 'test')
        self.assertIsNone(self.send_code())
        time.sleep(0.3)
        self.assertEqual(self.code_messages(), [])
        self.assertEqual([e[3] for e in self.audit('recovery-no-match')], ['caller=0 support'] * 4)


class AuthzCases:
    """Mixed into a Base with one polkit setup; allowed: whether polkit says yes to the agent."""
    allowed = False

    @classmethod
    def setUpClass(cls):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: an agent of its own uid (runuser)')
        super().setUpClass()

    def agent_uid(self):
        return harness.sandbox.pwd.getpwnam(self.agent).pw_uid

    def test_verify_and_send_code_as_another_uid(self):
        if self.allowed:
            self.assertIs(self.verify(user=self.agent), True)
            self.assertIsNone(self.send_code(user=self.agent))
            self.sb.wait_code(self.phone)
            self.assertEqual([e[3] for e in self.audit('support-verify')],
                             [f'caller={self.agent_uid()} passport match'])
            self.assertEqual([e[3] for e in self.audit('recovery-code-sent')],
                             [f'caller={self.agent_uid()} support'])
        else:
            self.assertBusError(N.PG_ERROR_ACCESS_DENIED, self.verify, user=self.agent)
            self.assertBusError(N.PG_ERROR_ACCESS_DENIED, self.send_code, user=self.agent)
            # The account's owner is no agent either.
            self.assertBusError(N.PG_ERROR_ACCESS_DENIED, self.verify, user=self.user)
            time.sleep(0.3)
            self.assertEqual(self.code_messages(), [])
            self.assertEqual(self.audit('support-verify'), [])
        self.assertEqual(self.sb.call(IFACE, 'GetContacts', user=self.agent), CONTACTS)

    def test_root_always(self):
        self.assertIs(self.verify(), True)
        self.assertIsNone(self.send_code())
        self.sb.wait_code(self.phone)


class AuthzPolkitAllows(AuthzCases, Base):
    polkit = [SUPPORT]
    allowed = True


class AuthzPolkitDenies(AuthzCases, Base):
    polkit = [MANAGE]


class AuthzNoPolkit(AuthzCases, Base):
    polkit = None


if __name__ == '__main__':
    harness.main()
