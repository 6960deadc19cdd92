# SPDX-License-Identifier: GPL-2.0-or-later
"""A private system bus with the shipped policy, the polkit mock, passgated, and clients.

Follows /work/shared/TESTING.md: a strict bus.conf that <include>s the repo's dbus/org.passgate1.conf,
readiness by NameHasOwner (never a fixed sleep), pam_wrapper preloaded only into the PAM driver,
second uids through runuser. Everything started is stopped on close(), at exit, on SIGTERM/SIGHUP
(raised as SystemExit) and on Ctrl-C (KeyboardInterrupt); children also get PDEATHSIG.
"""
import atexit
import ctypes
import json
import os
import pwd
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import dbus
import dbus.bus

from .dbusval import V, args_to_dbus, encode_json, reply_from_dbus

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = '/usr/bin/python3'
PAM_WRAPPER_LIB = 'libpam_wrapper.so'

# What ASan, LSan and UBSan print when they find something: in the daemon's log (its stderr), or in
# a client's stderr. A report fails the test even when the process's exit status is not checked.
SANITIZER_REPORT = re.compile(r'ERROR: (?:AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)'
                              r'|^\S+:\d+:\d+: runtime error: ', re.M)


def sanitizer_report(text):
    """The sanitizer report in text (from its first line on), or ''."""
    m = SANITIZER_REPORT.search(text or '')
    if not m:
        return ''
    start = text.rfind('\n', 0, m.start()) + 1
    return text[start:start + 12000]


def _source_root():
    return os.environ.get('PASSGATE_SOURCE_ROOT') or os.path.dirname(os.path.dirname(HERE))


def _build_root():
    root = os.environ.get('PASSGATE_BUILD_ROOT')
    if not root:
        raise RuntimeError('PASSGATE_BUILD_ROOT is not set (run through meson test or tools/try)')
    return root


def _parse_bus_names(path):
    """common/bus-names.h -> {'PG_BUS_NAME': 'org.passgate1', ...}: one source of truth for names."""
    names = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            m = re.match(r'#define\s+(PG_\w+)\s+(.*?)\s*(?:/\*.*)?$', line)
            if not m:
                continue
            value = ''
            for tok in re.findall(r'"[^"]*"|\w+', m.group(2)):
                value += tok[1:-1] if tok.startswith('"') else names[tok]
            names[m.group(1)] = value
    return names


class _Names:
    def __init__(self, d):
        self.__dict__.update(d)


N = _Names(_parse_bus_names(os.path.join(_source_root(), 'common', 'bus-names.h')))

BUS_NAME = N.PG_BUS_NAME
OBJECT_PATH = N.PG_OBJECT_PATH
IFACE_MANAGER = N.PG_IFACE_MANAGER
IFACE_ACCOUNTS = N.PG_IFACE_ACCOUNTS
IFACE_CONVERSATION = N.PG_IFACE_CONVERSATION
POLKIT_NAME = 'org.freedesktop.PolicyKit1'
POLKIT_PATH = '/org/freedesktop/PolicyKit1/Authority'
LOGIND_NAME = 'org.freedesktop.login1'
LOGIND_PATH = '/org/freedesktop/login1'
MOCK_IFACE = 'org.freedesktop.DBus.Mock'

# Default policy rules of Debian's /usr/share/dbus-1/system.conf: deny owning and calling by default.
SYSTEM_DEFAULT_POLICY = '''
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Containers1"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"
          send_member="UpdateActivationEnvironment"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Debug.Stats"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.systemd1.Activator"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
'''

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _child_setup():
    # Die with the harness even if it is SIGKILLed (meson's timeout, a crashed runner).
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class BusError(Exception):
    def __init__(self, name, message):
        super().__init__(f'{name}: {message}')
        self.name = name
        self.message = message


class CtlResult:
    def __init__(self, argv, rc, stdout, stderr):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.json = None
        if '--json' in argv and stdout.strip():
            try:
                self.json = json.loads(stdout)
            except ValueError:
                pass

    def __repr__(self):
        return (f'<passgatectl {" ".join(self.argv[1:])!r} rc={self.rc}\n'
                f'stdout: {self.stdout!r}\nstderr: {self.stderr!r}>')


class PamResult:
    """Output of `pam-driver --script`, parsed."""

    KINDS = ('PROMPT_ECHO_OFF', 'PROMPT_ECHO_ON', 'ERROR_MSG', 'TEXT_INFO')

    def __init__(self, argv, answers, rc, stdout, stderr, elapsed):
        self.argv = argv
        self.answers = list(answers)
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed
        self.messages = []          # [(kind, text)] in order
        self.codes = {}             # {'auth': 'PAM_SUCCESS', ...}
        self.user = None
        last = None
        for line in stdout.splitlines():
            kind, sep, text = line.partition(': ')
            if sep and kind in self.KINDS:
                self.messages.append([kind, text])
                last = self.messages[-1]
                continue
            m = re.match(r'^(auth|acct|chauthtok)=(PAM_\w+)$', line)
            if m:
                self.codes[m.group(1)] = m.group(2)
                last = None
                continue
            if line.startswith('user='):
                self.user = line[len('user='):]
                last = None
                continue
            if last is not None:        # continuation of a multi-line message
                last[1] += '\n' + line
        self.messages = [(k, t.rstrip()) for k, t in self.messages]

    @property
    def auth(self):
        return self.codes.get('auth')

    @property
    def acct(self):
        return self.codes.get('acct')

    @property
    def chauthtok(self):
        return self.codes.get('chauthtok')

    def prompts(self):
        return [(k, t.strip()) for k, t in self.messages if k.startswith('PROMPT_')]

    def errors(self):
        return [t for k, t in self.messages if k == 'ERROR_MSG']

    def infos(self):
        return [t for k, t in self.messages if k == 'TEXT_INFO']

    def answered(self):
        """[(prompt kind, prompt text, answer)] for the prompts that got an answer line."""
        return [(k, t, a) for (k, t), a in zip(self.prompts(), self.answers)]

    def __repr__(self):
        return (f'<pam-driver {" ".join(self.argv)!r} rc={self.rc} elapsed={self.elapsed:.2f}s\n'
                f'stdout:\n{self.stdout}\nstderr:\n{self.stderr}>')


_live = []
_handlers_installed = False


def _close_all():
    for sb in list(_live):
        try:
            sb.close()
        except AssertionError as e:
            sys.stderr.write(f'{e}\n')


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)


def _install_handlers():
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_close_all)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, _on_signal)


def is_root():
    return os.geteuid() == 0


def current_user():
    return pwd.getpwuid(os.geteuid()).pw_name


class Sandbox:
    """A private bus (+ optional polkit mock) (+ passgated).

    polkit: None = no polkit on the bus; a list = start the mock allowing those action ids.
    daemon: start passgated on a fresh state directory.
    """

    def __init__(self, polkit=None, daemon=True, config=None, daemon_env=None, build_root=None,
                 source_root=None, verbose=False, daemon_wrapper=None):
        self.source_root = source_root or _source_root()
        self.build_root = build_root or _build_root()
        self.polkit_initial = polkit
        self.want_daemon = daemon
        self.config_extra = config or {}
        self.daemon_env = dict(daemon_env or {})
        # argv that passgated runs under (e.g. valgrind and its options): tools/valgrind.
        self.daemon_wrapper = list(daemon_wrapper or [])
        self.verbose = verbose
        self.tmp = None
        self.bus_proc = None
        self.polkit_proc = None
        self.logind_proc = None
        self.daemon_proc = None
        self.address = None
        self.bus = None
        self.state_dir = None
        self._state_n = 0
        self._log_offset = 0
        self._sanitizer_checked = 0     # the daemon log up to here had no sanitizer report
        self.users = []
        self.secrets = set()        # must never show up in the daemon's log
        self.answers = set()        # typed answers (identifiers): must not show up either
        self._old_address = None
        self._closed = False
        self._recorders = []

    # -------------------------------------------------------------- paths

    @property
    def daemon_bin(self):
        return os.path.join(self.build_root, 'daemon', 'passgated')

    @property
    def ctl_bin(self):
        return os.path.join(self.build_root, 'ctl', 'passgatectl')

    @property
    def module_path(self):
        return os.path.join(self.build_root, 'pam_module', 'pam_passgate.so')

    @property
    def driver_bin(self):
        return os.path.join(self.build_root, 'tests', 'pam', 'pam-driver')

    @property
    def service_dir(self):
        return os.path.join(self.build_root, 'tests', 'services')

    @property
    def policy_file(self):
        return os.path.join(self.source_root, 'dbus', 'org.passgate1.conf')

    @property
    def daemon_log_path(self):
        return os.path.join(self.tmp, 'passgated.log')

    @property
    def clock_file(self):
        return os.path.join(self.tmp, 'clock')

    @property
    def spool_dir(self):
        return os.path.join(self.tmp, 'spool')

    @staticmethod
    def require_file(path, what):
        if not os.path.exists(path):
            raise AssertionError(f'{what} is not built: {path} is missing')

    # -------------------------------------------------------------- lifecycle

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False

    def start(self):
        _install_handlers()
        _live.append(self)
        try:
            self.tmp = tempfile.mkdtemp(prefix='passgate-test-')
            os.chmod(self.tmp, 0o755)   # a second uid must reach the bus socket
            os.mkdir(self.spool_dir, 0o755)
            self.start_bus()
            if self.polkit_initial is not None:
                self.start_polkit(self.polkit_initial)
            if self.want_daemon:
                self.start_daemon(fresh=True)
        except BaseException:
            self.close()
            raise
        return self

    def close(self):
        if self._closed:
            return
        self._closed = True
        problem = None
        if self.daemon_proc is not None:
            already = self.daemon_proc.poll() is not None
            rc = self._stop_proc(self.daemon_proc)
            if rc != 0:
                problem = (f'passgated exited with status {rc}'
                           f'{" before it was stopped" if already else " on SIGTERM"}:\n'
                           f'{self._tail(self.daemon_log_path)}')
        self._stop_proc(self.polkit_proc)
        self._stop_proc(self.logind_proc)
        self.daemon_proc = self.polkit_proc = self.logind_proc = None
        for rec in self._recorders:
            rec.close()
        if self.bus is not None:
            try:
                self.bus.close()
            except Exception:
                pass
            self.bus = None
        self._stop_proc(self.bus_proc)
        self.bus_proc = None
        for user in reversed(self.users):
            _userdel(user)
        self.users = []
        leaks = self.secret_leaks() if self.tmp and os.path.isdir(self.tmp) else []
        report = self.daemon_sanitizer_report() if self.tmp else ''
        if self._old_address is not None:
            os.environ['DBUS_SYSTEM_BUS_ADDRESS'] = self._old_address
        elif self.address is not None:
            os.environ.pop('DBUS_SYSTEM_BUS_ADDRESS', None)
        if self.tmp and not os.environ.get('PASSGATE_KEEP_TMP'):
            shutil.rmtree(self.tmp, ignore_errors=True)
        if self in _live:
            _live.remove(self)
        if problem:
            # Reported, not raised: tests that assert a clean exit call stop_daemon(check=True).
            sys.stderr.write(f'warning: {problem}\n')
        if report:
            raise AssertionError(f'sanitizer report in the log of passgated:\n{report}')
        if leaks:
            raise AssertionError('secrets written where they must not be:\n' + '\n'.join(leaks))

    # A code in its own message and a generated password in the message that delivers it are the
    # only secrets a spool file may hold.
    _DELIVERED = re.compile(r'^(\d{6}|[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3})$')

    def secret_leaks(self):
        """Every secret the run used, looked for in everything it left behind: the logs of the
        daemon, the bus and the mocks, the store files, the spool."""
        secrets = {s for s in self.secrets if len(s) >= 6 and s not in self.users}
        if not secrets:
            return []
        found = []
        for root, _dirs, files in os.walk(self.tmp):
            for name in files:
                path = os.path.join(root, name)
                if name == 'pepper' or not os.path.isfile(path) or os.path.islink(path):
                    continue
                try:
                    with open(path, 'rb') as f:
                        data = f.read()
                except OSError:
                    continue
                in_spool = os.path.dirname(path) == self.spool_dir
                hits = [s for s in secrets if s.encode() in data]
                if in_spool and len(hits) == 1 and self._DELIVERED.match(hits[0]):
                    continue
                found += [f'{path}: {s!r}' for s in hits]
        return found

    def base_env(self):
        env = dict(os.environ)
        for k in ('LD_PRELOAD', 'PAM_WRAPPER', 'PAM_WRAPPER_SERVICE_DIR', 'DBUS_STARTER_ADDRESS',
                  'DBUS_STARTER_BUS_TYPE', 'PAM_WRAPPER_DEBUGLEVEL'):
            env.pop(k, None)
        env['LC_ALL'] = 'C.UTF-8'
        env['LANGUAGE'] = ''
        self.assert_bus_address(env)
        return env

    @staticmethod
    def sanitizer_preload():
        """[libasan.so] when our binaries are built with ASan (PASSGATE_ASAN_PRELOAD, set by meson):
        it must come first in LD_PRELOAD, before libpam_wrapper."""
        lib = os.environ.get('PASSGATE_ASAN_PRELOAD')
        return [lib] if lib else []

    def assert_bus_address(self, env=None):
        """Without it, clients silently talk to the host's real system bus."""
        addr = (env or os.environ).get('DBUS_SYSTEM_BUS_ADDRESS')
        if not addr or addr != self.address or self.tmp not in addr:
            raise AssertionError(f'DBUS_SYSTEM_BUS_ADDRESS is {addr!r}, not the sandbox bus')

    def _spawn(self, argv, log_path, env):
        with open(log_path, 'ab') as log:
            return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                    start_new_session=True, preexec_fn=_child_setup)

    @staticmethod
    def _stop_proc(proc, sig=signal.SIGTERM, timeout=10):
        if proc is None or proc.poll() is not None:
            return None if proc is None else proc.returncode
        try:
            proc.send_signal(sig)
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()

    def _wait(self, cond, what, proc=None, log=None, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            if cond():
                return
            if proc is not None and proc.poll() is not None:
                tail = self._tail(log) if log else ''
                raise AssertionError(f'{what}: process exited with {proc.returncode}\n{tail}')
            if time.monotonic() > deadline:
                tail = self._tail(log) if log else ''
                raise AssertionError(f'{what}: timed out after {timeout}s\n{tail}')
            time.sleep(0.01)            # polling interval, not a readiness guess

    @staticmethod
    def _tail(path, n=4000):
        try:
            with open(path, 'rb') as f:
                return f.read()[-n:].decode('utf-8', 'replace')
        except OSError:
            return ''

    # -------------------------------------------------------------- bus

    def write_bus_conf(self):
        me = current_user()
        extra = ''
        # The daemon runs as the harness's uid. The shipped policy lets root and passgate own the
        # name; any other uid needs a test-only line.
        if me not in ('root', 'passgate'):
            extra += f'  <policy user="{me}">\n    <allow own="{BUS_NAME}"/>\n  </policy>\n'
        conf = f'''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={self.tmp}/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
{SYSTEM_DEFAULT_POLICY}
  <!-- the policy passgate ships, as installed -->
  <include>{self.policy_file}</include>

  <!-- test only: the polkit and logind mocks, run by the harness's uid -->
  <policy user="{me}">
    <allow own="{POLKIT_NAME}"/>
    <allow own="{LOGIND_NAME}"/>
  </policy>
  <policy context="default">
    <allow send_destination="{POLKIT_NAME}"/>
    <allow send_destination="{LOGIND_NAME}"/>
  </policy>
{extra}</busconfig>
'''
        path = os.path.join(self.tmp, 'bus.conf')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(conf)
        return path

    def start_bus(self):
        if not os.path.exists(self.policy_file):
            raise AssertionError(f'{self.policy_file} is missing')
        conf = self.write_bus_conf()
        log = os.path.join(self.tmp, 'dbus-daemon.log')
        r, w = os.pipe()
        with open(log, 'ab') as logf:
            self.bus_proc = subprocess.Popen(
                ['dbus-daemon', f'--config-file={conf}', '--nofork', '--nopidfile',
                 f'--print-address={w}'],
                stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, pass_fds=(w,),
                start_new_session=True, preexec_fn=_child_setup)
        os.close(w)
        with os.fdopen(r, 'r') as f:
            ready, _, _ = select.select([f], [], [], 20)
            line = f.readline().strip() if ready else ''
        if not line:
            raise AssertionError(f'dbus-daemon did not start:\n{self._tail(log)}')
        self.address = line
        self._old_address = os.environ.get('DBUS_SYSTEM_BUS_ADDRESS')
        os.environ['DBUS_SYSTEM_BUS_ADDRESS'] = self.address
        self.assert_bus_address()
        self.bus = dbus.bus.BusConnection(self.address)
        self._dbus = dbus.Interface(self.bus.get_object('org.freedesktop.DBus', '/org/freedesktop/DBus'),
                                    'org.freedesktop.DBus')

    def has_owner(self, name):
        return bool(self._dbus.NameHasOwner(name))

    def owner_pid(self, name):
        return int(self._dbus.GetConnectionUnixProcessID(name))

    # -------------------------------------------------------------- polkit mock

    def start_polkit(self, allowed=()):
        if self.polkit_proc is not None:
            self.set_polkit_allowed(allowed)
            return
        log = os.path.join(self.tmp, 'polkit-mock.log')
        self.polkit_proc = self._spawn([PYTHON, '-m', 'dbusmock', '--system', '--template', 'polkitd'],
                                       log, self.base_env())
        self._wait(lambda: self.has_owner(POLKIT_NAME), 'polkit mock', self.polkit_proc, log)
        self.set_polkit_allowed(allowed)

    def set_polkit_allowed(self, actions):
        self.bus.call_blocking(POLKIT_NAME, POLKIT_PATH, MOCK_IFACE, 'SetAllowed', 'as',
                               [dbus.Array(list(actions), signature='s')])

    def stop_polkit(self):
        self._stop_proc(self.polkit_proc)
        self.polkit_proc = None
        self._wait(lambda: not self.has_owner(POLKIT_NAME), 'polkit mock gone')

    # -------------------------------------------------------------- logind mock

    def start_logind(self):
        """python-dbusmock's logind template; logind_calls() tells what it was asked."""
        log = os.path.join(self.tmp, 'logind-mock.log')
        self.logind_proc = self._spawn([PYTHON, '-m', 'dbusmock', '--system', '--template', 'logind'],
                                       log, self.base_env())
        self._wait(lambda: self.has_owner(LOGIND_NAME), 'logind mock', self.logind_proc, log)

    def logind_calls(self):
        """[(method, [args])] the logind mock received."""
        calls = self.bus.call_blocking(LOGIND_NAME, LOGIND_PATH, MOCK_IFACE, 'GetCalls', '', [])
        return [(str(c[1]), [reply_from_dbus(a) for a in c[2]]) for c in calls]

    # -------------------------------------------------------------- passgated

    def config(self):
        sections = {
            'store': {'pepper': os.path.join(self.tmp, 'pepper')},
            'password': {'hash_cost': 'min'},
            'delivery': {'sms': f'spool:{self.spool_dir}', 'email': f'spool:{self.spool_dir}'},
            'phone': {'country_code': '7', 'trunk_prefix': '8'},
        }
        for sec, kv in self.config_extra.items():
            sections.setdefault(sec, {}).update(kv)
        return ''.join(f'[{sec}]\n' + ''.join(f'{k} = {v}\n' for k, v in kv.items()) + '\n'
                       for sec, kv in sections.items())

    def start_daemon(self, fresh=False, wait=True):
        if self.daemon_proc is not None and self.daemon_proc.poll() is None:
            raise AssertionError('passgated is already running')
        self.require_file(self.daemon_bin, 'passgated')
        if fresh or self.state_dir is None:
            self._state_n += 1
            self.state_dir = os.path.join(self.tmp, f'state-{self._state_n}')
            os.mkdir(self.state_dir, 0o700)
        conf = os.path.join(self.tmp, 'passgate.conf')
        with open(conf, 'w', encoding='utf-8') as f:
            f.write(self.config())
        env = self.base_env()
        if self.sanitizer_preload():
            env['LD_PRELOAD'] = ':'.join(self.sanitizer_preload())
        env['STATE_DIRECTORY'] = self.state_dir
        env['PASSGATE_TEST_CLOCK_FILE'] = self.clock_file
        env.update(self.daemon_env)
        with open(self.daemon_log_path, 'ab') as log:
            self._log_offset = log.tell()
        self._wait(lambda: not self.has_owner(BUS_NAME), 'previous passgated gone from the bus')
        self.daemon_proc = self._spawn(self.daemon_wrapper + [self.daemon_bin, '--config', conf],
                                       self.daemon_log_path, env)
        if wait:
            self.wait_daemon()
        return self.daemon_proc

    def wait_daemon(self, timeout=20):
        proc = self.daemon_proc
        self._wait(lambda: self.has_owner(BUS_NAME), 'passgated on the bus', proc, self.daemon_log_path,
                   timeout)
        pid = self.owner_pid(BUS_NAME)
        if pid != proc.pid:
            raise AssertionError(f'{BUS_NAME} is owned by pid {pid}, not passgated {proc.pid}')

    def stop_daemon(self, sig=signal.SIGTERM, check=False):
        """Stops passgated. check: on SIGTERM it must exit cleanly (status 0: no crash, no sanitizer
        report), and it must not have died before."""
        proc = self.daemon_proc
        already = proc is not None and proc.poll() is not None
        rc = self._stop_proc(proc, sig)
        self.daemon_proc = None
        self._wait(lambda: not self.has_owner(BUS_NAME), 'passgated gone from the bus')
        report = self.daemon_sanitizer_report()
        if report:      # whatever check says
            raise AssertionError(f'passgated exited with status {rc}; sanitizer report in its log:\n'
                                 f'{report}')
        if check and proc is not None and (already or sig == signal.SIGTERM) and rc != 0:
            raise AssertionError(f'passgated exited with status {rc}'
                                 f'{" before it was stopped" if already else " on SIGTERM"}:\n'
                                 f'{self._tail(self.daemon_log_path)}')
        return rc

    def daemon_sanitizer_report(self):
        """A sanitizer report in the daemon log written since the last look, or ''."""
        try:
            with open(self.daemon_log_path, 'rb') as f:
                f.seek(self._sanitizer_checked)
                text = f.read()
        except OSError:
            return ''
        self._sanitizer_checked += len(text)
        return sanitizer_report(text.decode('utf-8', 'replace'))

    def kill_daemon(self):
        return self.stop_daemon(signal.SIGKILL)

    def restart_daemon(self, fresh=False):
        self.stop_daemon()
        return self.start_daemon(fresh=fresh)

    def freeze_daemon(self):
        os.kill(self.daemon_proc.pid, signal.SIGSTOP)

    def thaw_daemon(self):
        os.kill(self.daemon_proc.pid, signal.SIGCONT)

    def daemon_log(self, all_runs=True):
        with open(self.daemon_log_path, 'rb') as f:
            if not all_runs:
                f.seek(self._log_offset)
            return f.read().decode('utf-8', 'replace')

    def log_leaks(self, extra=()):
        """Secrets and typed answers that appear in the daemon's log (should be none)."""
        log = self.daemon_log()
        names = {u for u in self.users} | {current_user()}
        leaks = []
        for s in sorted(self.secrets | self.answers | set(extra)):
            if len(s) >= 6 and s not in names and s in log:
                leaks.append(s)
        return leaks

    # -------------------------------------------------------------- test clock

    def set_clock(self, offset_seconds):
        tmp = self.clock_file + '.tmp'
        with open(tmp, 'w', encoding='ascii') as f:
            f.write(f'{int(offset_seconds)}\n')
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.clock_file)

    def clock(self):
        try:
            with open(self.clock_file, encoding='ascii') as f:
                return int(f.read().strip() or 0)
        except FileNotFoundError:
            return 0

    def advance_clock(self, seconds):
        self.set_clock(self.clock() + int(seconds))

    # -------------------------------------------------------------- D-Bus calls

    def _is_me(self, user):
        return user is None or user == current_user()

    def call(self, iface, method, sig='', *args, path=OBJECT_PATH, user=None, dest=BUS_NAME,
             timeout=30):
        """Calls a method as the harness's uid, or as `user` through runuser. Returns the reply as
        plain values (one value, a tuple, or None); raises BusError."""
        self.assert_bus_address()
        if self._is_me(user):
            try:
                reply = self.bus.call_blocking(dest, path, iface, method, sig, args_to_dbus(sig, args),
                                               timeout=timeout)
            except dbus.exceptions.DBusException as e:
                raise BusError(e.get_dbus_name(), e.get_dbus_message()) from None
            return reply_from_dbus(reply)
        res = self.call_seq([dict(iface=iface, method=method, sig=sig, args=list(args), path=path,
                                  dest=dest, timeout=timeout)], user=user)[0]
        if 'error' in res:
            raise BusError(res['error'], res['message'])
        return res['value']

    def call_seq(self, calls, user):
        """Runs calls in order on one connection as `user` (runuser). A call's path may be
        {'ref': i}: the conversation path returned by call i. Returns [{'value'}|{'error','message'}]."""
        if not is_root():
            raise unittest.SkipTest('calling as another uid needs root (runuser)')
        helper_dir = os.path.join(self.tmp, 'harness-bin')
        if not os.path.isdir(helper_dir):
            os.mkdir(helper_dir, 0o755)
            for name in ('buscall.py', 'dbusval.py'):
                shutil.copy(os.path.join(HERE, name), helper_dir)
                os.chmod(os.path.join(helper_dir, name), 0o644)
        req = {'address': self.address, 'calls': [
            {'dest': c.get('dest', BUS_NAME), 'path': c.get('path', OBJECT_PATH), 'iface': c['iface'],
             'method': c['method'], 'sig': c.get('sig', ''), 'args': encode_json(list(c.get('args', []))),
             'timeout': c.get('timeout', 30)} for c in calls]}
        env = self.base_env()
        env['PYTHONDONTWRITEBYTECODE'] = '1'
        p = subprocess.run(['runuser', '-u', user, '--', PYTHON, os.path.join(helper_dir, 'buscall.py')],
                           input=json.dumps(req), capture_output=True, text=True, env=env, timeout=120,
                           cwd=self.tmp)
        if p.returncode != 0:
            raise AssertionError(f'buscall as {user} failed ({p.returncode}): {p.stderr}')
        out = []
        for r in json.loads(p.stdout):
            if 'error' in r:
                out.append(r)
            else:
                out.append({'value': tuple(r['ok']) if r.get('multi') else r['ok']})
        return out

    def manager(self, method, sig='', *args, user=None):
        return self.call(IFACE_MANAGER, method, sig, *args, user=user)

    def accounts(self, method, sig='', *args, user=None):
        return self.call(IFACE_ACCOUNTS, method, sig, *args, user=user)

    def step(self, path, answer=None, user=None):
        a = {} if answer is None else {'Value': answer}
        return tuple(self.call(IFACE_CONVERSATION, 'Step', 'a{sv}', a, path=path, user=user))

    def converse(self, flow, login, answers=(), client=None):
        """Runs a conversation as the harness's uid: secret/text/choice steps take the next answer,
        info steps are acknowledged. Returns [(kind, prompt)] up to done/failed (or until answers
        run out at a question)."""
        client = client if client is not None else {'Service': 'passgate-test', 'Renderer': 'text'}
        path = self.manager('BeginConversation', 'ssa{sv}', flow, login, client)
        answers = list(answers)
        steps = [self.step(path)]
        while steps[-1][0] not in ('done', 'failed'):
            kind, prompt = steps[-1]
            if kind == 'info':
                steps.append(self.step(path))
                continue
            if not answers:
                break
            a = answers.pop(0)
            if kind == 'secret':
                self.secrets.add(a)
            steps.append(self.step(path, a))
        return steps

    def login(self, login, password):
        """A login conversation over D-Bus; returns the last (kind, prompt)."""
        self.secrets.add(password)
        steps = self.converse('login', login, [password])
        return steps[-1]

    def create_account(self, user, password=None, must_change=False, **props):
        """As the harness's uid (root, or polkit-allowed). props: FullName, Phone, Email, Documents."""
        for number in (props.get('Documents') or {}).values():
            self.secrets.update({number, digits(number)})
        self.accounts('CreateAccount', 'sa{sv}', user, account_props(**props))
        if password is not None:
            self.set_password(user, password, must_change)

    def set_password(self, user, password, must_change=False, as_user=None):
        self.secrets.add(password)
        self.accounts('SetPassword', 'ssb', user, password, must_change, user=as_user)

    def record_signals(self, iface=IFACE_MANAGER):
        """A SignalRecorder on its own connection; closed with the sandbox."""
        rec = SignalRecorder(self.address, iface)
        self._recorders.append(rec)
        return rec

    # -------------------------------------------------------------- passgatectl

    def ctl(self, *args, user=None, input=None, timeout=60, env=None):
        self.require_file(self.ctl_bin, 'passgatectl')
        argv = [self.ctl_bin] + [str(a) for a in args]
        if not self._is_me(user) and not is_root():
            raise unittest.SkipTest('running as another uid needs root (runuser)')
        e = self.base_env()
        e.update(env or {})
        pre = self.sanitizer_preload()
        if self._is_me(user):
            full = argv
            if pre:
                e['LD_PRELOAD'] = ':'.join(pre)
        else:
            # runuser itself is not preloaded: only passgatectl, through env(1).
            full = ['runuser', '-u', user, '--'] + (['env', f'LD_PRELOAD={":".join(pre)}'] if pre else []) + argv
        p = subprocess.run(full, input=input, capture_output=True, text=True, env=e, timeout=timeout,
                           cwd=self.tmp)
        if self.verbose:
            sys.stderr.write(f'$ {" ".join(full)} -> {p.returncode}\n{p.stdout}{p.stderr}')
        report = sanitizer_report(p.stderr)
        if report:
            raise AssertionError(f'sanitizer report from passgatectl (status {p.returncode}):\n{report}')
        return CtlResult(argv, p.returncode, p.stdout, p.stderr)

    # -------------------------------------------------------------- PAM

    def pam_env(self, extra=None):
        env = self.base_env()
        env['LD_PRELOAD'] = ':'.join(self.sanitizer_preload() + [PAM_WRAPPER_LIB])   # ASan first
        env['PAM_WRAPPER'] = '1'
        env['PAM_WRAPPER_SERVICE_DIR'] = self.service_dir
        dbg = os.environ.get('PAM_WRAPPER_DEBUGLEVEL')
        if dbg:
            env['PAM_WRAPPER_DEBUGLEVEL'] = str(min(int(dbg), 2))   # 3 prints secrets
        env.update(extra or {})
        return env

    def pam(self, service='passgate', user=None, answers=(), password=False, as_user=None,
            timeout=60, env=None):
        """Runs `pam-driver --script` with one answer per line; returns a PamResult."""
        self.require_file(self.driver_bin, 'pam-driver')
        self.require_file(self.module_path, 'pam_passgate.so')
        self.require_file(os.path.join(self.service_dir, 'other'), 'PAM services (tests/services)')
        argv = [self.driver_bin, '--script'] + (['--password'] if password else []) + [service]
        if user is not None:
            argv.append(user)
        e = self.pam_env(env)
        if not self._is_me(as_user):
            if not is_root():
                raise unittest.SkipTest('running as another uid needs root (runuser)')
            # runuser itself is not preloaded: only the driver gets the wrapper, through env(1).
            keep = {k: e[k] for k in ('LD_PRELOAD', 'PAM_WRAPPER', 'PAM_WRAPPER_SERVICE_DIR',
                                      'PAM_WRAPPER_DEBUGLEVEL') if k in e}
            full = ['runuser', '-u', as_user, '--', 'env'] + [f'{k}={v}' for k, v in keep.items()] + argv
            e = self.base_env()
        else:
            full = argv
        t0 = time.monotonic()
        if any(callable(a) for a in answers):
            rc, stdout, stderr, answers = self._pam_interactive(full, answers, e, timeout)
            p = subprocess.CompletedProcess(full, rc, stdout, stderr)
        else:
            stdin = ''.join(a + '\n' for a in answers)
            p = subprocess.run(full, input=stdin, capture_output=True, text=True, env=e,
                               timeout=timeout, cwd=self.tmp)
        elapsed = time.monotonic() - t0
        res = PamResult(argv, answers, p.returncode, p.stdout, p.stderr, elapsed)
        report = sanitizer_report(p.stderr)
        if report:
            raise AssertionError(f'sanitizer report from pam-driver (status {p.returncode}):\n{report}')
        for kind, _text, answer in res.answered():
            if not answer:
                continue
            (self.secrets if kind == 'PROMPT_ECHO_OFF' else self.answers).add(answer)
        for a in answers:       # answers past the last prompt were still typed
            if a and a not in self.answers:
                self.secrets.add(a)
        if self.verbose:
            sys.stderr.write(repr(res) + '\n')
        return res

    def _pam_interactive(self, argv, answers, env, timeout):
        """Feeds answers as their prompts come: a callable answer is computed only once its prompt
        is shown (say, a code that the daemon sends just before). Returns rc, stdout, stderr and
        the answers as given."""
        given = []
        with tempfile.TemporaryFile(mode='w+') as err:
            p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                 text=True, env=env, cwd=self.tmp)
            deadline = time.monotonic() + timeout
            out, prompts = [], 0
            pending = list(answers)

            def feed():
                while pending and (not callable(pending[0]) or prompts > len(given)):
                    a = pending.pop(0)
                    a = a() if callable(a) else a
                    given.append(a)
                    p.stdin.write(a + '\n')
                    p.stdin.flush()
                if not pending and not p.stdin.closed:
                    p.stdin.close()
            try:
                feed()
                for line in p.stdout:
                    out.append(line)
                    if line.startswith('PROMPT_'):
                        prompts += 1
                        if pending:
                            feed()
                    if time.monotonic() > deadline:
                        raise subprocess.TimeoutExpired(argv, timeout)
                rc = p.wait(timeout=max(1, deadline - time.monotonic()))
            except BrokenPipeError:
                rc = p.wait(timeout=timeout)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
                p.stdout.close()
                if not p.stdin.closed:
                    p.stdin.close()
            err.seek(0)
            return rc, ''.join(out), err.read(), given

    # -------------------------------------------------------------- store

    def store_dump(self):
        """{database: {key: value}} from `mdb_dump -a`: the data only, whatever the page layout.
        mdb_dump opens the environment read-only, a concurrent reader beside passgated."""
        if not shutil.which('mdb_dump'):
            raise AssertionError('mdb_dump is missing: install lmdb-utils (tools/packages.txt)')
        p = subprocess.run(['mdb_dump', '-a', self.state_dir], capture_output=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError(f'mdb_dump failed: {p.stderr.decode(errors="replace")}')
        dbs, name, data, header = {}, None, None, False
        for line in p.stdout.decode('ascii').splitlines():
            if line.startswith('VERSION='):
                header, name, data = True, None, []
            elif header and line.startswith('database='):
                name = line[len('database='):]
            elif line == 'HEADER=END':
                header = False
            elif line == 'DATA=END':
                if name in dbs:
                    raise AssertionError(f'mdb_dump listed database {name} twice')
                dbs[name] = dict(zip(data[0::2], data[1::2]))
            elif not header:
                data.append(line.strip())
        if 'accounts' not in dbs:
            raise AssertionError('the store dump has no accounts database')
        return dbs

    @staticmethod
    def store_diff(before, after, ignore=()):
        """What changed between two store_dump()s, a line per database; [] when nothing did."""
        diff = []
        for db in sorted(set(before) | set(after)):
            if db in ignore:
                continue
            b, a = before.get(db, {}), after.get(db, {})
            if a != b:
                diff.append(f'{db}: {len(set(a) - set(b))} added, {len(set(b) - set(a))} removed, '
                            f'{sum(1 for k in set(a) & set(b) if a[k] != b[k])} changed')
        return diff

    # -------------------------------------------------------------- spool

    def wait_message(self, pred=lambda m: True, timeout=10, seen=()):
        """The first spool message matching pred whose file is not in seen, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            for m in self.spool_messages():
                if m['file'] not in seen and pred(m):
                    return m
            if time.monotonic() > deadline:
                raise AssertionError(f'no such message in the spool: {self.spool_messages()!r}')
            time.sleep(0.02)

    def wait_code(self, to, timeout=10):
        """The code of the newest code message to `to` not read before, waiting for one; the older
        unread ones count as read too."""
        seen = self.__dict__.setdefault('_codes_read', set())
        is_code = lambda m: m.get('To') == to and re.search(r'\b\d{6}\b', m['body'])  # noqa: E731
        self.wait_message(is_code, timeout, seen)
        new = [m for m in self.spool_messages() if m['file'] not in seen and is_code(m)]
        seen.update(m['file'] for m in new)
        code = re.search(r'\b(\d{6})\b', new[-1]['body']).group(1)
        self.secrets.add(code)
        return code

    def spool_messages(self):
        out = []
        for name in sorted(os.listdir(self.spool_dir)):
            path = os.path.join(self.spool_dir, name)
            if name.startswith('.') or not os.path.isfile(path):
                continue
            with open(path, encoding='utf-8') as f:
                text = f.read()
            head, _, body = text.partition('\n\n')
            msg = {'file': name, 'body': body}
            for line in head.splitlines():
                k, _, v = line.partition(':')
                msg[k.strip()] = v.strip()
            out.append(msg)
        return out

    # -------------------------------------------------------------- unix users

    def make_users(self, n):
        """n throwaway unix users (root only; SkipTest otherwise). Removed at close()."""
        if not is_root():
            raise unittest.SkipTest('creating unix users needs root')
        _remove_stale_users()
        token = secrets.token_hex(3)
        made = []
        for i in range(n):
            name = f'pgt{token}{len(self.users)}'
            _useradd(name)
            self.users.append(name)
            made.append(name)
        return made


class SignalRecorder:
    """Records the signals of one passgate interface: got = [(member, [args])]."""

    def __init__(self, address, iface):
        from gi.repository import GLib
        from dbus.mainloop.glib import DBusGMainLoop
        self._ctx = GLib.MainContext.default()
        self.conn = dbus.bus.BusConnection(address, mainloop=DBusGMainLoop())
        self.got = []
        self.conn.add_signal_receiver(self._on, dbus_interface=iface, path=OBJECT_PATH,
                                      member_keyword='member')
        # A round trip: the match rule is in place before the caller goes on.
        self.conn.call_blocking('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                                'GetId', '', [])

    def _on(self, *args, member=None):
        self.got.append((str(member), [reply_from_dbus(a) for a in args]))

    def pump(self):
        while self._ctx.iteration(False):
            pass

    def wait_for(self, member, args=None, timeout=10):
        """Waits until a signal `member` (with these args, if given) arrived; returns it or None."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            for m, a in self.got:
                if m == member and (args is None or a == list(args)):
                    return (m, a)
            if time.monotonic() > deadline:
                return None
            time.sleep(0.01)

    def wait_until(self, pred, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            if pred(self.got):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)

    def close(self):
        try:
            self.conn.close()
        except Exception:
            pass


# ------------------------------------------------------------------ unix user helpers

GECOS_TAG = 'passgate-test'


def _retry(argv, ok=(0,), tries=50):
    for _ in range(tries):
        p = subprocess.run(argv, capture_output=True, text=True)
        if p.returncode in ok:
            return p
        if 'lock' not in p.stderr and p.returncode not in (1, 10):
            break
        time.sleep(0.1)             # /etc/passwd is locked by a parallel test: retry
    raise AssertionError(f'{" ".join(argv)} failed ({p.returncode}): {p.stderr}')


def _useradd(name):
    _retry(['useradd', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin',
            '--comment', f'{GECOS_TAG} {os.getpid()}', name])


def _userdel(name):
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    try:
        _retry(['userdel', name], ok=(0, 6))
    except AssertionError as e:
        sys.stderr.write(f'warning: {e}\n')


def _remove_stale_users():
    """Users left by a harness that was SIGKILLed: their creator pid is gone."""
    for pw in pwd.getpwall():
        parts = pw.pw_gecos.split()
        if len(parts) == 2 and parts[0] == GECOS_TAG and pw.pw_name.startswith('pgt') and parts[1].isdigit():
            if not os.path.exists(f'/proc/{parts[1]}'):
                _userdel(pw.pw_name)


# ------------------------------------------------------------------ test data

def account_props(FullName=None, Phone=None, Email=None, Documents=None, **extra):
    props = {}
    if FullName is not None:
        props['FullName'] = V('s', FullName)
    if Phone is not None:
        props['Phone'] = V('s', Phone)
    if Email is not None:
        props['Email'] = V('s', Email)
    if Documents is not None:
        props['Documents'] = V('a{ss}', dict(Documents))
    props.update(extra)
    return props


def snils_check(d9):
    s = sum(int(d) * (9 - i) for i, d in enumerate(d9))
    if s < 100:
        c = s
    elif s in (100, 101):
        c = 0
    else:
        c = s % 101
        if c == 100:
            c = 0
    return f'{c:02d}'


def make_snils(d9=None):
    """A valid SNILS 'XXX-XXX-XXX YY' (random unless d9, nine digits, is given)."""
    if d9 is None:
        d9 = str(secrets.randbelow(800_000_000) + 100_000_000)
    return f'{d9[0:3]}-{d9[3:6]}-{d9[6:9]} {snils_check(d9)}'


def bad_snils(snils):
    """The same SNILS with a wrong check number."""
    digits = re.sub(r'\D', '', snils)
    wrong = f'{(int(digits[9:]) + 1) % 100:02d}'
    return f'{digits[0:3]}-{digits[3:6]}-{digits[6:9]} {wrong}'


def make_inn(d10=None):
    """A valid 12-digit INN of a person."""
    if d10 is None:
        d10 = '77' + ''.join(str(secrets.randbelow(10)) for _ in range(8))
    w11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    d = [int(c) for c in d10]
    d.append(sum(a * b for a, b in zip(w11, d)) % 11 % 10)
    w12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    d.append(sum(a * b for a, b in zip(w12, d)) % 11 % 10)
    return ''.join(map(str, d))


def make_passport():
    return f'45{secrets.randbelow(90) + 10:02d} {secrets.randbelow(900000) + 100000:06d}'


def make_phone():
    """'+79XXXXXXXXX'"""
    return '+79' + ''.join(str(secrets.randbelow(10)) for _ in range(9))


def national_phone(intl):
    """'+79123456789' -> '8 912 345-67-89'"""
    d = re.sub(r'\D', '', intl)[1:]
    return f'8 {d[0:3]} {d[3:6]}-{d[6:8]}-{d[8:10]}'


_WORDS = ('amber', 'lattice', 'quiver', 'harbor', 'walnut', 'glacier', 'saffron', 'thimble', 'osprey',
          'cobalt', 'meadow', 'lantern', 'juniper', 'falcon', 'tundra', 'velvet', 'orchid', 'pewter')


def strong_password():
    w = [_WORDS[secrets.randbelow(len(_WORDS))] for _ in range(3)]
    return f'{w[0]}-{w[1]}{secrets.randbelow(90) + 10}-{secrets.token_hex(2)}-{w[2]}'


def digits(s):
    return re.sub(r'\D', '', s)


# ------------------------------------------------------------------ unittest glue

def main():
    """unittest.main, with meson's exit code 77 when every test was skipped."""
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    if not r.wasSuccessful():
        sys.exit(1)
    test_skips = sum(1 for t, _ in r.skipped if isinstance(t, unittest.TestCase))
    if r.skipped and r.testsRun - test_skips == 0:
        sys.exit(77)
    sys.exit(0)


class TestCase(unittest.TestCase):
    """unittest.TestCase with passgate's assertions."""

    maxDiff = None

    def assertBusError(self, names, func, *args, **kwargs):
        """func(*args) must raise BusError named one of names (a str or a tuple); returns it."""
        names = (names,) if isinstance(names, str) else tuple(names)
        try:
            value = func(*args, **kwargs)
        except BusError as e:
            self.assertIn(e.name, names, f'wrong error: {e.name}: {e.message}')
            self.assertTrue(e.message.strip(), f'{e.name} has no message')
            return e
        self.fail(f'expected {" or ".join(names)}, got a reply: {value!r}')

    def assertPam(self, res, **codes):
        """assertPam(res, auth='PAM_SUCCESS', acct=...) with the full driver output on failure."""
        for step, code in codes.items():
            self.assertEqual(res.codes.get(step), code, f'{step}: {res!r}')

    def assertNoLeaks(self, sb, extra=()):
        leaks = sb.log_leaks(extra)
        self.assertEqual(leaks, [], 'secrets or typed answers in the daemon log:\n' + sb.daemon_log())


def strings_in(value):
    """Every string inside a reply (dict keys excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from strings_in(v)
