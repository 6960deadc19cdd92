#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The README's common-auth, common-account and common-password, run by the real libpam (through
pam_wrapper) with the real pam_unix: passgate users log in and change their password with passgate,
users passgate does not know with their unix password, and unix users keep working while passgated
is down. passgatectl doctor judges the same stacks good. Root only: pam_unix reads /etc/shadow."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

import harness  # noqa: E402
import sources  # noqa: E402
from harness.pamcase import ASK_NEW, ASK_OLD, ASK_PASSWORD, ASK_REPEAT  # noqa: E402

OK = 'PAM_SUCCESS'


class ReadmeStacks(harness.TestCase):
    @classmethod
    def setUpClass(cls):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: unix users with unix passwords, read by pam_unix')
        cls.sb = harness.Sandbox(daemon=False).start()
        cls.addClassCleanup(cls.sb.close)
        cls.services = os.path.join(cls.sb.tmp, 'services')
        os.mkdir(cls.services, 0o755)
        stack = ''
        for name in ('common-auth', 'common-account', 'common-password'):
            stack += sources.readme_pam_files()[name]
        # pam_wrapper reads one directory of service files and wants modules by path.
        with open(os.path.join(cls.services, 'login'), 'w', encoding='utf-8') as f:
            f.write(stack.replace('pam_passgate.so', cls.sb.module_path))
        with open(os.path.join(cls.services, 'other'), 'w', encoding='utf-8') as f:
            f.write(''.join(f'{t} required pam_deny.so\n' for t in ('auth', 'account', 'password', 'session')))

    def setUp(self):
        if self.sb.daemon_proc is None:
            self.sb.start_daemon(fresh=True)
        self.passgate_user, self.unix_user = self.sb.make_users(2)
        self.pw = harness.strong_password()
        self.sb.create_account(self.passgate_user, self.pw, FullName='Анна Смирнова')
        # What the README has the admin do: passgate users' unix passwords are locked.
        self.unix_pw = 'unix-' + harness.strong_password()
        self.chpasswd(self.unix_user, self.unix_pw)

    @staticmethod
    def chpasswd(user, password):
        subprocess.run(['chpasswd'], input=f'{user}:{password}\n', text=True, check=True)

    def pam(self, user, answers, password=False, as_user=None):
        return self.sb.pam('login', user=user, answers=answers, password=password, as_user=as_user,
                           env={'PAM_WRAPPER_SERVICE_DIR': self.services})

    def assertLoggedIn(self, res, user):
        self.assertPam(res, auth=OK, acct=OK)
        self.assertEqual((res.user, res.rc), (user, 0), repr(res))

    def test_passgate_user(self):
        res = self.pam(self.passgate_user, [self.pw])
        self.assertLoggedIn(res, self.passgate_user)
        self.assertEqual(res.prompts(), [('PROMPT_ECHO_OFF', ASK_PASSWORD)])
        res = self.pam(self.passgate_user, ['wrong ' + self.pw])
        self.assertNotEqual(res.rc, 0, repr(res))
        self.assertNotEqual(res.auth, OK)

    def test_user_passgate_does_not_know(self):
        res = self.pam(self.unix_user, [self.unix_pw])
        self.assertLoggedIn(res, self.unix_user)
        # One prompt: pam_unix takes the password typed for pam_passgate.so.
        self.assertEqual(len(res.prompts()), 1, repr(res))
        self.assertNotEqual(self.pam(self.unix_user, ['wrong ' + self.unix_pw]).rc, 0)

    def test_daemon_down(self):
        self.sb.stop_daemon()
        self.assertLoggedIn(self.pam(self.unix_user, [self.unix_pw]), self.unix_user)
        # A passgate user's unix password is locked: no way in, with either password.
        self.assertNotEqual(self.pam(self.passgate_user, [self.pw]).rc, 0)

    def test_forced_change_at_login(self):
        self.sb.set_password(self.passgate_user, self.pw, must_change=True)
        new = harness.strong_password()
        self.sb.secrets.add(new)
        res = self.pam(self.passgate_user, [self.pw, self.pw, new, new])
        self.assertPam(res, auth=OK, acct='PAM_NEW_AUTHTOK_REQD', chauthtok=OK)
        self.assertEqual(res.rc, 0, repr(res))
        self.assertEqual([t for _, t in res.prompts()], [ASK_PASSWORD, ASK_OLD, ASK_NEW, ASK_REPEAT])
        self.assertLoggedIn(self.pam(self.passgate_user, [new]), self.passgate_user)

    def test_locked_passgate_account(self):
        self.sb.accounts('LockAccount', 'ss', self.passgate_user, 'test')
        res = self.pam(self.passgate_user, [self.pw])
        self.assertNotEqual(res.rc, 0, repr(res))
        self.assertNotEqual(res.acct, OK)

    def test_root_sets_passwords(self):
        new = harness.strong_password()
        self.sb.secrets.add(new)
        res = self.pam(self.passgate_user, [new, new], password=True)
        self.assertPam(res, chauthtok=OK)
        self.assertEqual(self.sb.login(self.passgate_user, new)[0], 'done')
        # pam_unix was not asked: the passgate user's unix password stays locked.
        with open('/etc/shadow', encoding='utf-8') as f:
            entry = [line for line in f if line.startswith(self.passgate_user + ':')][0]
        self.assertTrue(entry.split(':')[1].startswith('!'), entry)

        unix_new = 'unix-' + harness.strong_password()
        res = self.pam(self.unix_user, [unix_new, unix_new], password=True)
        self.assertPam(res, chauthtok=OK)
        self.assertLoggedIn(self.pam(self.unix_user, [unix_new]), self.unix_user)

    def test_unix_password_change_while_daemon_down(self):
        self.sb.stop_daemon()
        unix_new = 'unix-' + harness.strong_password()
        res = self.pam(self.unix_user, [unix_new, unix_new], password=True)
        self.assertPam(res, chauthtok=OK)
        self.assertLoggedIn(self.pam(self.unix_user, [unix_new]), self.unix_user)

    def test_user_changing_own_unix_password_gives_the_current_one(self):
        """pam_unix's preliminary check asks a user for the current password. pam_passgate.so's
        preliminary check answers PAM_USER_UNKNOWN for users passgated does not know, so the
        success jump never skips pam_unix's check."""
        res = self.pam(self.unix_user, ['wrong current password', 'x', 'x'], password=True,
                       as_user=self.unix_user)
        prompts = [t for _, t in res.prompts()]
        self.assertTrue(prompts and 'current' in prompts[0].lower(), repr(res))

    def test_doctor_agrees(self):
        root = tempfile.mkdtemp(prefix='root-', dir=self.sb.tmp)
        pamd = os.path.join(root, 'etc', 'pam.d')
        os.makedirs(pamd)
        with open(os.path.join(self.services, 'login'), encoding='utf-8') as f:
            text = f.read().replace(self.sb.module_path, 'pam_passgate.so')
        with open(os.path.join(pamd, 'login'), 'w', encoding='utf-8') as f:
            f.write(text)
        module = root + sources.config_h(self.sb.build_root)['PAMLIBDIR'] + '/pam_passgate.so'
        os.makedirs(os.path.dirname(module))
        open(module, 'w').close()
        p = subprocess.run([self.sb.ctl_bin, 'doctor', f'--root={root}'], capture_output=True, text=True,
                           env=self.sb.base_env())
        pam_lines = [line for line in p.stdout.splitlines() if 'login' in line]
        self.assertEqual(pam_lines, ['ok       login uses pam_passgate.so for auth, account, password'], p.stdout)


if __name__ == '__main__':
    harness.main()
