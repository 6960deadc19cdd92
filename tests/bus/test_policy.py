#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The shipped bus policy (dbus/org.passgate1.conf, included by the test bus) and the daemon's
introspection against the interface files in dbus/."""
import glob
import os
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import N, V  # noqa: E402

DBUS = dict(dest='org.freedesktop.DBus', path='/org/freedesktop/DBus', iface='org.freedesktop.DBus')


def interfaces(xml_text):
    """{interface: {method: [(direction, type)]}} of an introspection document."""
    out = {}
    for iface in ET.fromstring(xml_text).iter('interface'):
        out[iface.get('name')] = {
            m.get('name'): [(a.get('direction', 'in'), a.get('type')) for a in m.iter('arg')]
            for m in iface.iter('method')}
    return out


class Policy(harness.TestCase):
    @classmethod
    def setUpClass(cls):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: an unprivileged second uid (runuser)')
        cls.sb = harness.Sandbox().start()
        cls.addClassCleanup(cls.sb.close)
        (cls.user,) = cls.sb.make_users(1)

    @unittest.skipIf(os.environ.get('PASSGATE_ASAN_PRELOAD'), 'ASan turns mlock() into a no-op')
    def test_pepper_keys_locked_in_memory(self):
        """The pepper's keys are mlock()ed: never written to swap."""
        with open(f'/proc/{self.sb.daemon_proc.pid}/status', encoding='ascii') as f:
            locked = [int(line.split()[1]) for line in f if line.startswith('VmLck:')]
        self.assertGreater(locked[0], 0)

    def test_unprivileged_user_may_not_own_the_name(self):
        r = self.sb.call_seq([dict(DBUS, method='RequestName', sig='su', args=[N.PG_BUS_NAME, 0])], self.user)
        self.assertEqual(r[0].get('error'), N.PG_ERROR_ACCESS_DENIED, r)

    def test_root_may_own_the_name(self):
        # Queued behind the running daemon (it is not replaced), then released.
        reply = self.sb.call(DBUS['iface'], 'RequestName', 'su', N.PG_BUS_NAME, 0, dest=DBUS['dest'],
                             path=DBUS['path'])
        self.assertIn(reply, (2, 3))
        self.sb.call(DBUS['iface'], 'ReleaseName', 's', N.PG_BUS_NAME, dest=DBUS['dest'], path=DBUS['path'])
        self.assertEqual(self.sb.owner_pid(N.PG_BUS_NAME), self.sb.daemon_proc.pid)

    def test_unprivileged_user_may_call_passgate_interfaces(self):
        r = self.sb.call_seq([
            dict(iface=N.PG_IFACE_MANAGER, method='GetPasswordPolicy'),
            dict(iface='org.freedesktop.DBus.Introspectable', method='Introspect'),
            dict(iface='org.freedesktop.DBus.Peer', method='Ping'),
            dict(iface='org.freedesktop.DBus.Properties', method='GetAll', sig='s', args=[N.PG_IFACE_MANAGER]),
        ], self.user)
        self.assertEqual([x.get('error') for x in r], [None] * 4, r)

    def test_other_interfaces_blocked_by_the_bus(self):
        r = self.sb.call_seq([dict(iface='org.example.Backdoor', method='Open')], self.user)
        self.assertEqual(r[0].get('error'), N.PG_ERROR_ACCESS_DENIED, r)
        self.assertIn('Rejected send message', r[0]['message'], 'refused by the bus, not the daemon')

    def test_introspection_matches_the_shipped_interface_files(self):
        path = self.sb.manager('BeginConversation', 'ssa{sv}', 'login', 'x', {'Service': V('s', 't')})
        live = {}
        for p in (N.PG_OBJECT_PATH, path):
            live.update(interfaces(self.sb.call('org.freedesktop.DBus.Introspectable', 'Introspect', path=p)))
        self.sb.call(N.PG_IFACE_CONVERSATION, 'Cancel', path=path)
        files = glob.glob(os.path.join(self.sb.source_root, 'dbus', 'org.passgate1.*.xml'))
        self.assertTrue(files)
        for f in files:
            with open(f, encoding='utf-8') as fh:
                shipped = interfaces(fh.read())
            for iface, methods in shipped.items():
                with self.subTest(interface=iface):
                    self.assertIn(iface, live, f'{iface} ({os.path.basename(f)}) is not served')
                    for name, args in methods.items():
                        self.assertEqual(live[iface].get(name), args, f'{iface}.{name}')



class Lifecycle(harness.TestCase):
    """passgated stops cleanly on SIGTERM/SIGINT (systemd stop, Ctrl-C) with status 0."""

    def test_sigterm_when_idle(self):
        with harness.Sandbox() as sb:
            sb.stop_daemon(check=True)

    def test_sigint(self):
        import signal
        with harness.Sandbox() as sb:
            proc = sb.daemon_proc
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(timeout=10), 0, sb.daemon_log())

    def test_sigterm_after_work(self):
        with harness.Sandbox(polkit=None if harness.is_root() else [N.PG_POLKIT_MANAGE]) as sb:
            sb.manager('GeneratePassword')
            sb.manager('BeginConversation', 'ssa{sv}', 'login', 'nobody', {'Service': V('s', 't')})
            sb.converse('login', 'nobody', [harness.strong_password()])
            sb.stop_daemon(check=True)

    def test_refuses_to_start_with_a_bad_config(self):
        with harness.Sandbox(daemon=False, config={'password': {'hash_cost': 'bogus'}}) as sb:
            proc = sb.start_daemon(fresh=True, wait=False)
            rc = proc.wait(timeout=20)
            sb.daemon_proc = None
            self.assertNotEqual(rc, 0)
            log = sb.daemon_log()
            self.assertIn('passgate.conf', log, 'the error names the file')
            self.assertRegex(log, r'passgate\.conf:\d+|line \d+', 'and the line')
            self.assertFalse(sb.has_owner(N.PG_BUS_NAME))

    def refused_start(self, sb):
        proc = sb.start_daemon(wait=False)
        rc = proc.wait(timeout=20)
        sb.daemon_proc = None
        self.assertNotEqual(rc, 0)
        self.assertFalse(sb.has_owner(N.PG_BUS_NAME))
        return sb.daemon_log()

    def test_refuses_a_state_directory_others_can_read(self):
        with harness.Sandbox(daemon=False) as sb:
            sb.state_dir = os.path.join(sb.tmp, 'state-open')
            os.mkdir(sb.state_dir)
            os.chmod(sb.state_dir, 0o755)
            log = self.refused_start(sb)
            self.assertIn(f'state directory {sb.state_dir} is accessible by group or others', log)
            self.assertIn(f'chmod 0700 {sb.state_dir}', log)
            self.assertEqual(os.listdir(sb.state_dir), [], 'nothing was written into it')

    def test_refuses_a_pepper_others_can_read(self):
        with harness.Sandbox(daemon=False) as sb:
            pepper = os.path.join(sb.tmp, 'pepper')
            with open(pepper, 'wb') as f:
                f.write(os.urandom(32))
            os.chmod(pepper, 0o444)
            sb.state_dir = os.path.join(sb.tmp, 'state-closed')
            os.mkdir(sb.state_dir, 0o700)
            log = self.refused_start(sb)
            self.assertIn(f'pepper {pepper}', log)
            self.assertIn('readable by its owner only', log)
            self.assertEqual(os.listdir(sb.state_dir), [], 'the store was not opened')


if __name__ == '__main__':
    harness.main()
