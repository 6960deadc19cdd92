#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Who may call org.passgate1.Accounts: every method as root, as the account's owner and as another
unprivileged user, with the polkit mock allowing org.passgate1.manage, denying it, and with no polkit
on the bus (then only root). A refused call changes nothing."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import unittest  # noqa: E402

import harness  # noqa: E402
from harness import N  # noqa: E402

MANAGE = N.PG_POLKIT_MANAGE


class AuthzBase(harness.TestCase):
    polkit = None           # None: no polkit on the bus; else the allowed action ids
    polkit_allows = False

    @classmethod
    def setUpClass(cls):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: callers of three uids (runuser)')
        cls.sb = harness.Sandbox(polkit=cls.polkit, daemon=False).start()
        cls.addClassCleanup(cls.sb.close)
        cls.owner, cls.other = cls.sb.make_users(2)

    def setUp(self):
        sb = self.sb
        if sb.daemon_proc is not None:
            sb.stop_daemon()
        sb.start_daemon(fresh=True)
        self.password = harness.strong_password()
        self.phone = harness.make_phone()

    def tearDown(self):
        self.assertNoLeaks(self.sb)

    def caller(self, who):
        return {'root': None, 'owner': self.owner, 'other': self.other}[who]

    def make_owner_account(self, **kw):
        self.sb.create_account(self.owner, self.password, FullName='Ivan Petrov', Phone=self.phone, **kw)

    def root_accounts(self, *a):
        return self.sb.accounts(*a)

    def status(self):
        return self.sb.manager('GetAccountStatus', 's', self.owner)

    def listed(self):
        return self.owner in self.root_accounts('ListAccounts')

    def check(self, who, method, sig, *args):
        """Calls as who; returns (allowed, reply). A refusal must be AccessDenied."""
        allowed = who == 'root' or self.polkit_allows
        call = lambda: self.sb.accounts(method, sig, *args, user=self.caller(who))  # noqa: E731
        if allowed:
            return True, call()
        self.assertBusError(N.PG_ERROR_ACCESS_DENIED, call)
        return False, None

    # ---------------------------------------------------------------- one scenario per method

    def scenario_CreateAccount(self, who):
        props = harness.account_props(FullName='Ivan Petrov', Phone=self.phone)
        allowed, _ = self.check(who, 'CreateAccount', 'sa{sv}', self.owner, props)
        self.assertEqual(self.listed(), allowed)

    def scenario_UpdateAccount(self, who):
        self.make_owner_account()
        before = self.root_accounts('GetAccount', 's', self.owner)
        new_phone = harness.make_phone()
        allowed, _ = self.check(who, 'UpdateAccount', 'sa{sv}', self.owner,
                                harness.account_props(FullName='Pyotr Ivanov', Phone=new_phone))
        after = self.root_accounts('GetAccount', 's', self.owner)
        if allowed:
            self.assertNotEqual(before, after)
            self.assertEqual(self.sb.login(new_phone, self.password)[0], 'done')
        else:
            self.assertEqual(before, after)
            self.assertEqual(self.sb.login(self.phone, self.password)[0], 'done')

    def scenario_DeleteAccount(self, who):
        self.make_owner_account()
        allowed, _ = self.check(who, 'DeleteAccount', 's', self.owner)
        self.assertEqual(self.listed(), not allowed)

    def scenario_GetAccount(self, who):
        self.make_owner_account()
        allowed, reply = self.check(who, 'GetAccount', 's', self.owner)
        if allowed:
            self.assertIsInstance(reply, dict)
            self.assertTrue(reply)

    def scenario_ListAccounts(self, who):
        self.make_owner_account()
        allowed, reply = self.check(who, 'ListAccounts', '')
        if allowed:
            self.assertIn(self.owner, reply)

    def scenario_SetPassword(self, who):
        self.make_owner_account()
        new = harness.strong_password()
        self.sb.secrets.add(new)
        allowed, _ = self.check(who, 'SetPassword', 'ssb', self.owner, new, False)
        self.assertEqual(self.sb.login(self.owner, new)[0], 'done' if allowed else 'failed')
        self.assertEqual(self.sb.login(self.owner, self.password)[0], 'failed' if allowed else 'done')

    def scenario_ExpirePassword(self, who):
        self.make_owner_account()
        allowed, _ = self.check(who, 'ExpirePassword', 's', self.owner)
        self.assertEqual(self.status()['PasswordChangeRequired'], allowed)

    def scenario_LockAccount(self, who):
        self.make_owner_account()
        allowed, _ = self.check(who, 'LockAccount', 'ss', self.owner, 'left the company')
        self.assertEqual(self.status()['Locked'], allowed)
        self.assertEqual(self.sb.login(self.owner, self.password)[0], 'failed' if allowed else 'done')

    def scenario_UnlockAccount(self, who):
        self.make_owner_account()
        self.root_accounts('LockAccount', 'ss', self.owner, 'on leave')
        allowed, _ = self.check(who, 'UnlockAccount', 's', self.owner)
        self.assertEqual(self.status()['Locked'], not allowed)

    def scenario_ListAudit(self, who):
        self.make_owner_account()
        allowed, reply = self.check(who, 'ListAudit', 'tu', 0, 0)
        if allowed:
            self.assertTrue(any(e[1] == self.owner for e in reply), reply)


METHODS = ['CreateAccount', 'UpdateAccount', 'DeleteAccount', 'GetAccount', 'ListAccounts',
           'SetPassword', 'ExpirePassword', 'LockAccount', 'UnlockAccount', 'ListAudit']


def _make(method, who):
    def test(self):
        getattr(self, f'scenario_{method}')(who)
    test.__doc__ = f'Accounts.{method} called as {who}'
    return test


for _m in METHODS:
    for _who in ('root', 'owner', 'other'):
        setattr(AuthzBase, f'test_{_m}_as_{_who}', _make(_m, _who))


class PolkitAllows(AuthzBase):
    polkit = [MANAGE]
    polkit_allows = True


class PolkitDenies(AuthzBase):
    polkit = []


class PolkitAllowsOtherActionsOnly(AuthzBase):
    """The daemon must ask for org.passgate1.manage, not some other action."""
    polkit = [N.PG_POLKIT_SUPPORT, N.PG_POLKIT_SERVICE_CENTER]


class NoPolkit(AuthzBase):
    polkit = None


del AuthzBase   # only the concrete classes run

if __name__ == '__main__':
    harness.main()
