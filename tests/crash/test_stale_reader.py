#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Stale LMDB readers: a process that dies inside a read transaction leaves its slot in the reader
table of lock.mdb. The slot pins the pages of that snapshot (freed pages cannot be reused, the
store only grows) and, once all 126 slots are taken, no one can read. passgated clears them when
it opens the store (mdb_reader_check in daemon/store.c).

LMDB itself resets the whole reader table when a process opens an environment that no other
process has open. So a stale slot only survives a restart of passgated, and only mdb_reader_check
can clear it, while another process holds the store open (here `lmdb-reader --hold`, standing for
whatever else reads it: a backup, a monitoring probe, mdb_stat). The stale reader itself is
tests/crash/lmdb-reader with a read transaction, SIGKILLed. `mdb_stat -r` (lmdb-utils) shows the
reader table (mdb_stat opening the store is such a process too: it would reset the table if it
were alone).
"""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import dbus  # noqa: E402
import dbus.bus  # noqa: E402
import dbus.lowlevel  # noqa: E402

import harness  # noqa: E402
from harness import N, Sandbox, TestCase, current_user, is_root, strong_password  # noqa: E402
from harness.sandbox import BUS_NAME, IFACE_ACCOUNTS, OBJECT_PATH  # noqa: E402
from lmdbtools import Reader, alive, helper_path, reader_table  # noqa: E402


class StaleReader(TestCase):
    @classmethod
    def setUpClass(cls):
        if is_root():
            cls.sb = Sandbox(daemon=False).start()
            cls.addClassCleanup(cls.sb.close)
            cls.user = cls.sb.make_users(1)[0]
        else:
            cls.sb = Sandbox(daemon=False, polkit=[N.PG_POLKIT_MANAGE]).start()
            cls.addClassCleanup(cls.sb.close)
            cls.user = current_user()
        cls.sb.require_file(helper_path(cls.sb.build_root), 'tests/crash/lmdb-reader')

    def setUp(self):
        if self.sb.daemon_proc is not None:
            self.sb.stop_daemon()
        self.sb.start_daemon(fresh=True)
        self.pw = strong_password()
        self.sb.create_account(self.user, self.pw, FullName='Ольга Кузнецова')

    def reader(self, hold=False):
        r = Reader(self.sb.build_root, self.sb.state_dir, hold)
        self.addCleanup(r.kill)
        return r

    def stale_reader(self):
        """A reader killed inside its read transaction; returns its pid, still in the table."""
        r = self.reader()
        self.assertIn(r.pid, reader_table(self.sb.state_dir), 'an open read transaction is listed')
        r.kill()
        self.assertFalse(alive(r.pid))
        self.assertIn(r.pid, reader_table(self.sb.state_dir), 'the dead reader left its slot behind')
        return r.pid

    def assertWrites(self):
        """The store takes writes and serves them: a new password, then logins."""
        new = strong_password()
        self.sb.set_password(self.user, new)
        self.assertEqual(self.sb.login(self.user, new)[0], 'done')
        self.assertEqual(self.sb.login(self.user, self.pw)[1]['Error'], N.PG_ERROR_AUTHENTICATION_FAILED)
        self.pw = new

    def assertCleared(self, *pids):
        table = reader_table(self.sb.state_dir)
        self.assertEqual([p for p in pids if p in table], [], f'stale readers left: {table}')
        self.assertEqual([p for p in table if not alive(p)], [], f'dead readers: {table}')

    def test_cleared_when_the_daemon_starts(self):
        self.sb.stop_daemon(check=True)
        self.reader(hold=True)              # the table is not reset under it
        pid = self.stale_reader()
        self.sb.start_daemon()
        self.assertCleared(pid)             # mdb_reader_check at open
        self.assertWrites()

    def test_many_stale_readers(self):
        """More dead readers than passgated's threads ever need at once: all cleared."""
        self.sb.stop_daemon(check=True)
        self.reader(hold=True)
        pids = [self.stale_reader() for _ in range(40)]
        self.sb.start_daemon()
        self.assertCleared(*pids)
        self.assertWrites()

    def test_daemon_killed_in_a_read_is_cleared_by_the_next(self):
        """passgated SIGKILLed with a read transaction open (caught by freezing it while clients
        keep listing the audit log, a long read each), another process holding the store: the
        next passgated clears the slot it left."""
        for _ in range(500):
            self.sb.set_password(self.user, self.pw)    # audit entries to list
        self.reader(hold=True)
        pid = self.sb.daemon_proc.pid
        stop = threading.Event()

        def read_loop():
            # Requests with no reply expected keep passgated reading without this process parsing
            # big replies; a call with a reply now and then bounds the backlog.
            conn = dbus.bus.BusConnection(self.sb.address)
            try:
                while not stop.is_set():
                    for _ in range(20):
                        msg = dbus.lowlevel.MethodCallMessage(BUS_NAME, OBJECT_PATH, IFACE_ACCOUNTS,
                                                              'ListAudit')
                        msg.append(dbus.UInt64(0), dbus.UInt32(100000), signature='tu')
                        msg.set_no_reply(True)
                        conn.send_message(msg)
                    try:
                        conn.call_blocking(BUS_NAME, OBJECT_PATH, IFACE_ACCOUNTS, 'GetAccount', 's',
                                           [self.user], timeout=30)
                    except dbus.exceptions.DBusException:
                        return              # the daemon is gone
            finally:
                conn.close()

        threads = [threading.Thread(target=read_loop) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            for tries in range(1, 20001):
                self.sb.freeze_daemon()
                if pid in reader_table(self.sb.state_dir):
                    break
                self.sb.thaw_daemon()
                time.sleep(random.uniform(0, 0.002))
            else:
                self.fail('never caught passgated inside a read transaction in 20000 tries')
            self.sb.kill_daemon()
        finally:
            stop.set()
            if self.sb.daemon_proc is not None:
                self.sb.thaw_daemon()
            for t in threads:
                t.join()
        self.assertIn(pid, reader_table(self.sb.state_dir), 'the killed daemon left its slot')
        self.assertFalse(alive(pid))
        sys.stderr.write(f'caught passgated in a read transaction after {tries} tries\n')
        self.sb.start_daemon()
        self.assertCleared(pid)
        self.assertWrites()

    def test_left_while_the_daemon_runs(self):
        """A reader that dies while passgated runs keeps its slot until passgated opens the store
        again (it checks at open only); writes work meanwhile, and a restart clears it."""
        pid = self.stale_reader()
        self.assertWrites()
        data = os.path.join(self.sb.state_dir, 'data.mdb')
        size0 = os.path.getsize(data)
        for _ in range(100):
            self.sb.set_password(self.user, self.pw)    # the same password: just writes
        size1 = os.path.getsize(data)
        still = pid in reader_table(self.sb.state_dir)
        self.reader(hold=True)
        self.sb.restart_daemon()
        self.assertCleared(pid)
        for _ in range(100):
            self.sb.set_password(self.user, self.pw)
        size2 = os.path.getsize(data)
        sys.stderr.write(f'stale reader {"still listed" if still else "gone"} while passgated ran; '
                         f'data.mdb {size0} -> {size1} bytes over 100 writes with it pinning pages, '
                         f'-> {size2} over 100 more once a restart cleared it\n')
        self.assertWrites()


if __name__ == '__main__':
    harness.main()
