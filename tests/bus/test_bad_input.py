#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Bad input on every method passgated exports, as root: oversized strings (64 KiB, 1 MiB), control
characters, unknown and mistyped keys in a{sv}, mistyped calls, wrong object paths. Each answer is an
error with a clear name (InvalidArgs or org.passgate1.Error.*; UnknownObject/UnknownMethod for a wrong
path) and a message, never a success; the daemon stays up without a sanitizer report, and the store is
byte-for-byte the same afterwards (`mdb_dump -a`, read-only, while the daemon runs).

Invalid UTF-8 and embedded NUL are no D-Bus strings: python-dbus and busctl refuse to build such a
message; one written byte by byte gets its sender disconnected by dbus-daemon, and passgated never sees
it. A 1 MiB password is refused before any hashing: no failure is counted, nothing is written.

The methods come from introspecting the running daemon: a method METHODS does not describe fails
test_every_method_is_covered, so a new method gets its bad input here too.
"""
import os
import socket
import subprocess
import sys
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import N, V  # noqa: E402
from harness.dbusval import split_signature  # noqa: E402

MGR = N.PG_IFACE_MANAGER
ACC = N.PG_IFACE_ACCOUNTS
CONV = N.PG_IFACE_CONVERSATION
SUP = N.PG_IFACE_SUPPORT
SC = N.PG_IFACE_SERVICECENTERS
ROOT = N.PG_OBJECT_PATH
CONV_PREFIX = N.PG_CONVERSATION_PREFIX

INVALID_ARGS = N.PG_ERROR_INVALID_ARGS
UNKNOWN_OBJECT = 'org.freedesktop.DBus.Error.UnknownObject'
UNKNOWN_METHOD = 'org.freedesktop.DBus.Error.UnknownMethod'
UNKNOWN_INTERFACE = 'org.freedesktop.DBus.Error.UnknownInterface'
PATH_ERRORS = (UNKNOWN_OBJECT, UNKNOWN_METHOD, UNKNOWN_INTERFACE)
# Passgate errors that are no answer to bad input: the store failed.
NOT_CLEAR = (N.PG_ERROR_STORE,)
SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:',
                   'SUMMARY: UndefinedBehaviorSanitizer', 'WARNING: ThreadSanitizer')

KIB64 = 64 * 1024
MIB1 = 1024 * 1024


def clear_argument_error(name):
    """InvalidArgs or a passgate error: a clear answer to bad input."""
    return name == INVALID_ARGS or (name.startswith(N.PG_ERROR_PREFIX) and name not in NOT_CLEAR)


def bad_strings(good):
    """(label, value) for one string argument whose good value is `good`."""
    return [('64KiB', 'x' * KIB64), ('1MiB', 'x' * MIB1), ('newline', good + '\n'),
            ('CR', good + '\r'), ('SOH', good + '\x01'), ('ESC', '\x1b[2J' + good),
            ('DEL', good + '\x7f')]


def oversized(good):
    return [(label, s) for label, s in bad_strings(good) if label in ('64KiB', '1MiB')]


def bad_keys(good_key, good_value):
    """Keys no a{sv} of the API knows; the value is a good one."""
    return [('unknown key', {'NoSuchKey': good_value}),
            ('key in lower case', {good_key.lower(): good_value}),
            ('empty key', {'': good_value}),
            ('64KiB key', {'K' * KIB64: good_value}),
            ('1MiB key', {'K' * MIB1: good_value}),
            ('key with a newline', {good_key + '\n': good_value}),
            ('key with ESC', {'\x1b' + good_key: good_value}),
            ('good key and an unknown one', {good_key: good_value, 'NoSuchKey': good_value}),
            ('unknown key and a good one', {'NoSuchKey': good_value, good_key: good_value})]


def wrong_variants(key, good, kind):
    """A known key with a variant of the wrong type."""
    if kind == 's':
        types = [('u', V('u', 7)), ('b', V('b', True)), ('as', V('as', [good])), ('ay', V('ay', b'x'))]
    elif kind == 'b':
        types = [('s', V('s', 'true')), ('u', V('u', 1)), ('ab', V('ab', [True]))]
    else:
        raise ValueError(kind)
    return [(f'{key} as {label}', {key: v}) for label, v in types]


# What each argument is: the kinds of bad value it gets. For some an empty string is bad too (an empty
# login asks for the identifier, an empty lock reason is none: both fine).
STRING_KINDS = ('user', 'newuser', 'flow', 'login', 'password', 'text')
EMPTY_IS_BAD = ('user', 'newuser', 'flow', 'password')
DICT_KINDS = ('props', 'client', 'answer', 'documents')


class Method:
    """One method of the API: its in-signature, where it lives and its arguments as (kind, good)."""

    def __init__(self, sig, args, where='root'):
        self.sig = sig
        self.args = args            # callable(test) -> [(kind, good value)]
        self.where = where          # 'root' or 'conversation'


METHODS = {
    (MGR, 'BeginConversation'): Method('ssa{sv}', lambda t: [
        ('flow', 'login'), ('login', t.u1), ('client', {'Service': V('s', 'passgate-test')})]),
    (MGR, 'GetAccountStatus'): Method('s', lambda t: [('user', t.u1)]),
    (MGR, 'GetPasswordPolicy'): Method('', lambda t: []),
    (MGR, 'GeneratePassword'): Method('', lambda t: []),
    (ACC, 'CreateAccount'): Method('sa{sv}', lambda t: [
        ('newuser', t.u2), ('props', {'FullName': V('s', 'Пётр Иванов')})]),
    (ACC, 'UpdateAccount'): Method('sa{sv}', lambda t: [
        ('user', t.u1), ('props', {'FullName': V('s', 'Пётр Иванов')})]),
    (ACC, 'DeleteAccount'): Method('s', lambda t: [('user', t.u1)]),
    (ACC, 'GetAccount'): Method('s', lambda t: [('user', t.u1)]),
    (ACC, 'ListAccounts'): Method('', lambda t: []),
    (ACC, 'SetPassword'): Method('ssb', lambda t: [
        ('user', t.u1), ('password', harness.strong_password()), ('b', False)]),
    (ACC, 'ExpirePassword'): Method('s', lambda t: [('user', t.u1)]),
    (ACC, 'LockAccount'): Method('ss', lambda t: [('user', t.u1), ('text', 'left the company')]),
    (ACC, 'UnlockAccount'): Method('s', lambda t: [('user', t.u1)]),
    (ACC, 'IssueTemporaryPassword'): Method('s', lambda t: [('user', t.u1)]),
    (ACC, 'ListAudit'): Method('tu', lambda t: [('t', 0), ('u', 0)]),
    (SUP, 'GetContacts'): Method('', lambda t: []),
    (SUP, 'VerifyIdentity'): Method('ssss', lambda t: [
        ('login', t.u1), ('text', 'Анна Смирнова'), ('text', 'snils'), ('text', t.snils)]),
    (SUP, 'SendRecoveryCode'): Method('s', lambda t: [('login', t.u1)]),
    # Service centers: the good center id names none (NoSuchCenter), and AddCenter's names the one
    # setUp adds (CenterExists), so that even a valid call writes nothing.
    (SC, 'ListCenters'): Method('', lambda t: []),
    (SC, 'ListSlots'): Method('stt', lambda t: [('text', 'no-such-center'), ('t', 0), ('t', 2**63)]),
    (SC, 'BookAppointment'): Method('stss', lambda t: [
        ('text', 'no-such-center'), ('t', t.slot), ('text', 'Анна Смирнова'), ('text', t.phone)]),
    (SC, 'CancelAppointment'): Method('s', lambda t: [('text', 'K7QX-M2PD-9R')]),
    (SC, 'AddCenter'): Method('sssss', lambda t: [
        ('text', 'existing'), ('text', 'Центр госуслуг'), ('text', 'Москва, ул. Тверская, д. 1'),
        ('text', 'Пн-Пт 9-18'), ('text', '+7 495 123-45-67')]),
    (SC, 'RemoveCenter'): Method('s', lambda t: [('text', 'no-such-center')]),
    (SC, 'SetSchedule'): Method('sa(tu)', lambda t: [('text', 'no-such-center'), ('slots', [(t.slot, 1)])]),
    # Reset requests (bus-requests.c). The center exists and u1 is known, but u1 has no passport on
    # record: even the good documents do not match (DocumentsMismatch) and nothing is filed, so bad
    # input reaches the login's resolution and the comparison of the documents. The good request id
    # is well formed and names none (NoSuchRequest).
    (SC, 'FileResetRequest'): Method('ssa{ss}', lambda t: [
        ('text', 'existing'), ('login', t.u1), ('documents', {'passport': '4510 123456', 'snils': t.snils})]),
    (SC, 'ListResetRequests'): Method('', lambda t: []),
    (SC, 'CancelResetRequest'): Method('s', lambda t: [('text', '0123456789abcdef')]),
    (CONV, 'Step'): Method('a{sv}', lambda t: [('answer', {'Value': V('s', t.pw)})], where='conversation'),
    (CONV, 'Cancel'): Method('', lambda t: [], where='conversation'),
}

# Every valid call of these is audited or counted against limits, for an unknown login or coupon too
# (test_support.py, test_centers.py): their valid control calls in the raw test write there. A
# recovery code asked for an account that does not match writes the same amount as one that does
# (the "pad" key in meta), so that its time tells nothing.
ALWAYS_AUDITED = {(SUP, 'VerifyIdentity'), (SUP, 'SendRecoveryCode'), (SC, 'CancelAppointment')}

# A refused filing is audited by design: bus-requests.c refuse() writes "reset-request-refused" (with
# the clerk's uid) for every call that gets as far as comparing the documents and answers
# DocumentsMismatch, bad logins and bad document numbers included (and the raw test's valid control
# call). The audit table is the only one such a call may change: nothing is filed, no account changes.
REFUSAL_AUDITED = {(SC, 'FileResetRequest')}

# A value of another type for a mistyped call, by signature.
WRONG_TYPE = {'s': ('u', 7), 'a{sv}': ('a{ss}', {'Value': 'x'}), 'b': ('s', 'true'), 't': ('s', '0'),
              'u': ('s', '0')}


class Case:
    def __init__(self, label, iface, method, sig, args, path, allowed):
        self.label = label
        self.iface = iface
        self.method = method
        self.sig = sig
        self.args = args
        self.path = path
        self.allowed = allowed      # callable(error name) -> bool

    def __repr__(self):
        return f'{self.iface}.{self.method} on {self.path[:80]!r}: {self.label}'


class RawClient:
    """A D-Bus client written byte by byte, to send what libdbus, sd-bus and python-dbus refuse to
    build. Messages are built by GLib with a placeholder string that is then overwritten in place."""

    def __init__(self, address):
        from gi.repository import Gio, GLib
        self.Gio, self.GLib = Gio, GLib
        params = dict(kv.split('=', 1) for kv in address.split(':', 1)[1].split(','))
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(params['path'])
        self.buf = b''
        self.serial = 0
        self.sock.sendall(b'\0AUTH EXTERNAL ' + str(os.geteuid()).encode().hex().encode() + b'\r\n')
        line = self._line()
        if not line.startswith(b'OK '):
            raise AssertionError(f'bus refused EXTERNAL auth: {line!r}')
        self.sock.sendall(b'BEGIN\r\n')
        hello = self.message('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                             'Hello', None)
        self.sock.sendall(hello[1])
        if self.reply(hello[0]) is None:
            raise AssertionError('no reply to Hello')

    def close(self):
        self.sock.close()

    def _line(self):
        while b'\r\n' not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError('bus closed the connection during auth')
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b'\r\n')
        return line

    def message(self, dest, path, iface, member, body):
        """(serial, bytes) of a method call; body is a GLib.Variant tuple or None."""
        self.serial += 1
        m = self.Gio.DBusMessage.new_method_call(dest, path, iface, member)
        if body is not None:
            m.set_body(body)
        m.set_serial(self.serial)
        return self.serial, bytes(m.to_blob(self.Gio.DBusCapabilityFlags.NONE))

    def _read(self, n):
        while len(self.buf) < n:
            try:
                chunk = self.sock.recv(max(4096, n - len(self.buf)))
            except ConnectionResetError:
                chunk = b''
            if not chunk:
                return None
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def next_message(self):
        head = self._read(16)
        if head is None:
            return None
        need = self.Gio.DBusMessage.bytes_needed(head)
        rest = self._read(need - 16)
        if rest is None:
            return None
        return self.Gio.DBusMessage.new_from_blob(head + rest, self.Gio.DBusCapabilityFlags.NONE)

    def reply(self, serial):
        """The reply (a Gio.DBusMessage) to serial, skipping signals; None when disconnected."""
        while True:
            m = self.next_message()
            if m is None or m.get_reply_serial() == serial:
                return m


class BadInput(harness.TestCase):
    @classmethod
    def setUpClass(cls):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: creates unix users')
        # No polkit on the bus: root passes without asking, as in production.
        cls.sb = harness.Sandbox(daemon=False).start()
        cls.addClassCleanup(cls.sb.close)
        cls.u1, cls.u2 = cls.sb.make_users(2)

    def setUp(self):
        self.sb.start_daemon(fresh=True)
        self.pw = harness.strong_password()
        self.phone = harness.make_phone()
        self.email = f'anna.{harness.make_phone()[-6:]}@example.org'
        self.snils = harness.make_snils()
        # u1 has a full account; u2 is a unix user without one.
        self.sb.create_account(self.u1, self.pw, FullName='Анна Смирнова', Phone=self.phone,
                               Email=self.email, Documents={'snils': self.snils})
        self._conversations = []
        self.slot = (int(time.time()) // 60 + 24 * 60) * 60 * 1_000_000     # tomorrow, a whole minute
        self.sb.call(SC, 'AddCenter', 'sssss', 'existing', 'Центр', 'Москва', '9-18', '+7 495 123-45-67')

    def tearDown(self):
        for path in self._conversations:
            try:
                self.sb.call(CONV, 'Cancel', path=path)
            except harness.BusError:
                pass
        self.assertDaemonHealthy()
        self.assertNoLeaks(self.sb, [self.pw])
        # A clean exit on SIGTERM: no crash, and no leak report from a sanitizer build.
        self.sb.stop_daemon(check=True)

    # ------------------------------------------------------------- helpers

    def assertDaemonHealthy(self):
        proc = self.sb.daemon_proc
        self.assertIsNotNone(proc)
        self.assertIsNone(proc.poll(), f'passgated died:\n{self.sb.daemon_log()[-4000:]}')
        self.assertEqual(self.sb.owner_pid(harness.BUS_NAME), proc.pid, 'passgated left the bus')
        log = self.sb.daemon_log()
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, log, f'sanitizer report in the daemon log:\n{log[-4000:]}')

    def dump(self):
        return self.sb.store_dump()

    def assertStoreSame(self, before, after, what, ignore=()):
        self.assertEqual(self.sb.store_diff(before, after, ignore), [],
                         f'the store changed after {what}')

    def call(self, case):
        return self.sb.call(case.iface, case.method, case.sig, *case.args, path=case.path, timeout=10)

    def check(self, case):
        """The call must answer an allowed error with a message."""
        try:
            value = self.call(case)
        except harness.BusError as e:
            self.assertTrue(case.allowed(e.name), f'{case!r}: unexpected error {e.name}: {e.message}')
            self.assertTrue(e.message.strip(), f'{case!r}: {e.name} without a message')
            return e
        self.fail(f'{case!r}: a success: {str(value)[:200]}')

    def run_batch(self, what, cases, ignore=()):
        before = self.dump()
        for case in cases:
            with self.subTest(case=repr(case)):
                self.check(case)
        self.assertDaemonHealthy()
        self.assertStoreSame(before, self.dump(), what, ignore=ignore)
        return len(cases)

    def begin(self, flow='login', login=None, client=None):
        path = self.sb.manager('BeginConversation', 'ssa{sv}', flow, self.u1 if login is None else login,
                               client if client is not None else {'Service': V('s', 'passgate-test')})
        self._conversations.append(path)
        return path

    def step(self, path, answer=None):
        return self.sb.step(path, answer)

    def at_password_step(self):
        """A login conversation for u1 that asks for the password."""
        path = self.begin()
        kind, prompt = self.step(path)
        self.assertEqual((kind, prompt['Id']), ('secret', 'password'))
        return path

    def introspect(self, path):
        xml = self.sb.call('org.freedesktop.DBus.Introspectable', 'Introspect', path=path)
        return ET.fromstring(xml)

    def exported(self):
        """{(interface, method): in-signature} of every org.passgate1 interface: the object tree from
        "/" and a live conversation (conversations are not enumerated)."""
        found = {}
        todo = ['/', self.at_password_step()]
        seen = set()
        while todo:
            path = todo.pop()
            if path in seen:
                continue
            seen.add(path)
            node = self.introspect(path)
            for iface in node.findall('interface'):
                name = iface.get('name')
                if not name.startswith(N.PG_BUS_NAME + '.'):
                    continue
                for m in iface.findall('method'):
                    sig = ''.join(a.get('type') for a in m.findall('arg') if a.get('direction', 'in') == 'in')
                    found[(name, m.get('name'))] = sig
            for child in node.findall('node'):
                todo.append(path.rstrip('/') + '/' + child.get('name'))
        return found

    def method_path(self, where, live):
        return ROOT if where == 'root' else live

    # ------------------------------------------------------------- the table covers the API

    def test_every_method_is_covered(self):
        exported = self.exported()
        self.assertIn((MGR, 'BeginConversation'), exported, 'sanity: introspection works')
        uncovered = sorted(f'{i}.{m}({s})' for (i, m), s in exported.items() if (i, m) not in METHODS)
        self.assertEqual(uncovered, [], 'methods without bad-input cases: add them to METHODS')
        for key, sig in exported.items():
            with self.subTest(method=key):
                self.assertEqual(METHODS[key].sig, sig, f'{key} changed its signature: update METHODS')

    # ------------------------------------------------------------- bad arguments, method by method

    def argument_cases(self, iface, method, spec, path):
        args = spec.args(self)
        kinds = [k for k, _ in args]
        good = [g for _, g in args]
        parts = split_signature(spec.sig)
        cases = []

        def case(label, i, value):
            a = list(good)
            a[i] = value
            cases.append(Case(f'{kinds[i]} argument #{i}: {label}', iface, method, spec.sig, a, path,
                              clear_argument_error))

        for i, (kind, g) in enumerate(args):
            if kind in STRING_KINDS:
                for label, s in bad_strings(g):
                    case(label, i, s)
                if kind in EMPTY_IS_BAD:
                    case('empty', i, '')
            elif kind == 'props':
                for label, d in self.props_cases():
                    case(label, i, d)
            elif kind == 'client':
                for label, d in self.client_cases():
                    case(label, i, d)
            elif kind == 'answer':
                for label, d in self.answer_cases():
                    case(label, i, d)
            elif kind == 'documents':
                for label, d in self.documents_cases(g):
                    case(label, i, d)
                # Documents of another type: sd-bus checks the signature before the method runs.
                for label, wsig, wval in (
                        ('documents as a{sv}', 'a{sv}', {k: V('s', v) for k, v in g.items()}),
                        ('documents as as', 'as', list(g.values())),
                        ('documents as s', 's', g['snils'])):
                    a = list(good)
                    a[i] = wval
                    cases.append(Case(f'{kinds[i]} argument #{i}: {label}', iface, method,
                                      ''.join(parts[:i] + [wsig] + parts[i + 1:]), a, path,
                                      lambda n: n == INVALID_ARGS))
        # Mistyped calls: sd-bus checks the signature before the method runs.
        mistyped = [('an extra 1MiB string argument', spec.sig + 's', good + ['x' * MIB1]),
                    ('an extra a{sv} argument', spec.sig + 'a{sv}', good + [{'K' * KIB64: V('s', 'x')}])]
        if parts:
            mistyped.append(('the last argument missing', ''.join(parts[:-1]), good[:-1]))
            wsig, wval = WRONG_TYPE[parts[0]]
            mistyped.append((f'first argument as {wsig}', wsig + ''.join(parts[1:]), [wval] + good[1:]))
        for label, sig, a in mistyped:
            cases.append(Case(label, iface, method, sig, a, path, lambda n: n == INVALID_ARGS))
        return cases

    def props_cases(self):
        phone, email, snils = harness.make_phone(), f'new.{os.getpid()}@example.org', harness.make_snils()
        strings = {'FullName': 'Пётр Иванов', 'Phone': phone, 'Email': email}
        cases = bad_keys('FullName', V('s', 'Пётр Иванов'))
        for key, good in strings.items():
            cases += wrong_variants(key, good, 's')
            cases += [(f'{key} {label}', {key: V('s', s)}) for label, s in bad_strings(good)]
        cases += [('Documents as s', {'Documents': V('s', snils)}),
                  ('Documents as as', {'Documents': V('as', [snils])}),
                  ('Documents as a{sv}', {'Documents': V('a{sv}', {'snils': V('s', snils)})}),
                  ('Documents as u', {'Documents': V('u', 1)})]
        cases += [(f'SNILS {label}', {'Documents': V('a{ss}', {'snils': s})}) for label, s in bad_strings(snils)]
        cases += [(f'document type: {label}', {'Documents': V('a{ss}', {k: snils})})
                  for label, k in (('unknown', 'driving-licence'), ('empty', ''), ('64KiB', 'd' * KIB64),
                                   ('1MiB', 'd' * MIB1), ('newline', 'snils\n'), ('ESC', '\x1bsnils'))]
        return cases

    def client_cases(self):
        strings = {'Service': 'passgate-test', 'Renderer': 'text', 'Locale': 'C.UTF-8'}
        cases = bad_keys('Service', V('s', 'passgate-test'))
        for key, good in strings.items():
            cases += wrong_variants(key, good, 's')
            # Control characters in these values: see test_client_values_with_control_characters.
            cases += [(f'{key} {label}', {key: V('s', s)}) for label, s in oversized(good)]
        for key in ('Remote', 'AdminReset'):
            cases += wrong_variants(key, None, 'b')
        return cases

    def documents_cases(self, good):
        """FileResetRequest's documents (a{ss}: passport, snils, contact): unknown, mistyped and
        oversized keys; each known key with control characters or 64 KiB and 1 MiB."""
        cases = bad_keys('snils', good['snils'])
        cases.append(('key in upper case', {'SNILS': good['snils']}))
        for key, value in (('passport', good['passport']), ('snils', good['snils']), ('contact', self.phone)):
            cases += [(f'{key} {label}', dict(good, **{key: s})) for label, s in bad_strings(value)]
        cases += [('contact not a phone or an e-mail', dict(good, contact='at the desk')),
                  ('contact empty', dict(good, contact=''))]
        return cases

    def answer_cases(self):
        # The good value is the right password: accepting any of these would log u1 in.
        cases = bad_keys('Value', V('s', self.pw))
        cases += wrong_variants('Value', self.pw, 's')
        cases += [(f'Value {label}', {'Value': V('s', s)}) for label, s in oversized(self.pw)]
        return cases

    def test_bad_arguments(self):
        exported = self.exported()
        live = self.at_password_step()
        counts = {}
        for (iface, method), spec in sorted(METHODS.items()):
            if (iface, method) not in exported:
                continue        # not (yet) in this build: test_every_method_is_covered says the rest
            cases = self.argument_cases(iface, method, spec, self.method_path(spec.where, live))
            counts[method] = self.run_batch(f'bad arguments to {method}', cases,
                                            ignore=('audit',) if (iface, method) in REFUSAL_AUDITED else ())
        sys.stderr.write(f'bad arguments: {sum(counts.values())} calls: '
                         + ', '.join(f'{m} {n}' for m, n in counts.items()) + '\n')
        self.assertGreater(sum(counts.values()), 300)
        # Refused answers left the conversation where it was: the right password still logs in.
        self.assertEqual(self.step(live, self.pw)[0], 'done')

    # ------------------------------------------------------------- wrong object paths

    def test_wrong_object_paths(self):
        exported = self.exported()
        live = self.at_password_step()
        ended = self.begin()
        self.sb.call(CONV, 'Cancel', path=ended)
        paths = [('/', '/'), ('/org', '/org'), ('an object that is not there', ROOT + '/Accounts'),
                 ('deeper', ROOT + '/accounts/' + self.u1),
                 ('the conversation prefix', CONV_PREFIX),
                 ('no such conversation', CONV_PREFIX + '/' + '0' * 32),
                 ('a conversation id of 60KiB', CONV_PREFIX + '/' + 'a' * (60 * 1024)),
                 ('under a live conversation', live + '/x'),
                 ('an ended conversation', ended)]
        cases = []
        for (iface, method), spec in sorted(METHODS.items()):
            if (iface, method) not in exported:
                continue
            args = [g for _, g in spec.args(self)]
            for label, path in paths:
                cases.append(Case(f'path: {label}', iface, method, spec.sig, args, path,
                                  lambda n: n in PATH_ERRORS))
            # An object that exists, without this interface.
            other = ROOT if spec.where == 'conversation' else live
            cases.append(Case('an object without this interface', iface, method, spec.sig, args, other,
                              lambda n: n in PATH_ERRORS))
        self.run_batch('calls on wrong paths', cases)
        self.assertEqual(self.step(live, self.pw)[0], 'done')

    def test_path_over_64k_gets_no_answer(self):
        """sd-bus drops a message whose object path is over 64 KiB: the caller gets no reply, only its
        own timeout. Nothing else happens; the daemon stays up and answers the next call."""
        before = self.dump()
        with self.assertRaises(harness.BusError) as e:
            self.sb.call(MGR, 'GeneratePassword', path=ROOT + '/' + 'p' * KIB64, timeout=2)
        self.assertEqual(e.exception.name, 'org.freedesktop.DBus.Error.NoReply')
        self.assertTrue(self.sb.manager('GeneratePassword'))
        self.assertDaemonHealthy()
        self.assertStoreSame(before, self.dump(), 'a path over 64 KiB')

    def test_properties_of_a_conversation(self):
        live = self.at_password_step()
        props = 'org.freedesktop.DBus.Properties'
        allowed = (INVALID_ARGS, 'org.freedesktop.DBus.Error.UnknownProperty',
                   'org.freedesktop.DBus.Error.PropertyReadOnly', UNKNOWN_INTERFACE)
        cases = [Case(label, props, m, sig, args, live, lambda n: n in allowed) for label, m, sig, args in (
            ('Set a read-only property', 'Set', 'ssv', [CONV, 'Flow', V('s', 'change-password')]),
            ('Set with the wrong type', 'Set', 'ssv', [CONV, 'ExpiresUSec', V('s', 'never')]),
            ('Get a 1MiB property name', 'Get', 'ss', [CONV, 'p' * MIB1]),
            ('Get with a newline', 'Get', 'ss', [CONV, 'Flow\n']),
            ('GetAll of a 64KiB interface name', 'GetAll', 's', ['i' * KIB64]))]
        self.run_batch('bad property calls', cases)
        self.assertEqual(self.step(live, self.pw)[0], 'done')

    # ------------------------------------------------------------- invalid UTF-8, embedded NUL

    def test_python_dbus_refuses_invalid_utf8_and_nul(self):
        import dbus
        for label, value in (('embedded NUL', f'{self.u1}\0x'), ('invalid UTF-8', b'\xff\xfe'),
                             ('lone surrogate', 'a\udcffb'), ('NUL in bytes', b'a\0b')):
            with self.subTest(label=label):
                m = dbus.lowlevel.MethodCallMessage(harness.BUS_NAME, ROOT, ACC, 'GetAccount')
                with self.assertRaises((ValueError, UnicodeError)):
                    m.append(value, signature='s')
                m = dbus.lowlevel.MethodCallMessage(harness.BUS_NAME, ROOT, ACC, 'CreateAccount')
                with self.assertRaises((ValueError, UnicodeError)):
                    m.append(self.u2, {value: dbus.String('x', variant_level=1)}, signature='sa{sv}')

    def test_busctl_refuses_invalid_utf8(self):
        before = self.dump()
        for value in (b'a\xffb', b'\xc0\xaf'):
            p = subprocess.run(['busctl', '--system', 'call', harness.BUS_NAME, ROOT, ACC, 'GetAccount', 's',
                                value], capture_output=True, env=self.sb.base_env(), timeout=30)
            self.assertNotEqual(p.returncode, 0, p)
            self.assertIn(b'Invalid argument', p.stderr, p)
        self.assertDaemonHealthy()
        self.assertStoreSame(before, self.dump(), 'busctl with invalid UTF-8')

    PLACEHOLDER = 'QZQZQZQZQZQZ'
    RAW_BAD = (('invalid UTF-8', b'\xff'), ('embedded NUL', b'\x00'), ('overlong "/"', b'\xc0\xaf'),
               ('UTF-16 surrogate', b'\xed\xa0\x80'))

    def raw_body(self, spec, slot):
        """A GLib body for spec with the placeholder at slot: (i, None) for argument i, (i, 'key') or
        (i, 'value') for an a{sv} or a{ss}. Users are unknown ones, so even the control call writes
        nothing (but the audit row of a refused filing: REFUSAL_AUDITED)."""
        from gi.repository import GLib
        if not spec.sig:
            return None
        P = self.PLACEHOLDER
        parts = split_signature(spec.sig)
        values = []
        for i, ((kind, good), sig) in enumerate(zip(spec.args(self), parts)):
            if sig == 's':
                values.append(P if slot == (i, None) else
                              'pgnosuchuser' if kind in ('user', 'newuser', 'login') else good)
            elif sig == 'a{sv}':
                d = {}
                if slot == (i, 'key'):
                    d = {P: GLib.Variant('s', 'x')}
                elif slot == (i, 'value'):
                    d = {'Value' if kind == 'answer' else 'Service' if kind == 'client' else 'FullName':
                         GLib.Variant('s', P)}
                values.append(d)
            elif sig == 'a{ss}':
                d = {}
                if slot == (i, 'key'):
                    d = {P: 'x'}
                elif slot == (i, 'value'):
                    d = {'snils': P}
                values.append(d)
            elif sig == 'b':
                values.append(False)
            elif sig == 'a(tu)':
                values.append([])
            else:
                values.append(0)
        return GLib.Variant('(' + spec.sig + ')', tuple(values))

    def test_raw_invalid_utf8_and_nul_get_the_sender_disconnected(self):
        """Each string argument and each a{sv} key and value, written byte by byte with invalid UTF-8
        or a NUL: dbus-daemon disconnects the sender and passgated never sees the message. The same
        message with the placeholder intact (valid) gets an answer first: the framing is right."""
        exported = self.exported()
        live = self.at_password_step()
        P = self.PLACEHOLDER.encode()
        n = 0
        for (iface, method), spec in sorted(METHODS.items()):
            if (iface, method) not in exported:
                continue
            before = self.dump()
            parts = split_signature(spec.sig)
            slots = [(i, None) for i, s in enumerate(parts) if s == 's']
            slots += [(i, w) for i, s in enumerate(parts) if s in ('a{sv}', 'a{ss}')
                      for w in ('key', 'value')]
            slots.append('path')
            for slot in slots:
                for label, seq in self.RAW_BAD:
                    with self.subTest(method=method, slot=slot, bad=label):
                        # A conversation at its identifier step: any valid answer there is harmless.
                        path = ROOT
                        if spec.where == 'conversation':
                            path = self.begin(login='')
                            self.assertEqual(self.step(path)[1]['Id'], 'identifier')
                        c = RawClient(self.sb.address)
                        try:
                            if slot == 'path':
                                body = self.raw_body(spec, None)
                                mpath = ROOT + '/' + self.PLACEHOLDER
                            else:
                                body = self.raw_body(spec, slot)
                                mpath = path
                            serial, good = c.message(harness.BUS_NAME, mpath, iface, method, body)
                            self.assertEqual(good.count(P), 1)
                            c.sock.sendall(good)
                            answer = c.reply(serial)
                            self.assertIsNotNone(answer, 'the valid message got no answer')
                            serial, good = c.message(harness.BUS_NAME, mpath, iface, method, body)
                            bad = good.replace(P, P[:2] + seq + P[2 + len(seq):])
                            self.assertEqual(len(bad), len(good))
                            c.sock.sendall(bad)
                            answer = c.reply(serial)
                            self.assertIsNone(answer, f'answered: {answer and answer.print_(0)}')
                        finally:
                            c.close()
                        n += 1
            ignore = (('audit', 'limits', 'meta') if (iface, method) in ALWAYS_AUDITED else
                      ('audit',) if (iface, method) in REFUSAL_AUDITED else ())
            self.assertStoreSame(before, self.dump(), f'raw messages to {method} with invalid UTF-8 and NUL',
                                 ignore=ignore)
        self.assertGreater(n, 50)
        self.assertDaemonHealthy()
        self.assertEqual(self.step(live, self.pw)[0], 'done')

    # ------------------------------------------------------------- a 1 MiB password: no hashing

    def account(self, user=None):
        return self.sb.accounts('GetAccount', 's', user or self.u1)

    def audit(self):
        return self.sb.accounts('ListAudit', 'tu', 0, 0)

    def too_long_for_a_step(self):
        """Over the daemon's byte bound for a password (4 bytes per code point of MaxLength) but under
        the bound for any answer (4096 bytes): the flow itself has to refuse it."""
        n = self.sb.manager('GetPasswordPolicy')['MaxLength'] * 4 + 1
        if n > 4096:
            self.skipTest(f'MaxLength {n // 4} leaves no room between the bounds')
        return 'x' * n

    def test_set_password_1mib(self):
        before, acc = self.dump(), self.account()
        for pw in ('x' * MIB1, 'x' * KIB64, self.too_long_for_a_step()):
            e = self.assertBusError(N.PG_ERROR_PASSWORD_REJECTED, self.sb.set_password, self.u1, pw)
            self.assertIn('long', e.message)
        # A hash would have been saved: a new PasswordChangedUSec, an audit row, another store.
        self.assertEqual(self.account(), acc)
        self.assertStoreSame(before, self.dump(), 'SetPassword with 1 MiB')
        self.assertEqual(self.sb.login(self.u1, self.pw)[0], 'done')

    def test_create_then_set_password_1mib(self):
        self.sb.create_account(self.u2, FullName='Пётр Иванов')
        before = self.dump()
        e = self.assertBusError(N.PG_ERROR_PASSWORD_REJECTED, self.sb.set_password, self.u2, 'y' * MIB1,
                                must_change=True)
        self.assertIn('long', e.message)
        acc = self.account(self.u2)
        self.assertFalse(acc['PasswordSet'])
        self.assertFalse(acc['PasswordChangeRequired'])
        self.assertStoreSame(before, self.dump(), 'SetPassword with 1 MiB on a new account')

    def test_login_with_1mib_password_counts_no_failure(self):
        """conv-login.c: an answer over 4096 bytes is refused when it is read (InvalidArgs, the step
        can be answered again); one over the password byte bound ends the login as failed, but
        without a hash: no failure is counted and no audit row is written (attempt_record, which
        counts, runs only after a hash). A wrong password of normal length, the control, counts."""
        path = self.at_password_step()
        before, audit = self.dump(), self.audit()
        self.assertEqual(self.account()['Failures'], 0)
        self.assertBusError(INVALID_ARGS, self.step, path, 'p' * MIB1)
        self.assertBusError(INVALID_ARGS, self.step, path, 'p' * KIB64)
        kind, prompt = self.step(path, self.too_long_for_a_step())
        self.assertEqual(kind, 'failed')
        self.assertEqual(prompt['Error'], N.PG_ERROR_AUTHENTICATION_FAILED)
        self.assertEqual(self.account()['Failures'], 0)
        self.assertEqual(self.audit(), audit)
        self.assertStoreSame(before, self.dump(), 'a login with an over-long password')
        # The control: a wrong password of normal length is hashed and counted.
        self.assertEqual(self.sb.login(self.u1, harness.strong_password())[0], 'failed')
        self.assertEqual(self.account()['Failures'], 1)
        self.assertGreater(len(self.audit()), len(audit))
        self.assertNotEqual(self.dump()['accounts'], before['accounts'], 'sanity: the dump sees a write')

    def test_change_password_with_1mib_passwords(self):
        """change-password: an over-long old password is refused like at login (no failure counted);
        an over-long new password is asked again with the reason, without hashing it against the
        history; the repeat refuses it too."""
        path = self.begin('change-password')
        kind, prompt = self.step(path)
        self.assertEqual(prompt['Id'], 'old-password')
        before, audit = self.dump(), self.audit()
        self.assertBusError(INVALID_ARGS, self.step, path, 'p' * MIB1)
        kind, prompt = self.step(path, self.too_long_for_a_step())
        self.assertEqual((kind, prompt.get('Error')), ('failed', N.PG_ERROR_AUTHENTICATION_FAILED))
        self.assertEqual(self.account()['Failures'], 0)
        self.assertEqual(self.audit(), audit)
        self.assertStoreSame(before, self.dump(), 'an over-long old password')

        path = self.begin('change-password')
        self.step(path)
        kind, prompt = self.step(path, self.pw)         # the right old password: a legitimate write
        self.assertEqual(prompt['Id'], 'new-password')
        before, audit = self.dump(), self.audit()
        self.assertBusError(INVALID_ARGS, self.step, path, 'n' * MIB1)
        for _ in range(2):
            kind, prompt = self.step(path, self.too_long_for_a_step())
            self.assertEqual((kind, prompt['Id']), ('secret', 'new-password'), prompt)
            self.assertIn('long', prompt.get('Notice', ''))
        self.assertStoreSame(before, self.dump(), 'over-long new passwords')
        # The third refusal ends the conversation, and conv-change.c refuse() writes an audit row
        # "password-change-failed" for it: a record that someone failed to set a password, not a
        # change to the account. It is the only write; the account itself stays as it was.
        # That row is written after the reply (audit_write without a callback): wait for it.
        kind, prompt = self.step(path, self.too_long_for_a_step())
        self.assertEqual((kind, prompt.get('Error')), ('failed', N.PG_ERROR_PASSWORD_REJECTED))
        deadline = time.monotonic() + 10
        while len(self.audit()) == len(audit) and time.monotonic() < deadline:
            time.sleep(0.01)
        added = self.audit()[len(audit):]
        self.assertEqual([(e[1], e[2]) for e in added], [(self.u1, 'password-change-failed')], added)
        self.assertStoreSame(before, self.dump(), 'three over-long new passwords', ignore=('audit',))
        self.assertEqual(self.sb.login(self.u1, self.pw)[0], 'done', 'the password did not change')

    def test_repeat_password_1mib(self):
        path = self.begin('change-password')
        self.step(path)
        self.step(path, self.pw)
        new = harness.strong_password()
        kind, prompt = self.step(path, new)
        self.assertEqual(prompt['Id'], 'repeat-password')
        before = self.dump()
        self.assertBusError(INVALID_ARGS, self.step, path, new + 'r' * MIB1)
        kind, prompt = self.step(path, self.too_long_for_a_step())
        self.assertEqual((kind, prompt['Id']), ('secret', 'new-password'), prompt)
        self.assertStoreSame(before, self.dump(), 'an over-long repeat')

    # ------------------------------------------------------------- texts with control characters

    def test_client_values_with_control_characters(self):
        """Service and Renderer with control characters are InvalidArgs. A Locale with them is read
        as none (English, tests/e2e/test_i18n.py): a garbled LANG must not stop a login."""
        failures = []
        for key, good in (('Service', 'passgate-test'), ('Renderer', 'text')):
            for label, s in bad_strings(good)[2:]:
                try:
                    path = self.begin(client={key: V('s', s)})
                    failures.append(f'{key} with {label}: accepted, {path}')
                except harness.BusError as e:
                    if not clear_argument_error(e.name):
                        failures.append(f'{key} with {label}: {e.name}')
        self.assertEqual(failures, [])

    def test_identifier_step_with_control_characters(self):
        """An identifier with control characters typed at the identifier step is InvalidArgs, as the
        same text is as BeginConversation's login; nothing is written."""
        before = self.dump()
        failures = []
        for label, s in bad_strings(self.u1)[2:]:
            path = self.begin(login='')
            kind, prompt = self.step(path)
            self.assertEqual(prompt['Id'], 'identifier')
            try:
                kind, prompt = self.step(path, s)
            except harness.BusError as e:
                if not clear_argument_error(e.name):
                    failures.append(f'{label}: {e.name}')
                continue
            if kind != 'failed' and not (prompt['Id'] == 'identifier' and prompt.get('Notice')):
                failures.append(f'{label}: went on to {prompt["Id"]}')
        self.assertStoreSame(before, self.dump(), 'identifiers with control characters')
        self.assertEqual(failures, [])


if __name__ == '__main__':
    harness.main()
