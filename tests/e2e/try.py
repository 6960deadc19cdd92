#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The sandbox behind ./tools/try: a private bus with the shipped policy, passgated on a temporary
state directory with spool delivery, a demo account, a demo service center with slots on the next
days, then a login through the real PAM module.

  try.py [--build-dir DIR] [--user NAME]            interactive login (pam_wrapper), on a terminal;
                                                    messages are printed as they land in the spool
  try.py [--build-dir DIR] [--user NAME] --script   scripted: forced change, the new password, then
                                                    "I don't know the password" with the code from
                                                    the spool; a person without an account lists the
                                                    centers and books with passgatectl; a clerk files
                                                    a reset request, the test clock moves past the
                                                    hold and the temporary password arrives; exit 0
                                                    only if everything worked

Everything started is stopped on exit, on Ctrl-C, SIGTERM and SIGHUP (tests/harness)."""
import argparse
import datetime
import os
import pwd
import re
import shlex
import subprocess
import sys
import termios
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, 'tests'))
os.environ.setdefault('PASSGATE_SOURCE_ROOT', SOURCE)

DEMO_FULL_NAME = 'Иван Иванович Демо'
DEMO_CENTER = 'demo-center'
DEMO_CENTER_NAME = 'Центр госуслуг «Демо»'
DEMO_CENTER_ADDRESS = 'Москва, ул. Примерная, д. 1'
DEMO_CENTER_HOURS = 'ежедневно 10-17'
DEMO_CENTER_PHONE = '+7 495 123-45-67'
SCHEDULE_DAYS = 3               # slots on the next days, from tomorrow
SCHEDULE_HOURS = (10, 11, 12, 14, 15, 16)
SCHEDULE_PLACES = 3
VISITOR_FULL_NAME = 'Пётр Петрович Гость'
# [centers] request_hold of the sandbox: a clerk's request sends the temporary password a minute after
# it is filed (an hour by default), so that one can see it happen in the interactive sandbox.
REQUEST_HOLD = 60
DAY = 24 * 3600
COUPON = re.compile(r'\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{2}\b')


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
        self.ok = True

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
        self.setup_center()

    def setup_center(self):
        """The demo service center, with SCHEDULE_PLACES places at SCHEDULE_HOURS on the next days
        (local time), set up with passgatectl as an administrator would."""
        import harness
        self.ctl('center', 'add', DEMO_CENTER, '--name', DEMO_CENTER_NAME, '--address',
                 DEMO_CENTER_ADDRESS, '--hours', DEMO_CENTER_HOURS, '--phone', DEMO_CENTER_PHONE)
        today = datetime.date.today()
        days = [today + datetime.timedelta(days=d) for d in range(1, SCHEDULE_DAYS + 1)]
        lines = [f'{day:%Y-%m-%d} {h:02d}:00 {SCHEDULE_PLACES}' for day in days for h in SCHEDULE_HOURS]
        self.ctl('center', 'schedule', DEMO_CENTER, input='\n'.join(lines) + '\n')
        self.first_slot = f'{days[0]:%Y-%m-%d} {SCHEDULE_HOURS[0]:02d}:00'
        self.visitor_phone = harness.make_phone()     # a person with no account, for the banner

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

  passgatectl on this sandbox, in another terminal:
    export DBUS_SYSTEM_BUS_ADDRESS={shlex.quote(sb.address)} PATH={shlex.quote(os.path.dirname(sb.ctl_bin))}:$PATH
    passgatectl user show {self.user}

  Service center "{DEMO_CENTER}": anyone, no account needed, lists the centers and their free slots
  ({SCHEDULE_DAYS} days from tomorrow) and books an appointment; the coupon is printed and "sent":
    passgatectl centers
    passgatectl slots {DEMO_CENTER}
    passgatectl book {DEMO_CENTER} {self.first_slot} --full-name '{VISITOR_FULL_NAME}' --contact '{harness.national_phone(self.visitor_phone)}'
    passgatectl cancel COUPON
  A clerk ({self.clerk_text()}) who checked the passport and SNILS files a password reset:
    passgatectl request file {DEMO_CENTER} {self.user} --passport '{self.passport}' --snils '{self.snils}'
    passgatectl request list
  The temporary password goes to the account's contacts {REQUEST_HOLD} s later in this sandbox
  (request_hold; an hour by default, applied within 24 h in any case). Logging in with the current
  password, or passgatectl request cancel ID, stops it meanwhile.
''', flush=True)

    @staticmethod
    def clerk_text():
        import harness
        if harness.is_root():
            return 'root'
        return f'here {harness.current_user()}, whom the polkit mock allows org.passgate1.service-center'

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

    # ---------------------------------------------------------------- --script

    def say(self, good, what, detail=None):
        """One ok/FAIL line; on FAIL also what explains it (a CtlResult or PamResult)."""
        print(f'{"ok  " if good else "FAIL"} {what}', flush=True)
        if not good:
            self.ok = False
            if detail is not None:
                print(repr(detail), flush=True)

    def check(self, what, res, **codes):
        good = all(res.codes.get(k) == v for k, v in codes.items()) and res.user == self.user
        self.say(good, f'{what}: {res.codes} user={res.user}', res)

    def scripted(self):
        import harness
        self.ok = True
        new = harness.strong_password()

        res = self.sb.pam(answers=[harness.national_phone(self.phone), self.password, self.password, new, new])
        self.check('login by phone with the temporary password, forced change', res,
                   auth='PAM_SUCCESS', acct='PAM_NEW_AUTHTOK_REQD', chauthtok='PAM_SUCCESS')
        res = self.sb.pam(user=self.email, answers=[new])
        self.check('login by e-mail with the new password', res, auth='PAM_SUCCESS', acct='PAM_SUCCESS')
        res = self.sb.pam(answers=[self.snils, new])
        self.check('login by SNILS with the new password', res, auth='PAM_SUCCESS', acct='PAM_SUCCESS')
        res = self.sb.pam(user=self.user, answers=[self.password])
        self.say(res.auth == 'PAM_AUTH_ERR', f'the temporary password no longer works: {res.codes}', res)

        recovered = harness.strong_password()
        res = self.sb.pam(user=self.user, answers=['', self.phone, '1', self.passport,
                                                    lambda: self.sb.wait_code(self.phone),
                                                    recovered, recovered])
        told = any('Log in with the new password' in t for t in res.errors())
        self.say(res.auth == 'PAM_AUTH_ERR' and told,
                 f'recovery with the passport and the code from the spool: {res.codes}', res)
        res = self.sb.pam(user=self.user, answers=[new])
        self.say(res.auth == 'PAM_AUTH_ERR', f'the password before the recovery no longer works: {res.codes}',
                 res)
        res = self.sb.pam(user=self.phone, answers=[recovered])
        self.check('login by phone with the recovered password', res, auth='PAM_SUCCESS', acct='PAM_SUCCESS')

        private = self.script_booking()
        self.script_reset_request(recovered)

        leaks = self.sb.log_leaks([self.passport, harness.digits(self.snils)] + private)
        self.say(not leaks, 'no secret, document, visitor or coupon in the daemon log')
        if leaks:
            print(self.sb.daemon_log())
        return 0 if self.ok else 1

    def script_booking(self):
        """A person without an account (another uid when root, else the current user) lists the
        centers and the free slots, and books one, all with passgatectl; the coupon is printed and
        arrives in the spool. Returns what must not show in the daemon's log."""
        import harness
        sb = self.sb
        visitor = sb.make_users(1)[0] if harness.is_root() else None
        who = f'uid {visitor}' if visitor else f'the current user {harness.current_user()}'
        phone = harness.make_phone()
        national = harness.national_phone(phone)
        private = [phone, national, harness.digits(national), VISITOR_FULL_NAME]

        res = sb.ctl('centers', user=visitor)
        self.say(res.rc == 0 and DEMO_CENTER in res.stdout and DEMO_CENTER_NAME in res.stdout,
                 f'a person without an account ({who}) lists the centers: passgatectl centers', res)

        def slots():
            res = sb.ctl('slots', DEMO_CENTER, user=visitor)
            rows = re.findall(r'^(\d{4}-\d\d-\d\d \d\d:\d\d)\s+(\d+)\s*$', res.stdout, re.M)
            return res, {when: int(free) for when, free in rows}

        res, listed = slots()
        free = [when for when, n in listed.items() if n > 0]
        self.say(res.rc == 0 and len(listed) == SCHEDULE_DAYS * len(SCHEDULE_HOURS) and free,
                 f'... and the free slots of {DEMO_CENTER}: passgatectl slots {DEMO_CENTER} '
                 f'({len(listed)} slots, {len(free)} with free places)', res)
        if not free:
            return private
        when = free[0]
        res = sb.ctl('book', DEMO_CENTER, *when.split(), '--full-name', VISITOR_FULL_NAME,
                     '--contact', national, user=visitor)
        m = COUPON.search(res.stdout)
        self.say(res.rc == 0 and m is not None,
                 f'... and books {when}: passgatectl book {DEMO_CENTER} {when} --full-name ... '
                 f'--contact {national} prints coupon {m.group(0) if m else None}', res)
        if not m:
            return private
        coupon = m.group(0)
        private += [coupon, coupon.replace('-', '')]
        try:
            msg = sb.wait_message(lambda m: m.get('To') == phone and coupon in m['body'], timeout=10)
        except AssertionError:
            msg = None
        self.say(msg is not None and DEMO_CENTER_NAME in msg['body'] and DEMO_CENTER_ADDRESS in msg['body'],
                 f'the coupon arrives in the spool: an {msg and msg.get("Channel")} to {phone} with the '
                 f'center and its address', msg)
        res, after = slots()
        self.say(after.get(when) == listed[when] - 1,
                 f'{when} has one free place less: {after.get(when)} of {listed[when]}', res)
        return private

    def script_reset_request(self, current):
        """A clerk (root, or the current user through the polkit mock) files a reset request for the
        demo account with its passport and SNILS; the test clock moves past the hold; the temporary
        password arrives in the spool within 24 h of filing; the password before no longer works,
        the temporary one logs in with a forced change."""
        import harness
        sb = self.sb
        clerk = 'root' if harness.is_root() else f'{harness.current_user()}, allowed by the polkit mock'
        filed = time.time() + sb.clock()        # the daemon's clock
        res = sb.ctl('request', 'file', DEMO_CENTER, self.user, '--passport', self.passport,
                     '--snils', self.snils)
        m = re.search(r'\b([0-9a-f]{16})\b', res.stdout)
        self.say(res.rc == 0 and m is not None,
                 f'a clerk ({clerk}) files a reset request for {self.user} with its passport and SNILS: '
                 f'passgatectl request file {DEMO_CENTER} {self.user} --passport ... --snils ... '
                 f'(request {m.group(1) if m else None})', res)
        if not m:
            return
        request = m.group(1)
        res = sb.ctl('request', 'list', '--json')
        pending = [r for r in res.json or [] if r.get('Request') == request]
        self.say(len(pending) == 1 and pending[0].get('User') == self.user,
                 'the request is pending: passgatectl request list', res)
        seen = {m['file'] for m in sb.spool_messages()}
        if os.environ.get('PASSGATE_TEST_HOOKS') != '0':
            sb.advance_clock(REQUEST_HOLD + 1)
            how, timeout = f'the test clock moved {REQUEST_HOLD + 1} s on', 10
        else:   # a build without the test clock: wait for the hold
            how = f'no test clock in this build, waited for the {REQUEST_HOLD} s hold'
            timeout = REQUEST_HOLD + 20
        to = (self.email, self.phone)
        try:
            msg = sb.wait_message(lambda m: m.get('To') in to and 'Temporary passgate password' in m['body'],
                                  timeout=timeout, seen=seen)
        except AssertionError:
            msg = None
        arrived = time.time() + sb.clock()
        got = msg and re.search(r'password: (\S+)', msg['body'])
        self.say(got and arrived - filed < DAY,
                 f'{how}: the temporary password arrives in the spool ({msg and msg.get("To")}) '
                 f'{arrived - filed:.0f} s after the request was filed, by the daemon\'s clock '
                 f'(at most 24 h)', msg)
        if not got:
            return
        temporary = got.group(1)
        sb.secrets.add(temporary)
        # The message goes out first, then the password is stored and the audit tells it.
        deadline = time.monotonic() + 10
        applied = []
        while not applied and time.monotonic() < deadline:
            applied = [e for e in sb.accounts('ListAudit', 'tu', 0, 0)
                       if e[2] == 'reset-request-applied' and request in e[3]]
            time.sleep(0.05)
        self.say(len(applied) == 1 and applied[0][0] - filed * 1_000_000 < DAY * 1_000_000,
                 f'the audit tells the request applied within 24 h of filing: {applied and applied[0][3]}')
        res = sb.pam(user=self.user, answers=[current])
        self.say(res.auth == 'PAM_AUTH_ERR', f'the password before the reset no longer works: {res.codes}',
                 res)
        new = harness.strong_password()
        res = sb.pam(user=self.user, answers=[temporary, temporary, new, new])
        self.check('login with the temporary password from the center, forced change', res,
                   auth='PAM_SUCCESS', acct='PAM_NEW_AUTHTOK_REQD', chauthtok='PAM_SUCCESS')
        res = sb.pam(user=self.email, answers=[new])
        self.check('login by e-mail with the password chosen after the reset', res, auth='PAM_SUCCESS',
                   acct='PAM_SUCCESS')


def main():
    args = parse_args()
    os.environ['PASSGATE_BUILD_ROOT'] = os.path.abspath(args.build_dir)
    import harness
    # Without root, the current user is the admin and the clerk, through the polkit mock.
    polkit = None if harness.is_root() else [harness.N.PG_POLKIT_MANAGE, harness.N.PG_POLKIT_SERVICE_CENTER]
    demo = None
    try:
        with harness.Sandbox(polkit=polkit, verbose=args.verbose,
                             config={'centers': {'request_hold': str(REQUEST_HOLD)}}) as sb:
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
