#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""passgatectl doctor --root on scratch roots laid out as this build installs (paths from
<build>/config.h), with passgated on the sandbox bus: a good root passes; each wrong permission,
missing file, unusable delivery backend and PAM stack that does not fall through to pam_unix is
named with its fix and makes the exit status 1. The doctor changes nothing it looks at."""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

import harness  # noqa: E402
import sources  # noqa: E402

PATHS = sources.config_h(os.environ['PASSGATE_BUILD_ROOT'])
SYSCONF = PATHS['SYSCONFDIR']
STATE = PATHS['LOCALSTATEDIR'] + '/lib/passgate'
SPOOL = PATHS['LOCALSTATEDIR'] + '/spool/passgate'
PEPPER = SYSCONF + '/passgate/pepper'
CONF = SYSCONF + '/passgate/passgate.conf'
MODULE = PATHS['PAMLIBDIR'] + '/pam_passgate.so'
BUS_POLICY = PATHS['DBUSPOLICYDIR'] + '/org.passgate1.conf'

SERVICES = ('login', 'sshd', 'su')


class Root:
    """A scratch root whose files belong to "passgate": the uid this test runs as."""

    def __init__(self, parent, passgate_uid=None):
        self.path = tempfile.mkdtemp(prefix='root-', dir=parent)
        uid = os.getuid() if passgate_uid is None else passgate_uid
        self.write('/etc/passwd', f'root:x:0:0:root:/root:/bin/sh\npassgate:x:{uid}:{uid}::/:/usr/sbin/nologin\n')
        self.write('/etc/shadow', 'root:*:19000:0:99999:7:::\npassgate:!*:19000::::::\n', 0o600)
        self.write(CONF, '# the defaults\n')
        self.write(PEPPER, os.urandom(32), 0o400)
        self.mkdir(STATE, 0o700)
        self.write(STATE + '/data.mdb', b'\0' * 16, 0o600)
        self.mkdir(SPOOL, 0o700)
        self.write(MODULE, b'', 0o644)
        self.write(BUS_POLICY, sources.read('dbus', 'org.passgate1.conf'))
        for name, text in sources.readme_pam_files().items():
            self.write('/etc/pam.d/' + name, text)
        for service in SERVICES:
            self.write('/etc/pam.d/' + service, '@include common-auth\n@include common-account\n'
                                                '@include common-password\n')
        self.write('/etc/pam.d/cron', 'auth required pam_unix.so\naccount required pam_unix.so\n')

    def at(self, path):
        return self.path + path

    def mkdir(self, path, mode=0o755):
        os.makedirs(self.at(path), exist_ok=True)
        os.chmod(self.at(path), mode)

    def write(self, path, data, mode=0o644):
        os.makedirs(os.path.dirname(self.at(path)), exist_ok=True)
        if os.path.exists(self.at(path)):
            os.chmod(self.at(path), 0o600)
        with open(self.at(path), 'wb' if isinstance(data, bytes) else 'w') as f:
            f.write(data)
        os.chmod(self.at(path), mode)

    def snapshot(self):
        """Every path with its mode, owner, size, times and content: what must not change."""
        shot = {}
        for dirpath, dirnames, filenames in os.walk(self.path):
            for name in dirnames + filenames:
                p = os.path.join(dirpath, name)
                st = os.lstat(p)
                digest = ''
                if stat.S_ISREG(st.st_mode):
                    with open(p, 'rb') as f:
                        digest = hashlib.sha256(f.read()).hexdigest()
                shot[p] = (st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns, digest)
        return shot


class Doctor(harness.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='passgate-doctor-')
        os.chmod(cls.tmp, 0o755)
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.sb = harness.Sandbox(polkit=None if harness.is_root() else [harness.N.PG_POLKIT_MANAGE]).start()
        cls.addClassCleanup(cls.sb.close)

    def setUp(self):
        if self.sb.daemon_proc is None:
            self.sb.start_daemon(fresh=True)

    def doctor(self, root, *args, rc=None):
        env = self.sb.base_env()
        env.pop('STATE_DIRECTORY', None)
        argv = [self.sb.ctl_bin] + list(args) + ['doctor', f'--root={root.path}']
        before = root.snapshot()
        p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(root.snapshot(), before, 'the doctor changed the files it checked')
        if rc is not None:
            self.assertEqual(p.returncode, rc, p.stdout + p.stderr)
        return p

    def assertProblem(self, root, text, fix=None):
        """The doctor fails on root, with a PROBLEM line that has text and, right after it, fix."""
        p = self.doctor(root, rc=1)
        lines = p.stdout.splitlines()
        found = [i for i, line in enumerate(lines) if line.startswith('PROBLEM') and text in line]
        self.assertTrue(found, f'no problem with {text!r}:\n{p.stdout}')
        if fix is not None:
            after = lines[found[0] + 1] if found[0] + 1 < len(lines) else ''
            self.assertTrue(after.lstrip().startswith('fix:') and fix in after, f'{fix!r} after it:\n{p.stdout}')
        return p.stdout

    # ------------------------------------------------------------------ a good root

    def test_good_root(self):
        root = Root(self.tmp)
        p = self.doctor(root, rc=0)
        self.assertEqual(p.stderr, '')
        self.assertNotIn('PROBLEM', p.stdout)
        self.assertTrue(p.stdout.endswith('No problems found.\n'), p.stdout)
        self.assertRegex(p.stdout, r'(?m)^ok +passgated answers')
        self.assertRegex(p.stdout, r'(?m)^ok +password policy: 15 to 256 characters$')
        self.assertRegex(p.stdout, rf'(?m)^ok +pepper {root.at(PEPPER)}: ')
        self.assertRegex(p.stdout, rf'(?m)^ok +state directory {root.at(STATE)}: ')
        self.assertRegex(p.stdout, rf'(?m)^ok +\[delivery\] sms: spool {root.at(SPOOL)}, ')
        for service in SERVICES:
            self.assertRegex(p.stdout, rf'(?m)^ok +{service} uses pam_passgate\.so for auth, account, password$')
        self.assertNotIn('cron', p.stdout)
        if harness.is_root():
            self.assertRegex(p.stdout, r'(?m)^ok +the store answers: accounts: 0$')

    def test_good_root_as_json(self):
        p = self.doctor(Root(self.tmp), '--json', rc=0)
        findings = json.loads(p.stdout)
        self.assertTrue(findings)
        self.assertLessEqual({f['Status'] for f in findings}, {'ok', 'note'})
        self.assertTrue(all(set(f) <= {'Status', 'Text', 'Fix'} and f['Text'] for f in findings))

    def test_problems_as_json(self):
        root = Root(self.tmp)
        os.chmod(root.at(STATE), 0o750)
        findings = json.loads(self.doctor(root, '--json', rc=1).stdout)
        problems = [f for f in findings if f['Status'] == 'problem']
        self.assertEqual(len(problems), 1, findings)
        self.assertIn('(mode 0750)', problems[0]['Text'])
        self.assertEqual(problems[0]['Fix'], f'chmod 0700 {root.at(STATE)}')

    def test_root_must_be_a_directory(self):
        p = subprocess.run([self.sb.ctl_bin, 'doctor', f'--root={self.tmp}/none'], capture_output=True, text=True,
                           env=self.sb.base_env())
        self.assertEqual((p.returncode, p.stdout), (2, ''))
        self.assertIn('not a directory', p.stderr)
        p = subprocess.run([self.sb.ctl_bin, 'policy', f'--root={self.tmp}'], capture_output=True, text=True,
                           env=self.sb.base_env())
        self.assertEqual(p.returncode, 2, p.stderr)

    # ------------------------------------------------------------------ the daemon

    def test_daemon_down(self):
        root = Root(self.tmp)
        self.sb.stop_daemon()
        out = self.assertProblem(root, 'passgated does not answer on the system bus', 'systemctl start passgated.service')
        # The rest is checked all the same.
        self.assertRegex(out, rf'(?m)^ok +pepper {root.at(PEPPER)}: ')

    def test_unix_password_of_a_passgate_user(self):
        if not harness.is_root():
            self.skipTest('listing accounts needs root')
        user, = self.sb.make_users(1)
        self.sb.create_account(user, harness.strong_password())
        root = Root(self.tmp)
        with open(root.at('/etc/shadow'), 'a', encoding='utf-8') as f:
            f.write(f'{user}:$y$j9T$abc$def:19000:0:99999:7:::\n')
        self.assertProblem(root, f'{user} has a passgate account and a usable unix password',
                           f'usermod -R {root.path} -L {user}')
        locked = Root(self.tmp)
        with open(locked.at('/etc/shadow'), 'a', encoding='utf-8') as f:
            f.write(f'{user}:!$y$j9T$abc$def:19000:0:99999:7:::\n')
        self.doctor(locked, rc=0)

    # ------------------------------------------------------------------ files

    def test_no_passgate_user(self):
        root = Root(self.tmp)
        root.write('/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n')
        self.assertProblem(root, 'has no passgate user', f'systemd-sysusers --root={root.path}')

    def test_missing_bus_policy(self):
        root = Root(self.tmp)
        os.unlink(root.at(BUS_POLICY))
        self.assertProblem(root, f'the D-Bus policy {root.at(BUS_POLICY)} is missing')

    def test_configuration_syntax_error(self):
        root = Root(self.tmp)
        root.write(CONF, '[store]\n\nthis is not a setting\n')
        self.assertProblem(root, f'{root.at(CONF)}:3: passgated cannot read this line', 'passgate.conf(5)')

    def test_state_directory_open(self):
        root = Root(self.tmp)
        os.chmod(root.at(STATE), 0o755)
        self.assertProblem(root, 'is open to group or others (mode 0755)', f'chmod 0700 {root.at(STATE)}')

    def test_store_file_open(self):
        root = Root(self.tmp)
        os.chmod(root.at(STATE + '/data.mdb'), 0o644)
        self.assertProblem(root, f'{root.at(STATE)}/data.mdb, in the store, is open', 'chmod go=')

    def test_owned_by_someone_else(self):
        root = Root(self.tmp, passgate_uid=os.getuid() + 4242)
        out = self.assertProblem(root, f'state directory {root.at(STATE)} belongs to uid {os.getuid()}',
                                 'chown -R passgate:passgate')
        self.assertIn(f'passgate cannot write to {root.at(SPOOL)}', out)

    def test_pepper_open(self):
        root = Root(self.tmp)
        os.chmod(root.at(PEPPER), 0o644)
        self.assertProblem(root, 'is open to group or others (mode 0644)', f'chmod 0400 {root.at(PEPPER)}')

    def test_pepper_wrong_size(self):
        root = Root(self.tmp)
        root.write(PEPPER, os.urandom(31), 0o400)
        self.assertProblem(root, 'has 31 bytes, not 32', 'from its backup')

    def test_pepper_symlink(self):
        root = Root(self.tmp)
        os.rename(root.at(PEPPER), root.at(PEPPER + '.real'))
        os.symlink(root.at(PEPPER + '.real'), root.at(PEPPER))
        self.assertProblem(root, 'is not a regular file')

    def test_pepper_missing(self):
        root = Root(self.tmp)
        os.unlink(root.at(PEPPER))
        # A store exists: a new pepper would lose every account.
        self.assertProblem(root, f'the pepper {root.at(PEPPER)}: No such file', 'restore')
        os.unlink(root.at(STATE + '/data.mdb'))
        self.assertProblem(root, f'the pepper {root.at(PEPPER)}: No such file',
                           f'(umask 0277; head -c 32 /dev/urandom > {root.at(PEPPER)})')

    # ------------------------------------------------------------------ delivery

    def test_spool_readable_by_others(self):
        root = Root(self.tmp)
        os.chmod(root.at(SPOOL), 0o755)
        self.assertProblem(root, 'others can read the codes', f'chmod o= {root.at(SPOOL)}')

    def test_spool_missing(self):
        root = Root(self.tmp)
        os.rmdir(root.at(SPOOL))
        self.assertProblem(root, f'[delivery] sms: the spool directory {root.at(SPOOL)} does not exist',
                           'install -d -m 0700 -o passgate -g passgate')

    def test_spool_outside_the_sandbox(self):
        root = Root(self.tmp)
        root.mkdir('/srv/sms', 0o700)
        root.write(CONF, '[delivery]\nsms = spool:/srv/sms\n')
        p = self.doctor(root, rc=0)
        self.assertRegex(p.stdout, r'(?m)^note +\[delivery\] sms: passgated.service may write to /srv/sms only after')
        self.assertIn('ReadWritePaths=/srv/sms', p.stdout)
        self.assertRegex(p.stdout, rf'(?m)^ok +\[delivery\] email: spool {root.at(SPOOL)}')

    def test_commands(self):
        root = Root(self.tmp)
        root.write('/usr/local/bin/sms', '#!/bin/sh\n', 0o644)
        root.write(CONF, '[delivery]\nsms = command:/usr/local/bin/sms\nemail = sendmail\n')
        out = self.assertProblem(root, f'[delivery] sms: {root.at("/usr/local/bin/sms")} is not a program')
        self.assertIn(f'[delivery] email: {root.at("/usr/sbin/sendmail")} is not a program', out)
        os.chmod(root.at('/usr/local/bin/sms'), 0o777)
        self.assertProblem(root, 'group or others may change', 'chmod go-w')
        os.chmod(root.at('/usr/local/bin/sms'), 0o755)
        root.write('/usr/sbin/sendmail', '#!/bin/sh\n', 0o4755)
        self.assertProblem(root, 'set-user-ID or set-group-ID', 'command:/PATH')
        os.chmod(root.at('/usr/sbin/sendmail'), 0o755)
        self.doctor(root, rc=0)

    def test_bad_backend(self):
        root = Root(self.tmp)
        root.write(CONF, '[delivery]\nemail = smtp://mail\n')
        self.assertProblem(root, "[delivery] email: 'smtp://mail' is not")

    # ------------------------------------------------------------------ PAM

    def test_stack_that_stops_unix_users(self):
        root = Root(self.tmp)
        root.write('/etc/pam.d/common-auth', 'auth required pam_passgate.so\nauth required pam_unix.so\n')
        out = self.assertProblem(root, 'common-auth:1, used by common-auth, login, sshd, su: auth: users passgate does '
                                 'not know cannot log in', '[success=N user_unknown=ignore')
        self.assertIn('auth: while passgated is down, nobody can log in', out)
        self.assertIn('auth: passgate users cannot log in', out)
        self.assertNotIn('a wrong password is let in', out)

    def test_stack_that_lets_everybody_in(self):
        root = Root(self.tmp)
        root.write('/etc/pam.d/common-auth', 'auth optional pam_passgate.so\nauth required pam_permit.so\n')
        out = self.assertProblem(root, 'common-auth:1, used by common-auth, login, sshd, su: auth: a wrong password is let in')
        self.assertIn('no pam_unix after pam_passgate.so', out)

    def test_account_stack_that_lets_locked_users_in(self):
        root = Root(self.tmp)
        root.write('/etc/pam.d/common-account', 'account sufficient pam_passgate.so\naccount required pam_unix.so\n')
        self.assertProblem(root, 'account: a locked passgate account is let in', 'default=die')

    def test_account_stack_that_skips_forced_changes(self):
        root = Root(self.tmp)
        root.write('/etc/pam.d/common-account',
                   'account [success=done new_authtok_reqd=ignore default=ignore] pam_passgate.so\n'
                   'account required pam_unix.so\n')
        self.assertProblem(root, 'account: a password change passgate requires is not passed on')

    def test_password_stack_of_the_old_readme(self):
        root = Root(self.tmp)
        root.write('/etc/pam.d/common-password',
                   'password [success=done user_unknown=ignore authinfo_unavail=ignore default=die] pam_passgate.so\n'
                   'password required pam_unix.so obscure yescrypt\n')
        self.assertProblem(root, 'common-password:1, used by common-password, login, sshd, su: password: while '
                                 'passgated is down, nobody can change a unix password', 'try_again=ignore')

    def test_password_stack_that_sets_unix_passwords_too(self):
        root = Root(self.tmp)
        root.write('/etc/pam.d/common-password', 'password optional pam_passgate.so\npassword required pam_unix.so\n')
        out = self.assertProblem(root, 'password: pam_unix also sets a unix password for passgate users')
        self.assertIn('password: a password passgate refuses is set all the same', out)

    def test_lines_that_fail(self):
        root = Root(self.tmp)
        root.write('/etc/pam.d/sshd', '@include common-auth\nsession optional pam_passgate.so\n'
                                      'account required /opt/pam_passgate.so tiemout=3 debug\n')
        out = self.assertProblem(root, 'sshd:2, used by sshd: pam_passgate.so has no session stage', 'remove the line')
        self.assertIn("sshd:3, used by sshd: pam_passgate.so ignores the option 'tiemout=3'", out)
        self.assertNotIn("option 'debug'", out)
        self.assertIn('sshd:3, used by sshd: /opt/pam_passgate.so is not installed', out)

    def test_include_that_cannot_be_read(self):
        root = Root(self.tmp)
        # libpam fails a stack whose include is missing: nobody gets through.
        root.write('/etc/pam.d/common-auth', sources.readme_pam_files()['common-auth'] + 'auth include no-such-file\n')
        out = self.assertProblem(root, 'common-auth:1, used by common-auth, login, sshd, su: auth: passgate users cannot '
                                       'log in')
        self.assertIn('auth: users passgate does not know cannot log in', out)

    def test_module_not_installed(self):
        root = Root(self.tmp)
        os.unlink(root.at(MODULE))
        self.assertProblem(root, f'common-auth:1, used by common-auth, login, sshd, su: {MODULE} is not installed')

    def test_every_module_option_is_known(self):
        root = Root(self.tmp)
        options = [o + '5' if o.endswith('=') else o for o in sources.module_options()]
        root.write('/etc/pam.d/common-auth', sources.readme_pam_files()['common-auth'].replace(
            'pam_passgate.so', 'pam_passgate.so ' + ' '.join(options)))
        self.doctor(root, rc=0)

    def test_service_only_for_passgate_users(self):
        root = Root(self.tmp)
        root.write('/etc/pam.d/kiosk', 'auth required pam_passgate.so\naccount required pam_passgate.so\n'
                                       'password required pam_passgate.so\n')
        p = self.doctor(root, rc=0)
        self.assertRegex(p.stdout, r'(?m)^note +kiosk:1, used by kiosk: no pam_unix after pam_passgate.so')

    def test_include_and_substack(self):
        root = Root(self.tmp)
        root.write('/etc/pam.d/passgate-auth',
                   'auth [success=done user_unknown=ignore authinfo_unavail=ignore default=ignore] pam_passgate.so\n')
        # "done" ends an included stack, but only the substack: pam_unix then refuses passgate users.
        root.write('/etc/pam.d/with-include', 'auth include passgate-auth\nauth required pam_unix.so\n')
        root.write('/etc/pam.d/with-substack', 'auth substack passgate-auth\nauth required pam_unix.so\n')
        out = self.assertProblem(root, 'passgate-auth:1, used by with-substack: auth: passgate users cannot log in')
        self.assertNotIn('with-include:', out)
        self.assertNotIn('used by passgate-auth, with-include', out)
        self.assertRegex(out, r'(?m)^ok +with-include uses pam_passgate\.so for auth$')


if __name__ == '__main__':
    harness.main()
