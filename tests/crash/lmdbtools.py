# SPDX-License-Identifier: GPL-2.0-or-later
"""The store seen from outside passgated, for the crash suite: the reader table of lock.mdb
(`mdb_stat -r`, lmdb-utils), readers that are SIGKILLed to leave stale slots, and a process that
holds the environment open (tests/crash/lmdb-reader)."""
import os
import signal
import subprocess


def helper_path(build_root):
    return os.path.join(build_root, 'tests', 'crash', 'lmdb-reader')


def reader_table(state_dir):
    """{pid: txnid} of the reader table. mdb_stat -r exits 1 even when all is well (it returns what
    its print callback returned): the output is what counts."""
    p = subprocess.run(['mdb_stat', '-r', state_dir], capture_output=True, text=True, timeout=60)
    if 'Reader Table Status' not in p.stdout or p.stderr:
        raise AssertionError(f'mdb_stat -r {state_dir}: exit {p.returncode}\n{p.stdout}{p.stderr}')
    table = {}
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) == 3 and f[0].isdigit():
            table[int(f[0])] = f[2]
    return table


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def dead_readers(state_dir):
    """Pids in the reader table whose process is gone."""
    return sorted(pid for pid in reader_table(state_dir) if not alive(pid))


class Reader:
    """lmdb-reader on a store: a read transaction (hold=False) or only the environment held open."""

    def __init__(self, build_root, state_dir, hold=False):
        argv = [helper_path(build_root)] + (['--hold'] if hold else []) + [state_dir]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith('ready '):
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f'{" ".join(argv)}: {line!r} {self.proc.stderr.read()}')
        self.pid = int(line.split()[1])
        self.txnid = int(line.split()[2])

    def kill(self):
        """SIGKILL: whatever it held stays in lock.mdb as it was."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        return False
