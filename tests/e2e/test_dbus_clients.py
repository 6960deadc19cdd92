#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""D-Bus clients nobody here wrote, against passgated on the sandbox bus (the shipped bus policy):
busctl and gdbus introspect the daemon and must find exactly the interfaces of dbus/*.xml, call the
public methods as an unprivileged user and are refused the admin ones; a python3-dbus program
written as a desktop application would be (its own script, its own connection, run as a throwaway
unprivileged user through runuser) changes its user's password through a conversation, and the new
password then works through pam_passgate.so.

busctl (sd-bus), gdbus (GDBus) and python3-dbus (libdbus) all follow DBUS_SYSTEM_BUS_ADDRESS; none
of them is setuid. Root only (throwaway users, a second uid); skipped (77) when not root.
"""
import ast
import glob
import json
import os
import pwd
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import N, clients, strong_password  # noqa: E402

BUSCTL = '/usr/bin/busctl'
GDBUS = '/usr/bin/gdbus'
ACCESS_DENIED = 'org.freedesktop.DBus.Error.AccessDenied'

# The desktop application: what a settings panel's "change password" page does over D-Bus. It reads
# {"login", "old", "new"} on stdin (new = "" asks the daemon to generate one) and answers each step
# by its stable Id, as a graphical client renders them. Prints a JSON summary; never a typed secret.
APP_CLIENT = r'''
import json
import os
import sys

import dbus

BUS_NAME, PATH = 'org.passgate1', '/org/passgate1'


def main():
    req = json.load(sys.stdin)
    if not os.environ.get('DBUS_SYSTEM_BUS_ADDRESS'):
        sys.exit('DBUS_SYSTEM_BUS_ADDRESS is not set: refusing to talk to the host bus')
    bus = dbus.SystemBus()
    manager = dbus.Interface(bus.get_object(BUS_NAME, PATH), 'org.passgate1.Manager')
    out = {'uid': os.getuid(), 'steps': []}
    try:
        path = manager.BeginConversation('change-password', req['login'],
                                         {'Renderer': 'app', 'Service': 'passgate-e2e-app'},
                                         signature='ssa{sv}')
    except dbus.exceptions.DBusException as e:
        out['begin_error'] = e.get_dbus_name()
        print(json.dumps(out))
        return
    obj = bus.get_object(BUS_NAME, path)
    conv = dbus.Interface(obj, 'org.passgate1.Conversation')
    out['flow'] = str(obj.Get('org.passgate1.Conversation', 'Flow',
                              dbus_interface='org.freedesktop.DBus.Properties'))
    answers = {'old-password': req['old'], 'new-password': req['new'], 'repeat-password': req['new']}
    kind, prompt = conv.Step({}, signature='a{sv}')
    while True:
        step = {'kind': str(kind), 'id': str(prompt.get('Id', '')), 'message': str(prompt.get('Message', ''))}
        if 'User' in prompt:
            step['user'] = str(prompt['User'])
        if 'Error' in prompt:
            step['error'] = str(prompt['Error'])
        out['steps'].append(step)
        if kind in ('done', 'failed') or len(out['steps']) > 20:
            break
        if kind == 'info':
            if step['id'] == 'generated':
                out['generated'] = str(prompt['Password'])
            kind, prompt = conv.Step({}, signature='a{sv}')
        elif kind in ('secret', 'text') and step['id'] in answers:
            kind, prompt = conv.Step({'Value': dbus.String(answers[step['id']], variant_level=1)},
                                     signature='a{sv}')
        else:
            out['unexpected'] = step
            conv.Cancel()
            break
    # The conversation ended with its flow: it cannot be stepped again.
    try:
        conv.Step({}, signature='a{sv}')
        out['after_end'] = 'answered'
    except dbus.exceptions.DBusException as e:
        out['after_end'] = e.get_dbus_name()
    print(json.dumps(out))


main()
'''


def shipped_interfaces(source_root):
    """{interface: (object path or None for a conversation, description)} from dbus/*.xml."""
    out = {}
    for path in sorted(glob.glob(os.path.join(source_root, 'dbus', '*.xml'))):
        root = ET.parse(path).getroot()
        for iface in root.iter('interface'):
            out[iface.get('name')] = (root.get('name'), describe(iface))
    return out


def describe(iface):
    """Methods with their in/out signatures, signals with theirs, properties with type and access."""
    def sig(el, direction):
        return ''.join(a.get('type') for a in el.findall('arg')
                       if (a.get('direction') or ('in' if el.tag == 'method' else 'out')) == direction)
    return {
        'methods': {m.get('name'): (sig(m, 'in'), sig(m, 'out')) for m in iface.findall('method')},
        'signals': {s.get('name'): sig(s, 'out') for s in iface.findall('signal')},
        'properties': {p.get('name'): (p.get('type'), p.get('access')) for p in iface.findall('property')},
    }


def introspected(xml_text):
    root = ET.fromstring(xml_text)
    return {i.get('name'): describe(i) for i in root.findall('interface')}


class DbusClients(harness.TestCase):
    @classmethod
    def setUpClass(cls):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: throwaway users and a second uid (runuser)')
        clients.need_programs(BUSCTL, GDBUS)
        cls.sb = harness.Sandbox(daemon=False).start()
        cls.addClassCleanup(cls.sb.close)
        cls.user, cls.other = cls.sb.make_users(2)
        cls.app_script = os.path.join(cls.sb.tmp, 'desktop-app.py')
        with open(cls.app_script, 'w', encoding='utf-8') as f:
            f.write(APP_CLIENT)
        os.chmod(cls.app_script, 0o644)
        cls.shipped = shipped_interfaces(cls.sb.source_root)

    def setUp(self):
        if self.sb.daemon_proc is None:
            self.sb.start_daemon(fresh=True)
        else:
            self.sb.restart_daemon(fresh=True)
        self.pw = strong_password()
        self.sb.secrets.add(self.pw)

    def tearDown(self):
        self.assertNoLeaks(self.sb)

    # ------------------------------------------------------------------ helpers

    def run_as(self, user, argv, input=None):
        """argv as `user` (runuser; None: root), with the sandbox bus in the environment."""
        env = self.sb.base_env()
        full = (['runuser', '-u', user, '--'] if user else []) + list(argv)
        p = subprocess.run(full, input=input, capture_output=True, text=True, env=env, timeout=60,
                           cwd=self.sb.tmp)
        p.argv = full
        return p

    def ok(self, p):
        self.assertEqual(p.returncode, 0, f'$ {" ".join(p.argv)}\n{p.stdout}\n{p.stderr}')
        return p.stdout

    def busctl(self, user, *args):
        return self.run_as(user, [BUSCTL, '--system'] + list(args))

    def gdbus(self, user, *args):
        return self.run_as(user, [GDBUS] + list(args[:1]) + ['--system'] + list(args[1:]))

    def conversation_path(self, user):
        """A login conversation begun by `user` (its own, so it may introspect it)."""
        return self.sb.manager('BeginConversation', 'ssa{sv}', 'login', user,
                               {'Renderer': harness.V('s', 'app')}, user=user)

    def make_account(self, user=None, must_change=False):
        self.sb.create_account(user or self.user, self.pw, must_change,
                               FullName='Ольга Смирнова')

    def app(self, user, login, old, new):
        """Runs the desktop application as `user`; returns its JSON summary."""
        for s in (old, new):
            if s:
                self.sb.secrets.add(s)
        p = self.run_as(user, ['/usr/bin/python3', self.app_script],
                        input=json.dumps({'login': login, 'old': old, 'new': new}))
        out = self.ok(p)
        res = json.loads(out)
        self.assertEqual(res['uid'], pwd.getpwnam(user).pw_uid, 'the app ran as that user')
        return res

    def assertMatchesShipped(self, got, path_kind):
        """got: {interface: description} of one object. Every shipped org.passgate1 interface of that
        object is there exactly as shipped, and the object has no org.passgate1 interface more."""
        want = {name: d for name, (path, d) in self.shipped.items() if path == path_kind}
        self.assertTrue(want, f'no interface in dbus/*.xml for {path_kind}')
        ours = {name: d for name, d in got.items() if name.startswith(N.PG_BUS_NAME + '.')}
        self.assertEqual(sorted(ours), sorted(want))
        for name, d in want.items():
            with self.subTest(interface=name):
                self.assertEqual(ours[name], d)

    # ------------------------------------------------------------------ introspection

    def test_busctl_introspection_matches_the_shipped_xml(self):
        xml = self.ok(self.busctl(self.user, 'introspect', '--xml-interface', N.PG_BUS_NAME,
                                  N.PG_OBJECT_PATH))
        self.assertMatchesShipped(introspected(xml), N.PG_OBJECT_PATH)
        conv = self.conversation_path(self.user)
        xml = self.ok(self.busctl(self.user, 'introspect', '--xml-interface', N.PG_BUS_NAME, conv))
        self.assertMatchesShipped(introspected(xml), None)

    def test_gdbus_introspection_matches_the_shipped_xml(self):
        xml = self.ok(self.gdbus(self.user, 'introspect', '--dest', N.PG_BUS_NAME,
                                 '--object-path', N.PG_OBJECT_PATH, '--xml'))
        self.assertMatchesShipped(introspected(xml), N.PG_OBJECT_PATH)
        conv = self.conversation_path(self.user)
        xml = self.ok(self.gdbus(self.user, 'introspect', '--dest', N.PG_BUS_NAME,
                                 '--object-path', conv, '--xml'))
        self.assertMatchesShipped(introspected(xml), None)

    def test_another_uids_conversation_is_closed_to_these_tools(self):
        conv = self.conversation_path(self.user)
        p = self.busctl(self.other, 'introspect', N.PG_BUS_NAME, conv)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn('Access denied', p.stderr)
        p = self.gdbus(self.other, 'call', '--dest', N.PG_BUS_NAME, '--object-path', conv,
                       '--method', f'{N.PG_IFACE_CONVERSATION}.Step', '{}')
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn(ACCESS_DENIED, p.stderr)
        # Its owner may still use it: the refusal was about the uid, not the object.
        kind, prompt = self.sb.step(conv, user=self.user)
        self.assertEqual((kind, prompt['Id']), ('secret', 'password'))

    # ------------------------------------------------------------------ public and admin calls

    def test_busctl_reads_the_password_policy_as_a_user(self):
        out = self.ok(self.busctl(self.user, '--json=short', 'call', N.PG_BUS_NAME, N.PG_OBJECT_PATH,
                                  N.PG_IFACE_MANAGER, 'GetPasswordPolicy'))
        reply = json.loads(out)
        self.assertEqual(reply['type'], 'a{sv}')
        policy = {k: v['data'] for k, v in reply['data'][0].items()}
        self.assertEqual(policy, self.sb.manager('GetPasswordPolicy'))
        self.assertGreaterEqual(policy['MinLength'], 15)
        self.assertGreaterEqual(policy['MaxLength'], policy['MinLength'])
        self.assertTrue(policy['Description'].strip())

    def test_gdbus_generates_a_password_that_the_policy_accepts(self):
        policy = self.sb.manager('GetPasswordPolicy')
        got = []
        for _ in range(2):
            out = self.ok(self.gdbus(self.user, 'call', '--dest', N.PG_BUS_NAME,
                                     '--object-path', N.PG_OBJECT_PATH,
                                     '--method', f'{N.PG_IFACE_MANAGER}.GeneratePassword'))
            value = ast.literal_eval(out.strip())
            self.assertIsInstance(value, tuple)
            self.assertEqual(len(value), 1, out)
            got.append(value[0])
            self.sb.secrets.add(value[0])
        self.assertNotEqual(got[0], got[1], 'two generated passwords are the same')
        for pw in got:
            self.assertGreaterEqual(len(pw), policy['MinLength'])
            self.assertLessEqual(len(pw), policy['MaxLength'])
        # The daemon itself accepts it for an account (the policy, zxcvbn and the account's own
        # details are checked on SetPassword), and it logs in.
        self.make_account()
        self.sb.set_password(self.user, got[0])
        res = self.sb.pam('passgate', user=self.user, answers=[got[0]])
        self.assertPam(res, auth='PAM_SUCCESS', acct='PAM_SUCCESS')

    def test_admin_methods_are_refused_to_a_user(self):
        self.make_account()
        p = self.busctl(self.user, 'call', N.PG_BUS_NAME, N.PG_OBJECT_PATH, N.PG_IFACE_ACCOUNTS,
                        'ListAccounts')
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn('Access denied', p.stderr)
        self.assertNotIn(self.user, p.stdout)
        p = self.gdbus(self.user, 'call', '--dest', N.PG_BUS_NAME, '--object-path', N.PG_OBJECT_PATH,
                       '--method', f'{N.PG_IFACE_ACCOUNTS}.SetPassword', self.user, self.pw + 'x', 'false')
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn(ACCESS_DENIED, p.stderr)
        p = self.gdbus(self.other, 'call', '--dest', N.PG_BUS_NAME, '--object-path', N.PG_OBJECT_PATH,
                       '--method', f'{N.PG_IFACE_ACCOUNTS}.CreateAccount', self.other, '{}')
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn(ACCESS_DENIED, p.stderr)
        # Nothing changed.
        self.assertEqual(self.sb.accounts('ListAccounts'), [self.user])
        res = self.sb.pam('passgate', user=self.user, answers=[self.pw])
        self.assertPam(res, auth='PAM_SUCCESS')

    # ------------------------------------------------------------------ a desktop application

    def test_app_changes_its_users_password(self):
        self.make_account()
        new = strong_password()
        rec = self.sb.record_signals()
        res = self.app(self.user, self.user, self.pw, new)
        self.assertNotIn('unexpected', res, res)
        self.assertEqual(res['flow'], 'change-password')
        self.assertEqual([(s['kind'], s['id']) for s in res['steps']],
                         [('secret', 'old-password'), ('secret', 'new-password'),
                          ('secret', 'repeat-password'), ('done', 'done')], res)
        self.assertEqual(res['steps'][-1]['user'], self.user)
        self.assertTrue(all(s['message'] for s in res['steps']), 'every step has a message to show')
        self.assertNotEqual(res['after_end'], 'answered', 'a finished conversation went on')
        # What a desktop shell would see, and what the audit says: a change by the user's own uid.
        self.assertIsNotNone(rec.wait_for('PasswordChanged', [self.user, 'change']), rec.got)
        changed = [e for e in self.sb.accounts('ListAudit', 'tu', 0, 0)
                   if e[1] == self.user and e[2] == 'password-changed']
        self.assertEqual(changed[-1][3].split(), [f'caller={pwd.getpwnam(self.user).pw_uid}', 'change'],
                         changed)
        # The new password works through the PAM module; the old one does not.
        res = self.sb.pam('passgate', user=self.user, answers=[new])
        self.assertPam(res, auth='PAM_SUCCESS', acct='PAM_SUCCESS')
        res = self.sb.pam('passgate', user=self.user, answers=[self.pw])
        self.assertPam(res, auth='PAM_AUTH_ERR')

    def test_app_takes_a_generated_password(self):
        self.make_account()
        res = self.app(self.user, self.user, self.pw, '')
        self.assertEqual([(s['kind'], s['id']) for s in res['steps']],
                         [('secret', 'old-password'), ('secret', 'new-password'),
                          ('info', 'generated'), ('done', 'done')], res)
        generated = res['generated']
        self.sb.secrets.add(generated)
        res = self.sb.pam('passgate', user=self.user, answers=[generated])
        self.assertPam(res, auth='PAM_SUCCESS', acct='PAM_SUCCESS')

    def test_app_with_a_wrong_current_password_changes_nothing(self):
        self.make_account()
        res = self.app(self.user, self.user, strong_password(), strong_password())
        self.assertEqual([(s['kind'], s['id']) for s in res['steps']][:1], [('secret', 'old-password')])
        self.assertEqual(res['steps'][-1]['kind'], 'failed', res)
        self.assertEqual(res['steps'][-1]['error'], N.PG_ERROR_AUTHENTICATION_FAILED)
        self.assertNotIn(('secret', 'new-password'), [(s['kind'], s['id']) for s in res['steps']])
        res = self.sb.pam('passgate', user=self.user, answers=[self.pw])
        self.assertPam(res, auth='PAM_SUCCESS', acct='PAM_SUCCESS')

    def test_app_cannot_change_another_users_password(self):
        self.make_account()
        res = self.app(self.other, self.user, self.pw, strong_password())
        self.assertEqual(res.get('begin_error'), ACCESS_DENIED, res)
        self.assertEqual(res['steps'], [])
        res = self.sb.pam('passgate', user=self.user, answers=[self.pw])
        self.assertPam(res, auth='PAM_SUCCESS', acct='PAM_SUCCESS')

    # Recovery (issue 3) through an application goes here once the flow exists:
    # BeginConversation("recovery", ...) from an unprivileged app, the code read from the spool.


if __name__ == '__main__':
    harness.main()
