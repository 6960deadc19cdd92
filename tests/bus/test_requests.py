#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reset requests filed by a clerk (org.passgate1.ServiceCenters): who may file, list and cancel;
passport and SNILS must both match; notices to every contact at filing; cancelled by the owner,
by a successful login or by a clerk; applied after the hold and before the deadline, also across a
restart and late after a long stop; failed deliveries tried again. Time moves by the test clock,
never by sleeping."""
import os
import pwd
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import N, Sandbox, TestCase, digits, make_passport, make_phone, make_snils  # noqa: E402
from harness import strong_password  # noqa: E402

SC = N.PG_IFACE_SERVICECENTERS
CLERK = N.PG_POLKIT_SERVICE_CENTER
MANAGE = N.PG_POLKIT_MANAGE
HOLD = 3600
DAY = 24 * 3600
USEC = 1_000_000
CENTER = 'tverskaya'
CENTER_NAME = 'Центр на Тверской'
# In test builds passgated looks for due requests every 200 ms: after this long, one that was due
# has been started. Only used to see that nothing happens.
QUIET = 1.0


def uid_of(user):
    return pwd.getpwnam(user).pw_uid


class RequestCase(TestCase):
    polkit = None
    config = {}

    @classmethod
    def setUpClass(cls):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: unix users for the owner, a clerk and a stranger')
        cls.sb = Sandbox(polkit=cls.polkit,
                         config={'centers': {'request_hold': str(HOLD)}, **cls.config}).start()
        cls.addClassCleanup(cls.sb.close)
        cls.user, cls.clerk, cls.other = cls.sb.make_users(3)

    def setUp(self):
        sb = self.sb
        sb.set_clock(0)
        sb.restart_daemon(fresh=True)
        self.pw = strong_password()
        self.phone = make_phone()
        self.email = f'ivan.{harness.sandbox.secrets.token_hex(3)}@example.net'
        self.passport = make_passport()
        self.snils = make_snils()
        self.desk = []      # contacts given at the desk: never in the daemon's log
        sb.create_account(self.user, self.pw, FullName='Иван Петров', Phone=self.phone,
                          Email=self.email, Documents={'passport': self.passport, 'snils': self.snils})
        sb.call(SC, 'AddCenter', 'sssss', CENTER, CENTER_NAME, 'Тверская, 1', 'Пн-Пт 9-18',
                '+74950000000')
        sb.wait_message(lambda m: m['To'] == self.email)
        sb.wait_message(lambda m: m['To'] == self.phone)
        self.clear_spool()

    def tearDown(self):
        self.assertNoLeaks(self.sb, [self.passport, digits(self.passport), self.snils,
                                     digits(self.snils)] + self.desk)

    # ---------------------------------------------------------------- helpers

    def clear_spool(self):
        for name in os.listdir(self.sb.spool_dir):
            os.unlink(os.path.join(self.sb.spool_dir, name))

    def file(self, login=None, passport=None, snils=None, contact=None, user=None, center=CENTER):
        docs = {'passport': passport or self.passport, 'snils': snils or self.snils}
        if contact is not None:
            docs['contact'] = contact
            self.desk += [contact, digits(contact)] if '@' not in contact else [contact]
        return self.sb.call(SC, 'FileResetRequest', 'ssa{ss}', center, login or self.user, docs,
                            user=user)

    def requests(self, user=None):
        return self.sb.call(SC, 'ListResetRequests', '', user=user)

    def cancel(self, request, user=None):
        return self.sb.call(SC, 'CancelResetRequest', 's', request, user=user)

    def audit(self, event):
        return [e for e in self.sb.accounts('ListAudit', 'tu', 0, 0) if e[2] == event]

    def is_temporary(self, m):
        return 'Temporary passgate password' in m['body']

    def wait_audit(self, event, n=1, timeout=10):
        deadline = time.monotonic() + timeout
        while len(self.audit(event)) < n:
            if time.monotonic() > deadline:
                self.fail(f'no {event} in the audit: {self.sb.accounts("ListAudit", "tu", 0, 0)!r}')
            time.sleep(0.05)
        return self.audit(event)

    def temporary(self, to):
        """The temporary password sent to `to`, once it is also stored (the message goes first)."""
        msg = self.sb.wait_message(lambda m: m['To'] == to and self.is_temporary(m))
        password = re.search(r'password: (\S+)', msg['body']).group(1)
        self.sb.secrets.add(password)
        self.wait_audit('reset-request-applied')
        return password

    def assertNothingApplied(self, password_works=True):
        """No temporary password went out; password_works: none was stored either (logging in
        also cancels a pending request: only once none is left)."""
        time.sleep(QUIET)
        self.assertEqual([m for m in self.sb.spool_messages() if self.is_temporary(m)], [])
        if password_works:
            self.assertEqual(self.sb.login(self.user, self.pw)[0], 'done')


class Filing(RequestCase):
    def test_filed_request_is_listed_and_every_contact_told(self):
        request, deadline = self.file()
        self.assertRegex(request, r'^[0-9a-f]{16}$')
        (listed,) = self.requests()
        self.assertEqual(listed[:3], [request, CENTER, self.user])
        filed, apply = listed[3], listed[4]
        self.assertEqual((apply - filed, deadline - filed), (HOLD * USEC, DAY * USEC))
        self.assertEqual(listed[5:], ['pending', f'i***@{self.email.split("@")[1]}'])
        for to in (self.phone, self.email):
            msg = self.sb.wait_message(lambda m: m['To'] == to and request in m['body'])
            self.assertIn(f'passgatectl request cancel {request}', msg['body'])
            self.assertIn(CENTER_NAME, msg['body'])
            self.assertIn('log in with your current password', msg['body'])
        (entry,) = self.audit('reset-request-filed')
        self.assertEqual(entry[1], self.user)
        self.assertTrue(entry[3].startswith('caller=0 '), entry)
        self.assertIn(request, entry[3])

    def test_login_resolves_like_a_login_prompt(self):
        national = harness.national_phone(self.phone)
        for login in (national, self.email, self.snils):
            with self.subTest(login=login):
                self.sb.answers.add(login)
                request, _ = self.file(login=login)
                self.assertEqual([r[0] for r in self.requests()], [request])

    def test_a_new_filing_replaces_the_pending_one(self):
        first, _ = self.file()
        second, _ = self.file()
        self.assertEqual([r[0] for r in self.requests()], [second])
        (entry,) = self.audit('reset-request-cancelled')
        self.assertIn(first, entry[3])

    def test_documents_must_both_match(self):
        other_snils = make_snils()
        self.sb.secrets.update({other_snils, digits(other_snils)})
        cases = {
            'wrong passport': dict(passport=make_passport()),
            'wrong snils': dict(snils=other_snils),
            'malformed passport': dict(passport='12 34'),
            'snils with a wrong check number': dict(snils=harness.bad_snils(self.snils)),
            'unknown login': dict(login=make_phone()),
        }
        for n, (why, kw) in enumerate(cases.items(), 1):
            with self.subTest(why):
                e = self.assertBusError(N.PG_ERROR_DOCUMENTS_MISMATCH, self.file, **kw)
                self.assertEqual(e.message, 'The documents do not match.')
                self.assertEqual(self.requests(), [])
                refused = self.audit('reset-request-refused')
                self.assertEqual(len(refused), n)
                self.assertTrue(refused[-1][3].startswith('caller=0 '), refused[-1])
                self.assertEqual(refused[-1][1], '' if why == 'unknown login' else self.user)
        missing = self.sb.call
        self.assertBusError(N.PG_ERROR_DOCUMENTS_MISMATCH, missing, SC, 'FileResetRequest',
                            'ssa{ss}', CENTER, self.user, {'passport': self.passport})
        time.sleep(QUIET)
        self.assertEqual(self.sb.spool_messages(), [])

    def test_unknown_center(self):
        for center in ('nowhere', 'Not An Id!'):
            with self.subTest(center=center):
                self.assertBusError(N.PG_ERROR_NO_SUCH_CENTER, self.file, center=center)
        self.assertEqual(self.requests(), [])

    def test_bad_desk_contact_or_key(self):
        self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.file, contact='not a contact')
        self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.sb.call, SC, 'FileResetRequest', 'ssa{ss}',
                            CENTER, self.user, {'passport': self.passport, 'snils': self.snils,
                                                'inn': '7707083893'})
        self.assertEqual(self.requests(), [])

    def test_desk_contact_of_another_account(self):
        taken = make_phone()
        self.sb.create_account(self.other, Phone=taken)
        self.assertBusError(N.PG_ERROR_IDENTIFIER_IN_USE, self.file, contact=taken)
        self.assertEqual(self.requests(), [])

    def test_an_account_without_contact_needs_one_at_the_desk(self):
        passport, snils = make_passport(), make_snils()
        self.sb.create_account(self.other, strong_password(),
                               Documents={'passport': passport, 'snils': snils})
        self.assertBusError(N.PG_ERROR_NO_CONTACT, self.file, login=self.other, passport=passport,
                            snils=snils)
        desk = make_phone()
        request, _ = self.file(login=self.other, passport=passport, snils=snils, contact=desk)
        self.assertEqual([r[0] for r in self.requests()], [request])
        self.sb.advance_clock(HOLD + 1)
        self.temporary(desk)


class Lifecycle(RequestCase):
    def test_applied_after_the_hold_to_the_registered_contact(self):
        signals = self.sb.record_signals()
        request, _ = self.file()
        self.sb.advance_clock(HOLD - 60)
        self.assertNothingApplied(password_works=False)
        self.assertEqual([r[0] for r in self.requests()], [request])
        self.sb.advance_clock(61)
        password = self.temporary(self.email)    # e-mail first, as for IssueTemporaryPassword
        self.assertIsNotNone(signals.wait_for('PasswordChanged', [self.user, 'service-center']))
        self.assertEqual(self.sb.login(self.user, self.pw)[0], 'failed')
        kind, prompt = self.sb.login(self.user, password)
        self.assertEqual((kind, prompt['PasswordChangeRequired']), ('done', True))
        self.assertEqual(self.requests(), [])
        (entry,) = self.audit('reset-request-applied')
        self.assertIn(request, entry[3])
        self.assertNotIn('late', entry[3])
        for to in (self.phone, self.email):
            self.sb.wait_message(lambda m: m['To'] == to and 'reset at a service center' in m['body'])

    def test_desk_phone_gets_it_and_replaces_the_registered_phone(self):
        desk = make_phone()
        self.file(contact=harness.national_phone(desk))
        self.sb.advance_clock(HOLD + 1)
        password = self.temporary(desk)
        msg = self.sb.wait_message(lambda m: m['To'] == desk and self.is_temporary(m))
        self.assertEqual(msg['Channel'], 'sms')
        shown = self.sb.accounts('GetAccount', 's', self.user)['Phone']
        self.assertTrue(digits(shown).endswith(desk[-2:]), shown)
        self.assertEqual(self.sb.login(desk, password)[0], 'done')
        self.assertEqual(self.sb.login(self.phone, password)[0], 'failed')
        self.assertEqual(self.sb.login(self.email, password)[0], 'done')
        (entry,) = self.audit('reset-request-applied')
        self.assertIn('now registered', entry[3])

    def test_desk_email_replaces_the_registered_email(self):
        desk = f'petrov.{harness.sandbox.secrets.token_hex(3)}@example.org'
        self.file(contact=desk)
        self.sb.advance_clock(HOLD + 1)
        password = self.temporary(desk)
        self.assertEqual(self.sb.login(desk, password)[0], 'done')
        self.assertEqual(self.sb.login(self.email, password)[0], 'failed')
        self.assertEqual(self.sb.login(self.phone, password)[0], 'done')

    def test_cancelled_by_the_owner(self):
        request, _ = self.file()
        self.cancel(request, user=self.user)
        self.assertEqual(self.requests(), [])
        (entry,) = self.audit('reset-request-cancelled')
        self.assertTrue(entry[3].startswith(f'caller={uid_of(self.user)} '), entry)
        self.assertIn('by the owner', entry[3])
        self.sb.advance_clock(HOLD + 1)
        self.assertNothingApplied()

    def test_cancelled_by_a_successful_login(self):
        request, _ = self.file()
        self.assertEqual(self.sb.login(self.user, 'not the password at all, sorry')[0], 'failed')
        self.assertEqual([r[0] for r in self.requests()], [request])
        self.sb.advance_clock(HOLD - 1)
        self.assertEqual(self.sb.login(self.phone, self.pw)[0], 'done')
        self.assertEqual(self.requests(), [])
        (entry,) = self.audit('reset-request-cancelled')
        self.assertIn('current password', entry[3])
        self.sb.advance_clock(2)
        self.assertNothingApplied()

    def test_cancelled_by_root(self):
        request, _ = self.file()
        self.cancel(request)
        self.assertEqual(self.requests(), [])
        self.assertBusError(N.PG_ERROR_NO_SUCH_REQUEST, self.cancel, request)
        self.assertBusError(N.PG_ERROR_NO_SUCH_REQUEST, self.cancel, 'no such thing')
        self.sb.advance_clock(HOLD + 1)
        self.assertNothingApplied()

    def test_restart_during_the_hold(self):
        request, _ = self.file()
        self.sb.advance_clock(HOLD // 2)
        self.sb.restart_daemon()
        self.assertEqual([r[0] for r in self.requests()], [request])
        self.sb.advance_clock(HOLD // 2 - 60)
        self.assertNothingApplied(password_works=False)
        self.sb.advance_clock(61)
        self.temporary(self.email)
        self.assertEqual(self.requests(), [])

    def test_due_while_stopped_is_applied_at_start(self):
        self.file()
        self.sb.stop_daemon(check=True)
        self.sb.advance_clock(2 * HOLD)
        self.sb.start_daemon()
        self.temporary(self.email)
        (entry,) = self.audit('reset-request-applied')
        self.assertNotIn('late', entry[3])

    def test_late_after_a_long_stop(self):
        self.file()
        self.sb.kill_daemon()
        self.sb.advance_clock(DAY + HOLD)
        self.sb.start_daemon()
        password = self.temporary(self.email)
        (entry,) = self.audit('reset-request-applied')
        self.assertIn('late', entry[3])
        self.assertEqual(self.sb.login(self.user, password)[1]['PasswordChangeRequired'], True)

    def test_account_deleted_during_the_hold(self):
        request, _ = self.file()
        self.sb.accounts('DeleteAccount', 's', self.user)
        self.sb.advance_clock(HOLD + 1)
        (entry,) = self.wait_audit('reset-request-failed')
        self.assertIn(request, entry[3])
        self.assertIn('no such account', entry[3])
        self.assertEqual(self.requests(), [])
        self.assertEqual([m for m in self.sb.spool_messages() if self.is_temporary(m)], [])


class FailedDelivery(RequestCase):
    """The e-mail backend fails: the request stays and is tried again every 15 minutes until the
    deadline; a delivery that fails after it ends the request."""

    def restart_with(self, email_backend):
        if email_backend:
            self.sb.config_extra['delivery'] = {'email': email_backend}
        else:
            self.sb.config_extra.pop('delivery', None)
        self.sb.restart_daemon()

    def tearDown(self):
        self.sb.config_extra.pop('delivery', None)
        super().tearDown()

    def test_tried_again_until_delivered(self):
        self.restart_with('command:/bin/false')
        request, _ = self.file()
        self.sb.advance_clock(HOLD + 1)
        (entry,) = self.wait_audit('reset-request-retry')
        self.assertIn('delivery failed', entry[3])
        (listed,) = self.requests()
        self.assertEqual(listed[0], request)
        self.assertGreaterEqual(listed[4] - listed[3], (HOLD + 15 * 60) * USEC)
        self.restart_with(None)
        self.sb.advance_clock(15 * 60 - 60)
        self.assertNothingApplied(password_works=False)
        self.sb.advance_clock(61)
        password = self.temporary(self.email)
        self.assertEqual(self.sb.login(self.user, password)[0], 'done')
        self.assertEqual(self.requests(), [])

    def test_given_up_after_the_deadline(self):
        self.restart_with('command:/bin/false')
        request, _ = self.file()
        self.sb.advance_clock(HOLD + 1)
        self.wait_audit('reset-request-retry')
        self.sb.advance_clock(DAY)
        (entry,) = self.wait_audit('reset-request-failed')
        self.assertIn(request, entry[3])
        self.assertIn('past the deadline', entry[3])
        self.assertEqual(self.requests(), [])
        self.restart_with(None)
        self.assertNothingApplied()


class AuthzBase(RequestCase):
    clerk_allowed = False   # org.passgate1.service-center
    admin_allowed = False   # org.passgate1.manage

    def test_file_as_clerk(self):
        if self.clerk_allowed:
            request, _ = self.file(user=self.clerk)
            (entry,) = self.audit('reset-request-filed')
            self.assertTrue(entry[3].startswith(f'caller={uid_of(self.clerk)} '), entry)
            self.assertEqual([r[0] for r in self.requests()], [request])
        else:
            self.assertBusError(N.PG_ERROR_ACCESS_DENIED, self.file, user=self.clerk)
            self.assertEqual(self.requests(), [])
            self.assertEqual(self.audit('reset-request-refused'), [])

    def test_list_as_clerk(self):
        request, _ = self.file()
        if self.clerk_allowed or self.admin_allowed:
            self.assertEqual([r[0] for r in self.requests(user=self.clerk)], [request])
        else:
            self.assertBusError(N.PG_ERROR_ACCESS_DENIED, self.requests, user=self.clerk)

    def test_cancel_as_clerk(self):
        request, _ = self.file()
        if self.clerk_allowed or self.admin_allowed:
            self.cancel(request, user=self.clerk)
            self.assertEqual(self.requests(), [])
            self.assertBusError(N.PG_ERROR_NO_SUCH_REQUEST, self.cancel, request, user=self.clerk)
        else:
            # A stranger cannot tell another's request from one that does not exist.
            denied = self.assertBusError(N.PG_ERROR_ACCESS_DENIED, self.cancel, request,
                                         user=self.clerk)
            unknown = self.assertBusError(N.PG_ERROR_ACCESS_DENIED, self.cancel,
                                          '0123456789abcdef', user=self.clerk)
            self.assertEqual(denied.message, unknown.message)
            self.assertEqual([r[0] for r in self.requests()], [request])

    def test_cancel_as_owner(self):
        request, _ = self.file()
        self.cancel(request, user=self.user)
        self.assertEqual(self.requests(), [])


class ClerkAllowed(AuthzBase):
    polkit = [CLERK]
    clerk_allowed = True


class AdminAllowed(AuthzBase):
    polkit = [MANAGE]
    admin_allowed = True


class PolkitDenies(AuthzBase):
    polkit = []


class NoPolkit(AuthzBase):
    polkit = None


del AuthzBase   # only the concrete classes run

if __name__ == '__main__':
    harness.main()
