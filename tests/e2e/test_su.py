#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""util-linux su against passgate: root runs `su - <user> -c ...` at a pseudo-terminal (pexpect) and
passgate asks for the user's password, forces a change when one is due, and refuses what it must.

Which path and why: su runs as root with pam_wrapper preloaded, reading PAM services "su" and
"su-l" (`su -` asks for su-l) from a private directory (tests/services/passgate-su.in, with no
pam_rootok, so root is asked like anyone else). Root running the setuid su is not in secure mode
(real uid = effective uid = 0), so LD_PRELOAD and DBUS_SYSTEM_BUS_ADDRESS both reach it. The other
path, a throwaway user running su through runuser, makes su a real setuid transition: glibc then
ignores a non-setuid LD_PRELOAD library and sd-bus's secure_getenv drops DBUS_SYSTEM_BUS_ADDRESS,
so su would read the host's /etc/pam.d/su and talk to the host's system bus, both forbidden here.
Root only (useradd); skipped (77) when not root.
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import clients, strong_password  # noqa: E402
from harness.pamcase import ASK_NEW, ASK_OLD, ASK_PASSWORD, ASK_REPEAT, LOGIN_FAILED  # noqa: E402

PROMPTS = (ASK_PASSWORD, ASK_OLD, ASK_NEW, ASK_REPEAT)
CHANGE_REQUIRED = clients.message('MSG_CHANGE_REQUIRED')
CHANGED = clients.message('MSG_CHANGE_DONE')
MISMATCH = clients.message('MSG_MISMATCH')
# su's messages: pam_strerror() of what the module returned.
SU_FAILED = 'su: Authentication failure'                                        # PAM_AUTH_ERR
CHAUTHTOK_FAILED = 'su: Authentication token manipulation error'                # PAM_AUTHTOK_ERR
UNAVAILABLE = 'su: Authentication service cannot retrieve authentication info'  # PAM_AUTHINFO_UNAVAIL


class Su(clients.TerminalCase):
    full_name = 'Мария Иванова'

    @classmethod
    def setUpClass(cls):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: unix users, and su without secure mode')
        clients.need_programs(clients.SU)
        clients.need_pexpect()
        cls.sb = harness.Sandbox(daemon=False).start()
        cls.addClassCleanup(cls.sb.close)
        cls.user, = cls.sb.make_users(1)
        clients.set_login_shell(cls.user)       # `su -` runs the command through the login shell
        cls.services = clients.make_service_dir(cls.sb, 'su-pam.d',
                                                {'su': 'passgate-su', 'su-l': 'passgate-su'})

    # ------------------------------------------------------------------ helpers

    def su(self, login=None):
        # `su -`: a login shell with a fresh environment, so pam_wrapper is not preloaded into it.
        t = clients.Terminal([clients.SU, '-', login or self.user, '-c', 'echo SU-OK-$USER'],
                             clients.su_env(self.sb, self.services), cwd=self.sb.tmp)
        self.terms.append(t)
        return t

    def audit(self):
        return [e for e in self.sb.accounts('ListAudit', 'tu', 0, 0) if e[1] == self.user]

    def assertSwitched(self, t, prompts):
        rc = t.finish()
        out = t.text()
        self.assertEqual(rc, 0, out)
        self.assertIn(f'SU-OK-{self.user}', out)
        self.assertEqual(clients.prompt_sequence(out, PROMPTS), list(prompts), out)

    def assertRefused(self, t):
        rc = t.finish()
        out = t.text()
        self.assertEqual(rc, 1, out)
        self.assertNotIn('SU-OK-', out, 'a refused su ran the command')
        return out

    def su_with(self, password, login=None):
        t = self.su(login)
        clients.converse(t, [(ASK_PASSWORD, password)])
        return t

    # ------------------------------------------------------------------ tests

    def test_root_is_asked_and_su_runs_the_command(self):
        self.make_account()
        before = len(self.audit())
        self.assertSwitched(self.su_with(self.pw), [ASK_PASSWORD])
        # passgate answered (the host's su stack would have let root through with pam_rootok), and
        # the daemon saw root (uid 0) as the caller.
        new = self.audit()[before:]
        self.assertEqual([e[2] for e in new], ['login-success'], new)
        self.assertEqual(new[0][3].split()[:1], ['caller=0'], new)
        self.assertEqual(self.account()['Failures'], 0)

    def test_wrong_password_is_refused(self):
        self.make_account()
        wrong = strong_password()
        self.sb.secrets.add(wrong)
        out = self.assertRefused(self.su_with(wrong))
        self.assertIn(LOGIN_FAILED, out)
        self.assertIn(SU_FAILED, out)
        self.assertEqual(clients.prompt_sequence(out, PROMPTS), [ASK_PASSWORD], out)
        self.assertEqual(self.account()['Failures'], 1)

    def test_forced_change(self):
        # su: pam_authenticate, then pam_acct_mgmt = PAM_NEW_AUTHTOK_REQD, then
        # pam_chauthtok(PAM_CHANGE_EXPIRED_AUTHTOK), then the command.
        self.make_account(must_change=True)
        before = len(self.audit())
        t = self.su_with(self.pw)
        t.expect(re.escape(CHANGE_REQUIRED) + r'\r?\n' + re.escape(ASK_OLD),
                 'the forced change announced, then the current password')
        t.send_line(self.pw)
        clients.converse(t, [(ASK_NEW, self.new), (ASK_REPEAT, self.new)])
        t.expect(re.escape(CHANGED))
        self.assertSwitched(t, [ASK_PASSWORD, ASK_OLD, ASK_NEW, ASK_REPEAT])
        self.assertFalse(self.status()['PasswordChangeRequired'])
        new = self.audit()[before:]
        self.assertEqual([e[2] for e in new],
                         ['login-success', 'password-change-success', 'password-changed'], new)
        self.assertRegex(new[2][3], r'\bchange$', 'a change by the user, not a reset')

        self.assertSwitched(self.su_with(self.new), [ASK_PASSWORD])
        self.assertRefused(self.su_with(self.pw))

    def test_failed_forced_change_runs_nothing(self):
        self.make_account(must_change=True)
        wrong = strong_password()
        self.sb.secrets.add(wrong)
        t = self.su_with(self.pw)
        clients.converse(t, [(ASK_OLD, wrong)])
        out = self.assertRefused(t)
        self.assertIn(LOGIN_FAILED, out)
        self.assertIn(SU_FAILED, out)       # a wrong current password is a failed authentication
        self.assertNotIn(ASK_NEW, out)
        self.assertTrue(self.status()['PasswordChangeRequired'])
        self.assertEqual(self.account()['Failures'], 1)

    def test_mismatched_repeat_runs_nothing(self):
        self.make_account(must_change=True)
        other = strong_password()
        self.sb.secrets.add(other)
        t = self.su_with(self.pw)
        clients.converse(t, [(ASK_OLD, self.pw)])
        rounds = 0
        while True:
            i = t.expect([re.escape(ASK_NEW), 'SU-OK-'], 'after a new password', eof_ok=True)
            if i != 0:
                break
            rounds += 1
            self.assertLess(rounds, 10, f'asked for a new password forever:\n{t.text()}')
            t.send_line(self.new)
            t.answer(re.escape(ASK_REPEAT), other)
        self.assertEqual(i, 2, t.text())
        self.assertGreater(rounds, 1, 'a mismatch is told and the new password asked again')
        out = self.assertRefused(t)
        self.assertIn(MISMATCH, out)
        self.assertIn(CHAUTHTOK_FAILED, out)
        self.assertTrue(self.status()['PasswordChangeRequired'])
        self.assertRefused(self.su_with(self.new))

    def test_phone_number_is_not_a_unix_user_for_su(self):
        # su resolves the target with getpwnam() before PAM: a phone number is no unix user, so su
        # stops without asking anything and passgate is never consulted (unlike sshd, which asks).
        self.make_account()
        before = len(self.audit())
        self.sb.answers.add(self.phone)
        t = self.su(self.phone)
        out = self.assertRefused(t)
        self.assertIn(f'user {self.phone} does not exist', out)
        self.assertEqual(clients.prompt_sequence(out, PROMPTS), [], out)
        self.assertEqual(self.audit()[before:], [])

    def test_daemon_down_refuses(self):
        self.make_account()
        self.sb.stop_daemon()
        out = self.assertRefused(self.su())
        self.assertNotIn(ASK_PASSWORD, out)
        self.assertIn(UNAVAILABLE, out)

    # ------------------------------------------------------------------ recovery

    def recovery_prompts(self):
        return PROMPTS + (clients.ASK_CONTACT, clients.ASK_DOC_TYPE, clients.ASK_PASSPORT,
                          clients.ask_code(self.phone))

    def recover(self, t, passport, wrong_code=False):
        """The whole recovery at su's prompts, up to the repeated new password; returns the code."""
        clients.converse(t, [(ASK_PASSWORD, ''), (clients.ASK_CONTACT, self.phone)])
        # su is no remote service (no PAM_RHOST): nothing is folded. The list is a PAM_TEXT_INFO of
        # its own (three lines), the question follows on a line of its own. On a terminal that
        # looks as a folded prompt would (misc_conv ends each message with a newline), so the
        # message kinds are checked in tests/pam/test_recovery.py; here, what the user sees.
        t.expect(r'\n' + clients.lines(*clients.DOC_MENU, clients.ASK_DOC_TYPE),
                 'the document list, then the choice')
        t.send_line('1')
        clients.converse(t, [(clients.ASK_PASSPORT, passport)])
        t.expect(re.escape(clients.ask_code(self.phone)))
        code = self.read_code()
        if wrong_code:
            wrong = f'{(int(code) + 1) % 1_000_000:06d}'
            self.sb.secrets.add(wrong)
            t.send_line(wrong)
            t.expect(r'\n' + clients.lines(clients.CODE_WRONG, clients.ask_code(self.phone)),
                     'the wrong-code notice on a line of its own, then the code asked again')
        t.send_line(code)
        clients.converse(t, [(ASK_NEW, self.new), (ASK_REPEAT, self.new)])
        return code

    def test_recovery_then_su_runs_nothing(self):
        passport = self.make_recoverable_account()
        before = len(self.audit())
        t = self.su()
        code = self.recover(t, passport, wrong_code=True)
        # The module's PAM_ERROR_MSG, then su's own pam_strerror(PAM_AUTH_ERR), each on its line.
        t.expect(clients.lines(clients.RECOVERED, SU_FAILED))
        out = self.assertRefused(t)
        self.assertEqual(clients.prompt_sequence(out, self.recovery_prompts()),
                         [ASK_PASSWORD, clients.ASK_CONTACT, clients.ASK_DOC_TYPE,
                          clients.ASK_PASSPORT] + [clients.ask_code(self.phone)] * 2 +
                         [ASK_NEW, ASK_REPEAT], out)
        self.assertEqual(out.count(clients.RECOVERED), 1, out)
        self.assertNotIn(code, out)
        self.assertEqual(len(self.codes_sent()), 1)
        events = [e[2] for e in self.audit()[before:]]
        self.assertEqual(events[-1:], ['password-changed'], events)
        self.assertNotIn('login-success', events)

        self.assertRefused(self.su_with(self.pw))
        self.assertSwitched(self.su_with(self.new), [ASK_PASSWORD])

    def test_recovery_then_su_runs_the_command_when_the_admin_enabled_it(self):
        self.restart_with_config('recovery', {'login_after_recovery': 'yes'})
        passport = self.make_recoverable_account()
        t = self.su()
        self.recover(t, passport)
        self.assertSwitched(t, [ASK_PASSWORD, ASK_NEW, ASK_REPEAT])
        self.assertNotIn(clients.RECOVERED, t.text())
        self.assertRefused(self.su_with(self.pw))


if __name__ == '__main__':
    harness.main()
