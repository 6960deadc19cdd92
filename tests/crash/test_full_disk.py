#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A full state directory: the store on a small tmpfs, filled up with a file.

What "full" means for the store: passgated opens LMDB without MDB_WRITEMAP, so data.mdb is not
preallocated; it grows by pwrite() as a commit needs pages past its end (the map size of
daemon/store.c, 8 MiB doubled on MDB_MAP_FULL, is address space only). A commit that fits in pages
freed by earlier transactions still succeeds on a full filesystem; one that must grow the file
fails: ENOSPC, or EIO when a multi-page pwritev() is cut short (LMDB turns a short write into EIO).
The meta pages are rewritten in place, so a failed commit leaves the previous state intact.

What must hold (and what the test found):
- a write either succeeds, and is then really stored, or fails at once with a clear error:
  org.passgate1.Error.StoreFailure from Accounts methods, a failed step with StoreFailure in
  conversations. Never a hang, never a crash, never a wrong "authentication failed";
- the log tells only what was stored: events reach the journal once their transaction committed;
- a login writes too (counters, audit), so on a full disk even the right password gets StoreFailure
  (PAM: PAM_AUTHINFO_UNAVAIL) once no freed page is left: it fails closed;
- nothing stored is lost, passgated restarts on a full disk, and once space returns writes work
  again in the same process, without a restart.

Mounting needs root: the test runs itself in a private mount namespace (unshare), so the tmpfs
never outlives it; without root it is skipped.
"""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import N, BusError, Sandbox, TestCase, is_root, strong_password  # noqa: E402

FS_SIZE = '1m'          # a fresh store takes about 60 KiB
CLEAR_ERRORS = (N.PG_ERROR_STORE,)
MAX_WRITES = 300        # writes on a full disk before one must fail (freed pages run out)
NS_MARK = 'PASSGATE_CRASH_MOUNT_NS'


def in_private_mount_namespace():
    """Re-executes this script under `unshare --mount` once (same pid: exec), so that the tmpfs
    mounts vanish with the process whatever way it ends. False when that is not possible."""
    if os.environ.get(NS_MARK):
        return True
    probe = subprocess.run(['unshare', '--mount', '--propagation', 'private', 'true'],
                           capture_output=True)
    if probe.returncode != 0:
        return False
    os.environ[NS_MARK] = '1'
    os.execvp('unshare', ['unshare', '--mount', '--propagation', 'private', '--',
                          sys.executable, os.path.abspath(__file__)] + sys.argv[1:])


class FullDisk(TestCase):
    @classmethod
    def setUpClass(cls):
        if not is_root():
            raise unittest.SkipTest('mounting a small tmpfs needs root')
        cls.sb = Sandbox(daemon=False).start()
        cls.addClassCleanup(cls.sb.close)
        cls.users = cls.sb.make_users(2)
        cls.n = 0

    def setUp(self):
        sb = self.sb
        type(self).n += 1
        self.mnt = os.path.join(sb.tmp, f'fs-{self.n}')
        os.mkdir(self.mnt, 0o700)
        subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={FS_SIZE},mode=0700', 'passgate-full',
                        self.mnt], check=True)
        self.addCleanup(self.unmount)
        self.filler = os.path.join(self.mnt, 'filler')
        if sb.daemon_proc is not None:
            sb.stop_daemon()
        sb.state_dir = self.mnt
        sb.start_daemon()
        self.user, self.other = self.users
        self.pw = strong_password()
        self.history = []           # passwords that were current once, oldest first
        sb.create_account(self.user, self.pw, FullName='Иван Сидоров')

    def unmount(self):
        if self.sb.daemon_proc is not None:
            self.sb.stop_daemon()
        subprocess.run(['umount', '-l', self.mnt], check=False)

    # ------------------------------------------------------------ helpers

    def fill(self):
        """Writes a file until the filesystem refuses even one more byte."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            chunk = 1 << 16
            while chunk:
                try:
                    os.write(fd, b'x' * chunk)
                except OSError as e:
                    self.assertEqual(e.errno, 28, e)       # ENOSPC
                    chunk //= 2
        finally:
            os.close(fd)
        st = os.statvfs(self.mnt)
        self.assertEqual(st.f_bavail, 0)

    def free(self):
        os.unlink(self.filler)

    def set_password(self, new):
        """SetPassword: True when stored, False on a clear error; anything else fails the test."""
        try:
            self.sb.accounts('SetPassword', 'ssb', self.user, new, False)
        except BusError as e:
            self.assertIn(e.name, CLEAR_ERRORS, e)
            self.assertTrue(e.message)
            return False
        self.sb.secrets.add(new)
        self.history.append(self.pw)
        self.pw = new
        return True

    def write_until_refused(self):
        """SetPassword on the full disk until one is refused; returns how many went through."""
        for i in range(MAX_WRITES):
            if not self.set_password(strong_password()):
                return i
        self.fail(f'{MAX_WRITES} writes went through on a full filesystem')

    def assertLoginOrStoreFailure(self, password):
        """On a full disk the right password logs in or meets StoreFailure, never a refusal."""
        kind, prompt = self.sb.login(self.user, password)
        if kind == 'failed':
            self.assertEqual(prompt['Error'], N.PG_ERROR_STORE, prompt)
        else:
            self.assertEqual(kind, 'done', prompt)
        return kind

    def assertStoreIntact(self):
        self.assertEqual(self.sb.login(self.user, self.pw)[0], 'done')
        for old in self.history[-3:]:
            self.assertEqual(self.sb.login(self.user, old)[1]['Error'], N.PG_ERROR_AUTHENTICATION_FAILED)
        self.sb.stop_daemon(check=True)
        for argv in (['mdb_stat', '-a', '-e', self.mnt], ['mdb_dump', '-a', self.mnt]):
            p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, f'{" ".join(argv)}: {p.stderr}')
        self.sb.start_daemon()

    # ------------------------------------------------------------ tests

    def test_fresh_store_refuses_at_once_and_recovers_without_restart(self):
        pid = self.sb.daemon_proc.pid
        self.fill()
        # A fresh store has hardly any freed pages: the first write or one of the next few must
        # grow data.mdb, and fails.
        self.write_until_refused()
        self.assertLoginOrStoreFailure(self.pw)
        try:
            self.sb.create_account(self.other, None, FullName='Анна Петрова')
            created = True
        except BusError as e:
            self.assertIn(e.name, CLEAR_ERRORS, e)
            created = False
        new = strong_password()
        steps = self.sb.converse('change-password', self.user, [self.pw, new, new])
        kind, prompt = steps[-1]
        if kind == 'done':
            self.history.append(self.pw)
            self.pw = new
        else:
            self.assertEqual((kind, prompt.get('Error')), ('failed', N.PG_ERROR_STORE), steps)
        self.assertIsNone(self.sb.daemon_proc.poll(), 'passgated died on the full disk')

        self.free()
        self.assertEqual(self.sb.daemon_proc.pid, pid)
        self.assertEqual(self.sb.login(self.user, self.pw)[0], 'done', 'nothing stored is lost')
        self.assertTrue(self.set_password(strong_password()), 'writes work again, no restart')
        if not created:
            self.assertBusError(N.PG_ERROR_NO_SUCH_ACCOUNT, self.sb.accounts, 'GetAccount', 's', self.other)
        else:
            self.sb.accounts('DeleteAccount', 's', self.other)
        self.sb.create_account(self.other, strong_password(), FullName='Анна Петрова')
        self.assertEqual(self.sb.daemon_proc.pid, pid)
        self.assertStoreIntact()

    def test_used_store_writes_until_its_freed_pages_run_out(self):
        pid = self.sb.daemon_proc.pid
        for _ in range(40):         # freed pages to reuse
            self.assertTrue(self.set_password(strong_password()))
        self.fill()
        went = self.write_until_refused()
        sys.stderr.write(f'{went} writes went through on the full filesystem, into freed pages\n')
        stored = self.pw
        for _ in range(5):          # and it stays refused, quickly
            self.assertFalse(self.set_password(strong_password()))
        self.assertEqual(self.pw, stored)
        self.assertLoginOrStoreFailure(self.pw)
        self.assertIsNone(self.sb.daemon_proc.poll(), 'passgated died on the full disk')
        self.free()
        self.assertEqual(self.sb.daemon_proc.pid, pid)
        self.assertEqual(self.sb.login(self.user, self.pw)[0], 'done')
        for _ in range(20):
            self.assertTrue(self.set_password(strong_password()))
        self.assertStoreIntact()

    def test_restart_on_a_full_disk(self):
        self.fill()
        self.assertFalse(self.set_password(strong_password()))
        self.sb.kill_daemon()
        self.sb.start_daemon()              # opens the store, clears readers, checks the schema
        self.assertLoginOrStoreFailure(self.pw)
        self.sb.stop_daemon(check=True)     # and stops cleanly on it
        self.sb.start_daemon()
        self.free()
        self.assertTrue(self.set_password(strong_password()))
        self.assertStoreIntact()

    def test_log_tells_only_what_was_stored(self):
        """A write refused for lack of space logs no "password-changed": audit events reach the
        journal (or stderr) only once their transaction committed."""
        self.fill()
        mark = len(self.sb.daemon_log())
        refused = sum(not self.set_password(strong_password()) for _ in range(3))
        self.assertEqual(refused, 3)
        logged = re.findall(rf'audit: password-changed user={self.user}\b', self.sb.daemon_log()[mark:])
        self.assertEqual(logged, [], 'the log claims password changes that were refused')


if __name__ == '__main__':
    if is_root() and not in_private_mount_namespace():
        sys.stderr.write('warning: no private mount namespace; mounting in the current one\n')
    harness.main()
