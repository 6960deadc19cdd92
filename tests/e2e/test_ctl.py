#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""passgatectl end to end against passgated on the sandbox bus: the admin verbs, --json output, and
the documented exit codes (0 ok, 1 other, 2 usage, 3 access denied, 4 no such account/unix user,
5 daemon unreachable, 6 refused input, 7 auth failed)."""
import json
import os
import re
import secrets
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import clients, digits, national_phone, strong_password  # noqa: E402

CODE = re.compile(r'\b(\d{6})\b')


class CtlCase(harness.TestCase):
    """A sandbox per class (root only: unix users and a second uid through runuser) with
    `n_users` throwaway users (the first is `user`, the second `other`), and a daemon on a fresh
    store for every test."""
    config = None
    n_users = 2

    @classmethod
    def setUpClass(cls):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: unix users and a second uid (runuser)')
        cls.sb = harness.Sandbox(daemon=False, config=cls.config).start()
        cls.addClassCleanup(cls.sb.close)
        cls.users = cls.sb.make_users(cls.n_users)
        cls.user, cls.other = (cls.users + [None])[:2]

    def setUp(self):
        if self.sb.daemon_proc is None:
            self.sb.start_daemon(fresh=True)
        else:
            self.sb.restart_daemon(fresh=True)


class Ctl(CtlCase):
    def setUp(self):
        super().setUp()
        self.phone = harness.make_phone()
        self.email = f'olga.{secrets.token_hex(3)}@example.org'
        self.snils = harness.make_snils()
        self.passport = harness.make_passport()
        self.inn = harness.make_inn()
        self.pw = strong_password()

    def tearDown(self):
        self.assertNoLeaks(self.sb, [self.passport, digits(self.passport), digits(self.snils), self.inn])

    def ctl(self, *args, rc=0, **kw):
        res = self.sb.ctl(*args, **kw)
        self.assertEqual(res.rc, rc, res)
        return res

    def add(self):
        self.ctl('user', 'add', self.user, '--full-name', 'Ольга Сергеевна', '--phone', national_phone(self.phone),
                 '--email', self.email, '--snils', self.snils, '--passport', self.passport, '--inn', self.inn)
        self.sb.secrets.add(self.pw)
        self.ctl('user', 'passwd', self.user, '--password-stdin', input=self.pw + '\n')

    def test_add_show_list(self):
        self.add()
        show = self.ctl('--json', 'user', 'show', self.user).json
        self.assertIsInstance(show, dict)
        self.assertEqual(show['FullName'], 'Ольга Сергеевна')
        text = self.ctl('user', 'show', self.user).stdout
        for out in (repr(show), text):
            d = digits(out)
            for secret in (digits(self.phone)[1:], digits(self.snils), digits(self.passport), self.inn):
                self.assertNotIn(secret, d)
            self.assertNotIn(self.email.split('@')[0], out)
        self.assertIn(self.user, self.ctl('--json', 'user', 'list').json)
        self.assertIn(self.user, self.ctl('user', 'list').stdout)
        self.assertEqual(self.sb.login(self.phone, self.pw)[1].get('User'), self.user)

    def test_update(self):
        self.add()
        phone2 = harness.make_phone()
        self.ctl('user', 'update', self.user, '--phone', phone2, '--full-name', 'Ольга Петрова')
        self.assertEqual(self.ctl('--json', 'user', 'show', self.user).json['FullName'], 'Ольга Петрова')
        self.assertEqual(self.sb.login(phone2, self.pw)[0], 'done')

    def test_passwd_stdin_must_change_and_status(self):
        self.add()
        pw2 = strong_password()
        self.sb.secrets.add(pw2)
        self.ctl('user', 'passwd', self.user, '--must-change', '--password-stdin', input=pw2 + '\n')
        st = self.ctl('--json', 'status', self.user).json
        self.assertTrue(st['PasswordChangeRequired'])
        kind, prompt = self.sb.login(self.user, pw2)
        self.assertEqual(kind, 'done')
        self.assertTrue(prompt['PasswordChangeRequired'])

    def test_expire_lock_unlock_delete(self):
        self.add()
        self.ctl('user', 'expire', self.user)
        self.assertTrue(self.sb.manager('GetAccountStatus', 's', self.user)['PasswordChangeRequired'])
        self.ctl('user', 'lock', self.user, '--reason', 'on holiday')
        self.assertTrue(self.ctl('--json', 'status', self.user).json['Locked'])
        self.assertEqual(self.sb.login(self.user, self.pw)[0], 'failed')
        self.ctl('user', 'unlock', self.user)
        self.assertFalse(self.ctl('--json', 'status', self.user).json['Locked'])
        self.ctl('user', 'delete', self.user)
        self.assertNotIn(self.user, self.ctl('--json', 'user', 'list').json)

    def test_audit(self):
        self.add()
        self.ctl('user', 'lock', self.user, '--reason', 'audit')
        out = self.ctl('--json', 'audit', '--max', '2').json
        self.assertEqual(len(out), 2, out)
        self.assertIn('lock', self.ctl('audit').stdout)

    def test_policy_and_generate_as_unprivileged_user(self):
        pol = self.ctl('--json', 'policy', user=self.other).json
        self.assertGreaterEqual(pol['MinLength'], 15)
        pw = self.ctl('generate', user=self.other).stdout.strip()
        self.sb.secrets.add(pw)
        self.assertGreaterEqual(len(pw), pol['MinLength'])

    def test_owner_sees_own_status(self):
        self.add()
        st = self.ctl('--json', 'status', user=self.user).json
        self.assertFalse(st['Locked'])

    # ------------------------------------------------------------- exit codes

    def test_exit_2_usage(self):
        self.ctl('frobnicate', rc=2)
        self.ctl('user', 'add', rc=2)
        self.ctl('user', 'show', self.user, '--phone', '1', rc=2)

    def test_exit_3_access_denied(self):
        self.add()
        self.ctl('user', 'lock', self.user, user=self.other, rc=3)
        self.ctl('user', 'add', self.other, user=self.other, rc=3)
        self.ctl('status', self.user, user=self.other, rc=3)
        self.assertFalse(self.sb.manager('GetAccountStatus', 's', self.user)['Locked'])

    def test_exit_4_no_such(self):
        self.ctl('user', 'add', 'pgnosuchuser', rc=4)
        self.ctl('user', 'show', self.user, rc=4)
        self.ctl('user', 'lock', self.user, rc=4)

    def test_exit_5_unreachable(self):
        self.sb.stop_daemon()
        self.ctl('user', 'list', rc=5)
        self.ctl('policy', rc=5)
        self.ctl('policy', rc=5, env={'DBUS_SYSTEM_BUS_ADDRESS': f'unix:path={self.sb.tmp}/none'})

    def test_exit_6_refused(self):
        self.ctl('user', 'add', self.user, '--phone', '12345', rc=6)
        self.assertEqual(self.ctl('--json', 'user', 'list').json, [])
        self.add()
        self.ctl('user', 'add', self.user, rc=6)   # exists
        self.ctl('user', 'add', self.other, '--phone', self.phone, rc=6)   # identifier in use
        self.ctl('user', 'passwd', self.user, '--password-stdin', input='short\n', rc=6)
        self.assertEqual(self.sb.login(self.user, self.pw)[0], 'done')

    # ------------------------------------------------------------- recover, user temporary

    def env_for_ctl(self):
        env = self.sb.base_env()
        if self.sb.sanitizer_preload():
            env['LD_PRELOAD'] = ':'.join(self.sb.sanitizer_preload())
        return env

    def new_messages(self, before, timeout=10, code=False, **match):
        """Spool messages not in `before` (a set of file names) whose headers match (and that carry
        a code, if asked), once there is one, or none after timeout."""
        deadline = time.monotonic() + timeout
        while True:
            got = [m for m in self.sb.spool_messages() if m['file'] not in before
                   and all(m.get(k) == v for k, v in match.items()) and (not code or CODE.search(m['body']))]
            if got or time.monotonic() > deadline:
                return got
            time.sleep(0.05)

    def spool_names(self):
        """The messages in the spool once it is quiet: notices are sent after the reply."""
        names = None
        while True:
            now = {m['file'] for m in self.sb.spool_messages()}
            if now == names:
                return names
            names = now
            time.sleep(0.3)

    def wait_code(self, to, before):
        msgs = self.new_messages(before, To=to, code=True)
        self.assertEqual(len(msgs), 1, f'one code to {to}: {self.sb.spool_messages()}')
        code = CODE.search(msgs[0]['body']).group(1)
        self.sb.secrets.add(code)
        return code

    def recover_piped(self, args, before_code, after_code, to, user=None):
        """passgatectl recover ARGS with answers on a pipe, as a script would type them: the ones
        before the code, then the code from the spool, then the rest. Returns (rc, out, err)."""
        argv = [self.sb.ctl_bin, *args]
        if user is not None:
            pre = self.sb.sanitizer_preload()
            argv = ['runuser', '-u', user, '--'] + (['env', f'LD_PRELOAD={":".join(pre)}'] if pre else []) + argv
        before = self.spool_names()
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=self.env_for_ctl() if user is None else self.sb.base_env(),
                             cwd=self.sb.tmp)
        try:
            p.stdin.write(''.join(a + '\n' for a in before_code))
            p.stdin.flush()
            code = self.wait_code(to, before)
            out, err = p.communicate(''.join(a + '\n' for a in [code, *after_code]), timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        return p.returncode, out, err

    def test_recover_as_any_user(self):
        self.add()
        new = strong_password()
        self.sb.secrets.add(new)
        # Not root, no polkit, not the account's owner: recovery asks nobody's permission.
        rc, out, err = self.recover_piped(['recover'], [national_phone(self.phone), 'passport', self.passport],
                                          [new, new], to=self.phone, user=self.other)
        self.assertEqual(rc, 0, (out, err))
        self.assertIn(clients.message('MSG_RECOVERED'), out)
        self.assertNotIn(new, out + err)
        self.assertEqual(self.sb.login(self.user, self.pw)[0], 'failed')
        kind, prompt = self.sb.login(self.phone, new)
        self.assertEqual((kind, prompt.get('User')), ('done', self.user), prompt)

    def test_recover_generate(self):
        self.add()
        # The e-mail as LOGIN: no question for it, and the code goes there.
        rc, out, err = self.recover_piped(['--json', 'recover', '--generate', self.email],
                                          ['snils', self.snils], [], to=self.email)
        self.assertEqual(rc, 0, (out, err))
        generated = json.loads(out)
        self.sb.secrets.add(generated)
        self.assertIn(clients.message('MSG_RECOVERED'), err)
        self.assertEqual(self.sb.login(self.user, self.pw)[0], 'failed')
        self.assertEqual(self.sb.login(self.email, generated)[0], 'done')

    def recover_on_terminal(self, passport):
        """recover on a pseudo-terminal up to the code prompt; returns the Terminal and what it
        showed, the typed document number replaced."""
        clients.need_pexpect()
        env = self.env_for_ctl()
        env['TERM'] = 'dumb'
        term = clients.Terminal([self.sb.ctl_bin, 'recover'], env, cwd=self.sb.tmp)
        self.addCleanup(term.close)
        term.answer(re.escape(clients.message('MSG_ASK_CONTACT')), national_phone(self.phone))
        term.answer(re.escape(clients.message('MSG_ASK_DOCUMENT_TYPE')), '1')
        term.answer(re.escape(clients.message('MSG_ASK_PASSPORT')), passport)
        term.expect(r'"resend" for a new one\): ', 'the code prompt')
        return term, term.text().replace(passport, 'DOCUMENT')

    def test_recover_wrong_document_looks_the_same(self):
        self.add()
        before = self.spool_names()
        term, real = self.recover_on_terminal(self.passport)
        self.wait_code(self.phone, before)
        term.close()

        wrong = self.passport
        while wrong == self.passport:
            wrong = harness.make_passport()
        before = self.spool_names()
        term, shown = self.recover_on_terminal(wrong)
        self.assertEqual(shown, real)
        verdicts = [re.escape(clients.message('MSG_CODE_WRONG')), re.escape(clients.message('MSG_CODE_BURNED'))]
        for _ in range(5):
            term.send_line('123456')
            if term.expect(verdicts, 'the verdict on the code') == 1:
                break
        self.assertEqual(term.finish(), 7, term.text())
        self.assertEqual(self.new_messages(before, timeout=1), [])
        self.assertEqual(self.sb.login(self.user, self.pw)[0], 'done')

    def test_user_temporary(self):
        self.add()
        before = self.spool_names()
        res = self.ctl('user', 'temporary', self.user)
        subject = clients.message('MSG_MAIL_TEMPORARY_SUBJECT')
        sent = self.new_messages(before, Subject=subject)
        self.assertEqual([(m['To'], m['Channel']) for m in sent], [(self.email, 'email')], sent)
        temporary = re.search(r': (\S+)\n', sent[0]['body']).group(1)
        self.sb.secrets.add(temporary)
        self.assertEqual(len(res.stdout.splitlines()), 1, res)
        self.assertNotIn(temporary, res.stdout + res.stderr)
        self.assertTrue(self.sb.manager('GetAccountStatus', 's', self.user)['PasswordChangeRequired'])
        kind, prompt = self.sb.login(self.user, temporary)
        self.assertEqual(kind, 'done', prompt)
        self.assertTrue(prompt['PasswordChangeRequired'])
        # Notices about it may go to every contact, never with the password.
        others = self.spool_names() - before - {sent[0]['file']}
        self.assertEqual([m for m in self.sb.spool_messages() if m['file'] in others and temporary in m['body']], [])

    def test_user_temporary_no_contact(self):
        self.ctl('user', 'add', self.user)
        self.sb.secrets.add(self.pw)
        self.ctl('user', 'passwd', self.user, '--password-stdin', input=self.pw + '\n')
        before = self.spool_names()
        res = self.ctl('user', 'temporary', self.user, rc=6)
        self.assertIn('no phone or e-mail', res.stderr)
        self.assertEqual(res.stdout, '')
        self.assertEqual(self.new_messages(before, timeout=1), [])
        self.assertFalse(self.sb.manager('GetAccountStatus', 's', self.user)['PasswordChangeRequired'])
        self.assertEqual(self.sb.login(self.user, self.pw)[0], 'done')

    def test_user_temporary_denied_without_polkit(self):
        self.add()
        before = self.spool_names()
        res = self.ctl('user', 'temporary', self.user, user=self.other, rc=3)
        self.assertEqual(res.stdout, '')
        self.assertEqual(self.new_messages(before, timeout=1), [])
        self.assertFalse(self.sb.manager('GetAccountStatus', 's', self.user)['PasswordChangeRequired'])
        self.assertEqual(self.sb.login(self.user, self.pw)[0], 'done')


class Support(CtlCase):
    """passgatectl support: the contacts for anyone; verify and send-code for agents (root here,
    refused to another uid without polkit), with their exit codes."""
    CONTACTS = {'hotline': '8 800 555-35-35', 'abroad': '+7 495 555-35-35',
                'chat': 'https://support.example.org/chat'}
    NAME = 'Ольга Сергеевна Алёшина'

    config = {'support': dict(CONTACTS, verify_account_per_hour='5')}

    def setUp(self):
        super().setUp()
        self.phone = harness.make_phone()
        self.passport = harness.make_passport()
        self.snils = harness.make_snils()
        self.sb.create_account(self.user, strong_password(), FullName=self.NAME, Phone=self.phone,
                               Documents={'passport': self.passport, 'snils': self.snils})

    def tearDown(self):
        self.assertNoLeaks(self.sb, [self.NAME, self.passport, digits(self.passport), digits(self.snils),
                                     'ольга сергеевна алешина'])

    def ctl(self, *args, rc=0, **kw):
        res = self.sb.ctl(*args, **kw)
        self.assertEqual(res.rc, rc, res)
        return res

    def test_contacts_for_anyone(self):
        res = self.ctl('support', user=self.other)
        self.assertEqual(res.stdout, 'Hotline: 8 800 555-35-35\nFrom abroad: +7 495 555-35-35\n'
                                     'Chat: https://support.example.org/chat\n')
        self.assertEqual(self.ctl('--json', 'support', user=self.other).json, self.CONTACTS)

    def test_no_contacts(self):
        try:
            self.sb.config_extra.pop('support')
            self.sb.restart_daemon()
            self.assertEqual(self.ctl('support').stdout, clients.message('MSG_CTL_SUPPORT_NONE') + '\n')
            self.assertEqual(self.ctl('--json', 'support').json, {})
        finally:
            self.sb.config_extra['support'] = dict(self.CONTACTS, verify_account_per_hour='5')

    def test_verify_match_0_no_match_7(self):
        res = self.ctl('support', 'verify', self.user, '--full-name', '  ОЛЬГА сергеевна  Алешина',
                       '--passport', self.passport)
        self.assertEqual(res.stdout, 'match\n')
        self.assertEqual(self.ctl('--json', 'support', 'verify', national_phone(self.phone), '--full-name', self.NAME,
                                  '--snils', digits(self.snils)).json, {'match': True})
        wrong = self.ctl('support', 'verify', self.user, '--full-name', 'Ольга Алёшина', '--passport',
                         self.passport, rc=7)
        unknown = self.ctl('support', 'verify', harness.make_phone(), '--full-name', self.NAME, '--passport',
                           self.passport, rc=7)
        self.assertEqual((wrong.stdout, wrong.stderr), ('no match\n', ''))
        self.assertEqual((unknown.stdout, unknown.stderr), (wrong.stdout, wrong.stderr))
        self.assertEqual(self.ctl('--json', 'support', 'verify', self.user, '--full-name', self.NAME,
                                  '--snils', harness.make_snils(), rc=7).json, {'match': False})
        self.assertNotIn(self.passport, repr(self.sb.accounts('ListAudit', 'tu', 0, 0)))

    def test_verify_usage_2(self):
        for args in (['support', 'verify', self.user, '--passport', self.passport],
                     ['support', 'verify', self.user, '--full-name', self.NAME],
                     ['support', 'verify', self.user, '--full-name', self.NAME, '--passport', self.passport,
                      '--snils', self.snils],
                     ['support', 'verify', '--full-name', self.NAME, '--passport', self.passport],
                     ['support', '--full-name', self.NAME],
                     ['support', 'send-code', self.user, '--passport', self.passport],
                     ['support', 'bogus']):
            with self.subTest(args=args):
                self.assertEqual(self.ctl(*args, rc=2).stdout, '')
        self.assertEqual([e for e in self.sb.accounts('ListAudit', 'tu', 0, 0) if e[2].startswith('support')], [])

    def test_verify_rate_limited_6_and_denied_3(self):
        for _ in range(5):
            self.ctl('support', 'verify', self.user, '--full-name', self.NAME, '--passport', self.passport)
        res = self.ctl('support', 'verify', self.user, '--full-name', self.NAME, '--passport', self.passport,
                       rc=6)
        self.assertEqual(res.stdout, '')
        self.ctl('support', 'verify', self.user, '--full-name', self.NAME, '--passport', self.passport,
                 user=self.other, rc=3)
        self.ctl('support', 'send-code', self.user, user=self.other, rc=3)

    def test_send_code_tells_nothing(self):
        before = {m['file'] for m in self.sb.spool_messages()}
        known = self.ctl('support', 'send-code', self.user)
        msgs = [m for m in self.sb.spool_messages() if m['file'] not in before]
        deadline = time.monotonic() + 10
        while not any(CODE.search(m['body']) for m in msgs) and time.monotonic() < deadline:
            time.sleep(0.05)
            msgs = [m for m in self.sb.spool_messages() if m['file'] not in before]
        sent = [m for m in msgs if CODE.search(m['body'])]
        self.assertEqual([(m['To'], m['Channel']) for m in sent], [(self.phone, 'sms')])
        self.sb.secrets.add(CODE.search(sent[0]['body']).group(1))
        unknown_login = harness.make_phone()
        unknown = self.ctl('support', 'send-code', unknown_login)
        self.assertEqual(unknown.stdout.replace(unknown_login, 'LOGIN'), known.stdout.replace(self.user, 'LOGIN'))
        self.assertNotIn(self.phone[-4:], known.stdout)
        self.assertEqual(self.ctl('--json', 'support', 'send-code', unknown_login).stdout, '')
        time.sleep(0.3)
        self.assertEqual(len([m for m in self.sb.spool_messages() if CODE.search(m['body'])]), 1)


class Appointments(CtlCase):
    """A person without an account lists the service centers and books an appointment with
    passgatectl as a non-root uid, then cancels it; root (an admin) sets the center up."""
    CENTER = {'Id': 'tverskoy', 'Name': 'Центр госуслуг «Тверской»',
              'Address': 'Москва, ул. Тверская, д. 1', 'Hours': 'Пн-Пт 9:00-18:00',
              'Phone': '+7 495 123-45-67'}
    NAME = 'Зиновий Аркадьевич Квартирмейстер'
    COUPON = re.compile(r'\b([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{2})\b')

    n_users = 1

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.person = cls.user      # a unix user without a passgate account

    def setUp(self):
        super().setUp()
        self.phone = harness.make_phone()
        self.private = [self.NAME, self.phone, national_phone(self.phone)]

    def tearDown(self):
        self.assertNoLeaks(self.sb, self.private)

    def ctl(self, *args, rc=0, **kw):
        res = self.sb.ctl(*args, **kw)
        self.assertEqual(res.rc, rc, res)
        return res

    def set_up_center(self):
        c = self.CENTER
        self.ctl('center', 'add', c['Id'], '--name', c['Name'], '--address', c['Address'], '--hours',
                 c['Hours'], '--phone', c['Phone'])
        day = time.strftime('%Y-%m-%d', time.localtime(time.time() + 24 * 3600))     # tomorrow
        # From stdin, and as SLOT PLACES pairs (the slot quoted, or as two words).
        self.ctl('center', 'schedule', c['Id'], input=f'# tomorrow\n{day} 10:00 1\n\n{day} 10:30 2\n')
        self.ctl('center', 'schedule', c['Id'], f'{day} 11:00', '3', day, '11:30', '0')
        return day

    @staticmethod
    def usec(day, hhmm):
        """A local time as µs since the epoch."""
        return int(time.mktime(time.strptime(f'{day} {hhmm}', '%Y-%m-%d %H:%M'))) * 1_000_000

    def free(self, user=None):
        return {s['StartUSec']: s['Free']
                for s in self.ctl('--json', 'slots', self.CENTER['Id'], user=user).json}

    def test_person_without_account_books_and_cancels(self):
        day = self.set_up_center()
        c = self.CENTER

        listed = self.ctl('centers', user=self.person).stdout
        for value in c.values():
            self.assertIn(value, listed)
        self.assertEqual(self.ctl('--json', 'centers', user=self.person).json, [c])

        table = self.ctl('slots', c['Id'], user=self.person).stdout
        self.assertRegex(table, rf'{day} 10:00 +1\n')
        self.assertRegex(table, rf'{day} 11:00 +3\n')
        self.assertEqual(self.free(self.person), {self.usec(day, '10:00'): 1, self.usec(day, '10:30'): 2,
                                                  self.usec(day, '11:00'): 3})
        tomorrow = self.ctl('--json', 'slots', c['Id'], '--from', day, '--to', day, user=self.person)
        self.assertEqual(len(tomorrow.json), 3)
        self.assertEqual(self.ctl('--json', 'slots', c['Id'], '--from', f'{day} 10:01', '--to', f'{day} 11:00',
                                  user=self.person).json, [{'StartUSec': self.usec(day, '10:30'), 'Free': 2}])

        # The slot as `slots` shows it, unquoted; the phone in national form.
        res = self.ctl('book', c['Id'], day, '10:00', '--full-name', self.NAME, '--contact',
                       national_phone(self.phone), user=self.person)
        coupon = self.COUPON.search(res.stdout).group(1)
        self.private.append(coupon)
        msg = self.sb.wait_message(lambda m: m.get('To') == self.phone)
        self.assertIn(coupon, msg['body'])
        self.assertIn(c['Address'], msg['body'])
        self.assertEqual(self.free(self.person)[self.usec(day, '10:00')], 0)

        # Full now: refused (6); the same contact may book another slot, with --json.
        other = harness.make_phone()
        self.private.append(other)
        self.ctl('book', c['Id'], f'{day} 10:00', '--full-name', self.NAME, '--contact', other,
                 user=self.person, rc=6)
        second = self.ctl('--json', 'book', c['Id'], f'@{self.usec(day, "10:30")}', '--full-name', self.NAME,
                          '--contact', self.phone, user=self.person).json['Coupon']
        self.private.append(second)
        self.assertRegex(second, self.COUPON)

        # Cancelling gives the place back; a coupon works once (4 afterwards).
        self.assertEqual(self.ctl('cancel', coupon, user=self.person).stdout, '')
        self.assertEqual(self.free(self.person)[self.usec(day, '10:00')], 1)
        self.ctl('cancel', coupon, user=self.person, rc=4)
        self.ctl('cancel', second.lower().replace('-', ''), user=self.person)
        self.assertEqual(self.free(), {self.usec(day, '10:00'): 1, self.usec(day, '10:30'): 2,
                                       self.usec(day, '11:00'): 3})
        events = [e[2] for e in self.sb.accounts('ListAudit', 'tu', 0, 0)]
        self.assertEqual(events.count('appointment-booked'), 2)
        self.assertEqual(events.count('appointment-cancelled'), 2)

    def test_errors_and_admin_only(self):
        day = self.set_up_center()
        c = self.CENTER
        for args in (['book', c['Id'], f'{day} 10:00', '--full-name', self.NAME],
                     ['book', c['Id'], f'{day} 10:00', '--contact', self.phone],
                     ['book', c['Id'], f'{day} 25:00', '--full-name', self.NAME, '--contact', self.phone],
                     ['book', c['Id'], 'tomorrow', '--full-name', self.NAME, '--contact', self.phone],
                     ['slots', c['Id'], '--from', 'yesterday'],
                     ['slots', c['Id'], '--contact', self.phone],
                     ['center', 'add', 'x', '--name', 'X'],
                     ['center', 'schedule', c['Id'], f'{day} 12:00'],
                     ['center', 'schedule', c['Id'], f'{day} 12:00', 'many'],
                     ['cancel']):
            with self.subTest(args=args):
                self.assertEqual(self.ctl(*args, user=self.person, rc=2).stdout, '')
        self.ctl('center', 'schedule', c['Id'], rc=2, input='tomorrow 10:00 3\n')
        self.ctl('slots', 'no-such', user=self.person, rc=4)
        self.ctl('book', c['Id'], f'{day} 10:15', '--full-name', self.NAME, '--contact', self.phone,
                 user=self.person, rc=4)
        self.ctl('book', c['Id'], f'{day} 10:00', '--full-name', self.NAME, '--contact', 'not a phone',
                 user=self.person, rc=6)
        self.ctl('center', 'add', c['Id'], '--name', 'X', '--address', 'Y', '--hours', 'Z', '--phone',
                 c['Phone'], rc=6)
        self.ctl('center', 'schedule', c['Id'], f'{day} 12:00', '1001', rc=6)
        # Admin verbs as a person without the right: access denied (3), nothing changed.
        self.ctl('center', 'add', 'other', '--name', 'X', '--address', 'Y', '--hours', 'Z', '--phone',
                 c['Phone'], user=self.person, rc=3)
        self.ctl('center', 'schedule', c['Id'], f'{day} 12:00', '5', user=self.person, rc=3)
        self.ctl('center', 'remove', c['Id'], user=self.person, rc=3)
        self.assertEqual(len(self.free()), 3)
        self.assertEqual([x['Id'] for x in self.ctl('--json', 'centers').json], [c['Id']])
        self.ctl('center', 'remove', c['Id'])
        self.assertEqual(self.ctl('--json', 'centers', user=self.person).json, [])
        self.ctl('center', 'remove', c['Id'], rc=4)


class ResetRequests(CtlCase):
    """passgatectl request file|list|cancel: a clerk (root here) files a reset for a person whose
    documents were checked; the account's owner or the clerk cancels it; strangers are refused."""
    CENTER = 'arbat'

    def setUp(self):
        super().setUp()
        self.phone = harness.make_phone()
        self.email = f'olga.{secrets.token_hex(3)}@example.net'
        self.passport = harness.make_passport()
        self.snils = harness.make_snils()
        self.desk = harness.make_phone()
        self.sb.create_account(self.user, strong_password(), Phone=self.phone, Email=self.email,
                               Documents={'passport': self.passport, 'snils': self.snils})
        self.sb.call(harness.N.PG_IFACE_SERVICECENTERS, 'AddCenter', 'sssss', self.CENTER,
                     'Центр на Арбате', 'Арбат, 1', 'Пн-Пт 9-18', '+74950000001')

    def tearDown(self):
        self.assertNoLeaks(self.sb, [self.passport, digits(self.passport), self.snils, digits(self.snils),
                                     self.desk, digits(self.desk)])

    def ctl(self, *args, rc=0, **kw):
        res = self.sb.ctl(*args, **kw)
        self.assertEqual(res.rc, rc, res)
        return res

    def file(self, *extra, rc=0, user=None, snils=None):
        return self.ctl('request', 'file', self.CENTER, self.user, '--passport', self.passport, '--snils',
                        snils or self.snils, *extra, rc=rc, user=user)

    def test_file_list_cancel(self):
        res = self.file()
        request = re.search(r'Request ([0-9a-f]{16}) filed', res.stdout).group(1)
        self.assertIn('passgatectl request cancel', res.stdout)
        filed = self.ctl('--json', 'request', 'file', self.CENTER, national_phone(self.phone), '--passport',
                         self.passport, '--snils', self.snils, '--contact', national_phone(self.desk)).json
        self.assertEqual(set(filed), {'Request', 'DeadlineUSec'})
        self.assertNotEqual(filed['Request'], request)      # it replaced the first one
        (listed,) = self.ctl('--json', 'request', 'list').json
        self.assertEqual({k: listed[k] for k in ('Request', 'Center', 'User', 'State')},
                         {'Request': filed['Request'], 'Center': self.CENTER, 'User': self.user,
                          'State': 'pending'})
        self.assertEqual(listed['Contact'], f'+7 *** ***-**-{self.desk[-2:]}')
        self.assertEqual(listed['ApplyUSec'] - listed['FiledUSec'], 3600 * 1000000)
        table = self.ctl('request', 'list').stdout.splitlines()
        self.assertEqual(table[0].split(), ['REQUEST', 'CENTER', 'USER', 'FILED', 'APPLY', 'STATE', 'CONTACT'])
        self.assertIn(filed['Request'], table[1])
        self.assertNotIn(self.desk, '\n'.join(table))
        self.assertEqual(self.ctl('request', 'cancel', filed['Request']).stdout, '')
        self.assertEqual(self.ctl('--json', 'request', 'list').json, [])
        self.ctl('request', 'cancel', filed['Request'], rc=4)

    def test_owner_cancels_strangers_are_refused(self):
        request = self.ctl('--json', 'request', 'file', self.CENTER, self.user, '--passport', self.passport,
                           '--snils', self.snils).json['Request']
        self.file(user=self.other, rc=3)
        self.ctl('request', 'list', user=self.other, rc=3)
        denied = self.ctl('request', 'cancel', request, user=self.other, rc=3)
        unknown = self.ctl('request', 'cancel', '0123456789abcdef', user=self.other, rc=3)
        self.assertEqual(denied.stderr, unknown.stderr)
        self.ctl('request', 'cancel', request, user=self.user)
        self.assertEqual(self.ctl('--json', 'request', 'list').json, [])

    def test_documents_mismatch_7(self):
        other = harness.make_snils()
        self.sb.secrets.update({other, digits(other)})
        res = self.file(snils=other, rc=7)
        self.assertEqual(res.stdout, '')
        self.assertIn('documents do not match', res.stderr)
        self.ctl('request', 'file', self.CENTER, harness.make_phone(), '--passport', self.passport, '--snils',
                 self.snils, rc=7)
        self.ctl('request', 'file', 'nowhere', self.user, '--passport', self.passport, '--snils', self.snils,
                 rc=4)
        self.file('--contact', 'not a contact', rc=6)
        self.assertEqual(self.ctl('--json', 'request', 'list').json, [])

    def test_usage_2(self):
        for args in (['request', 'file', self.CENTER, self.user, '--passport', self.passport],
                     ['request', 'file', self.CENTER, self.user, '--snils', self.snils],
                     ['request', 'file', self.CENTER, '--passport', self.passport, '--snils', self.snils],
                     ['request', 'file', self.CENTER, self.user, '--passport', self.passport, '--snils',
                      self.snils, '--inn', harness.make_inn()],
                     ['request', 'list', 'extra'],
                     ['request', 'list', '--contact', self.desk],
                     ['request', 'cancel'],
                     ['request', 'bogus'],
                     ['request']):
            with self.subTest(args=args):
                self.assertEqual(self.ctl(*args, rc=2).stdout, '')
        self.assertEqual([e for e in self.sb.accounts('ListAudit', 'tu', 0, 0) if 'request' in e[2]], [])


if __name__ == '__main__':
    harness.main()
