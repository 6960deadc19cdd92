#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""org.passgate1.ServiceCenters, centers and appointments: who may manage centers (root, polkit
allowing or denying org.passgate1.manage, no polkit), bad input refused with nothing changed, the
public list of centers and slots as another uid, booking and cancelling, the coupon's format and
message, the limits per contact and per caller (kept across a restart), past slots, removing a
center, and no overbooking when many clients take the last places at once. Names, contacts and
coupons never show in the daemon's log or in clear in the store."""
import os
import re
import secrets
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import dbus  # noqa: E402
import dbus.bus  # noqa: E402

import harness  # noqa: E402
from harness import N  # noqa: E402

IFACE = N.PG_IFACE_SERVICECENTERS
MANAGE = N.PG_POLKIT_MANAGE
USEC = 1_000_000
MINUTE = 60 * USEC
HOUR = 60 * MINUTE
DAY = 24 * HOUR
COUPON = re.compile(r'^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{2}$')

CENTER = ('center-1', 'Центр госуслуг «Тверской»', 'Москва, ул. Тверская, д. 1', 'Mo-Fr 9-18',
          '+7 495 123-45-67')


def future_slot(days=1, minute=0):
    """A whole minute some days ahead (µs), by the real clock."""
    return ((int(time.time()) // 60 + days * 24 * 60 + minute) * 60) * USEC


def person():
    """A full name and a phone no other test uses."""
    return f'Зиновий Квартирмейстер {secrets.token_hex(3)}', harness.make_phone()


class Base(harness.TestCase):
    polkit = None
    config = None

    @classmethod
    def setUpClass(cls):
        cls.sb = harness.Sandbox(polkit=cls.polkit, config=cls.config, daemon=False).start()
        cls.addClassCleanup(cls.sb.close)
        cls.other = cls.sb.make_users(1)[0] if harness.is_root() else None

    def setUp(self):
        if self.sb.daemon_proc is not None:
            self.sb.stop_daemon()
        self.sb.set_clock(0)        # the sandbox, and its clock, outlive each test
        self.sb.start_daemon(fresh=True)
        self.private = []       # names, contacts and coupons: never in the log or the store in clear

    def tearDown(self):
        self.assertNoLeaks(self.sb, self.private)
        self.assertStoreClean()

    def sc(self, method, sig='', *args, user=None):
        return self.sb.call(IFACE, method, sig, *args, user=user)

    def add_center(self, center=CENTER, user=None):
        self.sc('AddCenter', 'sssss', *center, user=user)

    def schedule(self, center_id, slots, user=None):
        self.sc('SetSchedule', 'sa(tu)', center_id, [list(s) for s in slots], user=user)

    def centers(self, user=None):
        return [tuple(c) for c in self.sc('ListCenters', user=user)]

    def slots(self, center_id, start=0, end=2**64 - 1, user=None):
        return [tuple(s) for s in self.sc('ListSlots', 'stt', center_id, start, end, user=user)]

    def book(self, center_id, slot, name, contact, user=None):
        self.private += [name, contact]
        coupon = self.sc('BookAppointment', 'stss', center_id, slot, name, contact, user=user)
        self.private += [coupon, coupon.replace('-', '')]
        return coupon

    def cancel(self, coupon, user=None):
        return self.sc('CancelAppointment', 's', coupon, user=user)

    def as_other(self):
        """Another unprivileged uid when the tests run as root; else the harness's own uid."""
        return self.other

    def assertStoreClean(self):
        """No name, contact or coupon in the store files in clear."""
        private = [s.encode() for s in self.private if len(s) >= 6]
        for root, _dirs, files in os.walk(self.sb.state_dir):
            for name in files:
                with open(os.path.join(root, name), 'rb') as f:
                    data = f.read()
                found = [s for s in private if s in data]
                self.assertEqual(found, [], f'in clear in {name}')


# ------------------------------------------------------------------ who may manage centers

class AdminAsRoot(Base):
    def setUp(self):
        if not harness.is_root():
            raise unittest.SkipTest('needs root')
        super().setUp()

    def test_root_manages_centers(self):
        self.add_center()
        self.assertEqual(self.centers(), [CENTER])
        slot = future_slot()
        self.schedule(CENTER[0], [(slot, 2), (slot + 30 * MINUTE, 1)])
        self.assertEqual(self.slots(CENTER[0]), [(slot, 2), (slot + 30 * MINUTE, 1)])
        # Changed places, a slot removed with 0, another added.
        self.schedule(CENTER[0], [(slot, 5), (slot + 30 * MINUTE, 0), (slot + HOUR, 3)])
        self.assertEqual(self.slots(CENTER[0]), [(slot, 5), (slot + HOUR, 3)])
        self.assertBusError(N.PG_ERROR_CENTER_EXISTS, self.add_center)
        self.sc('RemoveCenter', 's', CENTER[0])
        self.assertEqual(self.centers(), [])
        self.assertBusError(N.PG_ERROR_NO_SUCH_CENTER, self.slots, CENTER[0])
        self.assertBusError(N.PG_ERROR_NO_SUCH_CENTER, self.sc, 'RemoveCenter', 's', CENTER[0])
        self.assertBusError(N.PG_ERROR_NO_SUCH_CENTER, self.schedule, 'nowhere', [(slot, 1)])

    def test_changes_are_audited(self):
        self.add_center()
        slot = future_slot()
        self.schedule(CENTER[0], [(slot, 1)])
        self.sc('RemoveCenter', 's', CENTER[0])
        events = [e for e in self.sb.accounts('ListAudit', 'tu', 0, 100)]
        names = [e[2] for e in events]
        for ev in ('center-added', 'center-schedule-set', 'center-removed'):
            self.assertIn(ev, names)
        for e in events:
            if e[2].startswith('center-'):
                self.assertIn(f'center={CENTER[0]}', e[3])
                self.assertIn('caller=0', e[3])


class AdminPolkitTests:
    """An unprivileged uid calls the admin methods; allowed only when polkit says so."""
    allowed = False

    def setUp(self):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: a second uid (runuser)')
        super().setUp()

    def test_admin_methods(self):
        user = self.as_other()
        slot = future_slot()
        if self.allowed:
            self.add_center(user=user)
            self.schedule(CENTER[0], [(slot, 1)], user=user)
            self.assertEqual(self.slots(CENTER[0], user=user), [(slot, 1)])
            self.sc('RemoveCenter', 's', CENTER[0], user=user)
            self.assertEqual(self.centers(), [])
            return
        denied = N.PG_ERROR_ACCESS_DENIED
        self.assertBusError(denied, self.add_center, user=user)
        self.assertEqual(self.centers(), [])
        self.add_center()
        self.assertBusError(denied, self.schedule, CENTER[0], [(slot, 1)], user=user)
        self.assertEqual(self.slots(CENTER[0]), [])
        self.assertBusError(denied, self.sc, 'RemoveCenter', 's', CENTER[0], user=user)
        self.assertEqual(self.centers(), [CENTER])

    def test_public_methods_need_nothing(self):
        user = self.as_other()
        self.add_center()
        slot = future_slot()
        self.schedule(CENTER[0], [(slot, 2)])
        self.assertEqual(self.centers(user=user), [CENTER])
        self.assertEqual(self.slots(CENTER[0], user=user), [(slot, 2)])
        name, phone = person()
        coupon = self.book(CENTER[0], slot, name, phone, user=user)
        self.assertEqual(self.slots(CENTER[0], user=user), [(slot, 1)])
        self.cancel(coupon, user=user)
        self.assertEqual(self.slots(CENTER[0], user=user), [(slot, 2)])


class AdminPolkitAllows(AdminPolkitTests, Base):
    polkit = [MANAGE]
    allowed = True


class AdminPolkitDenies(AdminPolkitTests, Base):
    polkit = []


class AdminNoPolkit(AdminPolkitTests, Base):
    polkit = None


# ------------------------------------------------------------------ bad input

class Validation(Base):
    def setUp(self):
        super().setUp()
        self.add_center()
        self.slot = future_slot()
        self.schedule(CENTER[0], [(self.slot, 2)])

    def assertUnchanged(self):
        self.assertEqual(self.centers(), [CENTER])
        self.assertEqual(self.slots(CENTER[0]), [(self.slot, 2)])

    def test_bad_centers(self):
        good = list(CENTER)
        good[0] = 'center-2'
        bad = [
            ('', 0), ('Center', 0), ('a_b', 0), ('a b', 0), ('x' * 33, 0), ('центр', 0),
            ('a/b', 0), ('a\nb', 0),
            ('', 1), ('   ', 1), ('bad\x07bell', 1), ('x' * 129, 1), ('esc\x1b[31m', 1),
            ('', 2), ('x' * 257, 2), ('line\nbreak', 2), ('del\x7f', 2),
            ('', 3), ('x' * 257, 3), ('tab\there', 3),
            ('', 4), ('call us', 4), ('12', 4), ('+7 495 123-45-67 ext. 2', 4), ('1' * 65, 4),
        ]
        for value, field in bad:
            center = list(good)
            center[field] = value
            with self.subTest(field=field, value=value):
                self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.add_center, tuple(center))
                self.assertUnchanged()
        # The longest allowed values pass.
        long_ok = ('x' * 32, 'n' * 128, 'a' * 256, 'h' * 256, '8 (495) 123-45-67')
        self.add_center(long_ok)
        self.assertIn(long_ok, self.centers())

    def test_bad_schedules(self):
        bad = [
            [(self.slot + 1, 1)],                   # not on a whole minute
            [(self.slot + 30 * USEC, 1)],
            [(0, 1)],
            [(self.slot + HOUR, 1001)],             # too many places
            [(self.slot + HOUR, 1), (self.slot + HOUR, 2)],   # twice
            [],
            [(self.slot + HOUR + i * MINUTE, 1) for i in range(1001)],
            # One bad slot refuses all of them, the good ones included.
            [(self.slot + HOUR, 1), (self.slot + 2 * HOUR + 7, 1)],
        ]
        for slots in bad:
            with self.subTest(slots=slots[:3]):
                self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.schedule, CENTER[0], slots)
                self.assertUnchanged()
        self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.schedule, 'Bad Id', [(self.slot, 1)])
        self.schedule(CENTER[0], [(self.slot + HOUR, 1000)])
        self.assertEqual(self.slots(CENTER[0]), [(self.slot, 2), (self.slot + HOUR, 1000)])

    def test_fewer_places_than_bookings(self):
        name, phone = person()
        self.book(CENTER[0], self.slot, name, phone)
        name2, phone2 = person()
        self.book(CENTER[0], self.slot, name2, phone2)
        for places in (1, 0):
            self.assertBusError(N.PG_ERROR_SLOT_FULL, self.schedule, CENTER[0], [(self.slot, places)])
            self.assertEqual(self.slots(CENTER[0]), [(self.slot, 0)])
        self.schedule(CENTER[0], [(self.slot, 3)])
        self.assertEqual(self.slots(CENTER[0]), [(self.slot, 1)])

    def test_bad_bookings(self):
        name, phone = person()
        bad = [
            ('center-1', self.slot, '', phone),
            ('center-1', self.slot, '   ', phone),
            ('center-1', self.slot, 'Иван\x1b[2J', phone),
            ('center-1', self.slot, 'Иван\nПетров', phone),
            ('center-1', self.slot, 'x' * 257, phone),
            ('center-1', self.slot, name, ''),
            ('center-1', self.slot, name, 'not a contact'),
            ('center-1', self.slot, name, '12345'),
            ('center-1', self.slot, name, 'a@b'),
            ('center-1', self.slot, name, phone + '\x07'),
            ('center-1', self.slot, name, 'x' * 300 + '@example.org'),
            ('Center 1', self.slot, name, phone),
        ]
        for args in bad:
            with self.subTest(args=args):
                self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.book, *args)
                self.assertUnchanged()
        self.assertBusError(N.PG_ERROR_NO_SUCH_CENTER, self.book, 'center-9', self.slot, name, phone)
        self.assertBusError(N.PG_ERROR_NO_SUCH_SLOT, self.book, CENTER[0], self.slot + MINUTE, name,
                            phone)
        self.assertUnchanged()
        self.assertEqual(self.sb.spool_messages(), [])

    def test_bad_coupons(self):
        for typed in ('', 'K7QX', 'K7QX-M2PD-9R9', 'K0QX-M2PD-9R', 'I7QX-M2PD-9R', 'K7QX_M2PD_9R',
                      'x' * 100):
            with self.subTest(typed=typed):
                self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.cancel, typed)
        self.assertBusError(N.PG_ERROR_NO_SUCH_COUPON, self.cancel, 'K7QX-M2PD-9R')
        self.assertBusError(N.PG_ERROR_INVALID_ARGS, self.slots, 'No Such')
        self.assertBusError(N.PG_ERROR_NO_SUCH_CENTER, self.slots, 'no-such')


# ------------------------------------------------------------------ appointments

class Appointments(Base):
    def setUp(self):
        super().setUp()
        self.add_center()
        self.slot = future_slot()
        self.schedule(CENTER[0], [(self.slot, 2), (self.slot + HOUR, 5)])

    def test_book_and_cancel(self):
        user = self.as_other()
        name, phone = person()
        coupon = self.book(CENTER[0], self.slot, name, phone, user=user)
        self.assertRegex(coupon, COUPON)
        self.assertEqual(self.slots(CENTER[0], user=user), [(self.slot, 1), (self.slot + HOUR, 5)])
        msg = self.sb.wait_message(lambda m: m.get('To') == phone)
        self.assertEqual(msg['Channel'], 'sms')
        for part in (coupon, CENTER[1], CENTER[2]):
            self.assertIn(part, msg['body'])
        self.assertNotIn(name, msg['body'])

        self.cancel(coupon, user=user)
        self.assertEqual(self.slots(CENTER[0]), [(self.slot, 2), (self.slot + HOUR, 5)])
        self.assertBusError(N.PG_ERROR_NO_SUCH_COUPON, self.cancel, coupon, user=user)

        events = self.sb.accounts('ListAudit', 'tu', 0, 100)
        booked = [e for e in events if e[2] in ('appointment-booked', 'appointment-cancelled')]
        self.assertEqual([e[2] for e in booked], ['appointment-booked', 'appointment-cancelled'])
        for e in booked:
            self.assertIn(f'center={CENTER[0]}', e[3])
            self.assertIn('slot=', e[3])
            for s in (name, phone, coupon):
                self.assertNotIn(s, e[3])

    def test_coupons_differ_and_cancel_as_typed(self):
        coupons = set()
        for _ in range(2):
            name, phone = person()
            coupons.add(self.book(CENTER[0], self.slot + HOUR, name, phone))
        self.assertEqual(len(coupons), 2)
        a, b = sorted(coupons)
        # Lower case, without dashes, with spaces: the same coupon.
        self.cancel(a.lower().replace('-', ''))
        self.cancel(' ' + b.replace('-', ' ') + ' ')
        self.assertEqual(self.slots(CENTER[0])[1], (self.slot + HOUR, 5))

    def test_email_contact(self):
        name = person()[0]
        email = f'z.quartermaine.{secrets.token_hex(3)}@Example.ORG'
        coupon = self.book(CENTER[0], self.slot, name, email)
        self.private.append(email.lower())
        msg = self.sb.wait_message(lambda m: m.get('Channel') == 'email')
        self.assertEqual(msg['To'], email[:email.index('@')] + '@example.org')
        self.assertIn(coupon, msg['body'])

    def test_slot_full(self):
        for _ in range(2):
            name, phone = person()
            self.book(CENTER[0], self.slot, name, phone)
        name, phone = person()
        self.assertBusError(N.PG_ERROR_SLOT_FULL, self.book, CENTER[0], self.slot, name, phone)
        self.assertEqual(self.slots(CENTER[0])[0], (self.slot, 0))

    def test_past_slot(self):
        soon = future_slot(days=0, minute=5)
        self.schedule(CENTER[0], [(soon, 3)])
        self.sb.advance_clock(3600)
        name, phone = person()
        self.assertBusError(N.PG_ERROR_NO_SUCH_SLOT, self.book, CENTER[0], soon, name, phone)
        # Listed when asked for: free places as they were.
        self.assertEqual(self.slots(CENTER[0], soon, soon + 1), [(soon, 3)])
        self.assertEqual(self.slots(CENTER[0], soon + 1, self.slot + 1), [(self.slot, 2)])

    def test_max_bookings_per_contact(self):
        name, phone = person()
        slots = [self.slot + HOUR + i * MINUTE for i in range(4)]
        self.schedule(CENTER[0], [(s, 1) for s in slots])
        coupons = [self.book(CENTER[0], s, name, phone) for s in slots[:3]]   # the default is 3
        national = harness.national_phone(phone)
        self.private.append(national)
        spaced = f'+7 {phone[2:5]} {phone[5:8]}-{phone[8:10]}-{phone[10:]}'
        self.private.append(spaced)
        for contact in (phone, national, spaced):
            with self.subTest(contact=contact):
                self.assertBusError(N.PG_ERROR_TOO_MANY_BOOKINGS, self.book, CENTER[0], slots[3],
                                    name, contact)
        self.assertEqual(self.slots(CENTER[0], slots[3], slots[3] + 1), [(slots[3], 1)])
        # Another contact may; a cancelled booking no longer counts.
        other_name, other_phone = person()
        self.book(CENTER[0], slots[3], other_name, other_phone)
        self.cancel(coupons[0])
        self.book(CENTER[0], slots[0], name, national)
        # Bookings that have passed do not count either.
        self.sb.advance_clock(2 * DAY // USEC)
        later = future_slot(days=3)
        self.schedule(CENTER[0], [(later, 5)])
        self.book(CENTER[0], later, name, phone)

    def test_remove_center_tells_holders(self):
        name, phone = person()
        coupon = self.book(CENTER[0], self.slot, name, phone)
        soon = future_slot(days=0, minute=5)
        self.schedule(CENTER[0], [(soon, 1)])
        past_name, past_phone = person()
        self.book(CENTER[0], soon, past_name, past_phone)
        for contact in (phone, past_phone):     # the coupons' messages, sent in the background
            self.sb.wait_message(lambda m: m.get('To') == contact)
        self.sb.advance_clock(3600)            # that one has passed: no notice
        seen = {m['file'] for m in self.sb.spool_messages()}
        self.sc('RemoveCenter', 's', CENTER[0])
        notice = self.sb.wait_message(lambda m: m.get('To') == phone, seen=seen)
        self.assertIn(CENTER[1], notice['body'])
        self.assertNotIn(coupon, notice['body'])
        self.assertBusError(N.PG_ERROR_NO_SUCH_COUPON, self.cancel, coupon)
        self.assertEqual(self.centers(), [])
        # The same id starts empty.
        self.add_center()
        self.assertEqual(self.slots(CENTER[0]), [])
        time.sleep(0.5)         # a notice to the past booking would be written by now
        self.assertEqual([m for m in self.sb.spool_messages()
                          if m['file'] not in seen and m.get('To') == past_phone], [])


class RateLimits(Base):
    config = {'centers': {'bookings_per_hour': '3', 'max_bookings': '20'}}

    def setUp(self):
        super().setUp()
        self.add_center()
        self.slot = future_slot()
        self.schedule(CENTER[0], [(self.slot, 100)])

    def test_per_caller_and_kept_across_restart(self):
        user = self.as_other()
        for _ in range(3):
            name, phone = person()
            self.book(CENTER[0], self.slot, name, phone, user=user)
        name, phone = person()
        self.assertBusError(N.PG_ERROR_RATE_LIMITED, self.book, CENTER[0], self.slot, name, phone,
                            user=user)
        self.sb.restart_daemon()
        self.assertBusError(N.PG_ERROR_RATE_LIMITED, self.book, CENTER[0], self.slot, name, phone,
                            user=user)
        self.assertEqual(self.slots(CENTER[0]), [(self.slot, 97)])
        if user is not None:
            # Another uid has its own budget.
            self.book(CENTER[0], self.slot, name, phone)
        self.sb.advance_clock(3601)
        name, phone = person()
        self.book(CENTER[0], self.slot, name, phone, user=user)

    def test_refused_bookings_do_not_count(self):
        for _ in range(5):
            name, phone = person()
            self.assertBusError(N.PG_ERROR_NO_SUCH_SLOT, self.book, CENTER[0], self.slot + MINUTE,
                                name, phone)
        name, phone = person()
        self.book(CENTER[0], self.slot, name, phone)

    def test_unknown_coupons_are_limited(self):
        user = self.as_other()
        name, phone = person()
        coupon = self.book(CENTER[0], self.slot, name, phone)
        for _ in range(3):
            self.assertBusError(N.PG_ERROR_NO_SUCH_COUPON, self.cancel, 'K7QX-M2PD-9R', user=user)
        self.assertBusError(N.PG_ERROR_RATE_LIMITED, self.cancel, 'K7QX-M2PD-9R', user=user)
        # Even the right coupon, from that caller, for now.
        self.assertBusError(N.PG_ERROR_RATE_LIMITED, self.cancel, coupon, user=user)
        if user is not None:
            self.cancel(coupon)


class Persistence(Base):
    def test_bookings_survive_restart(self):
        self.add_center()
        slot = future_slot()
        self.schedule(CENTER[0], [(slot, 2)])
        name, phone = person()
        coupon = self.book(CENTER[0], slot, name, phone)
        self.sb.restart_daemon()
        self.assertEqual(self.centers(), [CENTER])
        self.assertEqual(self.slots(CENTER[0]), [(slot, 1)])
        self.cancel(coupon)
        self.assertEqual(self.slots(CENTER[0]), [(slot, 2)])


# ------------------------------------------------------------------ many clients at once

class Overbooking(Base):
    config = {'centers': {'bookings_per_hour': '1000'}}
    CLIENTS = 20

    def race(self, slot):
        """CLIENTS threads, each on its own connection, book the same slot at once."""
        address = self.sb.address
        ready = threading.Barrier(self.CLIENTS)
        results = [None] * self.CLIENTS
        people = [person() for _ in range(self.CLIENTS)]
        for p in people:
            self.private.extend(p)

        def client(i):
            bus = dbus.bus.BusConnection(address)
            try:
                ready.wait(timeout=30)
                try:
                    coupon = bus.call_blocking(N.PG_BUS_NAME, N.PG_OBJECT_PATH, IFACE,
                                               'BookAppointment', 'stss',
                                               [CENTER[0], dbus.UInt64(slot), *people[i]],
                                               timeout=60)
                    results[i] = ('ok', str(coupon))
                except dbus.exceptions.DBusException as e:
                    results[i] = ('error', e.get_dbus_name())
            finally:
                bus.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(self.CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=90)
        coupons = [r[1] for r in results if r and r[0] == 'ok']
        self.private.extend(coupons)
        errors = [r[1] for r in results if r and r[0] == 'error']
        return coupons, errors

    def test_one_place(self):
        self.add_center()
        slot = future_slot()
        self.schedule(CENTER[0], [(slot, 1)])
        coupons, errors = self.race(slot)
        self.assertEqual(len(coupons), 1, errors)
        self.assertEqual(errors, [N.PG_ERROR_SLOT_FULL] * (self.CLIENTS - 1))
        self.assertEqual(self.slots(CENTER[0]), [(slot, 0)])

    def test_three_places(self):
        self.add_center()
        slot = future_slot()
        self.schedule(CENTER[0], [(slot, 3)])
        coupons, errors = self.race(slot)
        self.assertEqual(len(coupons), 3, errors)
        self.assertEqual(len(set(coupons)), 3)
        self.assertEqual(errors, [N.PG_ERROR_SLOT_FULL] * (self.CLIENTS - 3))
        self.assertEqual(self.slots(CENTER[0]), [(slot, 0)])
        # Each holder got its own coupon, and each coupon frees exactly its place.
        self.cancel(coupons[0])
        self.assertEqual(self.slots(CENTER[0]), [(slot, 1)])


if __name__ == '__main__':
    harness.main()
