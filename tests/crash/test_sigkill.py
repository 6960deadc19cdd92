#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""passgated SIGKILLed at random moments while clients change and recover passwords, then restarted.

Clients run concurrently, one thread and one D-Bus connection each (python-dbus connections are
not thread-safe): change-password conversations on their own accounts, recovery conversations
(phone, passport, the code from the spool, a new password) on theirs. The daemon is killed a few
milliseconds (PASSGATE_CRASH_DELAY_MS, default 5-60, random with a printed seed) after it was
handed to the clients, at whatever point they are, and started again on the same state. Now and
then it is also killed while it starts (store open, reader check, migration).

What must hold:
- the store opens after every kill: each restart reaches the bus;
- an acknowledged change is never lost: per account the store holds the last password whose change
  got a `done` reply, or a later one whose outcome is unknown (NoReply: the kill hit that very call);
  never an older acknowledged one, never one whose change was refused or never delivered. Clients
  find out which one it is whenever they start over (newest first), and everything is checked
  again at the end;
- no code works twice: right after each restart, before the test clock moves, every code accepted
  in the killed generation is typed again in a fresh recovery of its account, which is still within
  the code's lifetime and the resend cooldown (so a code the store forgot to spend would stand and
  be accepted); at the end every accepted code is tried again once more;
- stale readers are cleared: another process (lmdb-reader --hold) keeps the store open all along,
  so LMDB does not reset the reader table when passgated opens it; a slot left by a daemon killed
  inside a read transaction must be gone once the next one is up (mdb_reader_check);
- the store is sound at the end: passgated stops cleanly, `mdb_stat -a` and `mdb_dump -a` read every
  database, no reader is left, and it starts and serves a login again.

Between generations the test clock moves one hour on: hourly limits, the resend cooldown and
lockout delays are behind, so every generation starts alike whatever the previous one left.

Service-center booking runs alongside: a center with a few slots of few places each (4 x 2), far
ahead of the moving test clock; booking clients book places for ever new people (so the per-contact
limit never bites) and cancel their own coupons. They record acknowledged bookings (a coupon came
back), acknowledged cancels, and calls whose reply the kill took (outcome unknown). After each restart
(clients parked) and at the end:
- a cancel whose reply was lost is sent again: it either cancels or finds the coupon gone, and then
  the coupon counts as cancelled; a booking whose reply was lost is proven done when its coupon
  message reached the spool, else it stays unknown;
- every coupon whose cancel was acknowledged in the killed generation is refused by a new cancel
  (NoSuchCoupon): no coupon is accepted twice;
- per slot, the store's bookings (places - free places of ListSlots) are at least the acknowledged
  ones still held plus the lost-reply ones found done before, at most that plus the lost-reply ones
  since, and never more than the places; lost-reply bookings found done are counted from then on
  (nobody holds their coupon), and the slot gets that many places more so that the clients still
  contend for two;
- at the end every acknowledged booking not cancelled is cancelled with its coupon, which must work,
  after which only the lost-reply ones hold places; the free places are real (booked until SlotFull);
  no cancelled coupon cancels anything again; no coupon, contact or name is in the daemon's log.

PASSGATE_CRASH_KILLS (default 300; tools/crash runs 1000), PASSGATE_CRASH_SEED, PASSGATE_CRASH_CLIENTS
("change,recovery[,booking]" threads, default 3,3,2). Needs root (throwaway unix users); skipped
otherwise.
"""
import os
import random
import re
import subprocess
import sys
import threading
import time
import traceback
import unittest
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import dbus  # noqa: E402
import dbus.bus  # noqa: E402

import harness  # noqa: E402
from harness import N, Sandbox, TestCase, make_passport, make_phone, strong_password  # noqa: E402
from harness.dbusval import args_to_dbus, reply_from_dbus  # noqa: E402
from harness.sandbox import (BUS_NAME, IFACE_ACCOUNTS, IFACE_CONVERSATION, IFACE_MANAGER,  # noqa: E402
                             OBJECT_PATH, is_root)
from lmdbtools import Reader, dead_readers, helper_path, reader_table  # noqa: E402


def _env_int(name, default):
    v = os.environ.get(name, '').strip()
    return int(v) if v else default


KILLS = _env_int('PASSGATE_CRASH_KILLS', 300)
SEED = _env_int('PASSGATE_CRASH_SEED', random.SystemRandom().randrange(1 << 32))
DELAY_MS = tuple(int(x) for x in os.environ.get('PASSGATE_CRASH_DELAY_MS', '5-60').split('-'))
CLIENTS = tuple(int(x) for x in os.environ.get('PASSGATE_CRASH_CLIENTS', '3,3,2').split(','))
BOOKING_CLIENTS = CLIENTS[2] if len(CLIENTS) > 2 else 2
STARTUP_KILL_RATE = 0.1     # share of restarts that are first killed while starting up
HOUR = 3601                 # test clock step between generations
CALL_TIMEOUT = 30           # seconds: a call that takes longer is a hang, reported as such
CODE_WAIT = 10              # seconds for a code to reach the spool while the daemon is up
PARK_TIMEOUT = 60           # seconds for every client to notice the daemon is gone
LOCKOUT_AFTER = 20          # [lockout] delay_after: a wrong candidate password counts as a failure
LEAK_CHECK_SECRETS = 20000  # at most this many secrets for Sandbox.close() to look for
BOOKING_SLOTS = 4           # slots of the crash center ...
BOOKING_PLACES = 2          # ... with this many places each (more for lost-reply bookings found done)
BOOKING_DAYS_AHEAD = 3650   # the slots: the test clock moves an hour per generation and more at the end
CANCEL_SHARE = 0.45         # share of a booking client's cycles that cancel one of its coupons
MISSES_PER_HOUR = 900       # [centers] bookings_per_hour is 1000: unknown coupons per uid and hour
USEC = 1_000_000
IFACE_SC = N.PG_IFACE_SERVICECENTERS
COUPON = re.compile(r'\b([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{2})\b')
CENTER = ('crash-center', 'Центр госуслуг «Сбойный»', 'Москва, ул. Аварийная, д. 9', 'Пн-Вс 0-24',
          '+7 495 765-43-21')

CLIENT_INFO = {'Service': 'passgate-crash', 'Renderer': 'app'}

E_NO_REPLY = 'org.freedesktop.DBus.Error.NoReply'
# Errors that tell the call never reached a daemon that knew it: no effect on the store.
E_NOT_DELIVERED = {'org.freedesktop.DBus.Error.ServiceUnknown',
                   'org.freedesktop.DBus.Error.NameHasNoOwner',
                   'org.freedesktop.DBus.Error.UnknownObject',
                   'org.freedesktop.DBus.Error.UnknownMethod'}


class Gone(Exception):
    """The daemon of this generation is gone (or the client cannot go on in it): wait for the next.
    maybe: the call may have reached the daemon and taken effect before it died."""

    def __init__(self, what, maybe=False):
        super().__init__(what)
        self.maybe = maybe


class Stop(Exception):
    pass


class Control:
    """Generations of the daemon. Clients work in generation `gen` while `up`; when they notice it
    is gone they park until the next one. The killer waits until all of them are parked before it
    restarts the daemon, so nothing reaches a new daemon before the checks between generations."""

    def __init__(self):
        self.cv = threading.Condition()
        self.gen = 0
        self.up = False
        self.stop = False
        self.parked = 0
        self.clients = 0

    def usable(self, gen):
        return self.up and self.gen == gen and not self.stop

    def park(self, gen):
        """Waits until a generation after gen is up; returns it."""
        with self.cv:
            self.parked += 1
            self.cv.notify_all()
            try:
                while not self.stop and (self.gen <= gen or not self.up):
                    self.cv.wait()
                if self.stop:
                    raise Stop()
                return self.gen
            finally:
                self.parked -= 1

    def retire(self):
        with self.cv:
            self.clients -= 1
            self.cv.notify_all()

    def release(self):
        with self.cv:
            self.gen += 1
            self.up = True
            self.cv.notify_all()

    def down(self):
        with self.cv:
            self.up = False

    def wait_parked(self, timeout):
        deadline = time.monotonic() + timeout
        with self.cv:
            while self.parked < self.clients:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cv.wait(left)
        return True

    def finish(self):
        with self.cv:
            self.stop = True
            self.cv.notify_all()


class Spool:
    """The spool directory, consumed: each message is read once and removed (the directory stays
    small however long the run), code messages are kept by recipient, oldest first."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.codes = {}         # recipient -> [(file, code)]
        self.coupons = {}       # recipient -> coupon (every booking has a contact of its own)

    def refresh(self):
        with self.lock:
            for name in sorted(os.listdir(self.path)):
                if name.startswith('.'):
                    continue
                path = os.path.join(self.path, name)
                with open(path, encoding='utf-8') as f:
                    head, _, body = f.read().partition('\n\n')
                os.unlink(path)
                to = re.search(r'^To:\s*(.*)$', head, re.M)
                code = re.search(r'\b(\d{6})\b', body)
                if to and code:
                    self.codes.setdefault(to.group(1).strip(), []).append((name, code.group(1)))
                coupon = COUPON.search(body)
                if to and coupon:
                    self.coupons[to.group(1).strip()] = coupon.group(1)

    def files(self, to):
        self.refresh()
        with self.lock:
            return {f for f, _ in self.codes.get(to, [])}

    def coupon(self, to):
        self.refresh()
        with self.lock:
            return self.coupons.get(to)

    def new_codes(self, to, before):
        self.refresh()
        with self.lock:
            return [(f, c) for f, c in self.codes.get(to, []) if f not in before]


class AccountState:
    """What a client knows of its account's password. `known` was in the store at some point (set,
    acknowledged or proven by a login); `unknown` are later changes whose outcome was lost with the
    daemon, oldest first. The store must hold one of candidates(); `superseded` and `refused` must
    never log in again."""

    def __init__(self, user, kind, password, phone=None, passport=None):
        self.user = user
        self.kind = kind
        self.phone = phone
        self.passport = passport
        self.known = password
        self.unknown = []
        self.superseded = []    # were current once, replaced by a later one
        self.refused = []       # changes that certainly did not happen
        self.acked = 1          # counting the initial SetPassword
        self.codes = []         # (generation, code, spool file) accepted with a reply
        self.broken = None

    def candidates(self):
        return [self.known] + self.unknown

    def acknowledge(self, password):
        self.superseded.append(self.known)
        self.superseded.extend(self.unknown)    # each either never happened or was replaced
        self.known = password
        self.unknown = []
        self.acked += 1

    def prove(self, password):
        """A login with password worked: it is current, the unknown ones after it never happened."""
        cands = self.candidates()
        i = cands.index(password)
        self.superseded.extend(cands[:i])
        self.refused.extend(cands[i + 1:])
        self.known = password
        self.unknown = []
        return i


class Run:
    """Shared state of one run: sandbox, control, spool, accounts, counters and violations."""

    def __init__(self, sb, rng):
        self.sb = sb
        self.rng = rng
        self.ctl = Control()
        self.spool = Spool(sb.spool_dir)
        self.lock = threading.Lock()
        self.violations = []
        self.stats = {k: 0 for k in (
            'changes acked', 'recoveries acked', 'outcomes unknown', 'unknown proven done',
            'codes accepted', 'reuse checks in run', 'reuse checks at end', 'reuse checks skipped',
            'conversations begun', 'candidate logins', 'startup kills',
            'stale readers left by kills', 'rate limited',
            'bookings acked', 'bookings refused: slot full', 'booking outcomes unknown',
            'lost bookings proven by their message', 'lost bookings found done', 'cancels acked',
            'cancel outcomes unknown', 'lost cancels found done', 'lost cancels not done',
            'cancel reuse checks in run', 'cancel reuse checks at end', 'slot checks',
            'booking rate limited', 'places added for lost bookings')}
        self.accepted_this_gen = []     # (AccountState, code, file)
        self.bookings = None            # Bookings, when there are booking clients

    def count(self, key, n=1):
        with self.lock:
            self.stats[key] += n

    def violation(self, text):
        with self.lock:
            self.violations.append(text)
        sys.stderr.write(f'VIOLATION: {text}\n')


class Client(threading.Thread):
    """One thread, one bus connection, one account."""

    def __init__(self, run, name, acct):
        super().__init__(name=name, daemon=True)
        self.run_ = run
        self.ctl = run.ctl
        self.acct = acct
        self.gen = 0
        self.conn = dbus.bus.BusConnection(run.sb.address)
        self.ctl.clients += 1

    # ---------------------------------------------------------------- calls

    def call(self, iface, method, sig='', *args, path=OBJECT_PATH):
        if not self.ctl.usable(self.gen):
            raise Gone('generation over')
        t0 = time.monotonic()
        try:
            reply = self.conn.call_blocking(BUS_NAME, path, iface, method, sig,
                                            args_to_dbus(sig, args), timeout=CALL_TIMEOUT)
        except dbus.exceptions.DBusException as e:
            name = e.get_dbus_name()
            if name == E_NO_REPLY and time.monotonic() - t0 >= CALL_TIMEOUT - 1:
                self.run_.violation(f'{self.name}: {method} on {path} got no reply within '
                                    f'{CALL_TIMEOUT} s while the daemon was up (generation {self.gen})')
                raise Gone(f'{method}: timeout', maybe=True)
            if name == E_NO_REPLY:
                raise Gone(f'{method}: {name}', maybe=True)
            if name in E_NOT_DELIVERED:
                raise Gone(f'{method}: {name}')
            raise harness.BusError(name, e.get_dbus_message()) from None
        return reply_from_dbus(reply)

    def begin(self, flow, login):
        self.run_.count('conversations begun')
        return self.call(IFACE_MANAGER, 'BeginConversation', 'ssa{sv}', flow, login, CLIENT_INFO)

    def step(self, path, answer=None):
        a = {} if answer is None else {'Value': answer}
        return tuple(self.call(IFACE_CONVERSATION, 'Step', 'a{sv}', a, path=path))

    def cancel(self, path):
        try:
            self.call(IFACE_CONVERSATION, 'Cancel', path=path)
        except (Gone, harness.BusError):
            pass

    def expect(self, got, kind, step_id, what):
        """got must be (kind, {'Id': step_id}); anything else is a violation and ends the cycle."""
        if got[0] != kind or got[1].get('Id') != step_id:
            self.run_.violation(f'{self.name} ({self.acct.user}): {what}: expected {kind}/{step_id}, '
                                f'got {got!r} (generation {self.gen})')
            raise Gone('unexpected step')

    # ---------------------------------------------------------------- loop

    def run(self):
        try:
            self.gen = self.ctl.park(0)
            while True:
                try:
                    if self.acct.broken:
                        raise Gone('account broken')
                    self.cycle()
                except Gone:
                    self.gen = self.ctl.park(self.gen)
        except Stop:
            pass
        except BaseException:
            self.run_.violation(f'{self.name} crashed:\n{traceback.format_exc()}')
        finally:
            self.ctl.retire()
            try:
                self.conn.close()
            except Exception:
                pass

    # ---------------------------------------------------------------- what is current

    def login_works(self, password):
        """True/False from a login conversation; Gone when the daemon went away."""
        self.run_.count('candidate logins')
        path = self.begin('login', self.acct.user)
        got = self.step(path)
        self.expect(got, 'secret', 'password', 'login')
        got = self.step(path, password)
        if got[0] == 'done':
            return True
        if got[0] == 'failed' and got[1].get('Error') == N.PG_ERROR_AUTHENTICATION_FAILED:
            return False
        self.run_.violation(f'{self.name} ({self.acct.user}): login answered {got!r}')
        raise Gone('unexpected login reply')

    def resolve(self, works):
        """Finds which candidate is current with works(password) -> bool, newest first."""
        a = self.acct
        for p in reversed(a.candidates()):
            if works(p):
                if p != a.known:
                    self.run_.count('unknown proven done')
                a.prove(p)
                return p
        # None of them: a lost change, unless lockout hides the right one.
        failures = self.call(IFACE_ACCOUNTS, 'GetAccount', 's', a.user).get('Failures', 0)
        if failures >= LOCKOUT_AFTER:
            raise Gone('locked out for now')
        old = [p for p in reversed(a.superseded + a.refused) if self.login_works(p)]
        a.broken = (f'{a.user}: none of the possibly current passwords ({len(a.candidates())}: the '
                    f'acknowledged one and {len(a.unknown)} unknown) logs in'
                    + (f'; an older one does (superseded or refused: '
                       f'{"superseded" if old[0] in a.superseded else "refused"})' if old else ''))
        self.run_.violation(a.broken)
        raise Gone('account broken')

    # ---------------------------------------------------------------- the final step

    def save(self, path, new):
        """Sends the repeated new password: the step that writes it."""
        a = self.acct
        try:
            got = self.step(path, new)
        except Gone as g:
            if g.maybe:
                a.unknown.append(new)
                self.run_.count('outcomes unknown')
            else:
                a.refused.append(new)
            raise
        if got[0] == 'done':
            a.acknowledge(new)
            return got
        a.refused.append(new)
        self.run_.violation(f'{self.name} ({a.user}): saving a new password answered {got!r}')
        raise Gone('save refused')


class ChangeClient(Client):
    """change-password conversations: the current password, a new one, repeated."""

    def cycle(self):
        a = self.acct
        state = {}

        def try_old(p):
            self.run_.count('candidate logins')
            path = self.begin('change-password', a.user)
            self.expect(self.step(path), 'secret', 'old-password', 'change-password start')
            got = self.step(path, p)
            if got[0] == 'secret' and got[1].get('Id') == 'new-password':
                state['path'] = path
                return True
            if got[0] == 'failed' and got[1].get('Error') == N.PG_ERROR_AUTHENTICATION_FAILED:
                return False
            self.run_.violation(f'{self.name} ({a.user}): old password answered {got!r}')
            raise Gone('unexpected reply')

        self.resolve(try_old)
        path = state['path']
        new = strong_password()
        self.expect(self.step(path, new), 'secret', 'repeat-password', 'new password')
        self.save(path, new)
        self.run_.count('changes acked')


class RecoveryClient(Client):
    """recovery conversations: phone, passport, the code from the spool, a new password."""

    def cycle(self):
        a = self.acct
        if a.unknown:
            self.resolve(self.login_works)
        path = self.begin('recovery', a.phone)
        self.expect(self.step(path), 'choice', 'document-type', 'recovery start')
        self.expect(self.step(path, 'passport'), 'text', 'document-number', 'document type')
        before = self.run_.spool.files(a.phone)
        got = self.step(path, a.passport)
        if got[0] == 'failed' and got[1].get('Error') == N.PG_ERROR_RATE_LIMITED:
            self.run_.count('rate limited')     # a long generation: the hour's codes are spent
            raise Gone('rate limited')
        self.expect(got, 'secret', 'code', 'document number')
        # The code is written to the spool after the reply: wait while this daemon lives.
        deadline = time.monotonic() + CODE_WAIT
        while True:
            new = self.run_.spool.new_codes(a.phone, before)
            if new:
                break
            if not self.ctl.usable(self.gen):
                raise Gone('daemon gone before the code was sent')
            if time.monotonic() > deadline:
                self.run_.violation(f'{self.name} ({a.user}): no code in the spool {CODE_WAIT} s after '
                                    f'the code prompt (generation {self.gen}, daemon up)')
                raise Gone('no code')
            time.sleep(0.003)
        if len(new) > 1:
            self.run_.violation(f'{self.name} ({a.user}): {len(new)} codes for one request: {new!r}')
        file, code = new[-1]
        got = self.step(path, code)
        if not (got[0] == 'secret' and got[1].get('Id') == 'new-password'):
            # A code the daemon sent for this very request, typed in the same generation.
            self.run_.violation(f'{self.name} ({a.user}): a fresh code was refused: {got!r} '
                                f'(generation {self.gen})')
            raise Gone('fresh code refused')
        a.codes.append((self.gen, code, file))
        self.run_.count('codes accepted')
        with self.run_.lock:
            self.run_.accepted_this_gen.append((a, code, file))
        new_pw = strong_password()
        self.expect(self.step(path, new_pw), 'secret', 'repeat-password', 'new password')
        self.save(path, new_pw)
        self.run_.count('recoveries acked')


class Bookings:
    """The crash center as the harness set it up and as the checks have found it: its slots, their
    places, and per slot the lost-reply bookings found done (nobody holds their coupons)."""

    def __init__(self, slots):
        self.center = CENTER[0]
        self.slots = list(slots)
        self.places = {s: BOOKING_PLACES for s in self.slots}
        self.lost_done = Counter()
        self.states = []                # a BookingState per booking client
        self.cancelled_this_gen = []    # coupons whose cancel was acknowledged in this generation
        self.people = 0


class BookingState:
    """What one booking client knows of its coupons."""

    broken = None

    def __init__(self, name):
        self.user = name
        self.live = {}              # coupon -> slot: booking acknowledged, not cancelled
        self.cancel_unknown = {}    # coupon -> slot: the reply to its cancel was lost
        self.book_unknown = []      # (slot, contact): the reply to a booking was lost
        self.cancelled = []         # coupons certainly cancelled (acknowledged, or found gone)
        self.names = []             # (full name, contact) of every booking tried


def booking_person(run):
    """A full name and a phone that no other booking used: max_bookings per contact never bites."""
    with run.lock:
        run.bookings.people += 1
        n = run.bookings.people
    return f'Гость Сбоев {n}', make_phone()


class BookingClient(Client):
    """BookAppointment for new people on random slots of the crash center; CancelAppointment of its
    own coupons."""

    def __init__(self, run, name, acct, seed):
        super().__init__(run, name, acct)
        self.rng = random.Random(seed)

    def cycle(self):
        a = self.acct
        if a.live and self.rng.random() < CANCEL_SHARE:
            self.cancel(self.rng.choice(sorted(a.live)))
        else:
            self.book(self.rng.choice(self.run_.bookings.slots))

    def unexpected(self, what, e):
        self.run_.violation(f'{self.name}: {what} answered {e.name}: {e.message} (generation {self.gen})')
        raise Gone(f'{what}: {e.name}')

    def book(self, slot):
        a, run = self.acct, self.run_
        name, contact = booking_person(run)
        a.names.append((name, contact))
        try:
            coupon = self.call(IFACE_SC, 'BookAppointment', 'stss', run.bookings.center, slot, name,
                               contact)
        except Gone as g:
            if g.maybe:
                a.book_unknown.append((slot, contact))
                run.count('booking outcomes unknown')
            raise
        except harness.BusError as e:
            if e.name == N.PG_ERROR_SLOT_FULL:
                run.count('bookings refused: slot full')
                return
            if e.name == N.PG_ERROR_RATE_LIMITED:
                run.count('booking rate limited')
                raise Gone('rate limited') from None
            self.unexpected(f'booking slot {slot}', e)
        if not COUPON.fullmatch(coupon):
            run.violation(f'{self.name}: BookAppointment returned {coupon!r}, not a coupon')
            raise Gone('bad coupon')
        if coupon in a.live or coupon in a.cancelled:
            run.violation(f'{self.name}: coupon {coupon} was handed out twice')
        a.live[coupon] = slot
        run.count('bookings acked')

    def cancel(self, coupon):
        a, run = self.acct, self.run_
        slot = a.live[coupon]
        try:
            self.call(IFACE_SC, 'CancelAppointment', 's', coupon)
        except Gone as g:
            if g.maybe:
                del a.live[coupon]
                a.cancel_unknown[coupon] = slot
                run.count('cancel outcomes unknown')
            raise
        except harness.BusError as e:
            if e.name == N.PG_ERROR_NO_SUCH_COUPON:
                del a.live[coupon]      # reported once
                run.violation(f'{self.name}: acknowledged booking {coupon} (slot {slot}) is gone: '
                              f'CancelAppointment does not know it (generation {self.gen})')
                raise Gone('booking lost') from None
            if e.name == N.PG_ERROR_RATE_LIMITED:
                run.count('booking rate limited')
                raise Gone('rate limited') from None
            self.unexpected(f'cancelling {coupon}', e)
        del a.live[coupon]
        a.cancelled.append(coupon)
        with run.lock:
            run.bookings.cancelled_this_gen.append(coupon)
        run.count('cancels acked')


def booking_clients(run):
    """The crash center (BOOKING_SLOTS slots of BOOKING_PLACES places, far ahead), and the clients
    that book and cancel on it, each on its own connection."""
    if BOOKING_CLIENTS <= 0:
        return []
    sb = run.sb
    first = (int(time.time()) // 3600 + BOOKING_DAYS_AHEAD * 24) * 3600 * USEC
    slots = [first + i * 1800 * USEC for i in range(BOOKING_SLOTS)]
    sb.call(IFACE_SC, 'AddCenter', 'sssss', *CENTER)
    sb.call(IFACE_SC, 'SetSchedule', 'sa(tu)', CENTER[0], [[s, BOOKING_PLACES] for s in slots])
    run.bookings = Bookings(slots)
    clients = []
    for i in range(BOOKING_CLIENTS):
        st = BookingState(f'booking-{i}')
        run.bookings.states.append(st)
        clients.append(BookingClient(run, f'booking-{i}', st, run.rng.randrange(1 << 32)))
    return clients


def sc_call(test, method, sig='', *args):
    return test.sb.call(IFACE_SC, method, sig, *args)


def try_cancel(test, coupon):
    """CancelAppointment as the harness: True if it cancelled a booking, False for NoSuchCoupon."""
    try:
        sc_call(test, 'CancelAppointment', 's', coupon)
    except harness.BusError as e:
        test.assertEqual(e.name, N.PG_ERROR_NO_SUCH_COUPON, e.message)
        return False
    return True


def check_slots(test, run, where):
    """Between generations (every client parked) and at the end: settles what the kill left unknown,
    then holds each slot's bookings in the store against what the clients know."""
    bk = run.bookings
    if bk is None:
        return
    # A cancel whose reply was lost: sent again, it cancels or finds the coupon gone. Gone either way.
    for a in bk.states:
        for coupon in sorted(a.cancel_unknown):
            run.count('lost cancels not done' if try_cancel(test, coupon) else 'lost cancels found done')
            a.cancelled.append(coupon)
        a.cancel_unknown.clear()
    # No coupon is accepted twice: an acknowledged cancel survived the kill.
    for coupon in bk.cancelled_this_gen:
        run.count('cancel reuse checks in run')
        if try_cancel(test, coupon):
            run.violation(f'coupon {coupon}, whose cancel was acknowledged, was accepted again {where}')
    bk.cancelled_this_gen = []
    # A booking whose reply was lost is done if its coupon message went out.
    unknown = Counter()
    for a in bk.states:
        for slot, contact in a.book_unknown:
            coupon = run.spool.coupon(contact)
            if coupon:
                a.live[coupon] = slot
                run.count('lost bookings proven by their message')
            else:
                unknown[slot] += 1
        a.book_unknown = []
    free = {s: f for s, f in sc_call(test, 'ListSlots', 'stt', bk.center, 0, 2**64 - 1)}
    live = Counter(slot for a in bk.states for slot in a.live.values())
    run.count('slot checks')
    for slot in bk.slots:
        places = bk.places[slot]
        if slot not in free:
            run.violation(f'slot {slot} is gone from the center {where}')
            continue
        held = places - free[slot]
        low = live[slot] + bk.lost_done[slot]
        high = low + unknown[slot]
        what = (f'slot {slot} {where}: the store holds {held} bookings of {places} places; acknowledged '
                f'and not cancelled: {live[slot]}, lost-reply bookings found done before: '
                f'{bk.lost_done[slot]}, lost-reply bookings since: {unknown[slot]}')
        if low > places:
            run.violation(f'overbooked: {what}')
        elif held < low:
            run.violation(f'a booking is lost: {what}')
        elif held > min(high, places):
            run.violation(f'bookings nobody made: {what}')
            bk.lost_done[slot] = held - live[slot]      # reported once
        else:
            bk.lost_done[slot] += held - low
            run.count('lost bookings found done', held - low)
    # Lost-reply bookings hold their places for good: give the slot as many more.
    more = [(s, BOOKING_PLACES + bk.lost_done[s]) for s in bk.slots
            if bk.places[s] < BOOKING_PLACES + bk.lost_done[s]]
    if more:
        sc_call(test, 'SetSchedule', 'sa(tu)', bk.center, [list(m) for m in more])
        for s, places in more:
            run.count('places added for lost bookings', places - bk.places[s])
            bk.places[s] = places


def check_bookings(test, run):
    """At the end: every acknowledged booking still there, every cancelled coupon refused, no slot
    over its places, the free places real, nothing private in the daemon's log."""
    bk = run.bookings
    if bk is None:
        return
    sb = test.sb
    check_slots(test, run, 'at the end')
    misses = 0

    def miss():
        nonlocal misses
        misses += 1
        if misses % MISSES_PER_HOUR == 0:
            sb.advance_clock(HOUR)      # unknown coupons are limited per uid and hour

    # Every acknowledged booking not cancelled is there: its coupon cancels it.
    for a in bk.states:
        for coupon, slot in sorted(a.live.items()):
            if not try_cancel(test, coupon):
                miss()
                run.violation(f'acknowledged booking {coupon} (slot {slot}) is gone at the end')
            a.cancelled.append(coupon)
        a.live.clear()
    # Only the lost-reply bookings found done hold places now, and the free places can be booked.
    free = {s: f for s, f in sc_call(test, 'ListSlots', 'stt', bk.center, 0, 2**64 - 1)}
    extra = []
    for slot in bk.slots:
        want = bk.places[slot] - bk.lost_done[slot]
        if free.get(slot) != want:
            run.violation(f'slot {slot} at the end, every known coupon cancelled: {free.get(slot)} free '
                          f'places, expected {want} ({bk.places[slot]} places, {bk.lost_done[slot]} held '
                          f'by lost-reply bookings)')
            continue
        for _ in range(want):
            name, contact = booking_person(run)
            bk.states[0].names.append((name, contact))
            extra.append((sc_call(test, 'BookAppointment', 'stss', bk.center, slot, name, contact),
                          contact))
        name, contact = booking_person(run)
        test.assertBusError(N.PG_ERROR_SLOT_FULL, sc_call, test, 'BookAppointment', 'stss',
                            bk.center, slot, name, contact)
    for coupon, contact in extra:
        sb.wait_message(lambda m: m.get('To') == contact, timeout=CODE_WAIT)     # the coupon went out
        test.assertTrue(try_cancel(test, coupon), f'a coupon just booked: {coupon}')
        bk.states[0].cancelled.append(coupon)
    # No cancelled coupon cancels anything again.
    for a in bk.states:
        for coupon in a.cancelled:
            run.count('cancel reuse checks at end')
            if try_cancel(test, coupon):
                run.violation(f'coupon {coupon} was accepted again at the end, after its cancel')
            else:
                miss()
    sb.advance_clock(HOUR)
    run.spool.refresh()             # coupons must not be left in the spool for the leak check
    # Coupons, contacts and names never show in the daemon's log.
    log = sb.daemon_log()
    coupons = {c for a in bk.states for c in a.cancelled}
    private = {s for a in bk.states for pair in a.names for s in pair}
    found = sorted(set(COUPON.findall(log)) & coupons)
    found += sorted(set(re.findall(r'\+7\d{10}|Гость Сбоев \d+', log)) & private)
    test.assertEqual(found, [], 'coupons, contacts or names of bookings in the daemon log')


class SigKill(TestCase):
    def setUp(self):
        if not is_root():
            raise unittest.SkipTest('needs root: throwaway unix users for the accounts')
        self.sb = Sandbox(daemon=False, config={
            'lockout': {'delay_after': str(LOCKOUT_AFTER), 'disable_after': '1000'},
            'delivery': {'messages_per_hour': '100000'},
            'recovery': {'codes_per_hour': '10', 'attempts_per_hour': '20'},
            'centers': {'bookings_per_hour': '1000'},
        }).start()
        self.addCleanup(self.sb.close)
        self.sb.require_file(helper_path(self.sb.build_root), 'tests/crash/lmdb-reader')
        self.sb.start_daemon(fresh=True)
        self.sb.set_clock(0)

    # ---------------------------------------------------------------- setup

    def make_accounts(self, run):
        n_change, n_recovery = CLIENTS[:2]
        users = self.sb.make_users(n_change + n_recovery)
        clients = []
        for i, user in enumerate(users):
            pw = strong_password()
            if i < n_change:
                self.sb.create_account(user, pw, FullName='Пётр Иванов')
                clients.append(ChangeClient(run, f'change-{i}', AccountState(user, 'change', pw)))
            else:
                phone, passport = make_phone(), make_passport()
                self.sb.create_account(user, pw, FullName='Мария Соколова', Phone=phone,
                                       Documents={'passport': passport})
                clients.append(RecoveryClient(run, f'recovery-{i - n_change}',
                                              AccountState(user, 'recovery', pw, phone, passport)))
        return clients

    # ---------------------------------------------------------------- between generations

    def restart(self, run):
        """Starts passgated on the same store; sometimes kills it once while it starts up."""
        if run.rng.random() < STARTUP_KILL_RATE:
            self.sb.start_daemon(wait=False)
            time.sleep(run.rng.uniform(0, 0.015))
            self.sb.kill_daemon()
            run.count('startup kills')
        self.sb.start_daemon()      # fails the test if the store does not open

    def reuse_check(self, run, acct, code, file, at_end=False):
        """Types an accepted code again in a fresh recovery of its account: it must be refused."""
        sb = self.sb
        since = int((time.time() + sb.clock()) * 1_000_000)
        before = run.spool.files(acct.phone)
        path = sb.manager('BeginConversation', 'ssa{sv}', 'recovery', acct.phone, CLIENT_INFO)
        sb.step(path)
        sb.step(path, 'passport')
        kind, prompt = sb.step(path, acct.passport)
        if kind == 'failed' and prompt.get('Error') == N.PG_ERROR_RATE_LIMITED:
            run.count('reuse checks skipped')
            return
        self.assertEqual((kind, prompt.get('Id')), ('secret', 'code'), prompt)
        kind, prompt = sb.step(path, code)
        run.count('reuse checks at end' if at_end else 'reuse checks in run')
        if kind == 'secret' and prompt.get('Id') == 'new-password':
            # Unless the fresh start happened to draw the same six digits.
            later = [c for f, c in run.spool.new_codes(acct.phone, set()) if f > file]
            if code not in later:
                run.violation(f'{acct.user}: code {code} (accepted in generation '
                              f'{[g for g, c, f in acct.codes if c == code]}) was accepted again '
                              f'{"at the end" if at_end else "right after the restart"}')
        sb.call(IFACE_CONVERSATION, 'Cancel', path=path)
        # A code this start sent reaches the spool after the reply: let it land before the
        # clients look at the spool again, or one of them would take it for its own.
        events = sb.accounts('ListAudit', 'tu', since, 10000)
        if any(e[1] == acct.user and e[2] == 'recovery-code-sent' for e in events):
            deadline = time.monotonic() + CODE_WAIT
            while not run.spool.new_codes(acct.phone, before):
                self.assertLess(time.monotonic(), deadline, 'the code of a reuse check never came')
                time.sleep(0.003)

    # ---------------------------------------------------------------- the end

    def check_passwords(self, run, acct):
        """At the end: the newest possibly current password that logs in is the state; nothing the
        store must have left behind (superseded, refused, older candidates) logs in."""
        sb = self.sb
        sb.advance_clock(HOUR)      # no lockout delay left from the run
        cands = acct.candidates()
        current = None
        for p in reversed(cands):
            kind, prompt = sb.login(acct.user, p)
            if kind == 'done':
                current = p
                break
            self.assertEqual(prompt.get('Error'), N.PG_ERROR_AUTHENTICATION_FAILED, prompt)
        if current is None:
            run.violation(f'{acct.user}: at the end none of its possibly current passwords logs in '
                          f'(the acknowledged one and {len(acct.unknown)} unknown)')
            return
        if current != acct.known:
            run.count('unknown proven done')
        must_fail = acct.superseded + acct.refused + cands[:cands.index(current)]
        acct.prove(current)
        failures = 0
        for p in must_fail:
            kind, prompt = sb.login(acct.user, p)
            if kind == 'done':
                run.violation(f'{acct.user}: an old password ('
                              f'{"superseded" if p in acct.superseded else "refused or older"}) logs '
                              f'in at the end, not the acknowledged state')
                return
            self.assertEqual(prompt.get('Error'), N.PG_ERROR_AUTHENTICATION_FAILED, prompt)
            failures += 1
            if failures >= LOCKOUT_AFTER - 2:       # reset the counter before a delay begins
                self.assertEqual(sb.login(acct.user, current)[0], 'done')
                failures = 0
        self.assertEqual(sb.login(acct.user, current)[0], 'done')

    def check_store(self, run):
        sb = self.sb
        sb.stop_daemon(check=True)      # SIGTERM: exits 0
        for argv in (['mdb_stat', '-a', '-e', sb.state_dir], ['mdb_dump', '-a', sb.state_dir]):
            p = subprocess.run(argv, capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, f'{" ".join(argv)}: {p.stderr}')
        self.assertEqual(dead_readers(sb.state_dir), [], 'dead readers left in the lock file')
        self.holder.kill()
        self.assertEqual(reader_table(sb.state_dir), {}, 'readers left in the lock file')
        sb.start_daemon()

    def bound_leak_check(self, rng):
        """Sandbox.close() looks for every secret used in every file the run left (about 2 s for
        300 kills): a very long run keeps a sample, or that check would take longer than the run."""
        if len(self.sb.secrets) > LEAK_CHECK_SECRETS:
            self.sb.secrets = set(rng.sample(sorted(self.sb.secrets), LEAK_CHECK_SECRETS))
            print(f'the leak check at close looks for a sample of {LEAK_CHECK_SECRETS} secrets', flush=True)

    # ---------------------------------------------------------------- the test

    def test_sigkill_under_load(self):
        sb = self.sb
        rng = random.Random(SEED)
        run = Run(sb, rng)
        print(f'seed {SEED} (PASSGATE_CRASH_SEED), {KILLS} kills, delays {DELAY_MS[0]}-{DELAY_MS[1]} ms, '
              f'{CLIENTS[0]} change, {CLIENTS[1]} recovery and {BOOKING_CLIENTS} booking clients',
              flush=True)
        clients = self.make_accounts(run) + booking_clients(run)
        # Another process keeps the store open all along, so that LMDB does not reset the reader
        # table when passgated opens it again: a slot left by a killed daemon stays, and only
        # mdb_reader_check in store_open can clear it.
        self.holder = Reader(sb.build_root, sb.state_dir, hold=True)
        self.addCleanup(self.holder.kill)
        self.addCleanup(self.bound_leak_check, rng)
        for c in clients:
            c.start()
        t0 = time.monotonic()
        kills = 0
        try:
            for i in range(KILLS):
                run.accepted_this_gen = []
                run.ctl.release()
                time.sleep(rng.uniform(*DELAY_MS) / 1000)
                sb.kill_daemon()
                kills += 1
                run.ctl.down()
                if not run.ctl.wait_parked(PARK_TIMEOUT):
                    self.fail(f'clients did not notice the kill within {PARK_TIMEOUT} s: '
                              f'{run.ctl.parked} of {run.ctl.clients} parked')
                run.count('stale readers left by kills', len(dead_readers(sb.state_dir)))
                self.restart(run)
                dead = dead_readers(sb.state_dir)
                if dead:
                    run.violation(f'after restart {i + 1}, dead readers are still in the table: {dead}')
                check_slots(self, run, f'after restart {i + 1}')
                # Same test clock as the killed generation: its codes are still live and within
                # the resend cooldown, so one the store failed to spend would be accepted here.
                last = {}
                for acct, code, file in run.accepted_this_gen:
                    last[acct.user] = (acct, code, file)
                for acct, code, file in last.values():
                    self.reuse_check(run, acct, code, file)
                sb.advance_clock(HOUR)
                if (i + 1) % 50 == 0:
                    print(f'{i + 1} kills, {time.monotonic() - t0:.0f} s: {run.stats}', flush=True)
        finally:
            run.ctl.finish()
            for c in clients:
                c.join(timeout=CALL_TIMEOUT + 5)
        duration = time.monotonic() - t0
        print(f'passgated survived {kills} SIGKILLs (+{run.stats["startup kills"]} during start-up) '
              f'in {duration:.1f} s; now the checks', flush=True)
        self.assertEqual([c.name for c in clients if c.is_alive()], [], 'clients that never ended')

        accounts = [c.acct for c in clients if isinstance(c.acct, AccountState)]
        for acct in accounts:
            if not acct.broken:
                self.check_passwords(run, acct)
        for acct in accounts:
            for gen, code, file in acct.codes:
                sb.advance_clock(HOUR)
                self.reuse_check(run, acct, code, file, at_end=True)
        check_bookings(self, run)
        self.check_store(run)
        self.assertEqual(sb.login(accounts[0].user, accounts[0].known)[0], 'done',
                         'passgated serves logins after the run')

        print(f'{kills} kills: {run.stats}', flush=True)
        self.assertEqual(run.violations, [], '\n'.join(run.violations))
        self.assertGreaterEqual(kills, KILLS)
        self.assertGreater(run.stats['changes acked'], 0, 'no change-password conversation finished')
        self.assertGreater(run.stats['codes accepted'], 0, 'no recovery got as far as its code')
        if BOOKING_CLIENTS > 0:
            self.assertGreater(run.stats['bookings acked'], 0, 'no booking got its coupon')
            self.assertGreater(run.stats['cancels acked'], 0, 'no cancel was acknowledged')


if __name__ == '__main__':
    harness.main()
