#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Who may call what: every method and property of every org.passgate1 interface × every kind of
caller, each cell of the matrix asserted (DESIGN.md, Authorization).

The members come from introspecting the running daemon: one without a row in TABLE fails
test_every_member_has_a_row, so a new method cannot slip through unauthorized or untested.

A cell that must be allowed gets a real success with a valid call, and its effect is checked (the
account really is locked, the request really is listed, ...). A cell that must be refused gets the
error of the table (with a message), the store is byte-for-byte the same afterwards (`mdb_dump -a`)
and the object the call was about is checked to be as it was.

Callers do not start a process per call: each unix user keeps one client (runuser, a line of JSON
per call), so a cell is a few milliseconds and the whole matrix runs in seconds.
"""
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import N, V  # noqa: E402
from harness.dbusval import encode_json  # noqa: E402

MGR = N.PG_IFACE_MANAGER
CONV = N.PG_IFACE_CONVERSATION
ACC = N.PG_IFACE_ACCOUNTS
SC = N.PG_IFACE_SERVICECENTERS
SUP = N.PG_IFACE_SUPPORT
PROPS = 'org.freedesktop.DBus.Properties'
ROOT = N.PG_OBJECT_PATH
CONV_PREFIX = N.PG_CONVERSATION_PREFIX

ACTIONS = {'manage': N.PG_POLKIT_MANAGE, 'service-center': N.PG_POLKIT_SERVICE_CENTER,
           'support': N.PG_POLKIT_SUPPORT}
ALL_ACTIONS = sorted(ACTIONS.values())
IFACES = {'Manager': MGR, 'Conversation': CONV, 'Accounts': ACC, 'ServiceCenters': SC, 'Support': SUP}
PATH_ERRORS = ('org.freedesktop.DBus.Error.UnknownObject', 'org.freedesktop.DBus.Error.UnknownMethod',
               'org.freedesktop.DBus.Error.UnknownInterface')

# The kinds of caller, one column each. "The owner" is the unix user whose account the call is about
# (for a conversation: the uid that began it, on another connection of its own); for calls about no
# account it is one more unprivileged user. "Another user" never owns what the call is about.
COLUMNS = {
    # column: (who calls, what the polkit mock says)
    'root': ('root', 'nothing'),            # root needs no polkit
    'owner': ('owner', 'nothing'),
    'other': ('other', 'all but the row\'s'),  # catches a method that asks for the wrong action
    'allow': ('other', 'the row\'s'),       # every action when the row names none
    'deny': ('other', 'nothing'),
    'none': ('other', None),                # no polkit on the bus at all: only root passes
    'root0': ('root', None),
    'owner0': ('owner', None),
}
WITH_POLKIT = ('root', 'owner', 'other', 'allow', 'deny')
WITHOUT_POLKIT = ('none', 'root0', 'owner0')
assert set(WITH_POLKIT + WITHOUT_POLKIT) == set(COLUMNS)

# ok: a success with a valid call. no: org.freedesktop.DBus.Error.AccessDenied. Anything else: that
# org.passgate1.Error.<Name>. The action is the polkit action the row's method asks for (daemon/bus-*.c).
# Rows "member/variant" are a second row of one member whose arguments change who may call it.
TABLE = '''
# interface     member                          action          root owner other allow deny none root0 owner0
Manager         BeginConversation               -               ok   ok    ok    ok    ok   ok   ok    ok
Manager         BeginConversation/AdminReset    -               ok   no    no    no    no   no   ok    no
Manager         GetAccountStatus                -               ok   ok    no    no    no   no   ok    ok
Manager         GetPasswordPolicy               -               ok   ok    ok    ok    ok   ok   ok    ok
Manager         GeneratePassword                -               ok   ok    ok    ok    ok   ok   ok    ok
# Only the uid that began a conversation, not even root (conversation.c find_conversation).
Conversation    Step                            -               no   ok    no    no    no   no   no    ok
Conversation    Cancel                          -               no   ok    no    no    no   no   no    ok
Conversation    Flow                            -               no   ok    no    no    no   no   no    ok
Conversation    ExpiresUSec                     -               no   ok    no    no    no   no   no    ok
Conversation    GetAll                          -               no   ok    no    no    no   no   no    ok
Accounts        CreateAccount                   manage          ok   no    no    ok    no   no   ok    no
Accounts        UpdateAccount                   manage          ok   no    no    ok    no   no   ok    no
Accounts        DeleteAccount                   manage          ok   no    no    ok    no   no   ok    no
Accounts        GetAccount                      manage          ok   no    no    ok    no   no   ok    no
Accounts        ListAccounts                    manage          ok   no    no    ok    no   no   ok    no
Accounts        SetPassword                     manage          ok   no    no    ok    no   no   ok    no
Accounts        ExpirePassword                  manage          ok   no    no    ok    no   no   ok    no
Accounts        LockAccount                     manage          ok   no    no    ok    no   no   ok    no
Accounts        UnlockAccount                   manage          ok   no    no    ok    no   no   ok    no
Accounts        IssueTemporaryPassword          manage          ok   no    no    ok    no   no   ok    no
Accounts        ListAudit                       manage          ok   no    no    ok    no   no   ok    no
ServiceCenters  ListCenters                     -               ok   ok    ok    ok    ok   ok   ok    ok
ServiceCenters  ListSlots                       -               ok   ok    ok    ok    ok   ok   ok    ok
ServiceCenters  BookAppointment                 -               ok   ok    ok    ok    ok   ok   ok    ok
ServiceCenters  CancelAppointment               -               ok   ok    ok    ok    ok   ok   ok    ok
ServiceCenters  FileResetRequest                service-center  ok   no    no    ok    no   no   ok    no
# List and Cancel: "other" holds org.passgate1.manage, and bus-requests.c lets admins list and cancel
# requests too (authz_either, manage after service-center), which DESIGN.md and the XML do not say
# (they name the clerk action only). The owner cancels a request about their own account, with or
# without polkit.
ServiceCenters  ListResetRequests               service-center  ok   no    ok    ok    no   no   ok    no
ServiceCenters  CancelResetRequest              service-center  ok   ok    ok    ok    no   no   ok    ok
ServiceCenters  AddCenter                       manage          ok   no    no    ok    no   no   ok    no
ServiceCenters  RemoveCenter                    manage          ok   no    no    ok    no   no   ok    no
ServiceCenters  SetSchedule                     manage          ok   no    no    ok    no   no   ok    no
Support         GetContacts                     -               ok   ok    ok    ok    ok   ok   ok    ok
Support         VerifyIdentity                  support         ok   no    no    ok    no   no   ok    no
Support         SendRecoveryCode                support         ok   no    no    ok    no   no   ok    no
'''

HEADER = ('root', 'owner', 'other', 'allow', 'deny', 'none', 'root0', 'owner0')
assert set(HEADER) == set(COLUMNS)

# Standard members that reach a passgate interface's properties: rows of their own, but no member of
# the passgate interface in the introspection.
STANDARD = {(CONV, 'GetAll')}


class Row:
    def __init__(self, iface, member, variant, action, cells):
        self.iface = iface
        self.member = member
        self.variant = variant
        self.action = action            # polkit action id, or None
        self.cells = cells              # {column: 'ok' or an error name}

    @property
    def name(self):
        short = self.iface.rsplit('.', 1)[1]
        return f'{short}.{self.member}' + (f'/{self.variant}' if self.variant else '')

    @property
    def scenario(self):
        return 'cell_' + self.member + (f'_{self.variant}' if self.variant else '')


def parse_table(text):
    rows = []
    for line in text.splitlines():
        line = line.split('#', 1)[0].strip()
        if not line:
            continue
        iface, member, action, *cells = line.split()
        if len(cells) != len(HEADER):
            raise ValueError(f'{member}: {len(cells)} cells, want {len(HEADER)}')
        member, _, variant = member.partition('/')
        expect = {}
        for col, c in zip(HEADER, cells):
            expect[col] = ('ok' if c == 'ok' else N.PG_ERROR_ACCESS_DENIED if c == 'no'
                           else N.PG_ERROR_PREFIX + c)
        rows.append(Row(IFACES[iface], member, variant or None,
                        None if action == '-' else ACTIONS[action], expect))
    return rows


ROWS = parse_table(TABLE)

NAME = 'Иван Петрович Сидоров'
CENTER = 'authz'
CONTACTS = {'hotline': '8 800 555-35-35', 'abroad': '+7 495 555-35-35',
            'chat': 'https://support.example.org/chat'}
CLIENT = {'Service': V('s', 'passgate-test')}
CONFIG = {
    'support': dict(CONTACTS, verify_per_hour='1000', verify_account_per_hour='100'),
    'centers': {'bookings_per_hour': '1000', 'request_hold': '86400'},
    'recovery': {'codes_per_hour': '10', 'caller_attempts_per_hour': '1000'},
    'delivery': {'messages_per_hour': '100000'},
}
# The account of the owner changes with these when allowed (or in their preparation): the next cell
# gets a fresh one.
CHANGES_THE_ACCOUNT = {'CreateAccount', 'UpdateAccount', 'DeleteAccount', 'SetPassword', 'ExpirePassword',
                       'LockAccount', 'UnlockAccount', 'IssueTemporaryPassword', 'SendRecoveryCode',
                       'FileResetRequest', 'CancelResetRequest', 'ListResetRequests'}

# A client of one unix user, one connection for its whole life: a line of JSON per call.
CLIENT_PY = r'''
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbus, dbus.bus
from dbusval import args_to_dbus, decode_json, reply_from_dbus
bus = dbus.bus.BusConnection(sys.argv[1])
print(json.dumps({'ready': str(bus.get_unique_name())}), flush=True)
for line in sys.stdin:
    c = json.loads(line)
    try:
        v = reply_from_dbus(bus.call_blocking(c['dest'], c['path'], c['iface'], c['method'], c['sig'],
                                              args_to_dbus(c['sig'], decode_json(c['args'])),
                                              timeout=c['timeout']))
        out = {'ok': v, 'multi': isinstance(v, tuple)}
    except dbus.exceptions.DBusException as e:
        out = {'error': e.get_dbus_name(), 'message': e.get_dbus_message()}
    print(json.dumps(out), flush=True)
'''


class Reply:
    def __init__(self, value=None, error=None, message=''):
        self.value = value
        self.error = error
        self.message = message

    def __repr__(self):
        return f'<error {self.error}: {self.message}>' if self.error else f'<reply {str(self.value)[:300]}>'


class UidClient:
    """One connection of a unix user (runuser), kept open."""

    def __init__(self, sb, user):
        self.user = user
        d = os.path.join(sb.tmp, 'authz-bin')
        if not os.path.isdir(d):
            os.mkdir(d, 0o755)
            shutil.copy(os.path.join(os.path.dirname(harness.__file__), 'dbusval.py'), d)
            with open(os.path.join(d, 'client.py'), 'w', encoding='utf-8') as f:
                f.write(CLIENT_PY)
            for name in ('dbusval.py', 'client.py'):
                os.chmod(os.path.join(d, name), 0o644)
        env = sb.base_env()
        env['PYTHONDONTWRITEBYTECODE'] = '1'
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(['runuser', '-u', user, '--', harness.sandbox.PYTHON,
                                      os.path.join(d, 'client.py'), sb.address],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
                                     text=True, env=env, cwd=sb.tmp)
        self.name = self._read()['ready']

    def _read(self):
        line = self.proc.stdout.readline()
        if not line:
            self.err.seek(0)
            err = self.err.read().decode(errors='replace')
            raise AssertionError(f'the client of {self.user} died: {err}')
        return json.loads(line)

    def call(self, iface, method, sig='', args=(), path=ROOT, timeout=30):
        self.proc.stdin.write(json.dumps({'dest': harness.BUS_NAME, 'path': path, 'iface': iface,
                                          'method': method, 'sig': sig, 'args': encode_json(list(args)),
                                          'timeout': timeout}) + '\n')
        self.proc.stdin.flush()
        r = self._read()
        if 'error' in r:
            return Reply(error=r['error'], message=r['message'])
        return Reply(tuple(r['ok']) if r.get('multi') else r['ok'])

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.err.close()


class Cell:
    """One call, and what to check: ok(value) when it must succeed; same() when it must be refused
    (the object it was about is as it was); cleanup() in any case."""

    def __init__(self, iface, method, sig='', args=(), path=ROOT, ok=None, same=None, cleanup=None):
        self.iface = iface
        self.method = method
        self.sig = sig
        self.args = list(args)
        self.path = path
        self.ok = ok or (lambda value: None)
        self.same = same or (lambda: None)
        self.cleanup = cleanup or (lambda: None)


class Matrix(harness.TestCase):
    @classmethod
    def setUpClass(cls):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: callers of three uids (runuser)')
        cls.sb = harness.Sandbox(polkit=[], config={k: dict(v) for k, v in CONFIG.items()}).start()
        cls.addClassCleanup(cls.sb.close)
        cls.owner, cls.other = cls.sb.make_users(2)
        cls.owner_uid = pwd.getpwnam(cls.owner).pw_uid
        cls.clients = {}
        # 'begin' is a second connection of the owner: conversations are begun there and used from
        # the owner's first one, so "the uid that began it" is what is tested, not the connection.
        for key, user in (('owner', cls.owner), ('begin', cls.owner), ('other', cls.other)):
            c = UidClient(cls.sb, user)
            cls.addClassCleanup(c.close)
            cls.clients[key] = c
        sb = cls.sb
        # Tomorrow, a whole minute; slots of the SetSchedule cells come after it.
        cls.slot = (int(time.time()) // 60 + 24 * 60) * 60 * 1_000_000
        sb.call(SC, 'AddCenter', 'sssss', CENTER, 'Центр госуслуг', 'Москва, Тверская, 1', 'Пн-Пт 9-18',
                '+74950000000')
        sb.call(SC, 'SetSchedule', 'sa(tu)', CENTER, [(cls.slot, 1000)])
        cls.dirty = True
        cls.n = 0

    def tearDown(self):
        self.assertNoLeaks(self.sb)

    # ---------------------------------------------------------------- helpers

    def root(self, iface, method, sig='', *args, path=ROOT):
        return self.sb.call(iface, method, sig, *args, path=path)

    def invoke(self, who, iface, method, sig='', args=(), path=ROOT):
        """A call as root (the harness's own connection), 'owner', 'begin' or 'other'."""
        if who == 'root':
            try:
                return Reply(self.root(iface, method, sig, *args, path=path))
            except harness.BusError as e:
                return Reply(error=e.name, message=e.message)
        return self.clients[who].call(iface, method, sig, args, path)

    def must(self, who, iface, method, sig='', args=(), path=ROOT):
        r = self.invoke(who, iface, method, sig, args, path)
        self.assertIsNone(r.error, f'{iface}.{method} as {who}: {r!r}')
        return r.value

    def unique(self):
        Matrix.n += 1
        return Matrix.n

    def fresh_account(self):
        """The owner's account as the cells expect it, with no reset request pending: made anew
        (fresh contacts, so no limit of an earlier cell applies) when a cell may have changed it."""
        if not Matrix.dirty:
            return
        sb = self.sb
        for r in self.root(SC, 'ListResetRequests'):
            self.root(SC, 'CancelResetRequest', 's', r[0])
        try:
            self.root(ACC, 'DeleteAccount', 's', self.owner)
        except harness.BusError as e:
            self.assertEqual(e.name, N.PG_ERROR_NO_SUCH_ACCOUNT)
        Matrix.pw = harness.strong_password()
        Matrix.phone = harness.make_phone()
        Matrix.email = f'ivan.{self.unique()}.{Matrix.phone[-6:]}@example.org'
        Matrix.passport = harness.make_passport()
        Matrix.snils = harness.make_snils()
        sb.create_account(self.owner, self.pw, FullName=NAME, Phone=self.phone, Email=self.email,
                          Documents={'passport': self.passport, 'snils': self.snils})
        Matrix.dirty = False

    def status(self):
        return self.root(MGR, 'GetAccountStatus', 's', self.owner)

    def listed(self):
        return self.owner in self.root(ACC, 'ListAccounts')

    def requests(self):
        return self.root(SC, 'ListResetRequests')

    def file_request(self):
        request, _ = self.root(SC, 'FileResetRequest', 'ssa{ss}', CENTER, self.owner,
                               {'passport': self.passport, 'snils': self.snils})
        return request

    def cancel_pending(self, request):
        if request in [r[0] for r in self.requests()]:
            self.root(SC, 'CancelResetRequest', 's', request)

    def free_places(self, slot=None):
        slot = self.slot if slot is None else slot
        return dict((s, n) for s, n in self.root(SC, 'ListSlots', 'stt', CENTER, 0, 2**63)).get(slot)

    def centers(self):
        return [c[0] for c in self.root(SC, 'ListCenters')]

    def spool_files(self):
        return {m['file'] for m in self.sb.spool_messages()}

    def dump(self):
        return self.sb.store_dump()

    def assertStoreSame(self, before, after, what):
        self.assertEqual(self.sb.store_diff(before, after), [], f'the store changed after {what}')

    def login_works(self, login, password):
        kind, prompt = self.sb.login(login, password)
        self.assertEqual(kind, 'done', prompt)
        return prompt

    # ---------------------------------------------------------------- Manager

    def cell_BeginConversation(self, who):
        def ok(path):
            self.assertRegex(path, '^' + re.escape(CONV_PREFIX) + '/[0-9a-f]{32}$')
            kind, prompt = self.must(who, CONV, 'Step', 'a{sv}', [{}], path)
            self.assertEqual((kind, prompt['Id']), ('secret', 'password'))
            self.must(who, CONV, 'Cancel', path=path)
        self.fresh_account()
        return Cell(MGR, 'BeginConversation', 'ssa{sv}', ['login', self.owner, CLIENT], ok=ok)

    def cell_BeginConversation_AdminReset(self, who):
        """AdminReset: root changes another user's password without the old one."""
        def ok(path):
            kind, prompt = self.must(who, CONV, 'Step', 'a{sv}', [{}], path)
            self.assertEqual((kind, prompt['Id']), ('secret', 'new-password'), prompt)
            self.must(who, CONV, 'Cancel', path=path)
        self.fresh_account()
        return Cell(MGR, 'BeginConversation', 'ssa{sv}',
                    ['change-password', self.owner, dict(CLIENT, AdminReset=V('b', True))], ok=ok)

    def cell_GetAccountStatus(self, who):
        def ok(status):
            self.assertEqual(set(status), {'PasswordChangeRequired', 'Locked', 'PasswordExpiresUSec'})
            self.assertEqual((status['PasswordChangeRequired'], status['Locked']), (False, False))
        self.fresh_account()
        return Cell(MGR, 'GetAccountStatus', 's', [self.owner], ok=ok)

    def cell_GetPasswordPolicy(self, who):
        def ok(policy):
            self.assertEqual(policy, self.root(MGR, 'GetPasswordPolicy'))
            self.assertLessEqual(15, policy['MinLength'])
            self.assertLess(policy['MinLength'], policy['MaxLength'])
            self.assertTrue(policy['Description'].strip())
        return Cell(MGR, 'GetPasswordPolicy', ok=ok)

    def cell_GeneratePassword(self, who):
        def ok(password):
            self.sb.secrets.add(password)
            policy = self.root(MGR, 'GetPasswordPolicy')
            self.assertTrue(policy['MinLength'] <= len(password) <= policy['MaxLength'], password)
        return Cell(MGR, 'GeneratePassword', ok=ok)

    # ---------------------------------------------------------------- Conversation

    def conversation(self, iface, method, sig='', args=(), ok=None):
        """A login of the owner begun on the owner's other connection, at its password step."""
        self.fresh_account()
        path = self.must('begin', MGR, 'BeginConversation', 'ssa{sv}', ['login', self.owner, CLIENT])
        kind, prompt = self.must('begin', CONV, 'Step', 'a{sv}', [{}], path)
        self.assertEqual(prompt['Id'], 'password')

        def same():
            # Still at the password step, and still the owner's: the right password logs in.
            kind, prompt = self.must('begin', CONV, 'Step', 'a{sv}', [{'Value': V('s', self.pw)}], path)
            self.assertEqual((kind, prompt.get('User')), ('done', self.owner), prompt)

        def cleanup():
            self.invoke('begin', CONV, 'Cancel', path=path)
        return Cell(iface, method, sig, args, path=path, ok=ok, same=same, cleanup=cleanup)

    def cell_Step(self, who):
        self.fresh_account()

        def ok(reply):
            kind, prompt = reply
            self.assertEqual((kind, prompt.get('User')), ('done', self.owner), prompt)
        return self.conversation(CONV, 'Step', 'a{sv}', [{'Value': V('s', self.pw)}], ok=ok)

    def cell_Cancel(self, who):
        def ok(_):
            r = self.invoke('begin', CONV, 'Step', 'a{sv}', [{}], cell.path)
            self.assertIn(r.error, PATH_ERRORS, 'the conversation is still there after Cancel')
        cell = self.conversation(CONV, 'Cancel', ok=ok)
        return cell

    def cell_Flow(self, who):
        return self.conversation(PROPS, 'Get', 'ss', [CONV, 'Flow'],
                                 ok=lambda flow: self.assertEqual(flow, 'login'))

    def cell_ExpiresUSec(self, who):
        def ok(usec):
            self.assertIsInstance(usec, int)
            self.assertGreater(usec, 0)
        return self.conversation(PROPS, 'Get', 'ss', [CONV, 'ExpiresUSec'], ok=ok)

    def cell_GetAll(self, who):
        def ok(props):
            self.assertEqual(props['Flow'], 'login')
            self.assertGreater(props['ExpiresUSec'], 0)
            self.assertEqual(set(props), {'Flow', 'ExpiresUSec'})
        return self.conversation(PROPS, 'GetAll', 's', [CONV], ok=ok)

    # ---------------------------------------------------------------- Accounts

    def cell_CreateAccount(self, who):
        self.fresh_account()
        self.root(ACC, 'DeleteAccount', 's', self.owner)
        Matrix.dirty = True
        phone = harness.make_phone()
        return Cell(ACC, 'CreateAccount', 'sa{sv}',
                    [self.owner, harness.account_props(FullName=NAME, Phone=phone)],
                    ok=lambda _: self.assertTrue(self.listed()),
                    same=lambda: self.assertFalse(self.listed()))

    def cell_UpdateAccount(self, who):
        self.fresh_account()
        before = self.root(ACC, 'GetAccount', 's', self.owner)
        phone = harness.make_phone()

        def ok(_):
            after = self.root(ACC, 'GetAccount', 's', self.owner)
            self.assertEqual(after['FullName'], 'Пётр Иванов')
            self.login_works(phone, self.pw)
            self.assertEqual(self.sb.login(self.phone, self.pw)[0], 'failed', 'the old phone still works')

        def same():
            self.assertEqual(self.root(ACC, 'GetAccount', 's', self.owner), before)
            self.login_works(self.phone, self.pw)
        return Cell(ACC, 'UpdateAccount', 'sa{sv}',
                    [self.owner, harness.account_props(FullName='Пётр Иванов', Phone=phone)], ok=ok, same=same)

    def cell_DeleteAccount(self, who):
        self.fresh_account()
        return Cell(ACC, 'DeleteAccount', 's', [self.owner],
                    ok=lambda _: self.assertFalse(self.listed()),
                    same=lambda: self.assertTrue(self.listed()))

    def cell_GetAccount(self, who):
        def ok(account):
            self.assertEqual((account['User'], account['Uid'], account['FullName']),
                             (self.owner, self.owner_uid, NAME))
            shown = ' '.join(harness.strings_in(account))
            for secret in (self.phone[2:], self.email, harness.digits(self.passport),
                           harness.digits(self.snils), self.pw):
                self.assertNotIn(secret, harness.digits(shown) if secret.isdigit() else shown,
                                 'GetAccount shows it unmasked')
        self.fresh_account()
        return Cell(ACC, 'GetAccount', 's', [self.owner], ok=ok)

    def cell_ListAccounts(self, who):
        self.fresh_account()
        return Cell(ACC, 'ListAccounts', ok=lambda users: self.assertIn(self.owner, users))

    def cell_SetPassword(self, who):
        self.fresh_account()
        new = harness.strong_password()
        self.sb.secrets.add(new)
        return Cell(ACC, 'SetPassword', 'ssb', [self.owner, new, False],
                    ok=lambda _: self.login_works(self.owner, new),
                    same=lambda: self.login_works(self.owner, self.pw))

    def cell_ExpirePassword(self, who):
        self.fresh_account()
        return Cell(ACC, 'ExpirePassword', 's', [self.owner],
                    ok=lambda _: self.assertTrue(self.status()['PasswordChangeRequired']),
                    same=lambda: self.assertFalse(self.status()['PasswordChangeRequired']))

    def cell_LockAccount(self, who):
        def ok(_):
            self.assertTrue(self.status()['Locked'])
            self.assertEqual(self.sb.login(self.owner, self.pw)[0], 'failed')

        def same():
            self.assertFalse(self.status()['Locked'])
            self.login_works(self.owner, self.pw)
        self.fresh_account()
        return Cell(ACC, 'LockAccount', 'ss', [self.owner, 'left the company'], ok=ok, same=same)

    def cell_UnlockAccount(self, who):
        self.fresh_account()
        self.root(ACC, 'LockAccount', 'ss', self.owner, 'on leave')
        Matrix.dirty = True
        return Cell(ACC, 'UnlockAccount', 's', [self.owner],
                    ok=lambda _: self.assertFalse(self.status()['Locked']),
                    same=lambda: self.assertTrue(self.status()['Locked']))

    def cell_IssueTemporaryPassword(self, who):
        self.fresh_account()
        seen = self.spool_files()

        def ok(_):
            msg = self.sb.wait_message(lambda m: m['To'] == self.email
                                       and 'Temporary passgate password' in m['body'], seen=seen)
            temporary = re.search(r'password: (\S+)', msg['body']).group(1)
            self.sb.secrets.add(temporary)
            self.assertTrue(self.login_works(self.owner, temporary)['PasswordChangeRequired'])

        def same():
            self.assertFalse(self.status()['PasswordChangeRequired'])
            self.login_works(self.owner, self.pw)
        return Cell(ACC, 'IssueTemporaryPassword', 's', [self.owner], ok=ok, same=same)

    def cell_ListAudit(self, who):
        def ok(entries):
            self.assertTrue(entries)
            self.assertTrue(all(len(e) == 4 for e in entries), entries[:3])
            self.assertTrue(any(e[1] == self.owner for e in entries))
        self.fresh_account()
        return Cell(ACC, 'ListAudit', 'tu', [0, 0], ok=ok)

    # ---------------------------------------------------------------- ServiceCenters

    def cell_ListCenters(self, who):
        def ok(centers):
            self.assertIn([CENTER, 'Центр госуслуг', 'Москва, Тверская, 1', 'Пн-Пт 9-18', '+74950000000'],
                          centers)
        return Cell(SC, 'ListCenters', ok=ok)

    def cell_ListSlots(self, who):
        def ok(slots):
            self.assertIn(self.slot, [s for s, _ in slots])
        return Cell(SC, 'ListSlots', 'stt', [CENTER, 0, 2**63], ok=ok)

    def cell_BookAppointment(self, who):
        free = self.free_places()
        booked = []

        def ok(coupon):
            self.assertRegex(coupon, r'^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}$')
            booked.append(coupon)
            self.assertEqual(self.free_places(), free - 1)

        def cleanup():
            for coupon in booked:
                self.root(SC, 'CancelAppointment', 's', coupon)
        return Cell(SC, 'BookAppointment', 'stss',
                    [CENTER, self.slot, 'Анна Смирнова', harness.make_phone()], ok=ok, cleanup=cleanup)

    def cell_CancelAppointment(self, who):
        free = self.free_places()
        coupon = self.root(SC, 'BookAppointment', 'stss', CENTER, self.slot, 'Анна Смирнова',
                           harness.make_phone())
        self.assertEqual(self.free_places(), free - 1)
        return Cell(SC, 'CancelAppointment', 's', [coupon],
                    ok=lambda _: self.assertEqual(self.free_places(), free),
                    same=lambda: self.assertEqual(self.free_places(), free - 1),
                    cleanup=lambda: (self.free_places() == free
                                     or self.root(SC, 'CancelAppointment', 's', coupon)))

    def cell_FileResetRequest(self, who):
        self.fresh_account()
        filed = []

        def ok(reply):
            request, deadline = reply
            self.assertRegex(request, r'^[0-9a-f]{16}$')
            filed.append(request)
            self.assertEqual([r[:3] for r in self.requests()], [[request, CENTER, self.owner]])
            self.assertGreater(deadline, 0)

        def cleanup():
            for request in filed:
                self.cancel_pending(request)
        return Cell(SC, 'FileResetRequest', 'ssa{ss}',
                    [CENTER, self.owner, {'passport': self.passport, 'snils': self.snils}],
                    ok=ok, same=lambda: self.assertEqual(self.requests(), []), cleanup=cleanup)

    def cell_ListResetRequests(self, who):
        self.fresh_account()
        request = self.file_request()

        def ok(listed):
            self.assertEqual([r[:3] for r in listed], [[request, CENTER, self.owner]])
            self.assertEqual(listed[0][5], 'pending')
        return Cell(SC, 'ListResetRequests', ok=ok, cleanup=lambda: self.cancel_pending(request))

    def cell_CancelResetRequest(self, who):
        self.fresh_account()
        request = self.file_request()

        def pending():
            return [r[0] for r in self.requests()]
        return Cell(SC, 'CancelResetRequest', 's', [request],
                    ok=lambda _: self.assertEqual(pending(), []),
                    same=lambda: self.assertEqual(pending(), [request]),
                    cleanup=lambda: self.cancel_pending(request))

    def cell_AddCenter(self, who):
        new = f'authz-new-{self.unique()}'

        def cleanup():
            if new in self.centers():
                self.root(SC, 'RemoveCenter', 's', new)
        return Cell(SC, 'AddCenter', 'sssss', [new, 'Новый центр', 'Тверь, Советская, 2', 'Пн-Сб 8-20',
                                                '+74822000000'],
                    ok=lambda _: self.assertIn(new, self.centers()),
                    same=lambda: self.assertNotIn(new, self.centers()), cleanup=cleanup)

    def cell_RemoveCenter(self, who):
        old = f'authz-old-{self.unique()}'
        self.root(SC, 'AddCenter', 'sssss', old, 'Старый центр', 'Тверь, Советская, 3', 'Пн-Пт 9-17',
                  '+74822000001')

        def cleanup():
            if old in self.centers():
                self.root(SC, 'RemoveCenter', 's', old)
        return Cell(SC, 'RemoveCenter', 's', [old],
                    ok=lambda _: self.assertNotIn(old, self.centers()),
                    same=lambda: self.assertIn(old, self.centers()), cleanup=cleanup)

    def cell_SetSchedule(self, who):
        start = self.slot + self.unique() * 60 * 1_000_000

        def cleanup():
            if self.free_places(start) is not None:
                self.root(SC, 'SetSchedule', 'sa(tu)', CENTER, [(start, 0)])
        return Cell(SC, 'SetSchedule', 'sa(tu)', [CENTER, [(start, 5)]],
                    ok=lambda _: self.assertEqual(self.free_places(start), 5),
                    same=lambda: self.assertIsNone(self.free_places(start)), cleanup=cleanup)

    # ---------------------------------------------------------------- Support

    def cell_GetContacts(self, who):
        return Cell(SUP, 'GetContacts', ok=lambda contacts: self.assertEqual(contacts, CONTACTS))

    def cell_VerifyIdentity(self, who):
        self.fresh_account()
        return Cell(SUP, 'VerifyIdentity', 'ssss', [self.owner, NAME, 'passport', self.passport],
                    ok=lambda match: self.assertIs(match, True))

    def cell_SendRecoveryCode(self, who):
        self.fresh_account()
        seen = self.spool_files()

        def ok(_):
            self.sb.wait_message(lambda m: m['To'] == self.phone and re.search(r'\b\d{6}\b', m['body']),
                                 seen=seen)
            self.sb.wait_code(self.phone)       # the code counts as a secret from here on
        return Cell(SUP, 'SendRecoveryCode', 's', [self.owner], ok=ok)

    # ---------------------------------------------------------------- the matrix covers the API

    def exported(self):
        """{(interface, member)}: the methods and properties of every org.passgate1 interface, from
        "/" down and on a live conversation (conversations are not enumerated)."""
        live = self.root(MGR, 'BeginConversation', 'ssa{sv}', 'login', 'nobody-in-particular', CLIENT)
        found, todo, seen = set(), ['/', live], set()
        try:
            while todo:
                path = todo.pop()
                if path in seen:
                    continue
                seen.add(path)
                node = ET.fromstring(self.root('org.freedesktop.DBus.Introspectable', 'Introspect',
                                               path=path))
                for iface in node.findall('interface'):
                    name = iface.get('name')
                    if name.startswith(N.PG_BUS_NAME + '.'):
                        found |= {(name, m.get('name')) for m in iface.findall('method')}
                        found |= {(name, p.get('name')) for p in iface.findall('property')}
                for child in node.findall('node'):
                    todo.append(path.rstrip('/') + '/' + child.get('name'))
        finally:
            self.root(CONV, 'Cancel', path=live)
        return found

    def test_every_member_has_a_row(self):
        exported = self.exported()
        self.assertIn((MGR, 'BeginConversation'), exported, 'sanity: introspection works')
        self.assertIn((CONV, 'Flow'), exported, 'sanity: the properties of a conversation are seen')
        rows = {(r.iface, r.member) for r in ROWS}
        missing = sorted(f'{i}.{m}' for i, m in exported - rows)
        self.assertEqual(missing, [], 'members without a row in the authorization matrix: add them to TABLE')
        stale = sorted(f'{i}.{m}' for i, m in rows - exported - STANDARD)
        self.assertEqual(stale, [], 'rows of TABLE for members the daemon does not export')
        self.assertEqual(len({r.name for r in ROWS}), len(ROWS), 'a row is in TABLE twice')
        for row in ROWS:
            self.assertTrue(hasattr(self, row.scenario), f'{row.name}: no {row.scenario}')

    # ---------------------------------------------------------------- every cell

    def polkit_for(self, row, column):
        says = COLUMNS[column][1]
        if says == 'nothing':
            return []
        if says == 'the row\'s':
            return [row.action] if row.action else ALL_ACTIONS
        if says == 'all but the row\'s':
            return [a for a in ALL_ACTIONS if a != row.action] if row.action else []
        raise AssertionError(says)

    def run_cell(self, row, column):
        who = COLUMNS[column][0]
        expected = row.cells[column]
        what = f'{row.name} as {column}'
        if column in WITH_POLKIT:
            self.sb.set_polkit_allowed(self.polkit_for(row, column))
        cell = getattr(self, row.scenario)(who)
        try:
            before = self.dump() if expected != 'ok' else None
            reply = self.invoke(who, cell.iface, cell.method, cell.sig, cell.args, cell.path)
            if expected == 'ok':
                self.assertIsNone(reply.error, f'{what}: refused, must be allowed: {reply!r}')
                cell.ok(reply.value)
            else:
                self.assertEqual(reply.error, expected, f'{what}: must be refused: {reply!r}')
                self.assertTrue(reply.message.strip(), f'{what}: {reply.error} without a message')
                self.assertStoreSame(before, self.dump(), f'the refused {what}')
                cell.same()
        finally:
            try:
                cell.cleanup()
            finally:
                if row.member in CHANGES_THE_ACCOUNT:
                    Matrix.dirty = True

    def test_matrix(self):
        # Sanity: the dump sees a write (a refused cell compares two of them).
        Matrix.dirty = True
        before = self.dump()
        self.fresh_account()
        self.assertNotEqual(before['accounts'], self.dump()['accounts'])
        asserted = failed = 0
        for phase in (WITH_POLKIT, WITHOUT_POLKIT):
            if phase is WITHOUT_POLKIT:
                self.sb.stop_polkit()
            for row in ROWS:
                for column in phase:
                    with self.subTest(cell=f'{row.name} as {column}'):
                        ok = False
                        try:
                            self.run_cell(row, column)
                            ok = True
                        finally:
                            asserted += ok
                            failed += not ok
        total = len(ROWS) * len(COLUMNS)
        sys.stderr.write(f'authorization matrix: {asserted} of {total} cells asserted '
                         f'({len(ROWS)} rows x {len(COLUMNS)} kinds of caller), {failed} failed\n')
        self.assertEqual(asserted + failed, total)
        self.assertEqual(failed, 0)
        # Nothing of the above crashed the daemon or made it leave the bus.
        self.assertIsNone(self.sb.daemon_proc.poll())
        self.assertEqual(self.sb.owner_pid(harness.BUS_NAME), self.sb.daemon_proc.pid)


if __name__ == '__main__':
    harness.main()
