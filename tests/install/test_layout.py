#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""meson install as the README does it (--prefix=/usr, a release build, man pages on), into a
DESTDIR: exactly the files Debian expects, where it expects them, with their modes; the pepper never;
a second install keeps an edited passgate.conf. Then the README's next steps on that tree as a root
(systemd-sysusers, systemd-tmpfiles, the pepper, the pam.d files): passgatectl doctor --root finds
nothing wrong, and systemd-analyze accepts the installed unit."""
import glob
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

import harness  # noqa: E402
import sources  # noqa: E402

RELEASE_OPTIONS = ['--prefix=/usr', '-Dbuildtype=debugoptimized', '-Dman=enabled']


def run(argv, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise AssertionError(f'{" ".join(argv)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}')
    return p


def multiarch():
    return run(['gcc', '-print-multiarch']).stdout.strip()


def pkg_config(package, variable):
    return run(['pkg-config', f'--variable={variable}', package]).stdout.strip()


def expected_files():
    """{path: mode} that meson install must put under DESTDIR, and nothing else."""
    files = {
        '/usr/bin/passgatectl': 0o755,
        '/usr/libexec/passgated': 0o755,
        f'/lib/{multiarch()}/security/pam_passgate.so': 0o644,
        '/etc/passgate/passgate.conf': 0o644,
        pkg_config('systemd', 'systemdsystemunitdir') + '/passgated.service': 0o644,
        '/usr/lib/sysusers.d/passgate.conf': 0o644,
        '/usr/lib/tmpfiles.d/passgate.conf': 0o644,
        '/usr/share/dbus-1/system-services/org.passgate1.service': 0o644,
        '/usr/share/dbus-1/system.d/org.passgate1.conf': 0o644,
        '/usr/share/polkit-1/actions/org.passgate1.policy': 0o644,
        '/usr/share/man/man1/passgatectl.1': 0o644,
        '/usr/share/man/man5/passgate.conf.5': 0o644,
        '/usr/share/man/man8/passgated.8': 0o644,
        '/usr/share/man/man8/pam_passgate.8': 0o644,
        '/usr/share/bash-completion/completions/passgatectl': 0o644,
    }
    for xml in glob.glob(os.path.join(sources.SOURCE_ROOT, 'dbus', '*.xml')):
        files['/usr/share/dbus-1/interfaces/' + os.path.basename(xml)] = 0o644
    linguas = os.path.join(sources.SOURCE_ROOT, 'po', 'LINGUAS')
    if os.path.exists(linguas):
        for lang in sources.read('po', 'LINGUAS').split():
            files[f'/usr/share/locale/{lang}/LC_MESSAGES/passgate.mo'] = 0o644
    return files


def installed(destdir):
    """{path: mode} of every file and symbolic link under destdir."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(destdir):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = os.path.join(dirpath, name)
            found['/' + os.path.relpath(path, destdir)] = stat.S_IMODE(os.lstat(path).st_mode)
    return found


TMP = None
BUILD = None


def setUpModule():
    """One build as the README makes it, installed by each test class into a DESTDIR of its own."""
    global TMP, BUILD
    TMP = tempfile.mkdtemp(prefix='passgate-install-')
    unittest.addModuleCleanup(shutil.rmtree, TMP, ignore_errors=True)
    BUILD = os.path.join(TMP, 'build-release')
    run(['meson', 'setup', BUILD, sources.SOURCE_ROOT] + RELEASE_OPTIONS)
    run(['ninja', '-C', BUILD])


def install(destdir):
    return run(['meson', 'install', '-C', BUILD, '--destdir', destdir]).stdout


class Layout(harness.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TMP
        cls.dest = os.path.join(TMP, 'dest')
        cls.install_output = install(cls.dest)

    def test_exactly_the_expected_files_with_their_modes(self):
        self.assertEqual(installed(self.dest), expected_files())

    def test_pepper_never_installed(self):
        self.assertFalse([p for p in installed(self.dest) if 'pepper' in os.path.basename(p)])
        self.assertNotIn('pepper', self.install_output.lower().replace('passgate.conf', ''))

    def test_config_directory_readable_by_the_service_user(self):
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.dest, 'etc/passgate')).st_mode), 0o755)

    def test_reinstall_keeps_an_edited_configuration(self):
        conf = os.path.join(self.dest, 'etc/passgate/passgate.conf')
        with open(conf, 'a', encoding='utf-8') as f:
            f.write('[password]\nhash_cost = moderate\n')
        with open(conf, encoding='utf-8') as f:
            edited = f.read()
        install(self.dest)
        with open(conf, encoding='utf-8') as f:
            self.assertEqual(f.read(), edited)
        # Everything else is installed again, and still nothing more.
        self.assertEqual(installed(self.dest), expected_files())

    def test_unit_paths_are_the_installed_ones(self):
        unit = os.path.join(self.dest, pkg_config('systemd', 'systemdsystemunitdir').lstrip('/'),
                            'passgated.service')
        with open(unit, encoding='utf-8') as f:
            text = f.read()
        self.assertIn('ExecStart=/usr/libexec/passgated --config /etc/passgate/passgate.conf\n', text)
        self.assertIn('LoadCredential=pepper:/etc/passgate/pepper\n', text)
        self.assertNotRegex(text, r'@[A-Z_]+@')

    def test_systemd_analyze_accepts_the_unit(self):
        analyze = shutil.which('systemd-analyze')
        if not analyze:
            raise unittest.SkipTest('systemd-analyze is not installed')
        # The installed tree plus the host's own units (dbus.socket, sysinit.target...) as a root.
        root = os.path.join(self.tmp, 'analyze-root')
        shutil.copytree(self.dest, root, symlinks=True)
        host_units = pkg_config('systemd', 'systemdsystemunitdir')
        shutil.copytree(host_units, os.path.join(root, 'usr/lib/systemd/system'), symlinks=True,
                        dirs_exist_ok=True)
        env = dict(os.environ, MANPATH=os.path.join(root, 'usr/share/man'))
        p = subprocess.run([analyze, 'verify', f'--root={root}', 'passgated.service'],
                           capture_output=True, text=True, env=env)
        self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ''))
        p = subprocess.run([analyze, 'security', '--offline=yes', f'--root={root}', '--no-pager',
                            'passgated.service'], capture_output=True, text=True, env=env)
        m = re.search(r'Overall exposure level for passgated\.service: (\d+\.\d+)', p.stdout + p.stderr)
        self.assertTrue(m, p.stdout + p.stderr)
        self.assertLessEqual(float(m.group(1)), 2.0, p.stdout)


class ReadmeSteps(harness.TestCase):
    """Steps 2 to 5 of the README on a DESTDIR install taken as the root of a host."""

    @classmethod
    def setUpClass(cls):
        for tool in ('systemd-sysusers', 'systemd-tmpfiles'):
            if not shutil.which(tool):
                raise unittest.SkipTest(f'{tool} is not installed')
        cls.root = os.path.join(TMP, 'root')
        install(cls.root)
        cls.ctl = os.path.join(BUILD, 'ctl', 'passgatectl')

        r = cls.root
        run(['systemd-sysusers', f'--root={r}', 'passgate.conf'])
        run(['systemd-tmpfiles', '--create', f'--root={r}', 'passgate.conf'])
        run(['sh', '-c', f'(umask 0277; head -c 32 /dev/urandom > {r}/etc/passgate/pepper)'])
        # What StateDirectory=passgate makes when the unit starts.
        uid = gid = None
        with open(os.path.join(r, 'etc/passwd'), encoding='utf-8') as f:
            for line in f:
                fields = line.split(':')
                if fields[0] == 'passgate':
                    uid, gid = int(fields[2]), int(fields[3])
        os.makedirs(os.path.join(r, 'var/lib/passgate'), mode=0o700)
        if harness.is_root():
            os.chown(os.path.join(r, 'var/lib/passgate'), uid, gid)
        cls.uid = uid
        pamd = os.path.join(r, 'etc/pam.d')
        os.makedirs(pamd)
        for name, text in sources.readme_pam_files().items():
            with open(os.path.join(pamd, name), 'w', encoding='utf-8') as f:
                f.write(text)
        # Debian's services, which only include the common files.
        for service in ('login', 'sshd', 'sudo', 'passwd'):
            with open(os.path.join(pamd, service), 'w', encoding='utf-8') as f:
                f.write('@include common-auth\n@include common-account\n@include common-password\n')

        cls.sb = harness.Sandbox().start()
        cls.addClassCleanup(cls.sb.close)

    def doctor(self, *args):
        p = subprocess.run([self.ctl, 'doctor', f'--root={self.root}'] + list(args), capture_output=True,
                           text=True, env=self.sb.base_env())
        return p.returncode, p.stdout, p.stderr

    def test_sysusers_and_tmpfiles_made_what_the_service_needs(self):
        self.assertIsNotNone(self.uid, 'systemd-sysusers made no passgate user')
        spool = os.stat(os.path.join(self.root, 'var/spool/passgate'))
        self.assertEqual((stat.S_IMODE(spool.st_mode), spool.st_uid), (0o700, self.uid if harness.is_root() else spool.st_uid))
        pepper = os.stat(os.path.join(self.root, 'etc/passgate/pepper'))
        self.assertEqual((stat.S_IMODE(pepper.st_mode), pepper.st_size), (0o400, 32))

    def test_doctor_finds_nothing_wrong(self):
        if not harness.is_root():
            raise unittest.SkipTest('the tree must belong to passgate, which needs root to chown')
        rc, out, err = self.doctor()
        self.assertEqual((rc, err), (0, ''), out)
        self.assertNotIn('PROBLEM', out)
        for service in ('common-auth', 'login', 'sshd', 'sudo', 'passwd'):
            self.assertRegex(out, rf'(?m)^ok +{service} uses pam_passgate\.so for ')
        self.assertIn('No problems found.', out)

    def test_enrol_as_the_readme_does(self):
        if not harness.is_root():
            raise unittest.SkipTest('needs root: a unix user')
        user, = self.sb.make_users(1)
        ctl = self.sb.ctl
        self.assertEqual(ctl('user', 'add', user, '--full-name', 'Алиса Петрова', '--phone', '8 912 345-67-89',
                             '--email', 'alice@example.com').rc, 0)
        res = ctl('user', 'passwd', user, '--generate', '--must-change')
        self.assertEqual(res.rc, 0, res)
        m = re.search(r'Your new password is: (\S+)', res.stdout)
        self.assertTrue(m, res)
        password = m.group(1)
        self.sb.secrets.add(password)
        kind, prompt = self.sb.login(user, password)
        self.assertEqual(kind, 'done')
        self.assertTrue(prompt['PasswordChangeRequired'])


if __name__ == '__main__':
    harness.main()
