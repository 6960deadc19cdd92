#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""passgatectl end to end against passgated on the sandbox bus: the admin verbs, --json output, and
the documented exit codes (0 ok, 1 other, 2 usage, 3 access denied, 4 no such account/unix user,
5 daemon unreachable, 6 refused input, 7 auth failed)."""
import os
import secrets
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import digits, national_phone, strong_password  # noqa: E402


class Ctl(harness.TestCase):
    @classmethod
    def setUpClass(cls):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: unix users and a second uid (runuser)')
        cls.sb = harness.Sandbox(daemon=False).start()
        cls.addClassCleanup(cls.sb.close)
        cls.user, cls.other = cls.sb.make_users(2)

    def setUp(self):
        if self.sb.daemon_proc is None:
            self.sb.start_daemon(fresh=True)
        else:
            self.sb.restart_daemon(fresh=True)
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


if __name__ == '__main__':
    harness.main()
