#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""passgate's benchmarks (issue 6): ./tools/bench runs them on a release build; meson runs the smoke
form (suite bench), which checks only that every figure is produced, never a timing.

A private bus and passgated come from the test harness (tests/harness). The daemon runs on a store
of many synthetic accounts (bench-scale), so every login below is a login at that scale. Then, in
rounds, side by side:

  INTERACTIVE cost: a login through pam_passgate.so vs a bare crypto_pwhash_str_verify; logins per
  second with 2 and 8 clients vs bare verifies on all cores; GetPasswordPolicy latency while 8
  clients keep every hash worker busy; pam_unix with hashes tuned to take as long (root).
  MIN cost: the same login vs a PAM module that only opens the bus, makes one call and closes it;
  pam_unix with the system's default yescrypt and sha512 hashes (root).
  Then the Step of a recovery that answers the document number (known and unknown phones) and
  BookAppointment, each vs a bare call made the same way (python-dbus).

Usage: bench.py [--smoke | --long] [--accounts N] [--rounds R] [--json PATH]
"""
import argparse
import contextlib
import functools
import json
import math
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get('PASSGATE_SOURCE_ROOT') or os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE_ROOT, 'tests'))

import figures  # noqa: E402
from figures import Figure, median, pct, spread  # noqa: E402
from harness import N, Sandbox, current_user, is_root, strong_password  # noqa: E402

SKIP = 77

# slow: logins at INTERACTIVE cost per round; fast: logins at MIN cost (and pam_unix) per round;
# tp2/tp8: logins per client in the throughput runs; calls: GetPasswordPolicy samples per round;
# starts: recovery starts per kind (known, unknown), bookings and bare calls per round. Every start
# and booking counts against the caller's hourly budgets (at most 1,000 each): rounds × starts × 2
# must stay under it.
FORMS = {
    'smoke': dict(accounts=300, lookups=50, writes=5, rounds=1, slow=2, fast=5, verify_all=2, tp2=1,
                  tp8=1, calls=40, interval_us=1000, starts=5),
    'default': dict(accounts=100_000, lookups=2000, writes=100, rounds=5, slow=10, fast=50,
                    verify_all=8, tp2=8, tp8=4, calls=1000, interval_us=2000, starts=60),
    'long': dict(accounts=1_000_000, lookups=5000, writes=200, rounds=7, slow=15, fast=100,
                 verify_all=12, tp2=12, tp8=6, calls=2000, interval_us=2000, starts=60),
}

PEER_DEFAULT_YESCRYPT_COST = 5      # libxcrypt's and shadow's default when login.defs sets none
PEER_DEFAULT_SHA512_ROUNDS = 5000


class BenchError(Exception):
    pass


def ms(us_values):
    return [v / 1000 for v in us_values]


class Bench:
    def __init__(self, sb, build_root, form):
        self.sb = sb
        self.build_root = build_root
        self.f = form
        self.cores = os.sysconf('SC_NPROCESSORS_ONLN')
        self.confdir = os.path.join(sb.tmp, 'pam-bench')

    # ------------------------------------------------------------ programs

    def bin(self, name):
        path = os.path.join(self.build_root, 'bench', name)
        self.sb.require_file(path, name)
        return path

    def env(self, pam=False):
        e = self.sb.base_env()
        pre = self.sb.sanitizer_preload()
        if pre and pam:
            # ASan looks up the real crypt_r for its interceptor at start-up; pam_unix only brings
            # libcrypt in later, with dlopen, and the interceptor would call a null pointer.
            e['LD_PRELOAD'] = ':'.join(pre + ['libcrypt.so.1'])
        return e

    # No preexec_fn (it is unsafe while anon_peak's thread runs): bench-pam stops by itself when
    # this process dies, the other programs end on their own.
    def run_json(self, argv, stdin='', pam=False, timeout=3600):
        p = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=self.env(pam),
                           timeout=timeout, cwd=self.sb.tmp)
        if p.returncode != 0:
            raise BenchError(f'{" ".join(argv)} failed ({p.returncode}):\n{p.stderr}')
        try:
            return json.loads(p.stdout)
        except ValueError:
            raise BenchError(f'{" ".join(argv)}: not JSON:\n{p.stdout[:2000]}\n{p.stderr}') from None

    def make_hash(self, cost, password):
        return self.run_json([self.bin('bench-verify'), '--make', cost], f'{password}\n')

    def verify(self, password, hash_, threads=1, iterations=10):
        return self.run_json([self.bin('bench-verify'), '--threads', str(threads),
                              '--iterations', str(iterations)], f'{password}\n{hash_}\n')

    def pam_argv(self, service, user, clients, iterations=1, load=False):
        argv = [self.bin('bench-pam'), '--confdir', self.confdir, '--service', service, '--user', user,
                '--clients', str(clients), '--iterations', str(iterations)]
        return argv + (['--load'] if load else [])

    def pam(self, service, user, password, clients=1, iterations=10):
        return self.run_json(self.pam_argv(service, user, clients, iterations), f'{password}\n',
                             pam=True)

    @contextlib.contextmanager
    def load(self, service, user, password, clients, result):
        """Clients logging in without pause while the body runs; their figures land in result."""
        p = subprocess.Popen(self.pam_argv(service, user, clients, load=True), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=self.env(pam=True), cwd=self.sb.tmp)
        try:
            p.stdin.write(f'{password}\n')
            p.stdin.close()
            p.stdin = None          # communicate() below must not flush it again
            if p.stdout.readline().strip() != 'ready':
                raise BenchError(f'bench-pam --load did not start:\n{p.stderr.read()}')
            yield
        finally:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=600)
        if p.returncode != 0:
            raise BenchError(f'bench-pam --load failed ({p.returncode}):\n{err}')
        result.update(json.loads(out))

    def call(self, iface, member, count, interval_us=0, dest=None, path=None):
        where = ['--dest', dest, '--path', path] if dest else []
        return self.run_json([self.bin('bench-call')] + where + ['--iface', iface, '--member', member,
                              '--count', str(count), '--interval-us', str(interval_us)])['latencies_us']

    # ------------------------------------------------------------ the daemon, from /proc

    @property
    def pid(self):
        return self.sb.daemon_proc.pid

    def status_kib(self):
        out = {}
        with open(f'/proc/{self.pid}/status', encoding='ascii') as f:
            for line in f:
                k, _, v = line.partition(':')
                if k in ('VmRSS', 'VmHWM', 'RssAnon', 'RssFile', 'RssShmem', 'Threads'):
                    out[k] = int(v.split()[0])
        return out

    def store_rss_kib(self):
        """Resident pages of the LMDB mappings (data.mdb, lock.mdb) in the daemon."""
        total, current = 0, False
        with open(f'/proc/{self.pid}/smaps', encoding='utf-8', errors='replace') as f:
            for line in f:
                head = line.split()
                if re.match(r'^[0-9a-f]+-[0-9a-f]+$', head[0] if head else ''):
                    current = len(head) >= 6 and head[-1].endswith(('/data.mdb', '/lock.mdb'))
                elif current and head[0] == 'Rss:':
                    total += int(head[1])
        return total

    def memory(self):
        s = self.status_kib()
        store = self.store_rss_kib()
        return {'rss_mib': s['VmRSS'] / 1024, 'hwm_mib': s['VmHWM'] / 1024, 'store_rss_mib': store / 1024,
                'beyond_store_mib': (s['VmRSS'] - store) / 1024, 'anon_mib': s.get('RssAnon', 0) / 1024,
                'threads': s.get('Threads')}

    @contextlib.contextmanager
    def anon_peak(self, result):
        """The daemon's largest anonymous RSS while the body runs, sampled every 5 ms. Argon2id's
        memory is anonymous and each hash holds it for tens of milliseconds, so sampling sees it;
        the store's pages are file-backed and stay out of it, unlike in VmHWM."""
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                try:
                    result['anon_kib'] = max(result.get('anon_kib', 0), self.status_kib()['RssAnon'])
                except (OSError, KeyError):
                    return
                stop.wait(0.005)    # the sampling interval
        t = threading.Thread(target=sample, daemon=True)
        t.start()
        try:
            yield
        finally:
            stop.set()
            t.join()

    def cpu_seconds(self):
        with open(f'/proc/{self.pid}/stat', encoding='ascii') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')

    def has_method(self, iface, member):
        xml = self.sb.call('org.freedesktop.DBus.Introspectable', 'Introspect')
        m = re.search(rf'<interface name="{re.escape(iface)}">(.*?)</interface>', xml, re.S)
        return bool(m and re.search(rf'<method name="{re.escape(member)}"', m.group(1)))

    # ------------------------------------------------------------ setup

    def write_services(self):
        os.makedirs(self.confdir, exist_ok=True)
        services = {
            'passgate': f'auth required {self.sb.module_path}\n',
            'ping': f'auth required {self.bin("pam_bench_ping.so")}\n',
            'unix': 'auth required pam_unix.so\n',
            'other': 'auth required pam_deny.so\n',
        }
        for name, text in services.items():
            with open(os.path.join(self.confdir, name), 'w', encoding='ascii') as f:
                f.write(text)

    def scale(self, state_dir):
        conf = os.path.join(self.sb.tmp, 'bench-scale.conf')
        with open(conf, 'w', encoding='utf-8') as f:
            f.write(self.sb.config())
        os.mkdir(state_dir, 0o700)
        return self.run_json([self.bin('bench-scale'), '--config', conf, '--dir', state_dir,
                              '--accounts', str(self.f['accounts']), '--lookups', str(self.f['lookups']),
                              '--writes', str(self.f['writes'])], timeout=None)


# ---------------------------------------------------------------- unix users for pam_unix

def _locked_retry(argv, stdin):
    """chpasswd fails when a parallel test holds /etc/shadow's lock: try again."""
    for _ in range(100):
        p = subprocess.run(argv, input=stdin, capture_output=True, text=True)
        if p.returncode == 0:
            return
        if 'lock' not in p.stderr:
            break
        time.sleep(0.1)     # waiting for another process's lock, not for readiness
    raise BenchError(f'{" ".join(argv)} failed ({p.returncode}): {p.stderr}')


def set_unix_password(user, password, method, cost=None):
    argv = ['chpasswd', '-c', method] + (['-s', str(cost)] if cost is not None else [])
    _locked_retry(argv, f'{user}:{password}\n')
    with open('/etc/shadow', encoding='utf-8') as f:
        for line in f:
            fields = line.split(':')
            if fields[0] == user:
                return fields[1]
    raise BenchError(f'{user} is not in /etc/shadow')


def hash_params(h):
    """What a crypt(3) or Argon2id string says of its cost, for the report."""
    if h.startswith('$argon2'):
        return h.split('$')[3]
    if h.startswith('$y$'):
        # libxcrypt writes cost c as "j", crypt's base-64 digit for c + 6, "T" (j9T: its default, 5).
        params = h.split('$')[2]
        digits = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
        if len(params) == 3 and params[0] == 'j' and params[2] == 'T' and params[1] in digits:
            return f'yescrypt cost {digits.index(params[1]) - 6}'
        return f'yescrypt {params}'
    if h.startswith('$6$'):
        m = re.match(r'^\$6\$rounds=(\d+)\$', h)
        return f'sha512 rounds={m.group(1) if m else PEER_DEFAULT_SHA512_ROUNDS}'
    return h[:3]


# ---------------------------------------------------------------- machine

def _read(path):
    try:
        with open(path, encoding='utf-8') as f:
            return f.read()
    except OSError:
        return ''


def _dpkg_version(pkg):
    p = subprocess.run(['dpkg-query', '-W', '-f', '${Version}', pkg], capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else None


def revision():
    """The source the figures belong to: a commit, and whether the tree differed from it."""
    def git(*args):
        p = subprocess.run(['git', '-C', SOURCE_ROOT] + list(args), capture_output=True, text=True)
        return p.stdout.strip() if p.returncode == 0 else None
    commit = git('rev-parse', '--short', 'HEAD')
    if not commit:
        return None
    return commit + (' + local changes' if git('status', '--porcelain', '--untracked-files=no') else '')


def machine(build_root, state_dir):
    cpu = re.search(r'^model name\s*:\s*(.*)$', _read('/proc/cpuinfo'), re.M)
    mem = re.search(r'^MemTotal:\s*(\d+)', _read('/proc/meminfo'), re.M)
    fs = subprocess.run(['df', '--output=fstype', state_dir], capture_output=True, text=True)
    build = 'unknown build'
    try:
        with open(os.path.join(build_root, 'meson-info', 'intro-buildoptions.json'), encoding='utf-8') as f:
            opts = {o['name']: o['value'] for o in json.load(f)}
        build = (f'buildtype={opts.get("buildtype")} -O{opts.get("optimization")} '
                 f'debug={str(opts.get("debug")).lower()} sanitize={opts.get("b_sanitize")}')
    except (OSError, ValueError, KeyError):
        pass
    virt = subprocess.run(['systemd-detect-virt'], capture_output=True, text=True)
    return {
        'cpu': cpu.group(1).strip() if cpu else platform.processor(),
        'cores': os.sysconf('SC_NPROCESSORS_ONLN'),
        'memory_gib': int(mem.group(1)) / 1024 / 1024 if mem else 0,
        'kernel': platform.release(),
        'virtualization': virt.stdout.strip() or None,
        'debian': _read('/etc/debian_version').strip(),
        'state_filesystem': fs.stdout.split()[-1] if fs.returncode == 0 else None,
        'build': build,
        'source': revision(),
        'packages': {p: _dpkg_version(p) for p in ('libsodium23', 'liblmdb0', 'libsystemd0', 'dbus',
                                                   'libpam0g', 'libcrypt1')},
    }


# ---------------------------------------------------------------- the runs

def interleaved(sides, n, chunk):
    """Samples of several measurements taken in turns, `chunk` at a time, until each has n: every
    side sees the same machine, so that other work on it or a drifting clock moves all sides
    alike and the ratios stay side by side. sides: {name: fn(k) -> {'latencies_us', …}}.
    Returns {name: {'latencies_us': [...], 'cycles_us': [...]}} (cycles where the side has them)."""
    out = {name: {} for name in sides}
    for done in range(0, n, chunk):
        k = min(chunk, n - done)
        for name, fn in sides.items():
            for key, v in fn(k).items():
                if isinstance(v, list):
                    out[name].setdefault(key, []).extend(v)
    return out


def med_ms(samples, key='latencies_us'):
    return median(ms(samples[key]))


def peer_sides(b, peer, keys):
    """pam_unix logins and bare crypt checks for the peer users named in keys."""
    sides = {}
    for name, key in keys:
        who = peer[key]
        sides[f'unix_{name}'] = functools.partial(b.pam, 'unix', who['user'], who['password'], 1)
        sides[f'bare_{name}'] = functools.partial(b.verify, who['password'], who['hash'], 1)
    return sides


def interactive_rounds(b, account, password, peer):
    """Overhead, throughput, responsiveness and the equal-time peer at INTERACTIVE cost."""
    f = b.f
    made = b.make_hash('interactive', password)
    h = made['hash']
    list_centers = b.has_method(N.PG_IFACE_SERVICECENTERS, 'ListCenters')
    r = {k: [] for k in ('login', 'bare', 'tp2', 'tp8', 'bare_rate2', 'bare_rate8', 'tp2_outside',
                         'policy_p50', 'policy_p99', 'idle_p50', 'idle_p99', 'busy_cores',
                         'load_logins', 'ping_p99', 'bus_p99', 'centers_p50', 'centers_p99',
                         'unix_yes', 'unix_sha', 'bare_yes', 'bare_sha')}

    def bare_rate():
        v = b.verify(password, h, b.cores, f['verify_all'])
        return len(v['latencies_us']) / v['seconds']

    sides = {'bare': lambda k: b.verify(password, h, 1, k),
             'login': lambda k: b.pam('passgate', account, password, 1, k)}
    if peer:
        sides.update(peer_sides(b, peer, (('yes', 'yes_tuned'), ('sha', 'sha_tuned'))))
    for _ in range(f['rounds']):
        got = interleaved(sides, f['slow'], 1)
        for name in sides:
            r[name].append(med_ms(got[name]))

        # Throughput runs last a second or more: the reference is taken before and after each
        # (A-B-A) and averaged.
        rates = [bare_rate()]
        for clients, key in ((2, 'tp2'), (8, 'tp8')):
            t = b.pam('passgate', account, password, clients, f[key])
            rates.append(bare_rate())
            r[key].append(t['logins'] / t['seconds'])
            r[f'bare_rate{clients}'].append((rates[-2] + rates[-1]) / 2)
            if clients == 2:
                # What each client spends per login outside pam_authenticate (pam_start, pam_end):
                # time in which, with as many clients as workers, a worker has nothing to hash.
                r['tp2_outside'].append(median(ms([c - a for c, a in zip(t['cycles_us'],
                                                                          t['latencies_us'])])))

        idle = b.call(N.PG_IFACE_MANAGER, 'GetPasswordPolicy', f['calls'], f['interval_us'])
        r['idle_p50'].append(pct(ms(idle), 50))
        r['idle_p99'].append(pct(ms(idle), 99))
        load = {}
        with b.load('passgate', account, password, 8, load):
            cpu0, t0 = b.cpu_seconds(), time.monotonic()
            busy = b.call(N.PG_IFACE_MANAGER, 'GetPasswordPolicy', f['calls'], f['interval_us'])
            if list_centers:
                centers = b.call(N.PG_IFACE_SERVICECENTERS, 'ListCenters', f['calls'], f['interval_us'])
            r['busy_cores'].append((b.cpu_seconds() - cpu0) / (time.monotonic() - t0))
            # The same load, two calls that run no passgate code: Peer.Ping is answered by sd-bus
            # on passgated's bus thread, GetId by the bus alone. They tell the bus and the
            # scheduler's share from the bus thread's.
            half = max(1, f['calls'] // 2)
            ping = b.call('org.freedesktop.DBus.Peer', 'Ping', half, f['interval_us'])
            bus = b.call('org.freedesktop.DBus', 'GetId', half, f['interval_us'],
                         dest='org.freedesktop.DBus', path='/org/freedesktop/DBus')
        r['ping_p99'].append(pct(ms(ping), 99))
        r['bus_p99'].append(pct(ms(bus), 99))
        r['load_logins'].append(load['logins'])
        r['policy_p50'].append(pct(ms(busy), 50))
        r['policy_p99'].append(pct(ms(busy), 99))
        if list_centers:
            r['centers_p50'].append(pct(ms(centers), 50))
            r['centers_p99'].append(pct(ms(centers), 99))
    r['memlimit'] = made['memlimit']
    r['hash'] = hash_params(h)
    r['list_centers'] = list_centers
    return r


def min_rounds(b, account, password, peer):
    """The fixed cost at MIN cost, and pam_unix with the system's default hashes."""
    f = b.f
    h = b.make_hash('min', password)['hash']
    r = {k: [] for k in ('login', 'ping', 'login_cycle', 'ping_cycle', 'bare', 'roundtrip', 'unix_yes',
                         'unix_sha', 'bare_yes', 'bare_sha')}
    sides = {'ping': lambda k: b.pam('ping', account, password, 1, k),
             'login': lambda k: b.pam('passgate', account, password, 1, k),
             'bare': lambda k: b.verify(password, h, 1, k),
             'roundtrip': lambda k: {'latencies_us': b.call('org.freedesktop.DBus.Peer', 'Ping', k)}}
    if peer:
        sides.update(peer_sides(b, peer, (('yes', 'yes'), ('sha', 'sha'))))
    for _ in range(f['rounds']):
        # Ten at a time: these take a millisecond or so, starting a program takes longer.
        got = interleaved(sides, f['fast'], 10)
        for name in sides:
            r[name].append(med_ms(got[name]))
        for name in ('ping', 'login'):
            # A login process (sshd's child) also loads the stack: pam_start to pam_end.
            r[f'{name}_cycle'].append(med_ms(got[name], 'cycles_us'))
    r['hash'] = hash_params(h)
    return r


# ---------------------------------------------------------------- recovery start and booking

def synthetic(field, i):
    """bench-identity.c's people, as typed: the accounts bench-scale enrolled."""
    if field == 'phone':
        return f'8 9{i // 10000000:02d} {i // 10000 % 1000:03d}-{i // 100 % 100:02d}-{i % 100:02d}'
    if field == 'passport':
        return f'45 {i // 1000000:02d} {i % 1000000:06d}'
    if field == 'unknown_phone':
        return f'+7 495 {i // 10000 % 1000:03d}-{i // 100 % 100:02d}-{i % 100:02d}'
    raise ValueError(field)


RECOVERY_CLIENT = {'Service': 'passgate-bench', 'Renderer': 'app'}
BENCH_CENTER = ('bench-center', 'Центр госуслуг (бенчмарк)', 'Москва, ул. Тверская, д. 1', 'Mo-Fr 9-18',
                '+7 495 123-45-67')


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1e6, out


def recovery_start(b, contact, number):
    """A recovery up to its document step; only that Step (the one answering the number) is timed.
    Known or not, the answer is the code prompt."""
    sb = b.sb
    path = sb.manager('BeginConversation', 'ssa{sv}', 'recovery', contact, RECOVERY_CLIENT)
    sb.step(path)
    sb.step(path, 'passport')
    us, (_kind, prompt) = timed(lambda: sb.step(path, number))
    if prompt.get('Id') != 'code':
        raise BenchError(f'recovery: the document step answered {prompt!r}, not the code prompt')
    sb.call(N.PG_IFACE_CONVERSATION, 'Cancel', path=path)
    return us


def code_messages(sb):
    return sum(1 for m in sb.spool_messages() if re.search(r'\b\d{6}\b', m['body']))


def start_and_book_rounds(b):
    """Recovery starts (a known phone with its passport: a code is issued and handed to delivery;
    an unknown phone) and BookAppointment, each over the same client path as a bare call
    (Peer.Ping, python-dbus's blocking call), taken in turns. Every known start uses another
    synthetic account, every unknown start and booking another phone: no per-account,
    per-identifier or per-contact limit is reached; the bench's config raises the hourly ones."""
    f, sb = b.f, b.sb
    n, rounds = f['starts'], f['rounds']
    first = f['accounts'] // 2
    if first + n * rounds > f['accounts']:
        raise BenchError('too few accounts for the recovery starts')
    sc = functools.partial(sb.call, N.PG_IFACE_SERVICECENTERS)
    sc('AddCenter', 'sssss', *BENCH_CENTER)
    slot = ((int(time.time()) // 60 + 2 * 24 * 60) * 60) * 1_000_000     # two days ahead, µs
    sc('SetSchedule', 'sa(tu)', BENCH_CENTER[0], [[slot, 1000]])
    codes_before = code_messages(sb)
    r = {k: [] for k in ('known', 'unknown', 'book', 'bare')}
    samples = {k: [] for k in r}
    k = 0
    for _ in range(rounds):
        got = {key: [] for key in r}
        for _ in range(n):
            i = first + k
            got['known'].append(recovery_start(b, synthetic('phone', i), synthetic('passport', i)))
            got['unknown'].append(recovery_start(b, synthetic('unknown_phone', i), synthetic('passport', i)))
            got['book'].append(timed(lambda: sc('BookAppointment', 'stss', BENCH_CENTER[0], slot,
                                                f'Тестова Алёна Сергеевна {i}',
                                                synthetic('unknown_phone', i)))[0])
            got['bare'].append(timed(lambda: sb.call('org.freedesktop.DBus.Peer', 'Ping'))[0])
            k += 1
        for key in r:
            r[key].append(median(ms(got[key])))
            samples[key].extend(got[key])
    # The known starts really issued their codes (delivery is asynchronous: wait a little).
    deadline = time.monotonic() + 10
    while code_messages(sb) - codes_before < n * rounds and time.monotonic() < deadline:
        time.sleep(0.05)
    r['codes_sent'] = code_messages(sb) - codes_before
    if r['codes_sent'] < n * rounds:
        raise BenchError(f'recovery: {n * rounds} known starts, {r["codes_sent"]} codes delivered')
    r['p99'] = {key: pct(ms(v), 99) for key, v in samples.items()}
    r['tries_per_round'] = n
    return r


def setup_peer(b, users, pg_password):
    """Four local users for pam_unix: the system's default yescrypt and sha512 hashes, and both
    tuned to take as long as passgate's INTERACTIVE Argon2id (bare, measured here)."""
    peer = {}
    for key, user, method in (('yes', users[0], 'YESCRYPT'), ('sha', users[1], 'SHA512')):
        pw = strong_password()
        peer[key] = {'user': user, 'password': pw, 'hash': set_unix_password(user, pw, method)}
    t_int = median(b.verify(pg_password, b.make_hash('interactive', pg_password)['hash'], 1,
                            3)['latencies_us'])
    t_yes = median(b.verify(peer['yes']['password'], peer['yes']['hash'], 1, 5)['latencies_us'])
    t_sha = median(b.verify(peer['sha']['password'], peer['sha']['hash'], 1, 5)['latencies_us'])
    # yescrypt's cost doubles its time per step; sha512's time is linear in its rounds.
    cost = min(11, max(1, PEER_DEFAULT_YESCRYPT_COST + round(math.log2(t_int / t_yes))))
    rounds = min(999_999_999, max(1000, round(PEER_DEFAULT_SHA512_ROUNDS * t_int / t_sha)))
    for key, user, method, c in (('yes_tuned', users[2], 'YESCRYPT', cost),
                                 ('sha_tuned', users[3], 'SHA512', rounds)):
        pw = strong_password()
        peer[key] = {'user': user, 'password': pw, 'hash': set_unix_password(user, pw, method, c)}
    return peer


# ---------------------------------------------------------------- figures

def ratio(a, b):
    return [x / y for x, y in zip(a, b)]


def build_figures(A, B, C, scale, mem, peer_reason):
    figs = []
    workers = os.sysconf('SC_NPROCESSORS_ONLN')

    figs.append(Figure('login_overhead', '1 login / bare verify (INTERACTIVE)', '×',
                       ratio(A['login'], A['bare']), '≤ 1.05', lambda v: v <= 1.05,
                       {'login_ms': spread(A['login']), 'bare_verify_ms': spread(A['bare']),
                        'hash': A['hash']}))
    figs.append(Figure('login_interactive_ms', '  login latency (INTERACTIVE)', 'ms', A['login']))
    figs.append(Figure('bare_interactive_ms', '  bare verify (INTERACTIVE)', 'ms', A['bare']))

    figs.append(Figure('fixed_cost', '2 login (MIN) / bus-ping module', '×', ratio(B['login'], B['ping']),
                       '≤ 1.5', lambda v: v <= 1.5,
                       {'login_ms': spread(B['login']), 'ping_module_ms': spread(B['ping']),
                        'bare_verify_ms': spread(B['bare']), 'hash': B['hash'],
                        'ratio_pam_start_to_end': spread(ratio(B['login_cycle'], B['ping_cycle'])),
                        'login_pam_start_to_end_ms': spread(B['login_cycle']),
                        'ping_pam_start_to_end_ms': spread(B['ping_cycle'])}))
    figs.append(Figure('login_min_ms', '  login latency (MIN)', 'ms', B['login']))
    figs.append(Figure('ping_module_ms', '  bus-ping module', 'ms', B['ping']))
    figs.append(Figure('bus_roundtrip_ms', '  bus round trip (Peer.Ping)', 'ms', B['roundtrip']))
    writes = ms(scale['write_us'])
    figs.append(Figure('store_write_ms', '  store write + fsync, p50', 'ms', [pct(writes, 50)],
                       detail={'p99_ms': pct(writes, 99), 'samples': len(writes)}))

    for clients, key in ((2, 'tp2'), (8, 'tp8')):
        rate = A[f'bare_rate{clients}']
        detail = {'logins_per_s': spread(A[key]), 'bare_verifies_per_s': spread(rate)}
        if clients == 2:
            detail['client_ms_outside_authenticate'] = spread(A['tp2_outside'])
        figs.append(Figure(f'throughput_{clients}', f'3 logins/s, {clients} clients / bare, {workers} cores',
                           '×', ratio(A[key], rate), '≥ 0.9', lambda v: v >= 0.9, detail))

    detail = {'idle_p50_ms': spread(A['idle_p50']), 'idle_p99_ms': spread(A['idle_p99']),
              'daemon_cpu_cores_busy': spread(A['busy_cores']),
              'logins_during_window': spread(A['load_logins']), 'load_clients': 8,
              'peer_ping_p99_ms': spread(A['ping_p99']), 'bus_getid_p99_ms': spread(A['bus_p99'])}
    figs.append(Figure('policy_p50', '4 GetPasswordPolicy p50, workers saturated', 'ms', A['policy_p50'],
                       detail=detail))
    figs.append(Figure('policy_p99', '4 GetPasswordPolicy p99, workers saturated', 'ms', A['policy_p99'],
                       '≤ 5 ms', lambda v: v <= 5))
    why = None if A['list_centers'] else 'ListCenters is not implemented yet'
    figs.append(Figure('centers_p50', '4 ListCenters p50, workers saturated', 'ms', A['centers_p50'],
                       unavailable=why, optional=True))
    figs.append(Figure('centers_p99', '4 ListCenters p99, workers saturated', 'ms', A['centers_p99'],
                       '≤ 5 ms', lambda v: v <= 5, unavailable=why, optional=True))

    n = scale['accounts']

    def us(ns_values):
        return [v / 1000 for v in ns_values]

    def found(lookups):
        """Every lookup of an identifier that exists, whatever its kind."""
        return [x for kind, v in lookups.items() if kind != 'unknown' for x in us(v)]

    last = scale['checkpoints'][-1]['lookup_ns']
    per_kind = {k: {'p50_us': pct(us(v), 50), 'p99_us': pct(us(v), 99)} for k, v in last.items()}
    by_size = {c['accounts']: {'p50_us': pct(found(c['lookup_ns']), 50),
                               'p99_us': pct(found(c['lookup_ns']), 99)}
               for c in scale['checkpoints']}
    figs.append(Figure('enrol_seconds', f'5 enrol {n:,} accounts', 's', [scale['enrol_seconds']],
                       detail={'accounts_per_s': n / scale['enrol_seconds'], 'batch': scale['batch']}))
    figs.append(Figure('lookup_p50_us', '5 identifier lookup p50', 'µs', [pct(found(last), 50)],
                       detail={'per_kind': per_kind, 'by_store_size': by_size}))
    figs.append(Figure('lookup_p99_us', '5 identifier lookup p99', 'µs', [pct(found(last), 99)]))
    figs.append(Figure('bytes_per_account', '5 store bytes per account', 'B', [scale['used_bytes'] / n],
                       '≤ 1024 B', lambda v: v <= 1024,
                       {'used_bytes': scale['used_bytes'], 'file_bytes': scale['file_bytes'],
                        'live_bytes_per_account': sum(d['bytes'] for d in scale['db_bytes'].values()) / n,
                        'record_bytes': scale['record_bytes'], 'databases': scale['db_bytes'],
                        'history_hashes': scale['history']}))
    # Idle after the load counts too: what the hash threads leave behind (arenas, stacks) stays.
    idle = max(mem['idle_start'], mem['idle_after'], key=lambda m: m['rss_mib'])
    figs.append(Figure('rss_idle_mib', '5 daemon RSS idle, beyond store pages', 'MiB',
                       [idle['beyond_store_mib']], '≤ 16 MiB', lambda v: v <= 16,
                       {'at_start': mem['idle_start'], 'after_load': mem['idle_after']}))
    # Argon2id memory is anonymous: compare anonymous RSS, so that store pages faulted in meanwhile
    # do not count as hash memory (VmHWM, which includes them, is in the detail).
    idle_anon = max(mem['idle_start']['anon_mib'], mem['idle_after']['anon_mib'])
    bound = idle_anon + workers * A['memlimit'] / 2**20
    figs.append(Figure('rss_peak_anon_mib', '5 daemon RSS peak (anonymous)', 'MiB', [mem['peak_anon_mib']],
                       f'≤ idle + {workers} × {A["memlimit"] >> 20} MiB = {bound:.1f} MiB',
                       lambda v: v <= bound,
                       {'workers': workers, 'memlimit': A['memlimit'], 'idle_anon_mib': idle_anon,
                        'vm_hwm_mib': mem['idle_after']['hwm_mib'], 'sampled_every_ms': 5}))

    # 6: at MIN cost passgate's hash takes almost nothing; at the default peer's hash time it would
    # take login(MIN) - bare(MIN) + that time. There is no named cost of 14 ms, so this one is derived.
    peer_ids = [
        ('peer_yescrypt', '6 passgate / pam_unix yescrypt (default)', B, 'unix_yes', 'bare_yes', True),
        ('peer_sha512', '6 passgate / pam_unix sha512 (default)', B, 'unix_sha', 'bare_sha', True),
        ('peer_yescrypt_equal', '6 passgate INTERACTIVE / pam_unix yescrypt, equal time', A, 'unix_yes',
         'bare_yes', False),
        ('peer_sha512_equal', '6 passgate INTERACTIVE / pam_unix sha512, equal time', A, 'unix_sha',
         'bare_sha', False),
    ]
    for fid, name, R, key, bare_key, derived in peer_ids:
        if peer_reason:
            figs.append(Figure(fid, name, '×', unavailable=peer_reason))
            continue
        if derived:
            pg = [lg - bm + bp for lg, bm, bp in zip(R['login'], R['bare'], R[bare_key])]
        else:
            pg = R['login']
        figs.append(Figure(fid, name, '×', ratio(pg, R[key]),
                           detail={'passgate_ms': spread(pg), 'pam_unix_ms': spread(R[key]),
                                   'bare_peer_hash_ms': spread(R[bare_key]),
                                   'bare_passgate_hash_ms': spread(R['bare']),
                                   'peer_hash': R.get(f'{key}_hash'),
                                   'passgate_derived': derived}))

    # 7, 8: over a bare call made the same way (python-dbus, same connection, taken in turns), and
    # the recovery start also over one flushed LMDB write (bench-scale's p50, measured once).
    write_ms = pct(writes, 50)
    common = {'bare_call_ms': spread(C['bare']), 'tries_per_round': C['tries_per_round'],
              'p99_ms': C['p99'], 'client': 'python-dbus call_blocking, as the bare call'}
    for key, what in (('known', 'known phone + its passport: a code is sent'),
                      ('unknown', 'unknown phone')):
        figs.append(Figure(f'recovery_{key}_bare', f'7 recovery start, {key} / bare call', '×',
                           ratio(C[key], C['bare']),
                           detail=dict(common, step_ms=spread(C[key]), what=what,
                                       codes_delivered=C['codes_sent'])))
        figs.append(Figure(f'recovery_{key}_write', f'7 recovery start, {key} / store write + fsync',
                           '×', [v / write_ms for v in C[key]], detail={'store_write_p50_ms': write_ms}))
    figs.append(Figure('recovery_known_ms', '  recovery start, known', 'ms', C['known']))
    figs.append(Figure('recovery_unknown_ms', '  recovery start, unknown', 'ms', C['unknown']))
    figs.append(Figure('recovery_known_unknown', '  recovery start, known / unknown', '×',
                       ratio(C['known'], C['unknown'])))
    figs.append(Figure('bare_call_py_ms', '  bare call (Peer.Ping, python-dbus)', 'ms', C['bare']))
    figs.append(Figure('booking_bare', '8 BookAppointment / bare call', '×', ratio(C['book'], C['bare']),
                       detail=dict(common, booking_ms=spread(C['book']))))
    figs.append(Figure('booking_ms', '  BookAppointment', 'ms', C['book']))
    return figs


# ---------------------------------------------------------------- main

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument('--smoke', action='store_true', help='seconds: check that every figure is produced')
    g.add_argument('--long', action='store_true', help='1,000,000 accounts and more rounds')
    ap.add_argument('--accounts', type=int, help='accounts in the store (overrides the form)')
    ap.add_argument('--rounds', type=int, help='rounds of every side-by-side measurement')
    ap.add_argument('--json', default=os.path.join(HERE, 'results.json'), help='where to write the figures')
    return ap.parse_args()


def main():
    args = parse_args()
    form_name = 'smoke' if args.smoke else 'long' if args.long else 'default'
    form = dict(FORMS[form_name])
    if args.accounts:
        form['accounts'] = args.accounts
    if args.rounds:
        form['rounds'] = args.rounds
    build_root = os.environ.get('PASSGATE_BUILD_ROOT')
    if not build_root:
        sys.exit('bench.py: PASSGATE_BUILD_ROOT is not set (run ./tools/bench)')
    if 'DBUS_SYSTEM_BUS_ADDRESS' in os.environ:
        del os.environ['DBUS_SYSTEM_BUS_ADDRESS']   # the sandbox sets its own

    root = is_root()
    peer_reason = None if root else 'needs root (local users, /etc/shadow)'
    sb = Sandbox(daemon=False, polkit=None if root else [N.PG_POLKIT_MANAGE],
                 config={'password': {'hash_cost': 'interactive'},
                         # Recovery starts and bookings by the hundred: hourly limits at their
                         # maximum (the codes go to distinct synthetic accounts anyway).
                         'recovery': {'attempts_per_hour': '20', 'codes_per_hour': '10',
                                      'caller_attempts_per_hour': '1000'},
                         'delivery': {'messages_per_hour': '100000'},
                         'centers': {'bookings_per_hour': '1000'}},
                 build_root=build_root)
    sb.start()
    try:
        b = Bench(sb, build_root, form)
        b.write_services()
        users = sb.make_users(5) if root else [current_user()]
        account = users[0]
        t0 = time.monotonic()
        load_before = os.getloadavg()

        state = os.path.join(sb.tmp, 'state-bench')
        scale = b.scale(state)
        sb.state_dir = state
        sb.start_daemon()
        password = strong_password()
        sb.create_account(account, password=password)
        b.pam('passgate', account, password, 1, 1)         # first login: caches warm
        mem = {'idle_start': b.memory()}
        peer = setup_peer(b, users[1:], password) if root else None
        peak = {}
        with b.anon_peak(peak):
            A = interactive_rounds(b, account, password, peer)
        mem['idle_after'] = b.memory()
        mem['peak_anon_mib'] = peak['anon_kib'] / 1024

        sb.config_extra['password']['hash_cost'] = 'min'
        sb.restart_daemon()
        b.pam('passgate', account, password, 1, 1)         # rehashes to MIN
        B = min_rounds(b, account, password, peer)
        C = start_and_book_rounds(b)
        if peer:
            for R, keys in ((A, ('yes_tuned', 'sha_tuned')), (B, ('yes', 'sha'))):
                R['unix_yes_hash'] = hash_params(peer[keys[0]]['hash'])
                R['unix_sha_hash'] = hash_params(peer[keys[1]]['hash'])
        sb.stop_daemon(check=True)
        elapsed = time.monotonic() - t0
        # Other work on the machine shows up here and in the min–max of every figure.
        host = dict(machine(build_root, state), loadavg_before=load_before, loadavg_after=os.getloadavg())
        report = {
            'machine': host,
            'config': dict(form, form=form_name, seconds=round(elapsed, 1), root=root,
                           hash_workers=b.cores, account_is=('throwaway unix user' if root else
                                                             'the current user')),
            'figures': [f.as_dict() for f in build_figures(A, B, C, scale, mem, peer_reason)],
        }
    except BenchError as e:
        sys.stderr.write(f'bench.py: {e}\n--- passgated log (tail) ---\n{sb._tail(sb.daemon_log_path)}\n')
        sys.exit(1)
    finally:
        sb.close()

    print(figures.table(report))
    figures.write_json(report, args.json)
    print(f'\nfigures written to {args.json} ({report["config"]["seconds"]} s)')
    bad = figures.missing(report)
    if bad:
        if root or any('needs root' not in x for x in bad):
            sys.exit('figures not produced:\n  ' + '\n  '.join(bad))
        print('skipped: ' + '; '.join(bad))
        sys.exit(SKIP)


if __name__ == '__main__':
    main()
