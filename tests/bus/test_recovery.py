#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The recovery conversation driven over D-Bus as a desktop app would: code rules (three wrong
answers burn it, ten minutes, single use also across SIGKILL, resend cooldown, five an hour),
limits that survive restarts, notices, what is never written anywhere, timing of known and
unknown identifiers, and IssueTemporaryPassword."""
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import N, Sandbox, TestCase, make_inn, make_passport, make_phone, make_snils  # noqa: E402
from harness import strong_password  # noqa: E402

CLIENT = {'Service': 'passgate-test', 'Renderer': 'app'}


class RecoveryCase(TestCase):
    config = {}

    @classmethod
    def setUpClass(cls):
        cls.sb = Sandbox(config={'lockout': {'disable_after': '20'}, **cls.config}).start()
        cls.addClassCleanup(cls.sb.close)
        cls.user = cls.sb.make_users(1)[0]

    def setUp(self):
        self.sb.restart_daemon(fresh=True)
        self.sb.set_clock(0)
        self.pw = strong_password()
        self.phone = make_phone()
        self.email = f'ivan.{harness.sandbox.secrets.token_hex(3)}@example.net'
        self.passport = make_passport()
        self.snils = make_snils()
        self.inn = make_inn()
        self.sb.create_account(self.user, self.pw, FullName='Иван Петров', Phone=self.phone,
                               Email=self.email, Documents={'passport': self.passport,
                                                           'snils': self.snils, 'inn': self.inn})
        self.sb.secrets.update({self.passport, self.snils, self.inn, harness.digits(self.snils)})
        # The notices of that first password, then an empty spool for the test.
        self.sb.wait_message(lambda m: m['To'] == self.email)
        self.sb.wait_message(lambda m: m['To'] == self.phone)
        for name in os.listdir(self.sb.spool_dir):
            os.unlink(os.path.join(self.sb.spool_dir, name))

    def tearDown(self):
        self.assertNoLeaks(self.sb, [self.passport, harness.digits(self.passport), self.inn])

    def begin(self, contact=None, doc='passport', number=None):
        """A recovery up to the code prompt: (path, last step)."""
        path = self.sb.manager('BeginConversation', 'ssa{sv}', 'recovery', contact or self.phone, CLIENT)
        kind, prompt = self.sb.step(path)
        self.assertEqual((kind, prompt['Id']), ('choice', 'document-type'))
        self.sb.step(path, doc)
        step = self.sb.step(path, number if number is not None else self.passport)
        return path, step

    def code_messages(self):
        return [m for m in self.sb.spool_messages() if re.search(r'\b\d{6}\b', m['body'])]

    def wait_codes(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        while len(self.code_messages()) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)
        self.assertEqual(len(self.code_messages()), n)

    def wrong(self, code):
        return f'{(int(code) + 1) % 1000000:06d}'


class Codes(RecoveryCase):
    def test_code_prompt_names_the_masked_destination(self):
        _, (kind, prompt) = self.begin()
        self.assertEqual((kind, prompt['Id']), ('secret', 'code'))
        self.assertIn(f'+7 *** ***-**-{self.phone[-2:]}', prompt['Message'])
        self.assertNotIn(self.phone, prompt['Message'])

    def test_three_wrong_answers_burn_the_code(self):
        path, _ = self.begin()
        code = self.sb.wait_code(self.phone)
        for i in range(2):
            kind, prompt = self.sb.step(path, self.wrong(code))
            self.assertEqual((kind, prompt['Id'], prompt['Notice']),
                             ('secret', 'code', 'The code is wrong or has expired.'))
        kind, prompt = self.sb.step(path, self.wrong(code))
        self.assertEqual((kind, prompt['Error']), ('failed', N.PG_ERROR_TOO_MANY_ATTEMPTS))
        # The right code no longer works, in a new conversation either: that hour is over for it.
        _, (kind, prompt) = self.begin()
        self.assertEqual((kind, prompt['Error']), ('failed', N.PG_ERROR_RATE_LIMITED))
        self.sb.advance_clock(3601)
        path, _ = self.begin()
        self.assertEqual(self.sb.step(path, self.sb.wait_code(self.phone))[1]['Id'], 'new-password')

    def test_code_expires_after_ten_minutes(self):
        path, _ = self.begin()
        code = self.sb.wait_code(self.phone)
        self.sb.advance_clock(600)
        kind, prompt = self.sb.step(path, code)
        self.assertEqual((kind, prompt['Notice']), ('secret', 'The code has expired: type "resend" for a new one.'))
        # A client that ignores the prompt's clock gets nothing either: the store says expired.
        path2, _ = self.begin()
        self.sb.wait_code(self.phone)   # a new start after the cooldown sends a new code
        self.assertEqual(self.sb.step(path2, code)[1].get('Notice'), 'The code is wrong or has expired.')
        kind, prompt = self.sb.step(path, 'resend')
        self.assertEqual(prompt['Notice'], 'A new code was sent.')
        self.assertEqual(self.sb.step(path, self.sb.wait_code(self.phone))[1]['Id'], 'new-password')

    def test_resend_waits_for_the_cooldown_and_replaces_the_code(self):
        path, _ = self.begin()
        first = self.sb.wait_code(self.phone)
        self.sb.advance_clock(20)
        kind, prompt = self.sb.step(path, 'resend')
        self.assertEqual(prompt['Notice'], 'A new code can be sent in 40 s.')
        self.assertEqual(len(self.code_messages()), 1)
        self.sb.advance_clock(41)
        self.assertEqual(self.sb.step(path, 'RESEND')[1]['Notice'], 'A new code was sent.')
        second = self.sb.wait_code(self.phone)
        if first != second:
            self.assertEqual(self.sb.step(path, first)[1]['Notice'], 'The code is wrong or has expired.')
        self.assertEqual(self.sb.step(path, second)[1]['Id'], 'new-password')

    def test_five_codes_an_hour_also_after_a_restart(self):
        path, _ = self.begin()
        for _ in range(4):
            self.sb.advance_clock(61)
            self.assertEqual(self.sb.step(path, 'resend')[1]['Notice'], 'A new code was sent.')
        self.wait_codes(5)
        self.sb.restart_daemon()
        self.sb.advance_clock(61)
        _, (kind, prompt) = self.begin()
        self.assertEqual((kind, prompt['Error']), ('failed', N.PG_ERROR_RATE_LIMITED))
        self.assertEqual(prompt['Message'], 'Too many attempts. Try again later.')
        self.assertEqual(len(self.code_messages()), 5)
        self.sb.advance_clock(3600)
        self.begin()
        self.wait_codes(6)

    def test_a_second_start_within_the_cooldown_sends_nothing_new(self):
        self.begin()
        code = self.sb.wait_code(self.phone)
        path, _ = self.begin()
        time.sleep(0.2)
        self.assertEqual(len(self.code_messages()), 1)
        self.assertEqual(self.sb.step(path, code)[1]['Id'], 'new-password')

    def test_code_used_once_also_across_sigkill(self):
        path, _ = self.begin()
        code = self.sb.wait_code(self.phone)
        self.assertEqual(self.sb.step(path, code)[1]['Id'], 'new-password')
        self.sb.kill_daemon()
        self.sb.start_daemon()
        path, _ = self.begin()          # a spent code does not stand: a new one is sent
        self.assertNotEqual(self.sb.wait_code(self.phone), None)
        self.assertEqual(self.sb.step(path, code)[1].get('Notice'), 'The code is wrong or has expired.')
        self.assertEqual(self.sb.login(self.user, self.pw)[0], 'done', 'the password is unchanged')

    def test_delivery_failure_is_told_at_the_next_step(self):
        self.sb.config_extra['delivery'] = {'sms': 'command:/bin/false'}
        try:
            self.sb.restart_daemon()
            path, (kind, prompt) = self.begin()
            self.assertEqual(prompt['Id'], 'code')
            time.sleep(0.3)
            kind, prompt = self.sb.step(path, '123456')
            self.assertEqual((kind, prompt['Error'], prompt['Message']),
                             ('failed', N.PG_ERROR_DELIVERY_FAILED,
                              'The code could not be sent. Try again later.'))
        finally:
            self.sb.config_extra.pop('delivery')


class Completion(RecoveryCase):
    def recover(self, contact=None, new=None):
        new = new or strong_password()
        self.sb.secrets.add(new)
        path, _ = self.begin(contact)
        code = self.sb.wait_code(contact or self.phone)
        for answer in (code, new, new):
            last = self.sb.step(path, answer)
        return path, last, new

    def test_done_changes_everything(self):
        signals = self.sb.record_signals()
        other = self.sb.manager('BeginConversation', 'ssa{sv}', 'login', self.user, CLIENT)
        self.sb.step(other)
        before = {m['file'] for m in self.sb.spool_messages()}
        _, (kind, prompt), new = self.recover()
        self.assertEqual((kind, prompt['User'], prompt['Message']),
                         ('done', self.user, 'Your password has been changed. Log in with the new password.'))
        signals.wait_for('PasswordChanged', [self.user, 'recovery'])
        # The conversation open meanwhile is gone.
        self.assertBusError(['org.freedesktop.DBus.Error.UnknownMethod',
                             'org.freedesktop.DBus.Error.UnknownObject'], self.sb.step, other, self.pw)
        self.assertEqual(self.sb.login(self.user, self.pw)[1]['Error'], N.PG_ERROR_AUTHENTICATION_FAILED)
        self.assertEqual(self.sb.login(self.user, new)[0], 'done')
        # Every registered contact is told, with no secret in it.
        notices = self.sb.wait_message(lambda m: 'one-time code' in m['body'] and m['file'] not in before)
        time.sleep(0.2)
        notices = [m for m in self.sb.spool_messages()
                   if m['file'] not in before and 'one-time code' in m['body']]
        self.assertEqual(sorted(m['To'] for m in notices), sorted([self.phone, self.email]))
        for m in notices:
            self.assertIsNone(re.search(r'\b\d{6}\b', m['body']))
            for s in (new, self.pw, self.passport, self.inn):
                self.assertNotIn(s, m['body'])
        events = [e[2] for e in self.sb.accounts('ListAudit', 'tu', 0, 0) if e[1] == self.user]
        for e in ('recovery-code-sent', 'recovery-code-accepted', 'password-changed'):
            self.assertIn(e, events)

    def test_sessions_terminated_when_configured(self):
        self.sb.start_logind()
        try:
            self.recover()
            time.sleep(0.3)
            self.assertEqual(self.sb.logind_calls(), [], 'not unless the admin asks for it')
            self.sb.config_extra['recovery'] = {'terminate_sessions_on_recovery': 'yes'}
            self.sb.restart_daemon()
            self.sb.advance_clock(3601)
            self.recover()
            uid = harness.sandbox.pwd.getpwnam(self.user).pw_uid
            deadline = time.monotonic() + 10
            while not self.sb.logind_calls() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(self.sb.logind_calls(), [('TerminateUser', [uid])])
        finally:
            self.sb.config_extra.pop('recovery', None)
            self.sb._stop_proc(self.sb.logind_proc)
            self.sb.logind_proc = None

    def test_every_password_change_notifies_every_contact(self):
        before = {m['file'] for m in self.sb.spool_messages()}
        new = strong_password()
        steps = self.sb.converse('change-password', self.user, [self.pw, new, new])
        self.assertEqual(steps[-1][0], 'done')
        time.sleep(0.3)
        notices = [m for m in self.sb.spool_messages() if m['file'] not in before]
        self.assertEqual(sorted(m['To'] for m in notices), sorted([self.phone, self.email]))
        self.assertTrue(all('was changed' in m['body'] for m in notices), notices)

    def test_secrets_written_nowhere(self):
        _, _, new = self.recover(self.email)
        code_bodies = [m['body'] for m in self.code_messages()]
        secrets = [new, self.pw, self.passport, harness.digits(self.passport), self.inn,
                   harness.digits(self.snils)]
        codes = [re.search(r'\d{6}', b).group(0) for b in code_bodies]
        for m in self.sb.spool_messages():
            for s in secrets + ([] if m['body'] in code_bodies else codes):
                self.assertNotIn(s, m['body'], m)
        audit = repr(self.sb.accounts('ListAudit', 'tu', 0, 0))
        log = self.sb.daemon_log()
        with open(os.path.join(self.sb.state_dir, 'data.mdb'), 'rb') as f:
            store = f.read()
        for s in secrets + codes:
            self.assertNotIn(s, audit)
            self.assertNotIn(s, log)
            self.assertNotIn(s.encode(), store)


class Enumeration(RecoveryCase):
    config = {'recovery': {'attempts_per_hour': '3'}}

    def prompts(self, contact, number):
        path = self.sb.manager('BeginConversation', 'ssa{sv}', 'recovery', '', CLIENT)
        steps = [self.sb.step(path), self.sb.step(path, contact), self.sb.step(path, 'passport'),
                 self.sb.step(path, number)]
        for _ in range(3):
            steps.append(self.sb.step(path, '000000'))
        return [(k, {key: v for key, v in p.items() if key != 'Message' or k == 'failed'}) for k, p in steps]

    def test_unknown_wrong_document_and_locked_look_alike(self):
        unknown = make_phone()
        shown_unknown = self.prompts(unknown, self.passport)
        shown_wrong = self.prompts(self.phone, make_passport())
        self.sb.accounts('LockAccount', 'ss', self.user, 'test')
        shown_locked = self.prompts(self.phone, self.passport)
        self.assertEqual(shown_wrong, shown_unknown)
        self.assertEqual(shown_locked, shown_unknown)
        self.assertEqual(self.code_messages(), [])

    def test_identifier_limit_counts_known_and_unknown_alike(self):
        unknown = make_phone()
        for contact, number in ((unknown, self.passport), (self.phone, make_passport())):
            for _ in range(3):
                _, (kind, prompt) = self.begin(contact, number=number)
                self.assertEqual(prompt['Id'], 'code')
            _, (kind, prompt) = self.begin(contact, number=number)
            self.assertEqual((kind, prompt['Error']), ('failed', N.PG_ERROR_RATE_LIMITED))
        self.sb.restart_daemon()
        _, (kind, prompt) = self.begin(self.phone, number=self.passport)
        self.assertEqual((kind, prompt['Error']), ('failed', N.PG_ERROR_RATE_LIMITED),
                         'limits survive a restart, and hold for the right document too')
        self.assertEqual(self.code_messages(), [])

    def test_caller_limit_for_other_uids(self):
        """[recovery] caller_attempts_per_hour bounds a non-root uid whatever it types; root (every
        login program) is bounded by the host's budget instead."""
        self.sb.config_extra['recovery'] = {'caller_attempts_per_hour': '2', 'attempts_per_hour': '20'}
        try:
            self.sb.restart_daemon()
            caller = self.sb.make_users(2)[1]
            M, C = harness.sandbox.IFACE_MANAGER, harness.sandbox.IFACE_CONVERSATION
            calls = []
            for i in range(3):
                n = len(calls)
                calls += [dict(iface=M, method='BeginConversation', sig='ssa{sv}',
                               args=['recovery', make_phone(), CLIENT])]
                calls += [dict(iface=C, method='Step', sig='a{sv}', args=[a], path={'ref': n})
                          for a in ({}, {'Value': 'passport'}, {'Value': make_passport()})]
            res = self.sb.call_seq(calls, caller)
            last = [r['value'] for i, r in enumerate(res) if i % 4 == 3]
            self.assertEqual([k for k, p in last], ['secret', 'secret', 'failed'], res)
            self.assertEqual(last[2][1]['Error'], N.PG_ERROR_RATE_LIMITED)
            for _ in range(3):              # root is not held by it
                self.assertEqual(self.begin(make_phone())[1][1]['Id'], 'code')
        finally:
            self.sb.config_extra['recovery'] = dict(self.config['recovery'])


class Timing(RecoveryCase):
    config = {'recovery': {'attempts_per_hour': '20', 'codes_per_hour': '10'}}

    def start(self, contact, number):
        path = self.sb.manager('BeginConversation', 'ssa{sv}', 'recovery', contact, CLIENT)
        self.sb.step(path)
        self.sb.step(path, 'passport')
        t0 = time.perf_counter()
        kind, prompt = self.sb.step(path, number)
        elapsed = time.perf_counter() - t0
        self.assertEqual(prompt['Id'], 'code')
        self.sb.call(harness.sandbox.IFACE_CONVERSATION, 'Cancel', path=path)
        return elapsed

    def test_known_and_unknown_take_the_same_time(self):
        known, unknown = [], []
        unknown_phone = make_phone()
        for i in range(200):
            self.sb.advance_clock(3601)     # a new hour each time: no limit in the way
            known.append(self.start(self.phone, self.passport))
            unknown.append(self.start(unknown_phone, self.passport))
        mk, mu = statistics.median(known), statistics.median(unknown)
        sys.stderr.write(f'recovery start medians: known {mk * 1000:.2f} ms, unknown {mu * 1000:.2f} ms\n')
        self.assertLess(abs(mk - mu), 0.005)
        self.wait_codes(200)            # the known one really sent its codes


class TemporaryPassword(RecoveryCase):
    def issue(self):
        before = {m['file'] for m in self.sb.spool_messages()}
        self.sb.accounts('IssueTemporaryPassword', 's', self.user)
        msg = self.sb.wait_message(lambda m: m['file'] not in before and 'Temporary passgate password' in m['body'])
        password = re.search(r'password: (\S+)', msg['body']).group(1)
        self.sb.secrets.add(password)
        return msg, password

    def test_goes_to_the_contact_and_must_be_changed(self):
        signals = self.sb.record_signals()
        msg, password = self.issue()
        self.assertEqual(msg['To'], self.email)
        signals.wait_for('PasswordChanged', [self.user, 'temporary'])
        kind, prompt = self.sb.login(self.user, password)
        self.assertEqual((kind, prompt['PasswordChangeRequired']), ('done', True))
        self.assertEqual(self.sb.login(self.user, self.pw)[0], 'failed')
        status = self.sb.manager('GetAccountStatus', 's', self.user)
        self.assertGreater(status['PasswordExpiresUSec'], 0)

    def test_expires(self):
        _, password = self.issue()
        self.sb.advance_clock(24 * 3600 + 1)
        self.assertEqual(self.sb.login(self.user, password)[1]['Error'], N.PG_ERROR_AUTHENTICATION_FAILED)

    def test_no_contact_changes_nothing(self):
        self.sb.accounts('UpdateAccount', 'sa{sv}', self.user,
                         harness.account_props(Phone='', Email=''))
        self.assertBusError([N.PG_ERROR_NO_CONTACT], self.sb.accounts, 'IssueTemporaryPassword', 's', self.user)
        self.assertEqual(self.sb.login(self.user, self.pw)[0], 'done')

    def test_failed_delivery_changes_nothing(self):
        self.sb.config_extra['delivery'] = {'email': 'command:/bin/false'}
        try:
            self.sb.restart_daemon()
            self.assertBusError([N.PG_ERROR_DELIVERY_FAILED], self.sb.accounts,
                                'IssueTemporaryPassword', 's', self.user)
            self.assertEqual(self.sb.login(self.user, self.pw)[0], 'done')
        finally:
            self.sb.config_extra.pop('delivery')


if __name__ == '__main__':
    harness.main()
