#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""OpenSSH against passgate: a real sshd (UsePAM, keyboard-interactive only) on 127.0.0.1 and a real
ssh client at a pseudo-terminal (pexpect) log in, go through a forced password change, and are
refused when they should be.

How sshd reaches the sandbox (details in tests/harness/clients.py): its PAM service name is fixed
("sshd"), and its keyboard-interactive PAM child empties its environment before pam_authenticate,
so neither pam_wrapper's service dir alone nor DBUS_SYSTEM_BUS_ADDRESS would do: with pam_wrapper
preloaded the module in that child still finds no DBUS_SYSTEM_BUS_ADDRESS and tries the host's
/run/dbus/system_bus_socket ("Cannot reach passgated"). sshd therefore runs in a private mount
namespace where /etc/pam.d holds our "sshd" service (tests/services/passgate-sshd.in) and
/run/dbus/system_bus_socket leads to the sandbox bus. Root only (useradd, unshare, sshd's privilege
separation); skipped (77) when not root or when this kernel refuses mount namespaces.
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
DOC_TYPE_BAD = clients.message('MSG_DOCUMENT_TYPE_BAD')
TOO_MANY = clients.message('MSG_TOO_MANY_TRIES')
DENIED = 'Permission denied (keyboard-interactive).'
SSH_FAILED = 255        # ssh's own exit status when it could not log in
COMMAND = 'echo LOGGED-IN-$USER'


class Sshd(clients.TerminalCase):
    @classmethod
    def setUpClass(cls):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: unix users, a mount namespace and sshd')
        problem = clients.mount_namespace_problem()
        if problem:
            raise unittest.SkipTest(f'mount namespaces are not available here: {problem}')
        clients.need_programs(clients.SSHD, clients.SSH, clients.SSH_KEYGEN)
        clients.need_pexpect()
        cls.sb = harness.Sandbox(daemon=False).start()
        cls.addClassCleanup(cls.sb.close)
        cls.user, = cls.sb.make_users(1)
        clients.set_login_shell(cls.user)       # sshd runs the command through the login shell
        cls.sshd = clients.Sshd(cls.sb, 'passgate-sshd')
        cls.addClassCleanup(cls.sshd.stop)      # runs before sb.close: LIFO
        cls.sshd.start()

    def setUp(self):
        super().setUp()
        self.sshd.mark()

    def tearDown(self):
        super().tearDown()
        # Nothing typed at an echo-off prompt (passwords, codes) in anything sshd logged.
        log = self.sshd.log(0)
        self.assertEqual([s for s in sorted(self.sb.secrets) if len(s) >= 6 and s in log], [],
                         f'secrets in the sshd log:\n{log}')

    # ------------------------------------------------------------------ helpers

    def ssh(self, login=None, prompts=1, log_level='ERROR'):
        t = self.sshd.ssh(login or self.user, COMMAND, prompts=prompts, log_level=log_level)
        self.terms.append(t)
        return t

    def audit_events(self):
        return [e[2] for e in self.sb.accounts('ListAudit', 'tu', 0, 0) if e[1] == self.user]

    def new_events(self, before):
        after = self.audit_events()
        self.assertEqual(after[:len(before)], before)
        return after[len(before):]

    def assertLoggedIn(self, t, prompts):
        rc = t.finish()
        out = t.text()
        self.assertEqual(rc, 0, out)
        # The remote command ran as the canonical unix user: the session is really that user's.
        self.assertIn(f'LOGGED-IN-{self.user}', out)
        self.assertNotIn(DENIED, out)
        self.assertEqual(clients.prompt_sequence(out, PROMPTS), list(prompts), out)
        self.sshd.wait_log(rf'^Accepted keyboard-interactive/pam for {self.user} from 127\.0\.0\.1 ')

    def assertRefused(self, t):
        rc = t.finish()
        out = t.text()
        self.assertEqual(rc, SSH_FAILED, out)
        self.assertIn(DENIED, out)
        self.assertNotIn('LOGGED-IN-', out, 'a refused login ran the command')
        self.assertNotRegex(self.sshd.log(), r'Accepted keyboard-interactive')
        return out

    def login(self, password, login=None):
        t = self.ssh(login)
        clients.converse(t, [(ASK_PASSWORD, password)])
        return t

    # ------------------------------------------------------------------ tests

    def test_login_runs_the_command(self):
        self.make_account()
        before = self.audit_events()
        self.assertLoggedIn(self.login(self.pw), [ASK_PASSWORD])
        self.assertEqual(self.account()['Failures'], 0)
        self.assertEqual(self.new_events(before), ['login-success'])

    def test_wrong_password_is_refused(self):
        self.make_account()
        wrong = strong_password()
        self.sb.secrets.add(wrong)
        out = self.assertRefused(self.login(wrong))
        self.assertEqual(clients.prompt_sequence(out, PROMPTS), [ASK_PASSWORD], out)
        self.sshd.wait_log(rf'^Failed keyboard-interactive/pam for {self.user} from 127\.0\.0\.1 ')
        self.assertEqual(self.account()['Failures'], 1)
        self.assertIn('login-failure', self.audit_events())
        # The right password still works afterwards (one failure is no lockout).
        self.sshd.mark()
        self.assertLoggedIn(self.login(self.pw), [ASK_PASSWORD])

    def test_forced_change_over_keyboard_interactive(self):
        # sshd: pam_authenticate -> pam_acct_mgmt says PAM_NEW_AUTHTOK_REQD -> pam_chauthtok with
        # PAM_CHANGE_EXPIRED_AUTHTOK, all inside the same keyboard-interactive exchange; the session
        # starts only after the change succeeded.
        self.make_account(must_change=True)
        before = self.audit_events()
        t = self.ssh()
        clients.converse(t, [(ASK_PASSWORD, self.pw)])
        t.expect(re.escape(CHANGE_REQUIRED) + r'\r?\n' + re.escape(ASK_OLD),
                 'the forced change announced, then the current password')
        t.send_line(self.pw)
        clients.converse(t, [(ASK_NEW, self.new), (ASK_REPEAT, self.new)])
        self.assertLoggedIn(t, [ASK_PASSWORD, ASK_OLD, ASK_NEW, ASK_REPEAT])
        self.assertFalse(self.status()['PasswordChangeRequired'])
        self.assertEqual(self.new_events(before),
                         ['login-success', 'password-change-success', 'password-changed'])

        # The next ssh login takes the new password and asks for no change; the old one is refused.
        self.sshd.mark()
        self.assertLoggedIn(self.login(self.new), [ASK_PASSWORD])
        self.sshd.mark()
        self.assertRefused(self.login(self.pw))

    def test_failed_forced_change_gives_no_session(self):
        self.make_account(must_change=True)
        wrong = strong_password()
        self.sb.secrets.add(wrong)
        t = self.ssh(log_level='INFO')
        clients.converse(t, [(ASK_PASSWORD, self.pw), (ASK_OLD, wrong)])
        out = self.assertRefused(t)
        self.assertEqual(clients.prompt_sequence(out, PROMPTS), [ASK_PASSWORD, ASK_OLD], out)
        # No new password was asked for after the wrong current one, and the module's reason
        # reaches the user as the last line before "Permission denied": sshd sends PAM messages
        # left at a failed end as a keyboard-interactive request without prompts, which ssh prints
        # at LogLevel INFO (its default; see Sshd.ssh_argv).
        self.assertNotIn(ASK_NEW, out)
        self.assertRegex(out, re.escape(ASK_OLD) + r'\s*\n' + re.escape(LOGIN_FAILED) + r'\s*\n')
        # Still must change, the password is the old one, and the wrong one counted as a failure.
        self.assertTrue(self.status()['PasswordChangeRequired'])
        self.assertEqual(self.account()['Failures'], 1)
        self.assertNotIn('password-change-success', self.audit_events())

    def test_phone_number_as_ssh_user_name_is_an_invalid_user(self):
        # passgate resolves phone numbers, but sshd looks the name up with getpwnam() before any
        # PAM call. "+7..." is no unix user, so sshd marks the attempt invalid ("Invalid user"). It
        # still runs PAM with that name (the module asks for the password and the daemon resolves
        # the phone to the account), but for an invalid user sshd replaces every keyboard-interactive
        # answer with junk of the same length before handing it to PAM (auth-pam.c, sshpam_respond:
        # fake_password), and would refuse a PAM success anyway. So even the right password is
        # refused, and the daemon counts one failed login against the account the phone belongs to
        # (an empty one is kept empty: test_invalid_user_gets_nowhere_in_a_recovery). Users log in
        # over ssh with their unix name; phone, e-mail and SNILS work at PAM prompts that ask for
        # the login themselves (login, GDM), not as an ssh user name.
        self.make_account()
        before = self.audit_events()
        self.sb.answers.add(self.phone)
        out = self.assertRefused(self.login(self.pw, login=self.phone))
        self.assertEqual(clients.prompt_sequence(out, PROMPTS), [ASK_PASSWORD], out)
        self.sshd.wait_log(rf'^Invalid user {re.escape(self.phone)} from 127\.0\.0\.1 ')
        self.sshd.wait_log(rf'^Failed keyboard-interactive/pam for invalid user {re.escape(self.phone)} ')
        self.assertEqual(self.account()['Failures'], 1)
        self.assertEqual(self.new_events(before), ['login-failure'])
        # The same phone and password log in at a PAM prompt that is not sshd's.
        res = self.sb.pam('passgate', user=self.phone, answers=[self.pw])
        self.assertPam(res, auth='PAM_SUCCESS', acct='PAM_SUCCESS')
        self.assertEqual(res.user, self.user)

    def test_daemon_down_refuses_login(self):
        self.make_account()
        self.sb.stop_daemon()
        t = self.ssh()
        out = self.assertRefused(t)
        self.assertNotIn(ASK_PASSWORD, out, 'no password is asked when passgate cannot answer')
        self.sshd.wait_log(r'PAM: Authentication service cannot retrieve authentication info')

    # ------------------------------------------------------------------ recovery

    def recovery_prompts(self):
        return PROMPTS + (clients.ASK_CONTACT, clients.ASK_DOC_TYPE, clients.ASK_PASSPORT,
                          clients.ask_code(self.phone))

    def start_recovery(self, t, passport):
        """Empty password, phone, passport: up to the code prompt. Returns the code sent."""
        clients.converse(t, [(ASK_PASSWORD, ''), (clients.ASK_CONTACT, self.phone)])
        # Folded: the list and the question are one prompt text, so ssh puts its "(user@host) "
        # prefix in front of the list, and the question follows on the list's last line's next line.
        t.expect(re.escape(f'({self.user}@127.0.0.1) ') +
                 clients.lines(*clients.DOC_MENU, clients.ASK_DOC_TYPE),
                 'the document list folded into the choice prompt')
        t.send_line('1')
        clients.converse(t, [(clients.ASK_PASSPORT, passport)])
        t.expect(re.escape(f'({self.user}@127.0.0.1) {clients.ask_code(self.phone)}'))
        return self.read_code()

    def test_recovery_over_keyboard_interactive(self):
        passport = self.make_recoverable_account()
        before = self.audit_events()
        # LogLevel=INFO: how ssh shows the final message is part of what is tested (see ssh_argv).
        t = self.ssh(log_level='INFO')
        code = self.start_recovery(t, passport)
        t.send_line(code)
        clients.converse(t, [(ASK_NEW, self.new), (ASK_REPEAT, self.new)])
        out = self.assertRefused(t)
        self.assertNotIn(code, out)
        self.assertEqual(clients.prompt_sequence(out, self.recovery_prompts()),
                         [ASK_PASSWORD, clients.ASK_CONTACT, clients.ASK_DOC_TYPE,
                          clients.ASK_PASSPORT, clients.ask_code(self.phone), ASK_NEW, ASK_REPEAT],
                         out)
        # No session, and the reason reaches the user: the module's final PAM_ERROR_MSG is held by
        # sshd and sent as the instruction of one last keyboard-interactive request with no prompt
        # (auth-pam.c, sshpam_query on PAM_AUTH_ERR), which ssh prints on a line of its own, without
        # the "(user@host)" prefix of prompts, before "Permission denied". ssh prints instructions
        # with logit(), so LogLevel=ERROR or -q would hide it.
        self.assertRegex(out, re.escape(ASK_REPEAT) + r'\s*\n' + re.escape(clients.RECOVERED) +
                         r'\s*\n(?:.*@127\.0\.0\.1: )?' + re.escape(DENIED))
        self.assertEqual(out.count(clients.RECOVERED), 1, out)
        self.sshd.wait_log(rf'^Failed keyboard-interactive/pam for {self.user} from 127\.0\.0\.1 ')
        events = self.new_events(before)
        self.assertEqual(events[-1:], ['password-changed'], events)
        self.assertNotIn('login-success', events)

        # Every earlier password stops working; the new one logs in over ssh.
        self.sshd.mark()
        self.assertRefused(self.login(self.pw))
        self.sshd.mark()
        self.assertLoggedIn(self.login(self.new), [ASK_PASSWORD])

    def test_wrong_code_is_told_in_the_next_code_prompt(self):
        passport = self.make_recoverable_account()
        t = self.ssh()
        code = self.start_recovery(t, passport)
        wrong = f'{(int(code) + 1) % 1_000_000:06d}'
        self.sb.secrets.add(wrong)
        t.send_line(wrong)
        # The daemon's notice is folded into the next prompt: one text, one "(user@host)" prefix.
        t.expect(re.escape(f'({self.user}@127.0.0.1) ') +
                 clients.lines(clients.CODE_WRONG, clients.ask_code(self.phone)),
                 'the wrong-code notice folded into the code prompt asked again')
        t.send_line(code)           # one wrong answer does not burn the code
        clients.converse(t, [(ASK_NEW, self.new), (ASK_REPEAT, self.new)])
        out = self.assertRefused(t)
        self.assertEqual(out.count(clients.CODE_WRONG), 1, out)
        self.sshd.mark()
        self.assertLoggedIn(self.login(self.new), [ASK_PASSWORD])

    def test_recovery_logs_in_when_the_admin_enabled_it(self):
        self.restart_with_config('recovery', {'login_after_recovery': 'yes'})
        passport = self.make_recoverable_account()
        before = self.audit_events()
        t = self.ssh()
        t.send_line(self.start_recovery(t, passport))
        clients.converse(t, [(ASK_NEW, self.new), (ASK_REPEAT, self.new)])
        self.assertLoggedIn(t, [ASK_PASSWORD, ASK_NEW, ASK_REPEAT])     # the command ran
        self.assertNotIn(clients.RECOVERED, t.text())
        self.assertIn('password-changed', self.new_events(before))
        self.sshd.mark()
        self.assertRefused(self.login(self.pw))

    def test_invalid_user_gets_nowhere_in_a_recovery(self):
        # For a name getpwnam() does not know (here the account's phone, see
        # test_phone_number_as_ssh_user_name_is_an_invalid_user), sshd hands PAM junk in place of
        # every answer: "\b\n\r\177INCORRECT" repeated to the answer's length (auth-pam.c,
        # sshpam_respond -> fake_password; the length is kept so that timing does not tell valid
        # users from invalid ones). An empty answer stays empty, so the module does see an empty
        # password and the recovery starts (with the phone as login, at the document choice). But
        # every later answer is junk too, which no step accepts: the choice is asked until the
        # daemon gives up, no document is ever checked, no code is sent, nothing changes.
        self.make_recoverable_account()
        before = self.audit_events()
        t = self.ssh(login=self.phone, log_level='INFO')
        clients.converse(t, [(ASK_PASSWORD, '')])
        prefix = re.escape(f'({self.phone}@127.0.0.1) ')
        t.expect(prefix + clients.lines(*clients.DOC_MENU, clients.ASK_DOC_TYPE),
                 'the recovery started: the document list folded into the choice prompt')
        rounds = 0
        while True:
            t.send_line('1')        # arrives as "\b"
            again = clients.lines(DOC_TYPE_BAD, *clients.DOC_MENU, clients.ASK_DOC_TYPE)
            i = t.expect([prefix + again, re.escape(TOO_MANY)], 'the choice asked again, or the end')
            if i == 1:
                break
            rounds += 1
            self.assertLess(rounds, 10, f'asked for a document forever:\n{t.text()}')
        rc = t.finish()
        out = t.text()
        self.assertEqual(rc, SSH_FAILED, out)
        # PAM_MAXTRIES: sshd offers no further method, so ssh's list of them is empty.
        self.assertRegex(out, r'Permission denied \((keyboard-interactive)?\)\.')
        self.assertNotIn('LOGGED-IN-', out)
        self.assertEqual(clients.prompt_sequence(out, self.recovery_prompts()),
                         [ASK_PASSWORD] + [clients.ASK_DOC_TYPE] * (rounds + 1), out)
        self.sshd.wait_log(
            rf'^Failed keyboard-interactive/pam for invalid user {re.escape(self.phone)} ')
        self.assertEqual(self.codes_sent(), [], 'no code is sent')
        self.assertEqual(self.new_events(before), [])
        self.assertEqual(self.account()['Failures'], 0)
        # The password is what it was.
        self.sshd.mark()
        self.assertLoggedIn(self.login(self.pw), [ASK_PASSWORD])


if __name__ == '__main__':
    harness.main()
