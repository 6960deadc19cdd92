#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""When passgated cannot answer, the module fails fast with PAM_AUTHINFO_UNAVAIL (so a stack can fall
back to pam_unix), within its timeout= (2 s in the passgate-timeout service)."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness.pamcase import PamTestCase  # noqa: E402

UNAVAIL = 'PAM_AUTHINFO_UNAVAIL'
MODULE_TIMEOUT = 2      # timeout=2 in tests/services/passgate-timeout.in
MARGIN = 1.5            # process start-up, pam_wrapper, a loaded CI machine


class Unavailable(PamTestCase):
    def setUp(self):
        super().setUp()
        self.make_account()

    def assertFastUnavailable(self, res, stage='auth'):
        self.assertEqual(res.codes.get(stage), UNAVAIL, repr(res))
        self.assertLess(res.elapsed, MODULE_TIMEOUT + MARGIN, repr(res))
        self.assertNotEqual(res.rc, 0)

    def test_daemon_stopped(self):
        self.sb.stop_daemon()
        res = self.login(self.user, self.pw, service='passgate-timeout')
        self.assertFastUnavailable(res)
        self.assertNotIn('acct', res.codes)
        self.sb.start_daemon()
        self.assertLoggedIn(self.login(self.user, self.pw, service='passgate-timeout'))

    def test_daemon_killed(self):
        self.sb.kill_daemon()
        self.assertFastUnavailable(self.login(self.user, self.pw, service='passgate-timeout'))
        self.sb.start_daemon()
        self.assertLoggedIn(self.login(self.user, self.pw))

    def test_daemon_hung(self):
        proc = self.sb.daemon_proc
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            res = self.login(self.user, self.pw, service='passgate-timeout')
            self.assertFastUnavailable(res)
            self.assertLess(time.monotonic() - t0, MODULE_TIMEOUT + MARGIN)
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        self.assertLoggedIn(self.login(self.user, self.pw))

    def test_no_bus(self):
        env = {'DBUS_SYSTEM_BUS_ADDRESS': f'unix:path={self.sb.tmp}/no_such_socket'}
        self.assertFastUnavailable(self.sb.pam('passgate-timeout', user=self.user, answers=[self.pw], env=env))

    def test_account_stage_daemon_stopped(self):
        self.sb.stop_daemon()
        res = self.sb.pam('passgate-acct', user=self.user)
        self.assertEqual(res.acct, UNAVAIL, repr(res))
        self.sb.start_daemon()


if __name__ == '__main__':
    harness.main()
