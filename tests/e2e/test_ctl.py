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


if __name__ == '__main__':
    harness.main()
