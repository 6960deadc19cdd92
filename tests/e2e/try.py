#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The sandbox behind ./tools/try: a private bus with the shipped policy, passgated on a temporary
state directory with spool delivery, a demo account, then a login through the real PAM module.

  try.py [--build-dir DIR] [--user NAME]            interactive login (pam_wrapper), on a terminal
  try.py [--build-dir DIR] [--user NAME] --script   scripted: forced change, the new password, then
                                                    "I don't know the password" with the code from
                                                    the spool; exit 0 only if everything worked

Everything started is stopped on exit, on Ctrl-C, SIGTERM and SIGHUP (tests/harness)."""
import argparse
import os
import pwd
import subprocess
import sys
import termios
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, 'tests'))
os.environ.setdefault('PASSGATE_SOURCE_ROOT', SOURCE)

DEMO_FULL_NAME = 'Иван Иванович Демо'


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--script', action='store_true', help='scripted login + forced change + new login')
    p.add_argument('--build-dir', default=os.environ.get('PASSGATE_BUILD_ROOT') or os.path.join(SOURCE, 'build'))
    p.add_argument('--user', default='pgdemo', help='demo unix user (created when root and missing)')
    p.add_argument('--verbose', action='store_true')
    return p.parse_args()


class Demo:
    def __init__(self, sb, args):
        self.sb = sb
        self.args = args
        self.created_user = False
        self.user = None

    def unix_user(self):
        import harness
        if not harness.is_root():
            # Without root: the current user, managed through the polkit mock.
            return harness.current_user()
        name = self.args.user
        try:
            pwd.getpwnam(name)
        except KeyError:
            harness.sandbox._useradd(name)
            self.created_user = True
        return name

    def cleanup(self):
        import harness
        if self.created_user:
            harness.sandbox._userdel(self.user)
            self.created_user = False

    def ctl(self, *args, input=None):
        res = self.sb.ctl(*args, input=input)
        if res.rc != 0:
            raise SystemExit(f'try: passgatectl {" ".join(map(str, args))} failed ({res.rc}):\n'
                             f'{res.stdout}{res.stderr}')
        return res

    def setup(self):
        import harness
        self.user = self.unix_user()
        self.phone = harness.make_phone()
        self.email = f'{self.user}@example.org'
        self.snils = harness.make_snils()
        self.passport = harness.make_passport()
        self.ctl('user', 'add', self.user, '--full-name', DEMO_FULL_NAME, '--phone', self.phone,
                 '--email', self.email, '--snils', self.snils, '--passport', self.passport)
        self.password = self.ctl('generate').stdout.strip()
        self.sb.secrets.add(self.password)
        self.ctl('user', 'passwd', self.user, '--must-change', '--password-stdin', input=self.password + '\n')

    def banner(self):
        import harness
        sb = self.sb
        print(f'''
passgate sandbox
  unix user   {self.user}
  phone       {self.phone}   (or {harness.national_phone(self.phone)})
  e-mail      {self.email}
  SNILS       {self.snils}
  passport    {self.passport}
  password    {self.password}   (temporary: you will be asked to change it)

  Forgot it? Leave the password empty: recovery asks for the phone or e-mail, a document
  (the passport or SNILS above) and the code, which this sandbox prints as it is "sent".

  spool (codes, notices)  {sb.spool_dir}
  daemon log              {sb.daemon_log_path}
  passgatectl here:       DBUS_SYSTEM_BUS_ADDRESS='{sb.address}' {sb.ctl_bin} user show {self.user}
''', flush=True)

    def watch_spool(self, stop):
        """Prints each message as it lands in the spool: what a phone or mailbox would show."""
        seen = {m['file'] for m in self.sb.spool_messages()}
        while not stop.wait(0.2):
            for m in self.sb.spool_messages():
                if m['file'] in seen:
                    continue
                seen.add(m['file'])
                body = m['body'].strip().replace('\n', ' ')
                print(f'\r\n    [{m.get("Channel", "?")} to {m.get("To", "?")}] {body}\r', flush=True)

    def interactive(self):
        if not sys.stdin.isatty():
            raise SystemExit('try: the interactive login needs a terminal; use --script')
        stop = threading.Event()
        threading.Thread(target=self.watch_spool, args=(stop,), daemon=True).start()
        try:
            return self.login_loop()
        finally:
            stop.set()

    def login_loop(self):
        env = self.sb.pam_env()
        saved = termios.tcgetattr(sys.stdin.fileno())
        try:
            while True:
                print('--- login through pam_passgate.so (user name, phone, e-mail or SNILS); Ctrl-C quits')
                p = subprocess.run([self.sb.driver_bin, 'passgate'], env=env, cwd=self.sb.tmp)
                print(f'--- pam-driver exited with {p.returncode}')
                try:
                    again = input('Log in again? [Y/n] ').strip().lower()
                except EOFError:
                    break
                if again.startswith('n'):
                    break
        finally:
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)
        return 0

    def scripted(self):
        import harness
        new = harness.strong_password()
        ok = True

        def check(what, res, **codes):
            nonlocal ok
            good = all(res.codes.get(k) == v for k, v in codes.items()) and res.user == self.user
            print(f'{"ok  " if good else "FAIL"} {what}: {res.codes} user={res.user}')
            if not good:
                print(repr(res))
                ok = False

        res = self.sb.pam(answers=[harness.national_phone(self.phone), self.password, self.password, new, new])
        check('login by phone with the temporary password, forced change', res,
              auth='PAM_SUCCESS', acct='PAM_NEW_AUTHTOK_REQD', chauthtok='PAM_SUCCESS')
        res = self.sb.pam(user=self.email, answers=[new])
        check('login by e-mail with the new password', res, auth='PAM_SUCCESS', acct='PAM_SUCCESS')
        res = self.sb.pam(answers=[self.snils, new])
        check('login by SNILS with the new password', res, auth='PAM_SUCCESS', acct='PAM_SUCCESS')
        res = self.sb.pam(user=self.user, answers=[self.password])
        bad = res.auth == 'PAM_AUTH_ERR'
        print(f'{"ok  " if bad else "FAIL"} the temporary password no longer works: {res.codes}')
        ok = ok and bad

        recovered = harness.strong_password()
        res = self.sb.pam(user=self.user, answers=['', self.phone, '1', self.passport,
                                                    lambda: self.sb.wait_code(self.phone),
                                                    recovered, recovered])
        told = any('Log in with the new password' in t for t in res.errors())
        good = res.auth == 'PAM_AUTH_ERR' and told
        print(f'{"ok  " if good else "FAIL"} recovery with the passport and the code from the spool: '
              f'{res.codes}')
        if not good:
            print(repr(res))
        ok = ok and good
        res = self.sb.pam(user=self.user, answers=[new])
        bad = res.auth == 'PAM_AUTH_ERR'
        print(f'{"ok  " if bad else "FAIL"} the password before the recovery no longer works: {res.codes}')
        ok = ok and bad
        res = self.sb.pam(user=self.phone, answers=[recovered])
        check('login by phone with the recovered password', res, auth='PAM_SUCCESS', acct='PAM_SUCCESS')
        leaks = self.sb.log_leaks([self.passport, harness.digits(self.snils)])
        print(f'{"ok  " if not leaks else "FAIL"} no secret in the daemon log')
        if leaks:
            ok = False
            print(self.sb.daemon_log())
        return 0 if ok else 1


def main():
    args = parse_args()
    os.environ['PASSGATE_BUILD_ROOT'] = os.path.abspath(args.build_dir)
    import harness
    polkit = None if harness.is_root() else [harness.N.PG_POLKIT_MANAGE]
    demo = None
    try:
        with harness.Sandbox(polkit=polkit, verbose=args.verbose) as sb:
            demo = Demo(sb, args)
            try:
                demo.setup()
                demo.banner()
                return demo.scripted() if args.script else demo.interactive()
            finally:
                demo.cleanup()
    except KeyboardInterrupt:
        print('\ntry: interrupted, sandbox stopped', file=sys.stderr)
        return 130


if __name__ == '__main__':
    sys.exit(main())
