#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""completion/passgatectl, sourced into bash and asked as readline would: the commands and options
are those of ctl/passgatectl.c, each verb offers only its own options."""
import os
import shlex
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

import harness  # noqa: E402
import sources  # noqa: E402

SCRIPT = os.path.join(sources.SOURCE_ROOT, 'completion', 'passgatectl')


def complete(line):
    """What bash offers at the end of line, sorted."""
    words = shlex.split(line) + ([''] if line.endswith(' ') else [])
    program = f'''
source {shlex.quote(SCRIPT)}
COMP_WORDS=({" ".join(shlex.quote(w) for w in words)})
COMP_CWORD={len(words) - 1}
COMP_LINE={shlex.quote(line)}
COMP_POINT={len(line)}
_passgatectl
printf '%s\\n' "${{COMPREPLY[@]}}"
'''
    p = subprocess.run(['bash', '--norc', '--noprofile', '-c', program], capture_output=True, text=True)
    if p.returncode != 0 or p.stderr:
        raise AssertionError(f'bash: {p.returncode} {p.stderr}')
    return sorted(w for w in p.stdout.split('\n') if w)


class Completion(harness.TestCase):
    def test_registered_for_passgatectl(self):
        p = subprocess.run(['bash', '--norc', '--noprofile', '-c', f'source {shlex.quote(SCRIPT)}; complete -p passgatectl'],
                           capture_output=True, text=True)
        self.assertEqual(p.stdout.strip(), 'complete -F _passgatectl passgatectl')

    def test_commands(self):
        top, user = sources.ctl_commands()
        self.assertEqual(complete('passgatectl '), sorted(top))
        self.assertEqual(complete('passgatectl us'), ['user'])
        self.assertEqual(complete('passgatectl user '), sorted(user))
        self.assertEqual(complete('passgatectl user pa'), ['passwd'])
        self.assertEqual(complete('passgatectl --json user l'), ['list', 'lock'])

    def test_options_of_each_command(self):
        every = {'--' + o for o in sources.ctl_options()}
        common = {'--help', '--version', '--json'}
        offered = set(complete('passgatectl -'))
        self.assertEqual(offered, common)
        cases = {
            'user add': {'--full-name', '--phone', '--email', '--passport', '--snils', '--inn'},
            'user passwd': {'--password-stdin', '--must-change', '--generate'},
            'user lock': {'--reason'},
            'request file': {'--passport', '--snils', '--contact'},
            'slots': {'--from', '--to'},
            'book': {'--full-name', '--contact'},
            'center add': {'--name', '--address', '--hours', '--phone'},
            'audit': {'--since', '--since-usec', '--max'},
            'doctor': {'--root'},
            'user show': set(),
        }
        seen = set(common)
        for command, own in cases.items():
            with self.subTest(command):
                self.assertEqual(set(complete(f'passgatectl {command} --')), common | own)
                seen |= own
        self.assertEqual(seen, every, 'an option of passgatectl.c that no command completes')

    def test_values(self):
        if not harness.is_root():
            self.skipTest('needs a unix user of its own (root)')
        sb = harness.Sandbox(daemon=False).start()
        self.addCleanup(sb.close)
        user, = sb.make_users(1)
        self.assertIn(user, complete(f'passgatectl user show {user[:-1]}'))
        self.assertIn(user, complete(f'passgatectl status {user[:-1]}'))
        self.assertEqual(complete(f'passgatectl user show {user} '), [])
        self.assertEqual(complete('passgatectl user add x --phone '), [])
        self.assertEqual(complete('passgatectl user list '), [])
        root = sb.tmp + '/'
        self.assertIn(root + 'spool', complete(f'passgatectl doctor --root {root}sp'))


if __name__ == '__main__':
    harness.main()
