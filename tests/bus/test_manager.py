#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""org.passgate1.Manager and org.passgate1.Conversation over the bus: public methods as an
unprivileged user, GetAccountStatus for root and the owner only, conversations bound to the uid that
began them, the login and change-password flows step by step."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import N, V  # noqa: E402

MGR = N.PG_IFACE_MANAGER
CONV = N.PG_IFACE_CONVERSATION
CLIENT = {'Service': V('s', 'passgate-test'), 'Renderer': V('s', 'text')}


def begin(flow, login, client=None):
    return dict(iface=MGR, method='BeginConversation', sig='ssa{sv}', args=[flow, login, client or CLIENT])


def step(ref, value=None):
    return dict(iface=CONV, method='Step', sig='a{sv}', path={'ref': ref},
                args=[{} if value is None else {'Value': V('s', value)}])


class Manager(harness.TestCase):
    @classmethod
    def setUpClass(cls):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: callers of several uids (runuser)')
        cls.sb = harness.Sandbox().start()
        cls.addClassCleanup(cls.sb.close)
        cls.owner, cls.other = cls.sb.make_users(2)
        cls.pw = harness.strong_password()
        cls.phone = harness.make_phone()
        cls.sb.create_account(cls.owner, cls.pw, FullName='Анна Смирнова', Phone=cls.phone)

    def tearDown(self):
        self.assertNoLeaks(self.sb)

    def seq(self, calls, user):
        return self.sb.call_seq(calls, user)

    # ------------------------------------------------------------- public methods

    def test_password_policy_is_public(self):
        for user in (None, self.other):
            with self.subTest(user=user or 'root'):
                pol = self.sb.manager('GetPasswordPolicy', user=user)
                self.assertGreaterEqual(pol['MinLength'], 15)
                self.assertGreaterEqual(pol['MaxLength'], pol['MinLength'])
                self.assertIn(str(pol['MinLength']), pol['Description'])

    def test_generate_password_is_public_and_passes_policy(self):
        pol = self.sb.manager('GetPasswordPolicy')
        seen = set()
        for user in (None, self.other, self.other):
            pw = self.sb.manager('GeneratePassword', user=user)
            self.sb.secrets.add(pw)
            self.assertTrue(pol['MinLength'] <= len(pw) <= pol['MaxLength'], pw)
            seen.add(pw)
        self.assertEqual(len(seen), 3, 'generated passwords repeat')
        # The policy accepts it (SetPassword checks the same policy).
        self.sb.set_password(self.owner, pw)
        self.assertEqual(self.sb.login(self.owner, pw)[0], 'done')
        self.sb.set_password(self.owner, self.pw)

    # ------------------------------------------------------------- GetAccountStatus

    def test_account_status_as_root(self):
        st = self.sb.manager('GetAccountStatus', 's', self.owner)
        self.assertEqual(set(st) >= {'PasswordChangeRequired', 'Locked', 'PasswordExpiresUSec'}, True, st)
        self.assertFalse(st['Locked'])
        self.assertFalse(st['PasswordChangeRequired'])

    def test_account_status_as_owner(self):
        st = self.sb.manager('GetAccountStatus', 's', self.owner, user=self.owner)
        self.assertFalse(st['Locked'])

    def test_account_status_as_other_user_denied(self):
        self.assertBusError(N.PG_ERROR_ACCESS_DENIED, self.sb.manager, 'GetAccountStatus', 's',
                            self.owner, user=self.other)
        # Not even whether an account exists.
        self.assertBusError(N.PG_ERROR_ACCESS_DENIED, self.sb.manager, 'GetAccountStatus', 's',
                            'pgnosuchuser', user=self.other)

    def test_account_status_unknown_account_as_root(self):
        self.assertBusError(N.PG_ERROR_NO_SUCH_ACCOUNT, self.sb.manager, 'GetAccountStatus', 's',
                            self.other)

    # ------------------------------------------------------------- conversations and uids

    def test_conversation_only_for_the_uid_that_began_it(self):
        path = self.sb.manager('BeginConversation', 'ssa{sv}', 'login', self.owner, CLIENT)
        for user in (self.owner, self.other):
            with self.subTest(user=user):
                r = self.sb.call_seq([dict(iface=CONV, method='Step', sig='a{sv}', path=path, args=[{}]),
                                      dict(iface=CONV, method='Cancel', path=path)], user)
                self.assertEqual([x.get('error') for x in r], [N.PG_ERROR_ACCESS_DENIED] * 2, r)
        # Still usable by its owner (root here).
        kind, prompt = self.sb.step(path)
        self.assertEqual((kind, prompt['Id']), ('secret', 'password'))
        kind, prompt = self.sb.step(path, self.pw)
        self.assertEqual(kind, 'done')

    def test_conversation_of_an_unprivileged_user(self):
        # other begins (public) and steps; root's own connection is a different uid.
        r = self.seq([begin('login', self.phone), step(0), step(0, self.pw)], self.other)
        self.assertNotIn('error', r[1], r)
        self.assertEqual(r[1]['value'][1]['Id'], 'password')
        self.assertEqual(r[2]['value'][0], 'done', r)
        self.assertEqual(r[2]['value'][1]['User'], self.owner)
        r = self.seq([begin('login', '')], self.other)
        path = r[0]['value']
        e = self.assertBusError(N.PG_ERROR_ACCESS_DENIED, self.sb.step, path)
        self.assertTrue(e.message)

    def test_login_flow_steps(self):
        steps = self.sb.converse('login', '', [harness.national_phone(self.phone), self.pw])
        self.assertEqual([(k, p.get('Id')) for k, p in steps],
                         [('text', 'identifier'), ('secret', 'password'), ('done', 'done')])
        for k, p in steps:
            self.assertTrue(p.get('Message'), p)
        self.assertEqual(steps[-1][1]['User'], self.owner)
        self.assertFalse(steps[-1][1]['PasswordChangeRequired'])

    def test_wrong_password_and_unknown_identifier_look_alike(self):
        wrong = self.sb.converse('login', '', [self.phone, harness.strong_password()])
        unknown = self.sb.converse('login', '', [harness.make_phone(), harness.strong_password()])
        nouser = self.sb.converse('login', 'pgnosuchuser', [harness.strong_password()])
        self.assertEqual(wrong, unknown)
        self.assertEqual(wrong[1:], nouser)
        kind, prompt = wrong[-1]
        self.assertEqual(kind, 'failed')
        self.assertEqual(prompt['Error'], N.PG_ERROR_AUTHENTICATION_FAILED)
        self.assertEqual(prompt['Message'], 'Wrong login or password.')

    def test_conversation_properties_and_cancel(self):
        path = self.sb.manager('BeginConversation', 'ssa{sv}', 'login', self.owner, CLIENT)
        flow = self.sb.call('org.freedesktop.DBus.Properties', 'Get', 'ss', CONV, 'Flow', path=path)
        self.assertEqual(flow, 'login')
        expires = self.sb.call('org.freedesktop.DBus.Properties', 'Get', 'ss', CONV, 'ExpiresUSec', path=path)
        self.assertGreater(expires, 0)
        self.sb.call(CONV, 'Cancel', path=path)
        with self.assertRaises(harness.BusError):
            self.sb.step(path)

    def test_conversation_expires_after_15_minutes_idle(self):
        if os.environ.get('PASSGATE_TEST_HOOKS') != '1':
            self.fail('needs a build with -Dtest_hooks=true (a movable clock)')
        try:
            path = self.sb.manager('BeginConversation', 'ssa{sv}', 'login', self.owner, CLIENT)
            self.sb.step(path)
            self.sb.set_clock(14 * 60)
            expires = self.sb.call('org.freedesktop.DBus.Properties', 'Get', 'ss', CONV, 'ExpiresUSec',
                                   path=path)
            self.assertGreater(expires, 0)
            self.sb.set_clock(16 * 60)
            try:
                kind, prompt = self.sb.step(path, self.pw)
            except harness.BusError as e:
                self.assertIn(e.name, (N.PG_ERROR_EXPIRED, 'org.freedesktop.DBus.Error.UnknownObject',
                                       'org.freedesktop.DBus.Error.UnknownMethod'), e)
            else:
                self.assertEqual(kind, 'failed', 'a conversation idle for 16 minutes goes on')
                self.assertEqual(prompt['Error'], N.PG_ERROR_EXPIRED)
        finally:
            self.sb.set_clock(0)

    def test_unknown_flow_refused(self):
        self.assertBusError((N.PG_ERROR_INVALID_ARGS,), self.sb.manager, 'BeginConversation', 'ssa{sv}',
                            'teleport', self.owner, CLIENT)

    # ------------------------------------------------------------- change-password

    def test_change_password_as_owner(self):
        new = harness.strong_password()
        self.sb.secrets.add(new)
        r = self.seq([begin('change-password', self.owner), step(0), step(0, self.pw), step(0, new),
                      step(0, new)], self.owner)
        ids = [(x['value'][0], x['value'][1]['Id']) for x in r[1:]]
        self.assertEqual(ids, [('secret', 'old-password'), ('secret', 'new-password'),
                               ('secret', 'repeat-password'), ('done', 'done')], r)
        self.assertEqual(self.sb.login(self.owner, new)[0], 'done')
        self.assertEqual(self.sb.login(self.owner, self.pw)[0], 'failed')
        self.sb.set_password(self.owner, self.pw)

    def test_change_someone_elses_password_denied(self):
        r = self.seq([begin('change-password', self.owner)], self.other)
        self.assertEqual(r[0].get('error'), N.PG_ERROR_ACCESS_DENIED, r)
        # AdminReset is honoured only for root.
        r = self.seq([begin('change-password', self.owner, dict(CLIENT, AdminReset=V('b', True)))],
                     self.other)
        self.assertEqual(r[0].get('error'), N.PG_ERROR_ACCESS_DENIED, r)
        r = self.seq([begin('change-password', self.owner, dict(CLIENT, AdminReset=V('b', True))), step(0)],
                     self.owner)
        # For the owner AdminReset is refused or ignored; either way no step without the old password.
        if 'error' in r[0]:
            self.assertEqual(r[0]['error'], N.PG_ERROR_ACCESS_DENIED, r)
        else:
            self.assertEqual(r[1]['value'][1]['Id'], 'old-password', r)

    def test_admin_reset_as_root(self):
        new = harness.strong_password()
        steps = self.sb.converse('change-password', self.owner, [new, new],
                                 client=dict(CLIENT, AdminReset=V('b', True)))
        self.assertEqual([p['Id'] for _, p in steps], ['new-password', 'repeat-password', 'done'])
        self.assertEqual(self.sb.login(self.owner, new)[0], 'done')
        self.sb.set_password(self.owner, self.pw)

    def test_change_with_generated_password(self):
        steps = self.sb.converse('change-password', self.owner, [self.pw, ''])
        self.assertEqual([(k, p['Id']) for k, p in steps],
                         [('secret', 'old-password'), ('secret', 'new-password'), ('info', 'generated'),
                          ('done', 'done')])
        generated = steps[2][1]['Password']
        self.sb.secrets.add(generated)
        self.assertIn(generated, steps[2][1]['Message'])
        self.assertEqual(self.sb.login(self.owner, generated)[0], 'done')
        self.sb.set_password(self.owner, self.pw)

    def test_change_refuses_weak_and_mismatched(self):
        new = harness.strong_password()
        steps = self.sb.converse('change-password', self.owner, [self.pw, 'short', new, new + 'x'])
        ids = [p['Id'] for _, p in steps]
        self.assertEqual(ids, ['old-password', 'new-password', 'new-password', 'repeat-password',
                               'new-password'], steps)
        self.assertIn('short', steps[2][1]['Notice'])
        self.assertIn('match', steps[4][1]['Notice'])
        steps = self.sb.converse('change-password', self.owner, [self.pw, self.pw])
        self.assertEqual(steps[-1][1]['Id'], 'new-password', steps)
        self.assertIn('same', steps[-1][1]['Notice'])
        self.assertEqual(self.sb.login(self.owner, self.pw)[0], 'done')

    def test_change_gives_up_after_three_refusals(self):
        steps = self.sb.converse('change-password', self.owner, [self.pw, 'short', 'tiny', 'small'])
        kind, prompt = steps[-1]
        self.assertEqual(kind, 'failed', steps)
        self.assertEqual(prompt['Error'], N.PG_ERROR_PASSWORD_REJECTED)
        self.assertEqual(self.sb.login(self.owner, self.pw)[0], 'done')

if __name__ == '__main__':
    harness.main()
