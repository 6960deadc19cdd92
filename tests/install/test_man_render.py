#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The man pages scdoc built render with man(1) without a warning from groff, with their NAME.

  test_man_render.py PAGE..."""
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import harness  # noqa: E402

PAGES = sys.argv[1:]
del sys.argv[1:]


class Render(harness.TestCase):
    def test_pages_render(self):
        if not shutil.which('man'):
            raise unittest.SkipTest('man is not installed')
        self.assertEqual(len(PAGES), 4)
        for page in PAGES:
            with self.subTest(os.path.basename(page)):
                p = subprocess.run(['man', '--warnings', '-l', page], capture_output=True, text=True,
                                   env=dict(os.environ, MANWIDTH='80', LC_ALL='C.UTF-8', MANPAGER='cat'))
                self.assertEqual((p.returncode, p.stderr), (0, ''))
                name = os.path.basename(page).rsplit('.', 1)[0]
                self.assertIn('NAME', p.stdout)
                self.assertIn(f'{name} - ', p.stdout)
                self.assertNotRegex(p.stdout, r'@[A-Z_]+@', 'a configure placeholder was left')


if __name__ == '__main__':
    harness.main()
