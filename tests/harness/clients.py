# SPDX-License-Identifier: GPL-2.0-or-later
"""Real clients that nobody here wrote, driven against a Sandbox: OpenSSH's sshd and ssh, util-linux
su, busctl, gdbus and a python3-dbus application.

What the e2e client tests found out and rely on (see also tests/e2e/test_sshd.py):

- sshd cannot be pointed at the sandbox bus through its environment. Its PAM service name is fixed
  ("sshd"), and the keyboard-interactive PAM work (pam_authenticate, pam_acct_mgmt and the forced
  pam_chauthtok) runs in a child that sshd forks from the monitor and whose environment it empties
  first (auth-pam.c, sshpam_thread: `environ[0] = NULL`). pam_passgate's secure_getenv of
  DBUS_SYSTEM_BUS_ADDRESS then finds nothing and the module uses the compiled-in
  unix:path=/run/dbus/system_bus_socket. Tried and seen: pam_wrapper preloaded into `sshd -D -e`
  survives the per-connection re-exec and serves the private "sshd" service, yet the module in that
  child logs "Cannot reach passgated" (it dialled the host path), and every preloaded sshd process
  leaves a /tmp/pam.X behind when sshd is stopped. So sshd runs in its own mount namespace (unshare --mount,
  private propagation) in which /run is a small tmpfs whose dbus/system_bus_socket is a symlink to
  the sandbox bus, /etc/pam.d is a test directory holding only "sshd" and "other", and the login
  records sshd would append to (/var/log/btmp, wtmp, lastlog) are empty files on that tmpfs.
  Nothing of that is visible outside sshd's namespace; the host's /etc/pam.d, /run and logs are
  never written.
- su run by root is not setuid-restricted (AT_SECURE is off when the real uid is already 0), so
  pam_wrapper in LD_PRELOAD and DBUS_SYSTEM_BUS_ADDRESS both reach it; su looks up the PAM service
  "su", or "su-l" for `su -`.
"""
import ast
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import time

from .sandbox import (PAM_WRAPPER_LIB, Sandbox, TestCase, _child_setup, _retry, _source_root,
                      make_passport, make_phone, strong_password)

SSHD = '/usr/sbin/sshd'         # an absolute path: sshd re-executes itself for every connection
SSH = '/usr/bin/ssh'
SSH_KEYGEN = '/usr/bin/ssh-keygen'
SU = '/usr/bin/su'


def message(name):
    """The English text of a `#define MSG_... N_("...")` in common/messages.h (one string, the
    definition possibly continued on the next line with a backslash), as a user reads it with
    LC_ALL=C.UTF-8 (trailing blanks of prompts stripped)."""
    with open(os.path.join(_source_root(), 'common', 'messages.h'), encoding='utf-8') as f:
        text = re.sub(r'\\\n', ' ', f.read())
    for line in text.splitlines():
        m = re.match(r'#define\s+(\w+)\s+N_\(\s*("(?:[^"\\]|\\.)*")\s*\)\s*$', line)
        if m and m.group(1) == name:
            return ast.literal_eval(m.group(2)).rstrip()
    raise AssertionError(f'{name} is not a one-string message in common/messages.h')


def need_programs(*paths):
    """Missing programs are a broken install (tools/packages.txt lists them), not a reason to skip."""
    missing = [p for p in paths if not os.access(p, os.X_OK)]
    if missing:
        raise AssertionError(f'not installed: {", ".join(missing)} (run ./tools/deps)')


def need_pexpect():
    try:
        import pexpect  # noqa: F401
    except ImportError:
        raise AssertionError('python3-pexpect is not installed (run ./tools/deps)') from None


def mount_namespace_problem():
    """None when `unshare --mount` with a tmpfs and a bind mount works here, else why not."""
    try:
        p = subprocess.run(['unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-ec',
                            'mount -t tmpfs -o size=64k,mode=0755 passgate-probe /run && '
                            ': > /run/probe && mount --bind /dev/null /run/probe'],
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    if p.returncode != 0:
        return (p.stderr or p.stdout).strip() or f'exit status {p.returncode}'
    return None


def set_login_shell(user, shell='/bin/sh'):
    """Throwaway users get /usr/sbin/nologin; sshd and su run commands through the login shell."""
    _retry(['usermod', '--shell', shell, user])


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def bus_socket_path(sb):
    m = re.match(r'unix:path=([^,;]+)', sb.address)
    if not m:
        raise AssertionError(f'unexpected bus address {sb.address!r}')
    return m.group(1)


def service_template(sb, name):
    """A PAM service file configured by tests/services/meson.build."""
    path = os.path.join(sb.service_dir, name)
    sb.require_file(path, f'PAM service {name} (tests/services)')
    return path


def make_service_dir(sb, name, files):
    """A private PAM service directory under the sandbox: files = {service name: template name}, plus
    the shared `other` (pam_deny). Returns its path."""
    d = os.path.join(sb.tmp, name)
    os.makedirs(d, 0o755, exist_ok=True)
    for service, template in dict(files, other='other').items():
        shutil.copyfile(service_template(sb, template), os.path.join(d, service))
        os.chmod(os.path.join(d, service), 0o644)
    return d


# ---------------------------------------------------------------------------------------- terminal

class Terminal:
    """A program on a pseudo-terminal, driven like a person at a keyboard (pexpect). `transcript` is
    everything the program printed (typed secrets are never echoed, so never in it)."""

    def __init__(self, argv, env, timeout=30, cwd=None):
        import pexpect
        self._pexpect = pexpect
        self.argv = list(argv)
        self.transcript = io.StringIO()
        self.child = pexpect.spawn(argv[0], argv[1:], env=env, cwd=cwd, timeout=timeout,
                                   encoding='utf-8', codec_errors='replace', dimensions=(40, 250),
                                   preexec_fn=_child_setup)
        self.child.logfile_read = self.transcript
        self.exitstatus = None
        self.signalstatus = None

    def text(self):
        return self.transcript.getvalue()

    def _fail(self, what):
        raise AssertionError(f'{what}\n$ {" ".join(self.argv)}\n--- terminal ---\n{self.text()}\n---')

    def expect(self, patterns, what=None, eof_ok=False):
        """Waits for one of patterns (regexes); returns its index. A timeout fails; so does the end
        of the program, unless eof_ok (then the index is len(patterns))."""
        pats = [patterns] if isinstance(patterns, str) else list(patterns)
        try:
            return self.child.expect(pats)
        except self._pexpect.EOF:
            if eof_ok:
                return len(pats)
            self._fail(f'{what or pats}: the program ended first')
        except self._pexpect.TIMEOUT:
            self._fail(f'{what or pats}: timed out')

    def send_line(self, text):
        self.child.sendline(text)

    def answer(self, prompt_regex, text):
        self.expect(prompt_regex)
        self.send_line(text)

    def finish(self):
        """Waits until the program ends; returns its exit status (None if killed by a signal)."""
        try:
            self.child.expect(self._pexpect.EOF)
        except self._pexpect.TIMEOUT:
            self._fail('did not end')
        self.child.close()
        self.exitstatus = self.child.exitstatus
        self.signalstatus = self.child.signalstatus
        return self.exitstatus

    def close(self):
        if self.child.isalive():
            self.child.close(force=True)


# ---------------------------------------------------------------------------------------- processes

def _ppid(pid):
    try:
        with open(f'/proc/{pid}/stat', 'rb') as f:
            stat = f.read()
    except OSError:
        return None
    return int(stat[stat.rindex(b')') + 2:].split()[1])


def _descendants(pid):
    """Every process below pid, children before their own children."""
    children = {}
    for name in os.listdir('/proc'):
        if name.isdigit():
            pp = _ppid(int(name))
            if pp is not None:
                children.setdefault(pp, []).append(int(name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(0), []):
            out.append(c)
            todo.append(c)
    return out


def _alive(pid):
    """Running, and not a zombie waiting for its parent."""
    try:
        with open(f'/proc/{pid}/stat', 'rb') as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(b')') + 2:stat.rindex(b')') + 3] != b'Z'


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


# ---------------------------------------------------------------------------------------- sshd

SSHD_CONFIG = '''# passgate e2e: only keyboard-interactive through PAM, on 127.0.0.1 only.
Port {port}
ListenAddress 127.0.0.1
AddressFamily inet
HostKey {host_key}
PidFile none
UsePAM yes
KbdInteractiveAuthentication yes
AuthenticationMethods keyboard-interactive
PasswordAuthentication no
PubkeyAuthentication no
HostbasedAuthentication no
GSSAPIAuthentication no
PermitEmptyPasswords no
PermitRootLogin no
AuthorizedKeysFile none
MaxAuthTries 6
LoginGraceTime 60
UseDNS no
PrintMotd no
PrintLastLog no
Banner none
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
PermitTunnel no
PermitUserEnvironment no
LogLevel VERBOSE
'''

# Runs as root inside `unshare --mount --propagation private`: nothing here reaches the host.
SSHD_NAMESPACE_SCRIPT = r'''
bus_socket=$1 pamd=$2 config=$3
mount -t tmpfs -o size=1m,mode=0755 passgate-run /run
mkdir -m 0755 /run/sshd /run/dbus
ln -s "$bus_socket" /run/dbus/system_bus_socket
mount --bind "$pamd" /etc/pam.d
mkdir -m 0700 /run/passgate-logs
for f in btmp wtmp lastlog; do
        if [ -e "/var/log/$f" ]; then
                install -m 0600 /dev/null "/run/passgate-logs/$f"
                mount --bind "/run/passgate-logs/$f" "/var/log/$f"
        fi
done
exec /usr/sbin/sshd -D -e -f "$config"
'''


class Sshd:
    """sshd on 127.0.0.1:<free port> in its own mount namespace (see the module docstring), with
    /etc/pam.d/sshd = the PAM service file `service` from tests/services."""

    def __init__(self, sb: Sandbox, service):
        self.sb = sb
        self.service = service
        self.dir = None
        self.proc = None
        self.port = None
        self.log_path = None
        self._log_offset = 0

    def start(self):
        need_programs(SSHD, SSH_KEYGEN)
        sb = self.sb
        self.dir = os.path.join(sb.tmp, 'sshd')
        os.makedirs(self.dir, 0o755, exist_ok=True)
        self.log_path = os.path.join(self.dir, 'sshd.log')
        host_key = os.path.join(self.dir, 'ssh_host_ed25519_key')
        if not os.path.exists(host_key):
            subprocess.run([SSH_KEYGEN, '-q', '-t', 'ed25519', '-N', '', '-C', 'passgate-test',
                            '-f', host_key], check=True, capture_output=True, timeout=60)
        pamd = make_service_dir(sb, 'sshd-pam.d', {'sshd': self.service})
        env = sb.base_env()
        # Unused by the PAM child anyway (it clears its environment); removed so that nothing in
        # sshd can reach the bus by any path but the namespace's /run/dbus/system_bus_socket.
        env.pop('DBUS_SYSTEM_BUS_ADDRESS', None)
        env.update(foreign_sanitizer_env(sb))
        config = os.path.join(self.dir, 'sshd_config')
        for _ in range(10):
            self.port = free_port()
            with open(config, 'w', encoding='utf-8') as f:
                f.write(SSHD_CONFIG.format(port=self.port, host_key=host_key))
            with open(self.log_path, 'ab') as log:
                start = log.tell()
                self.proc = subprocess.Popen(
                    ['unshare', '--mount', '--propagation', 'private', '--', '/bin/sh', '-ec',
                     SSHD_NAMESPACE_SCRIPT, 'sshd-namespace', bus_socket_path(sb), pamd, config],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=self.dir,
                    start_new_session=True, preexec_fn=_child_setup)
            if self._wait_listening(start):
                self._log_offset = start
                return self
            self.stop()
            if 'Bind to port' not in self.log(start):   # a port taken in between: try another
                break
        raise AssertionError(f'sshd did not start:\n{self.log(start)}')

    def _wait_listening(self, start, timeout=30):
        want = f'Server listening on 127.0.0.1 port {self.port}.'
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if want in self.log(start):
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.01)            # polling interval, not a readiness guess
        return False

    def log(self, start=None):
        try:
            with open(self.log_path, 'rb') as f:
                f.seek(self._log_offset if start is None else start)
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def mark(self):
        """Later log() calls show only what sshd logged from now on."""
        with open(self.log_path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            self._log_offset = f.tell()

    def wait_log(self, pattern, timeout=20):
        """Waits until sshd logged a line matching pattern (since mark()); returns the match."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.log(), re.M)
            if m:
                return m
            if time.monotonic() > deadline:
                raise AssertionError(f'sshd never logged {pattern!r}:\n{self.log()}')
            time.sleep(0.01)

    def stop(self):
        """Stops the listener and the per-connection sshd processes it forked. Those call setsid()
        and outlive a stopped listener by design, so they are found by parent pid and signalled
        by pid, before the listener goes (while it still holds their pids)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        kids = _descendants(proc.pid) if proc.poll() is None else []
        for pid in kids:
            _signal(pid, signal.SIGTERM)
        Sandbox._stop_proc(proc)
        deadline = time.monotonic() + 10
        while kids and time.monotonic() < deadline:
            kids = [pid for pid in kids if _alive(pid)]
            time.sleep(0.01)
        for pid in kids:
            _signal(pid, signal.SIGKILL)

    def client_env(self):
        home = os.path.join(self.dir, 'client-home')
        os.makedirs(home, 0o700, exist_ok=True)
        return {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'HOME': home, 'LC_ALL': 'C.UTF-8',
                'LANGUAGE': '', 'TERM': 'dumb'}

    def ssh_argv(self, login, command, prompts=1, log_level='ERROR'):
        """ssh that may only use keyboard-interactive, trusts the throwaway host key without storing
        it, reads no config of the host's or root's, and gives up after `prompts` rounds.

        log_level: ERROR hides ssh's "Permanently added ... to the list of known hosts" warning, but
        also what sshd sends as the instruction of a keyboard-interactive request without prompts:
        ssh prints that with logit(), at INFO. sshd sends PAM messages left at the end of a failed
        exchange (the module's final PAM_ERROR_MSG) exactly so; INFO (ssh's default) shows them."""
        return [SSH, '-F', '/dev/null', '-p', str(self.port), '-l', login,
                '-o', 'PreferredAuthentications=keyboard-interactive',
                '-o', 'KbdInteractiveAuthentication=yes',
                '-o', 'PubkeyAuthentication=no', '-o', 'PasswordAuthentication=no',
                '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
                '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'UpdateHostKeys=no',
                '-o', 'ControlMaster=no', '-o', 'ControlPath=none', '-o', 'BatchMode=no',
                '-o', f'NumberOfPasswordPrompts={prompts}', '-o', 'ConnectTimeout=20',
                '-o', f'LogLevel={log_level}', '-T',
                '127.0.0.1', command]

    def ssh(self, login, command, prompts=1, timeout=30, log_level='ERROR'):
        need_pexpect()
        need_programs(SSH)
        return Terminal(self.ssh_argv(login, command, prompts, log_level), self.client_env(),
                        timeout=timeout, cwd=self.dir)


# ---------------------------------------------------------------------------------------- su

def foreign_sanitizer_env(sb):
    """For a program we did not build that loads our ASan-built module: the runtime must come first,
    and the program's own leaks are not ours to report (they would change its exit status)."""
    preload = sb.sanitizer_preload()
    return {'LD_PRELOAD': ':'.join(preload), 'ASAN_OPTIONS': 'detect_leaks=0'} if preload else {}


def su_env(sb, service_dir):
    """su preloaded with pam_wrapper reading the private service dir; the sandbox bus address."""
    env = sb.base_env()
    env.update(foreign_sanitizer_env(sb))
    env['LD_PRELOAD'] = ':'.join(sb.sanitizer_preload() + [PAM_WRAPPER_LIB])
    env['PAM_WRAPPER'] = '1'
    env['PAM_WRAPPER_SERVICE_DIR'] = service_dir
    env['TERM'] = 'dumb'
    return env


def prompt_sequence(text, prompts):
    """The prompts (exact texts, e.g. pamcase.ASK_PASSWORD) in the order a terminal showed them."""
    alts = sorted(set(prompts), key=len, reverse=True)
    return re.findall('|'.join(re.escape(p) for p in alts), text)


def converse(term, script):
    """script: [(prompt text, answer)]: waits for each prompt in turn and types its answer."""
    for prompt, answer in script:
        term.answer(re.escape(prompt), answer)


def lines(*texts):
    """A regex for texts shown on consecutive lines of a terminal (a pty turns \\n into \\r\\n)."""
    return r'\r*\n'.join(re.escape(t) for t in texts)


# ---------------------------------------------------------------------------------------- recovery

# "I don't know the password" (tests/pam/test_recovery.py has the same flow through pam_wrapper).
ASK_CONTACT = message('MSG_ASK_CONTACT')
ASK_DOC_TYPE = message('MSG_ASK_DOCUMENT_TYPE')
DOC_MENU = [message('MSG_PAM_CHOICE_ITEM').replace('%u', str(i)).replace('%s', message(doc))
            for i, doc in enumerate(('MSG_DOC_PASSPORT', 'MSG_DOC_SNILS', 'MSG_DOC_INN'), 1)]
ASK_PASSPORT = message('MSG_ASK_PASSPORT')
CODE_WRONG = message('MSG_CODE_WRONG')
RECOVERED = message('MSG_RECOVERED')
CODE_SUBJECT = message('MSG_MAIL_CODE_SUBJECT')


def ask_code(e164):
    """The code prompt for a code sent to a phone ('+79123456789' -> '+7 *** ***-**-89')."""
    return message('MSG_ASK_CODE').replace('%s', f'+7 *** ***-**-{e164[-2:]}')


class TerminalCase(TestCase):
    """What the terminal-driven client tests share: a fresh store per test, the passwords they type
    (which must never reach the daemon's log), and the account of cls.user."""
    full_name = 'Иван Петров'

    def setUp(self):
        if self.sb.daemon_proc is None:
            self.sb.start_daemon(fresh=True)
        else:
            self.sb.restart_daemon(fresh=True)
        self.pw = strong_password()
        self.new = strong_password()
        self.phone = make_phone()
        self.sb.secrets.update({self.pw, self.new})
        self.terms = []

    def tearDown(self):
        for t in self.terms:
            t.close()
        self.assertNoLeaks(self.sb)

    def make_account(self, must_change=False, documents=None):
        props = {'Documents': documents} if documents else {}
        self.sb.create_account(self.user, self.pw, must_change, FullName=self.full_name,
                               Phone=self.phone, **props)

    def make_recoverable_account(self):
        """An account with a passport on file; returns the passport number (typed, so watched for
        in the daemon's log)."""
        passport = make_passport()
        self.sb.answers.add(self.phone)
        self.sb.answers.add(passport)
        self.make_account(documents={'passport': passport})
        return passport

    def restart_with_config(self, section, values):
        """passgated again on a fresh store with [section] values, for this test only (the next
        setUp starts it without them)."""
        self.sb.config_extra[section] = dict(values)
        self.addCleanup(self.sb.config_extra.pop, section, None)
        self.sb.restart_daemon(fresh=True)

    def codes_sent(self):
        """The codes sent to this test's phone (the spool is the sandbox's, shared by the tests of
        a class; notices of changes, sent off the bus loop, are left out)."""
        return [m for m in self.sb.spool_messages()
                if m.get('To') == self.phone and m.get('Subject') == CODE_SUBJECT]

    def read_code(self):
        """The code just sent to self.phone; from now on a secret that no log may show."""
        code = self.sb.wait_code(self.phone)
        self.sb.secrets.add(code)
        return code

    def status(self):
        return self.sb.manager('GetAccountStatus', 's', self.user)

    def account(self):
        return self.sb.accounts('GetAccount', 's', self.user)
