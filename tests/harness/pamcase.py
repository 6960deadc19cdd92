# SPDX-License-Identifier: GPL-2.0-or-later
"""Base class of the pam suite: a sandbox per test class, a fresh daemon state per test, throwaway
unix users (root) or the current user with the polkit mock allowing account management (not root)."""
import re
import unittest

from . import sandbox as sb_mod
from .sandbox import N, Sandbox, TestCase, is_root, current_user, make_phone, make_snils, strong_password

# Texts of common/messages.h as the module shows them (tests run with LC_ALL=C.UTF-8).
ASK_PASSWORD = 'Password (leave empty if you do not know it):'
ASK_IDENTIFIER = 'Login (user name, phone, e-mail or SNILS):'
ASK_OLD = 'Current password:'
ASK_NEW = 'New password (leave empty to generate one):'
ASK_REPEAT = 'Repeat the new password:'
LOGIN_FAILED = 'Wrong login or password.'

OFF = 'PROMPT_ECHO_OFF'
ON = 'PROMPT_ECHO_ON'

OK = 'PAM_SUCCESS'
AUTH_ERR = 'PAM_AUTH_ERR'


class PamTestCase(TestCase):
    n_users = 1
    fresh_state_per_test = True

    @classmethod
    def setUpClass(cls):
        if is_root():
            cls.sb = Sandbox(daemon=False).start()
            cls.addClassCleanup(cls.sb.close)
            cls.users = cls.sb.make_users(cls.n_users)
        else:
            if cls.n_users > 1:
                raise unittest.SkipTest('needs root: several unix users')
            cls.sb = Sandbox(daemon=False, polkit=[N.PG_POLKIT_MANAGE]).start()
            cls.addClassCleanup(cls.sb.close)
            cls.users = [current_user()]
        cls.user = cls.users[0]
        if not cls.fresh_state_per_test:
            cls.sb.start_daemon(fresh=True)

    def setUp(self):
        if self.fresh_state_per_test:
            if self.sb.daemon_proc is not None:
                self.sb.stop_daemon()
            self.sb.start_daemon(fresh=True)
        self.sb.set_clock(0)
        self.pw = strong_password()
        self.phone = make_phone()
        self.email = f'anna.smirnova.{sb_mod.secrets.token_hex(3)}@example.org'
        self.snils = make_snils()

    def tearDown(self):
        self.assertNoLeaks(self.sb)

    def make_account(self, user=None, must_change=False, **props):
        user = user or self.user
        props.setdefault('FullName', 'Анна Смирнова')
        props.setdefault('Phone', self.phone)
        props.setdefault('Email', self.email)
        props.setdefault('Documents', {'snils': self.snils})
        self.sb.create_account(user, self.pw, must_change, **props)
        return user

    def login(self, login, password, service='passgate', **kw):
        return self.sb.pam(service, user=login, answers=[password], **kw)

    def assertLoggedIn(self, res, user=None):
        self.assertPam(res, auth=OK, acct=OK)
        self.assertEqual(res.user, user or self.user, repr(res))
        self.assertEqual(res.rc, 0, repr(res))

    def assertLoginFailed(self, res):
        self.assertPam(res, auth=AUTH_ERR)
        self.assertNotIn('acct', res.codes, repr(res))
        self.assertIn(LOGIN_FAILED, res.errors(), repr(res))
        self.assertNotEqual(res.rc, 0, repr(res))

    def account(self, user=None):
        return self.sb.accounts('GetAccount', 's', user or self.user)

    def audit(self, user=None):
        return [e for e in self.sb.accounts('ListAudit', 'tu', 0, 0) if e[1] == (user or self.user)]


def generated_password(res):
    """The password a 'generated' step showed (TEXT_INFO)."""
    for text in res.infos():
        m = re.search(r'password is: (\S+)', text)
        if m:
            return m.group(1)
    return None
