#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""passgated under valgrind memcheck through one full login and one full recovery (tools/valgrind).

The sandbox of tests/harness (private bus, spool delivery: no child process, [password]
hash_cost=min) with the daemon started under valgrind; an account, a login through pam_passgate.so
(pam_wrapper, pam-driver), a recovery (empty password, phone, passport, the code from the spool, a
new password twice), a login with the new password, then SIGTERM. Passes when valgrind exits 0 and
its log says "ERROR SUMMARY: 0 errors" and no definite leak.

Usage: valgrind-login.py BUILD_DIR VALGRIND_LOG
"""
import os
import re
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SOURCE, 'tests'))

RECOVERED = 'Your password has been changed. Log in with the new password.'
VALGRIND_STATUS = 99


def fail(msg):
    sys.stderr.write(f'valgrind-login: FAIL: {msg}\n')
    sys.exit(1)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    build, vg_log = (os.path.abspath(a) for a in sys.argv[1:])
    os.environ['PASSGATE_BUILD_ROOT'] = build
    os.environ['PASSGATE_SOURCE_ROOT'] = SOURCE
    os.environ.pop('PASSGATE_ASAN_PRELOAD', None)
    if os.path.exists(vg_log):
        os.unlink(vg_log)

    import harness
    from harness import N, make_passport, make_phone, strong_password

    wrapper = ['valgrind', '--tool=memcheck', '--leak-check=full', '--errors-for-leak-kinds=definite',
               f'--error-exitcode={VALGRIND_STATUS}', '--track-fds=no', '--num-callers=40',
               f'--log-file={vg_log}']
    root = harness.is_root()
    sb = harness.Sandbox(daemon=False, polkit=None if root else [N.PG_POLKIT_MANAGE],
                         daemon_wrapper=wrapper)
    with sb:
        user = sb.make_users(1)[0] if root else harness.current_user()
        sb.start_daemon(fresh=True, wait=False)
        sb.wait_daemon(timeout=180)
        print('valgrind-login: passgated is on the bus under valgrind', flush=True)

        pw, phone, passport = strong_password(), make_phone(), make_passport()
        sb.create_account(user, pw, FullName='Анна Смирнова', Phone=phone,
                          Email='anna.smirnova@example.org', Documents={'passport': passport})

        res = sb.pam(user=user, answers=[pw], timeout=300)
        if res.auth != 'PAM_SUCCESS' or res.acct != 'PAM_SUCCESS':
            fail(f'login: {res!r}')
        print('valgrind-login: login ok', flush=True)

        new = strong_password()
        res = sb.pam(user=user, answers=['', phone, '1', passport, lambda: sb.wait_code(phone, timeout=120),
                                         new, new], timeout=300)
        if RECOVERED not in res.errors():
            fail(f'recovery: {res!r}')
        print('valgrind-login: recovery ok', flush=True)

        res = sb.pam(user=user, answers=[new], timeout=300)
        if res.auth != 'PAM_SUCCESS':
            fail(f'login with the recovered password: {res!r}')
        print('valgrind-login: login with the new password ok', flush=True)

        # SIGTERM, and time for valgrind's leak check (the harness would SIGKILL after 10 s).
        proc = sb.daemon_proc
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=300)
        sb.stop_daemon()
        daemon_log = sb.daemon_log()

    try:
        with open(vg_log, encoding='utf-8', errors='replace') as f:
            log = f.read()
    except OSError as e:
        fail(f'no valgrind log: {e}\ndaemon log:\n{daemon_log}')
    summary = [line for line in log.splitlines()
               if re.search(r'ERROR SUMMARY|LEAK SUMMARY|definitely lost|indirectly lost|possibly lost|'
                            r'still reachable|suppressed:|All heap blocks were freed', line)]
    print('\n'.join(summary))
    problems = []
    if rc != 0:
        problems.append(f'passgated under valgrind exited with status {rc}'
                        f'{" (valgrind found errors)" if rc == VALGRIND_STATUS else ""}')
    if not re.search(r'ERROR SUMMARY: 0 errors', log):
        problems.append('valgrind reports errors')
    lost = re.search(r'definitely lost: ([\d,]+) bytes', log)
    if lost and lost.group(1) != '0':
        problems.append(f'definitely lost: {lost.group(1)} bytes')
    if problems:
        fail('; '.join(problems) + f'\nvalgrind log: {vg_log}\ndaemon log:\n{daemon_log[-4000:]}')
    print(f'valgrind-login: ok (valgrind log: {vg_log})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
