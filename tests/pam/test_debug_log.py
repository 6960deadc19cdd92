#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What pam_passgate.so writes to syslog with `debug` (service passgate-debug) holds no password,
code or document number, even while it logs every step.

The module's messages really go to syslog: pam_wrapper hands pam_syslog to libpam
(PAM_WRAPPER_USE_SYSLOG=1), libpam to glibc's syslog(3), and that sends datagrams to /dev/log. The
PAM driver runs in a private mount namespace (unshare --mount, root only) whose /dev is a small
tmpfs holding the few host devices a process needs and, at /dev/log, a bind mount of a unix
datagram socket this test created and reads. Nothing is mounted or created outside that namespace.

Runs: a login, a wrong password, logins that fail with a SNILS as the user name (given by the
application and typed), a forced change with a new password, a generated password, a full recovery
at the login prompt (empty password, phone, passport, number, the code, the new password twice) and
a recovery with wrong codes. Each checks that debug lines were captured (so that it cannot pass on
an empty log) and that none holds a secret used: passwords, codes, document numbers as typed and as
digits only, and every answer typed at a prompt.
"""
import os
import re
import shlex
import socket
import stat
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import clients, digits, make_inn, make_passport, strong_password  # noqa: E402
from harness.pamcase import (ASK_NEW, ASK_OLD, ASK_PASSWORD, ASK_REPEAT, AUTH_ERR, OFF, OK,  # noqa: E402
                             ON, PamTestCase, generated_password)

SERVICE = 'passgate-debug'
NEW_AUTHTOK_REQD = 'PAM_NEW_AUTHTOK_REQD'
LOG_DEBUG = 7
CODE_WRONG = 'The code is wrong or has expired.'
BURNED = 'Too many wrong codes. Start again later.'
RECOVERED = 'Your password has been changed. Log in with the new password.'

# Runs as root inside `unshare --mount --propagation private` (see the module docstring), then
# execs the PAM driver with pam_wrapper preloaded into it alone.
NAMESPACE_SCRIPT = r'''
hostdev=$1 sock=$2
shift 2
mount --rbind /dev "$hostdev"
mount -t tmpfs -o size=64k,mode=0755 passgate-dev /dev
for n in null zero full random urandom tty ptmx; do
        if [ -e "$hostdev/$n" ]; then
                : > "/dev/$n"
                mount --bind "$hostdev/$n" "/dev/$n"
        fi
done
for n in pts shm; do
        if [ -d "$hostdev/$n" ]; then
                mkdir "/dev/$n"
                mount --rbind "$hostdev/$n" "/dev/$n"
        fi
done
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
: > /dev/log
mount --bind "$sock" /dev/log
exec env LD_PRELOAD="$PASSGATE_NS_LD_PRELOAD" "$@"
'''

# glibc's syslog(3) datagram: "<PRI>Mmm dd hh:mm:ss tag[pid]: message"
SYSLOG_LINE = re.compile(r'^<(\d+)>(?:\w{3} [ \d]\d \d\d:\d\d:\d\d )?(.*)$', re.S)


class SyslogCapture:
    """A unix datagram socket at path, read by a thread (a sender blocks once a few datagrams wait)."""

    MARK = b'<0>passgate-test-syslog-mark '

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.sock.settimeout(0.2)
        self._lines = []
        self._marks = set()
        self._cond = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name='syslog-capture', daemon=True)
        self._thread.start()

    def _run(self):
        while True:
            with self._cond:
                if self._stop:
                    return
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self._cond:
                if data.startswith(self.MARK):
                    self._marks.add(data[len(self.MARK):].decode())
                else:
                    self._lines.append(data.decode('utf-8', 'replace').rstrip('\n\0'))
                self._cond.notify_all()

    def take(self, timeout=10):
        """Every line received since the last take(). A mark sent behind them makes sure that all
        the datagrams queued so far (the driver has exited) have been read."""
        mark = f'{time.monotonic_ns()}'
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(self.MARK + mark.encode(), self.path)
        with self._cond:
            if not self._cond.wait_for(lambda: mark in self._marks, timeout):
                raise AssertionError('the syslog capture thread did not read its own mark')
            lines, self._lines = self._lines, []
        return lines

    def close(self):
        with self._cond:
            self._stop = True
        self._thread.join(timeout=5)
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


class NamespaceSandbox(harness.Sandbox):
    """A Sandbox whose pam() runs tests/pam/pam-driver in the mount namespace of NAMESPACE_SCRIPT."""

    wrapper = None

    @property
    def driver_bin(self):
        return self.wrapper or harness.Sandbox.driver_bin.fget(self)

    def install_wrapper(self, log_socket):
        real = harness.Sandbox.driver_bin.fget(self)
        self.require_file(real, 'pam-driver')
        hostdev = os.path.join(self.tmp, 'host-dev')
        os.mkdir(hostdev, 0o755)
        script = os.path.join(self.tmp, 'namespace.sh')
        with open(script, 'w', encoding='utf-8') as f:
            f.write(NAMESPACE_SCRIPT)
        wrapper = os.path.join(self.tmp, 'pam-driver-in-namespace')
        with open(wrapper, 'w', encoding='utf-8') as f:
            f.write('#!/bin/sh\n'
                    'exec unshare --mount --propagation private -- /bin/sh -e '
                    f'{shlex.quote(script)} {shlex.quote(hostdev)} {shlex.quote(log_socket)} '
                    f'{shlex.quote(real)} "$@"\n')
        os.chmod(wrapper, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        self.wrapper = wrapper

    def pam(self, *args, env=None, **kw):
        e = {
            # Only the driver gets pam_wrapper (and libasan): not sh, unshare, mount and env.
            'LD_PRELOAD': '',
            'PASSGATE_NS_LD_PRELOAD': ':'.join(self.sanitizer_preload() + [harness.sandbox.PAM_WRAPPER_LIB]),
            # pam_wrapper passes pam_syslog on to libpam (otherwise it prints it to stderr).
            'PAM_WRAPPER_USE_SYSLOG': '1',
        }
        e.update(env or {})
        return super().pam(*args, env=e, **kw)


class DebugLog(PamTestCase):
    @classmethod
    def setUpClass(cls):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: /dev/log is replaced by the test\'s socket in a '
                                    'private mount namespace (unshare --mount)')
        problem = clients.mount_namespace_problem()
        if problem:
            raise unittest.SkipTest(f'mount namespaces are not available here: {problem}')
        cls.sb = NamespaceSandbox(daemon=False, config={'lockout': {'disable_after': '20'}}).start()
        cls.addClassCleanup(cls.sb.close)
        cls.users = cls.sb.make_users(1)
        cls.user = cls.users[0]
        cls.syslog = SyslogCapture(os.path.join(cls.sb.tmp, 'dev-log.sock'))
        cls.addClassCleanup(cls.syslog.close)       # LIFO: before sb.close
        cls.sb.install_wrapper(cls.syslog.path)

    def setUp(self):
        super().setUp()
        self.passport = make_passport()
        self.inn = make_inn()
        self.make_account(Documents={'passport': self.passport, 'snils': self.snils, 'inn': self.inn})
        self.used = set()           # secrets this test typed or was shown, beyond the harness's
        self.syslog.take()          # nothing of an earlier test

    def pam(self, user=None, answers=(), **kw):
        return self.sb.pam(SERVICE, user=user, answers=answers, **kw)

    # ---------------------------------------------------------------- the check

    def secrets_used(self):
        docs = {self.passport, self.snils, self.inn}
        found = set(self.used) | {self.pw} | docs | {digits(d) for d in docs}
        found |= self.sb.secrets | self.sb.answers
        found.add(' '.join(self.inn))
        # Shorter ones ('1', the menu choice) would match anywhere; user names are no secret.
        return {s for s in found if len(s) >= 6 and s not in self.users}

    def module_lines(self):
        """The captured lines of this test, [(priority, text)], checked: lines of pam_passgate,
        at least one of them a debug line, none with a secret used."""
        raw = self.syslog.take()
        if os.environ.get('PASSGATE_SHOW_SYSLOG'):
            sys.stderr.write(f'--- syslog of {self.id()}:\n' + ''.join(f'{line}\n' for line in raw))
        lines = []
        for line in raw:
            m = SYSLOG_LINE.match(line)
            self.assertTrue(m, f'not a syslog line: {line!r}')
            lines.append((int(m.group(1)) & 7, m.group(2)))
        ours = [(p, t) for p, t in lines if 'pam_passgate(' in t]
        text = '\n'.join(t for _p, t in lines)
        self.assertTrue(any(p == LOG_DEBUG for p, _t in ours),
                        f'no debug line of pam_passgate was captured:\n{text}')
        self.assertTrue(all(f'pam_passgate({SERVICE}:' in t for _p, t in ours), text)
        for s in sorted(self.secrets_used()):
            self.assertNotIn(s, text, f'a secret ({s!r}) in what the module logged:\n{text}')
        return ours

    def assertLogged(self, lines, *wanted):
        texts = [t for _p, t in lines]
        for w in wanted:
            self.assertTrue(any(w in t for t in texts), f'{w!r} not logged:\n' + '\n'.join(texts))

    def recovery_answers(self, code, new):
        return ['', self.phone, '1', self.passport, code, new, new]

    # ---------------------------------------------------------------- runs

    def test_login(self):
        res = self.pam(self.user, [self.pw])
        self.assertLoggedIn(res)
        lines = self.module_lines()
        self.assertLogged(lines, 'Step password (secret)', f'Logged in as "{self.user}"',
                          f'Account "{self.user}": locked=0 change_required=0')
        self.assertNotIn(self.pw, res.stderr)

    def test_wrong_password(self):
        wrong = strong_password()
        self.used.add(wrong)
        res = self.pam(self.user, [wrong])
        self.assertLoginFailed(res)
        self.assertLogged(self.module_lines(), 'Step password (secret)',
                          f'Authentication failed for user "{self.user}"')

    def test_document_number_as_login_name(self):
        """A SNILS is a login name too: a failed login by SNILS must not log it (given by the
        application, as a greeter would, or typed at the prompt)."""
        for login in (self.snils, digits(self.snils)):
            with self.subTest(login=login):
                wrong = strong_password()
                self.used.add(wrong)
                self.assertLoginFailed(self.pam(login, [wrong]))
                self.assertLogged(self.module_lines(), 'Step password (secret)',
                                  'Authentication failed')
                self.assertLoginFailed(self.pam(None, [login, wrong]))
                self.assertLogged(self.module_lines(), 'Step password (secret)',
                                  'Authentication failed')
        res = self.pam(self.snils, [self.pw])
        self.assertLoggedIn(res)
        self.assertLogged(self.module_lines(), f'Logged in as "{self.user}"')

    def test_forced_change(self):
        self.sb.accounts('ExpirePassword', 's', self.user)
        new = strong_password()
        self.used.add(new)
        res = self.pam(self.user, [self.pw, self.pw, new, new])
        self.assertPam(res, auth=OK, acct=NEW_AUTHTOK_REQD, chauthtok=OK)
        self.assertEqual(res.prompts(), [(OFF, ASK_PASSWORD), (OFF, ASK_OLD), (OFF, ASK_NEW),
                                         (OFF, ASK_REPEAT)])
        self.assertLogged(self.module_lines(), 'change_required=1', 'Changing the password of',
                          f'Password changed for user "{self.user}"')
        self.assertLoggedIn(self.pam(self.user, [new]))
        self.module_lines()

    def test_generated_password(self):
        self.sb.accounts('ExpirePassword', 's', self.user)
        res = self.pam(self.user, [self.pw, self.pw, ''])
        self.assertPam(res, auth=OK, acct=NEW_AUTHTOK_REQD, chauthtok=OK)
        generated = generated_password(res)
        self.assertTrue(generated, repr(res))
        self.used.add(generated)
        self.sb.secrets.add(generated)
        self.assertLogged(self.module_lines(), 'Changing the password of',
                          f'Password changed for user "{self.user}"')
        self.assertLoggedIn(self.pam(self.user, [generated]))
        self.module_lines()

    def test_recovery_at_the_login_prompt(self):
        new = strong_password()
        self.used.add(new)
        codes = []

        def code():
            codes.append(self.sb.wait_code(self.phone))
            return codes[-1]
        res = self.pam(self.user, self.recovery_answers(code, new))
        self.assertPam(res, auth=AUTH_ERR)
        self.assertEqual([k for k, _t in res.prompts()], [OFF, ON, ON, ON, OFF, OFF, OFF], res)
        self.assertEqual(res.prompts()[0], (OFF, ASK_PASSWORD))
        self.assertEqual(res.prompts()[-2:], [(OFF, ASK_NEW), (OFF, ASK_REPEAT)])
        self.assertEqual(res.errors(), [RECOVERED])
        self.assertEqual(len(codes), 1)
        self.used.update(codes)
        lines = self.module_lines()
        self.assertLogged(lines, 'Step password (secret)', '(secret)', '(text)')
        self.assertLoggedIn(self.pam(self.user, [new]))
        self.module_lines()

    def test_recovery_with_a_wrong_code(self):
        sent = []

        def wrong_code():
            if not sent:
                sent.append(self.sb.wait_code(self.phone))
            wrong = f'{(int(sent[0]) + 1 + len(sent)) % 1000000:06d}'
            sent.append(wrong)
            return wrong
        answers = ['', self.phone, '1', digits(self.passport), wrong_code, wrong_code, wrong_code]
        res = self.pam(self.user, answers)
        self.assertPam(res, auth='PAM_MAXTRIES')
        self.assertEqual(res.errors(), [CODE_WRONG, CODE_WRONG, BURNED])
        self.used.update(sent)
        self.assertLogged(self.module_lines(), 'Step password (secret)', 'Authentication failed')
        self.assertLoggedIn(self.pam(self.user, [self.pw]))
        self.module_lines()


if __name__ == '__main__':
    harness.main()
