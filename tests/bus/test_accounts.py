#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""org.passgate1.Accounts as root: what each method does, masking, identifier clashes and bad input
(refused with a clear error, nothing changed)."""
import os
import secrets
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import N, V, digits, strings_in  # noqa: E402

BAD_INPUT = (N.PG_ERROR_INVALID_ARGS, N.PG_ERROR_INVALID_IDENTIFIER)


class Accounts(harness.TestCase):
    @classmethod
    def setUpClass(cls):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: creates unix users')
        cls.sb = harness.Sandbox(daemon=False).start()
        cls.addClassCleanup(cls.sb.close)
        cls.u1, cls.u2, cls.u3 = cls.sb.make_users(3)

    def setUp(self):
        if self.sb.daemon_proc is not None:
            self.sb.stop_daemon()
        self.sb.start_daemon(fresh=True)
        self.pw = harness.strong_password()
        self.phone = harness.make_phone()
        self.email = f'ivan.petrov.{secrets.token_hex(3)}@example.org'
        self.snils = harness.make_snils()
        self.passport = harness.make_passport()
        self.inn = harness.make_inn()

    def tearDown(self):
        self.assertNoLeaks(self.sb, [self.passport, digits(self.passport), digits(self.snils),
                                     self.inn, self.pw])

    def acc(self, *a):
        return self.sb.accounts(*a)

    def get(self, user):
        return self.acc('GetAccount', 's', user)

    def listed(self):
        return self.acc('ListAccounts')

    def full(self, user, password=True, must_change=False):
        self.sb.create_account(user, self.pw if password else None, must_change,
                               FullName='Иван Петров', Phone=self.phone, Email=self.email,
                               Documents={'passport': self.passport, 'snils': self.snils, 'inn': self.inn})

    def status(self, user):
        return self.sb.manager('GetAccountStatus', 's', user)

    def assertUnchanged(self, before_list, before_acc=None, user=None):
        self.assertEqual(self.listed(), before_list)
        if user is not None:
            self.assertEqual(self.get(user), before_acc)

    # ------------------------------------------------------------- create, each property

    def test_create_without_props(self):
        self.acc('CreateAccount', 'sa{sv}', self.u1, {})
        self.assertIn(self.u1, self.listed())
        a = self.get(self.u1)
        self.assertEqual(a['User'], self.u1)
        self.assertFalse(a['PasswordSet'])

    def test_create_with_full_name(self):
        self.sb.create_account(self.u1, FullName='Пётр Иванов')
        self.assertEqual(self.get(self.u1)['FullName'], 'Пётр Иванов')

    def test_create_with_phone_is_masked_and_logs_in(self):
        self.sb.create_account(self.u1, self.pw, Phone=harness.national_phone(self.phone))
        shown = self.get(self.u1)['Phone']
        self.assertIn('*', shown)
        self.assertTrue(digits(shown).endswith(digits(self.phone)[-2:]), shown)
        self.assertNotIn(digits(self.phone)[1:], digits(shown))
        self.assertEqual(self.sb.login(self.phone, self.pw)[1]['User'], self.u1)

    def test_create_with_email_is_masked_and_logs_in(self):
        self.sb.create_account(self.u1, self.pw, Email=self.email)
        shown = self.get(self.u1)['Email']
        self.assertIn('*', shown)
        self.assertNotIn(self.email.split('@')[0], shown)
        self.assertEqual(self.sb.login(self.email, self.pw)[1]['User'], self.u1)

    def test_create_with_each_document(self):
        for user, doc, number in ((self.u1, 'passport', self.passport), (self.u2, 'snils', self.snils),
                                  (self.u3, 'inn', self.inn)):
            with self.subTest(doc=doc):
                self.sb.create_account(user, Documents={doc: number})
                docs = self.get(user)['Documents']
                self.assertEqual(list(docs), [doc])
                self.assertIn('*', docs[doc])
                self.assertNotIn(digits(number), digits(docs[doc]))
                self.assertTrue(digits(docs[doc]).endswith(digits(number)[-2:]), docs[doc])

    def test_get_account_shows_no_secret(self):
        self.full(self.u1)
        a = self.get(self.u1)
        for key in ('User', 'FullName', 'Phone', 'Email', 'Documents', 'PasswordSet', 'Locked',
                    'PasswordChangeRequired', 'Failures'):
            self.assertIn(key, a)
        self.assertEqual(a['FullName'], 'Иван Петров')
        self.assertTrue(a['PasswordSet'])
        self.assertEqual(set(a['Documents']), {'passport', 'snils', 'inn'})
        local = self.email.split('@')[0]
        for s in strings_in(a):
            self.assertNotIn('$argon2', s)
            self.assertNotIn(self.pw, s)
            self.assertNotIn(local, s)
            d = digits(s)
            for secret in (digits(self.phone)[1:], digits(self.passport), digits(self.snils), self.inn):
                self.assertNotIn(secret, d, f'{s!r} shows {secret}')

    def test_create_twice_refused(self):
        self.full(self.u1)
        before = self.get(self.u1)
        self.assertBusError(N.PG_ERROR_ACCOUNT_EXISTS, self.acc, 'CreateAccount', 'sa{sv}', self.u1,
                            harness.account_props(FullName='Someone Else'))
        self.assertEqual(self.get(self.u1), before)

    # ------------------------------------------------------------- update, delete, list

    def test_update_each_property(self):
        self.full(self.u1)
        phone2, email2 = harness.make_phone(), f'p.ivanov.{secrets.token_hex(2)}@example.com'
        snils2 = harness.make_snils()
        self.acc('UpdateAccount', 'sa{sv}', self.u1,
                 harness.account_props(FullName='Пётр Иванов', Phone=phone2, Email=email2,
                                       Documents={'snils': snils2}))
        a = self.get(self.u1)
        self.assertEqual(a['FullName'], 'Пётр Иванов')
        self.assertTrue(digits(a['Phone']).endswith(digits(phone2)[-2:]))
        self.assertTrue(digits(a['Documents']['snils']).endswith(digits(snils2)[-2:]))
        self.assertIn('passport', a['Documents'], 'an update of one document keeps the others')
        self.assertEqual(self.sb.login(phone2, self.pw)[0], 'done')
        self.assertEqual(self.sb.login(email2, self.pw)[0], 'done')
        self.assertEqual(self.sb.login(snils2, self.pw)[0], 'done')
        # The old identifiers are gone and free for another account.
        self.assertEqual(self.sb.login(self.phone, self.pw)[0], 'failed')
        self.assertEqual(self.sb.login(self.email, self.pw)[0], 'failed')
        self.assertEqual(self.sb.login(self.snils, self.pw)[0], 'failed')
        self.sb.create_account(self.u2, Phone=self.phone, Email=self.email, Documents={'snils': self.snils})

    def test_update_unknown_account(self):
        before = self.listed()
        self.assertBusError(N.PG_ERROR_NO_SUCH_ACCOUNT, self.acc, 'UpdateAccount', 'sa{sv}', self.u1,
                            harness.account_props(FullName='X Y'))
        self.assertUnchanged(before)

    def test_delete(self):
        self.full(self.u1)
        self.sb.create_account(self.u2, FullName='B')
        self.acc('DeleteAccount', 's', self.u1)
        self.assertEqual(self.listed(), [self.u2])
        self.assertBusError(N.PG_ERROR_NO_SUCH_ACCOUNT, self.get, self.u1)
        self.assertEqual(self.sb.login(self.u1, self.pw)[0], 'failed')
        self.assertEqual(self.sb.login(self.phone, self.pw)[0], 'failed')
        # Its identifiers are free again.
        self.acc('UpdateAccount', 'sa{sv}', self.u2,
                 harness.account_props(Phone=self.phone, Email=self.email, Documents={'snils': self.snils}))
        self.assertBusError(N.PG_ERROR_NO_SUCH_ACCOUNT, self.acc, 'DeleteAccount', 's', self.u1)

    def test_list_accounts(self):
        self.assertEqual(self.listed(), [])
        self.sb.create_account(self.u2)
        self.sb.create_account(self.u1)
        self.assertEqual(sorted(self.listed()), sorted([self.u1, self.u2]))

    # ------------------------------------------------------------- passwords, expiry, locks

    def test_set_password(self):
        self.full(self.u1, password=False)
        self.assertEqual(self.sb.login(self.u1, self.pw)[0], 'failed')
        self.sb.set_password(self.u1, self.pw)
        kind, prompt = self.sb.login(self.u1, self.pw)
        self.assertEqual(kind, 'done')
        self.assertFalse(prompt['PasswordChangeRequired'])
        self.assertFalse(self.status(self.u1)['PasswordChangeRequired'])
        pw2 = harness.strong_password()
        self.sb.set_password(self.u1, pw2)
        self.assertEqual(self.sb.login(self.u1, self.pw)[0], 'failed')
        self.assertEqual(self.sb.login(self.u1, pw2)[0], 'done')

    def test_set_password_must_change(self):
        self.full(self.u1, password=False)
        self.sb.set_password(self.u1, self.pw, must_change=True)
        self.assertTrue(self.status(self.u1)['PasswordChangeRequired'])
        kind, prompt = self.sb.login(self.u1, self.pw)
        self.assertEqual(kind, 'done')
        self.assertTrue(prompt['PasswordChangeRequired'])

    def test_set_weak_password_refused(self):
        self.full(self.u1)
        for weak, why in (('short', 'short'), ('password12345678', 'common'),
                          (self.u1 + '-' + self.u1, 'your own'), (digits(self.phone) * 2, 'own')):
            with self.subTest(why=why):
                e = self.assertBusError(N.PG_ERROR_PASSWORD_REJECTED, self.sb.set_password, self.u1, weak)
                self.assertGreater(len(e.message), 10)
        self.assertEqual(self.sb.login(self.u1, self.pw)[0], 'done')

    def test_set_password_unknown_account(self):
        self.assertBusError(N.PG_ERROR_NO_SUCH_ACCOUNT, self.sb.set_password, self.u1, self.pw)

    def test_expire_password(self):
        self.full(self.u1)
        self.assertFalse(self.status(self.u1)['PasswordChangeRequired'])
        self.acc('ExpirePassword', 's', self.u1)
        self.assertTrue(self.status(self.u1)['PasswordChangeRequired'])
        self.assertTrue(self.get(self.u1)['PasswordChangeRequired'])
        kind, prompt = self.sb.login(self.u1, self.pw)
        self.assertEqual(kind, 'done')
        self.assertTrue(prompt['PasswordChangeRequired'])
        self.assertBusError(N.PG_ERROR_NO_SUCH_ACCOUNT, self.acc, 'ExpirePassword', 's', self.u2)

    def test_lock_and_unlock(self):
        self.full(self.u1)
        self.acc('LockAccount', 'ss', self.u1, 'left the company')
        self.assertTrue(self.status(self.u1)['Locked'])
        a = self.get(self.u1)
        self.assertTrue(a['Locked'])
        self.assertEqual(a['LockReason'], 'left the company')
        locked = self.sb.login(self.u1, self.pw)
        wrong = self.sb.login(self.u1, harness.strong_password())
        self.assertEqual(locked, wrong, 'a locked account looks like a wrong password')
        self.acc('UnlockAccount', 's', self.u1)
        self.assertFalse(self.status(self.u1)['Locked'])
        self.assertEqual(self.get(self.u1)['LockReason'], '')
        self.assertEqual(self.sb.login(self.u1, self.pw)[0], 'done')
        self.assertBusError(N.PG_ERROR_NO_SUCH_ACCOUNT, self.acc, 'LockAccount', 'ss', self.u2, 'x')
        self.assertBusError(N.PG_ERROR_NO_SUCH_ACCOUNT, self.acc, 'UnlockAccount', 's', self.u2)

    def test_lock_reason_must_be_text(self):
        self.full(self.u1)
        self.assertBusError(BAD_INPUT, self.acc, 'LockAccount', 'ss', self.u1, 'x' * 5000)
        self.assertBusError(BAD_INPUT, self.acc, 'LockAccount', 'ss', self.u1, 'bell\a')
        self.assertFalse(self.status(self.u1)['Locked'])

    # ------------------------------------------------------------- audit

    def test_list_audit(self):
        self.full(self.u1)
        self.acc('LockAccount', 'ss', self.u1, 'audit me')
        self.acc('UnlockAccount', 's', self.u1)
        self.sb.login(self.u1, harness.strong_password())
        entries = self.acc('ListAudit', 'tu', 0, 0)
        mine = [e for e in entries if e[1] == self.u1]
        self.assertGreaterEqual(len(mine), 4, entries)
        times = [e[0] for e in entries]
        self.assertEqual(times, sorted(times), 'oldest first')
        self.assertTrue(any('lock' in e[2] for e in mine), mine)
        self.assertTrue(any('fail' in e[2] for e in mine), mine)
        self.assertEqual(len(self.acc('ListAudit', 'tu', 0, 1)), 1)
        later = self.acc('ListAudit', 'tu', times[-1] + 1, 0)
        self.assertEqual(later, [])
        for e in entries:
            for s in e[1:]:
                self.assertNotIn(self.pw, s)
                self.assertNotIn(digits(self.phone)[1:], digits(s))

    # ------------------------------------------------------------- signals

    def test_signals(self):
        rec = self.sb.record_signals()
        self.full(self.u1)
        self.assertTrue(rec.wait_for('PasswordChanged', [self.u1, 'reset']), rec.got)
        self.sb.set_password(self.u1, harness.strong_password(), must_change=True)
        self.assertTrue(rec.wait_until(lambda got: len([a for m, a in got if m == 'PasswordChanged']) >= 2),
                        rec.got)
        self.assertIn(rec.got[-1][1], ([self.u1, 'reset'], [self.u1, 'temporary']))
        self.acc('LockAccount', 'ss', self.u1, 'signal')
        self.assertTrue(rec.wait_for('AccountLocked', [self.u1]), rec.got)
        for _member, args in rec.got:
            for a in args:
                self.assertNotIn(self.pw, str(a))

    # ------------------------------------------------------------- the store at rest

    def store_bytes(self):
        data = b''
        for root, _dirs, files in os.walk(self.sb.state_dir):
            for f in files:
                with open(os.path.join(root, f), 'rb') as fh:
                    data += fh.read()
        return data

    def test_store_keeps_no_secret_in_clear(self):
        self.full(self.u1)
        self.sb.login(self.u1, self.pw)
        data = self.store_bytes()
        self.assertIn(self.u1.encode(), data, 'sanity: the store was read')
        # Contacts and names are sealed with a key derived from the pepper, like everything else
        # in a record: the store file alone gives none of them away.
        for secret in (self.pw, digits(self.passport), self.passport, digits(self.snils), self.snils,
                       self.inn, self.phone, digits(self.phone)[1:], self.email,
                       self.email.split('@')[0], 'Иван Петров', 'Петров'):
            self.assertNotIn(secret.encode(), data, f'{secret} in the store file')
        self.assertNotIn(self.pw.encode('utf-16-le'), data)

    def test_pepper_file_created_0400(self):
        path = os.path.join(self.sb.tmp, 'pepper')
        st = os.stat(path)
        self.assertEqual(st.st_mode & 0o777, 0o400, oct(st.st_mode))
        self.assertGreaterEqual(st.st_size, 16)
        with open(path, 'rb') as f:
            pepper = f.read()
        self.full(self.u1)
        self.sb.restart_daemon()
        with open(path, 'rb') as f:
            self.assertEqual(f.read(), pepper, 'the pepper is kept across restarts')
        self.assertEqual(self.sb.login(self.snils, self.pw)[0], 'done', 'document index still valid')

    def test_accounts_survive_restart_and_crash(self):
        self.full(self.u1)
        self.sb.restart_daemon()
        self.assertEqual(self.sb.login(self.phone, self.pw)[0], 'done')
        self.acc('LockAccount', 'ss', self.u1, 'before crash')
        self.sb.kill_daemon()
        self.sb.start_daemon()
        self.assertTrue(self.get(self.u1)['Locked'])
        self.assertEqual(self.get(self.u1)['FullName'], 'Иван Петров')

    def test_rehash_at_login_when_the_cost_changes(self):
        self.full(self.u1)
        self.assertEqual(self.get(self.u1)['PasswordHashParams'], 'argon2id m=8,t=1,p=1', 'min cost')
        self.sb.stop_daemon()
        self.sb.config_extra = {'password': {'hash_cost': 'interactive'}}
        try:
            self.sb.start_daemon()
            self.assertEqual(self.get(self.u1)['PasswordHashParams'], 'argon2id m=8,t=1,p=1',
                             'nothing is rehashed before a login')
            self.assertEqual(self.sb.login(self.u3, self.pw)[0], 'failed', 'sanity: no account')
            self.assertEqual(self.get(self.u1)['PasswordHashParams'], 'argon2id m=8,t=1,p=1',
                             'a failed login of someone else rehashes nothing')
            self.assertEqual(self.sb.login(self.u1, 'a wrong password, not this one')[0], 'failed')
            self.assertEqual(self.get(self.u1)['PasswordHashParams'], 'argon2id m=8,t=1,p=1',
                             'a wrong password rehashes nothing')
            self.assertEqual(self.sb.login(self.u1, self.pw)[0], 'done')
            self.assertEqual(self.get(self.u1)['PasswordHashParams'], 'argon2id m=65536,t=2,p=1',
                             'rehashed at the interactive cost after a good login')
            self.assertEqual(self.sb.login(self.phone, self.pw)[0], 'done', 'the new hash works')
        finally:
            self.sb.stop_daemon()
            self.sb.config_extra = {}
            self.sb.start_daemon()

    # ------------------------------------------------------------- identifier clashes

    def clash(self, method, user, props):
        before_list = self.listed()
        before = self.get(user) if method == 'UpdateAccount' else None
        e = self.assertBusError(N.PG_ERROR_IDENTIFIER_IN_USE, self.acc, method, 'sa{sv}', user,
                                harness.account_props(**props))
        self.assertEqual(self.listed(), before_list, 'nothing may change')
        if before is not None:
            self.assertEqual(self.get(user), before, 'nothing may change')
        return e

    def test_clash_on_create(self):
        self.full(self.u1)
        national = harness.national_phone(self.phone)
        local, domain = self.email.split('@')
        self.clash('CreateAccount', self.u2, dict(Phone=national))
        self.clash('CreateAccount', self.u2, dict(Phone=self.phone))
        self.clash('CreateAccount', self.u2, dict(Email=f'{local}@{domain.upper()}'))
        self.clash('CreateAccount', self.u2, dict(Documents={'snils': digits(self.snils)}))
        # One clashing field among good ones: the whole call is refused.
        self.clash('CreateAccount', self.u2, dict(FullName='B', Phone=harness.make_phone(), Email=self.email))
        self.assertEqual(self.sb.login(self.phone, self.pw)[1]['User'], self.u1)

    def test_clash_on_update(self):
        self.full(self.u1)
        phone2 = harness.make_phone()
        self.sb.create_account(self.u2, self.pw, Phone=phone2)
        self.clash('UpdateAccount', self.u2, dict(Phone=harness.national_phone(self.phone)))
        local, domain = self.email.split('@')
        self.clash('UpdateAccount', self.u2, dict(FullName='Changed', Email=f'{local}@{domain.upper()}'))
        self.clash('UpdateAccount', self.u2, dict(Documents={'snils': self.snils}))
        self.assertEqual(self.sb.login(phone2, self.pw)[1]['User'], self.u2)
        self.assertEqual(self.sb.login(self.phone, self.pw)[1]['User'], self.u1)

    def test_update_to_own_identifier_is_no_clash(self):
        self.full(self.u1)
        self.acc('UpdateAccount', 'sa{sv}', self.u1,
                 harness.account_props(Phone=harness.national_phone(self.phone), Email=self.email))
        self.assertEqual(self.sb.login(self.phone, self.pw)[0], 'done')

    # ------------------------------------------------------------- bad input

    def bad(self, props, hint, user=None, method='CreateAccount', names=BAD_INPUT):
        user = self.u2 if user is None else user
        before_list = self.listed()
        before = self.get(user) if method == 'UpdateAccount' else None
        e = self.assertBusError(names, self.acc, method, 'sa{sv}', user, props)
        self.assertIn(hint.lower(), e.message.lower(), f'unclear error: {e.message}')
        self.assertEqual(self.listed(), before_list)
        if before is not None:
            self.assertEqual(self.get(user), before)

    def test_bad_phone(self):
        for phone in ('12345', '+7 912 345', '+7 912 345 67 89 00', 'phone', '+1 202 555 0101x'):
            with self.subTest(phone=phone):
                self.bad(harness.account_props(Phone=phone), 'phone')

    def test_bad_email(self):
        for email in ('ivan', 'ivan@', '@example.org', 'ivan petrov@example.org', 'a@@example.org'):
            with self.subTest(email=email):
                self.bad(harness.account_props(Email=email), 'mail')

    def test_bad_documents(self):
        for docs, hint in (({'snils': harness.bad_snils(self.snils)}, 'snils'),
                           ({'snils': '123'}, 'snils'),
                           ({'inn': self.inn[:-1] + str((int(self.inn[-1]) + 1) % 10)}, 'inn'),
                           ({'passport': '12'}, 'passport'),
                           ({'driving-licence': '77 00 123456'}, 'document')):
            with self.subTest(docs=docs):
                self.bad(harness.account_props(Documents=docs), hint)

    def test_bad_property(self):
        self.bad({'Phone': V('u', 5)}, 'phone')
        self.bad({'Shoe': V('s', '42')}, 'shoe')
        self.bad({'FullName': V('s', 'x' * 1000)}, 'fullname')

    def test_bad_input_on_update_changes_nothing(self):
        self.full(self.u2)
        self.bad(harness.account_props(FullName='New', Phone='12345'), 'phone', method='UpdateAccount')
        self.bad(harness.account_props(Email='nope', Documents={'snils': '1'}), '', method='UpdateAccount')
        self.assertEqual(self.sb.login(self.phone, self.pw)[0], 'done')

    def test_no_such_unix_user(self):
        for name in ('pgnosuchuser' + secrets.token_hex(3), '../etc', '', 'a' * 300):
            with self.subTest(name=name):
                self.bad(harness.account_props(FullName='Nobody'), 'user', user=name,
                         names=(N.PG_ERROR_NO_SUCH_UNIX_USER,))


if __name__ == '__main__':
    harness.main()
