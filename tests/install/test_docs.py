#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The documentation against the sources it describes: every configuration key of daemon/conf.c in
passgate.conf(5) and in the shipped passgate.conf, every passgatectl command and option in
passgatectl(1) and --help, every module option and the whole error table in pam_passgate(8); the
polkit actions, the activation file and the unit against common/bus-names.h."""
import configparser
import os
import re
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

import harness  # noqa: E402
import sources  # noqa: E402


def man_sections(page):
    """{heading: text} of a man/*.scd source, for "# HEADING" and "## HEADING"."""
    text = sources.read('man', page + '.scd')
    parts = re.split(r'(?m)^#{1,2} (.+)$', text)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def scd_table_rows(text):
    """[[cell, ...]] of the scdoc tables in text, formatting stripped."""
    rows = []
    for line in text.splitlines():
        m = re.match(r'^(\[\[|\||:[<>-]?)\s*(.*)$', line)
        if not m:
            continue
        cell = m.group(2).replace('*', '').strip()
        if m.group(1) in ('[[', '|'):
            rows.append([cell])
        elif rows:
            rows[-1].append(cell)
    return rows


class ConfigKeys(harness.TestCase):
    def test_every_key_in_the_man_page_under_its_section(self):
        sections = man_sections('passgate.conf.5')
        for section, key in sources.config_keys():
            with self.subTest(f'[{section}] {key}'):
                self.assertIn(f'[{section}]', sections, f'passgate.conf(5) has no "# [{section}]"')
                self.assertRegex(sections[f'[{section}]'], rf'(?m)^\*{key}\* = ',
                                 f'passgate.conf(5) does not document [{section}] {key}')

    def test_every_key_in_the_shipped_file_under_its_section(self):
        text = sources.read('conf', 'passgate.conf.in')
        # Uncommented, the file is INI: the keys must sit in the right sections.
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(re.sub(r'(?m)^#(\w+ =)', r'\1', text))
        shipped = {(s, k) for s in parser.sections() for k in parser[s]}
        self.assertEqual(shipped, set(sources.config_keys()))

    def test_the_man_page_documents_no_key_that_does_not_exist(self):
        keys = set(sources.config_keys())
        for heading, text in man_sections('passgate.conf.5').items():
            m = re.fullmatch(r'\[(\w+)\]', heading)
            if not m:
                continue
            for key in re.findall(r'(?m)^\*(\w+)\* = ', text):
                self.assertIn((m.group(1), key), keys)


class Passgatectl(harness.TestCase):
    def setUp(self):
        self.commands = man_sections('passgatectl.1')['COMMANDS']
        self.page = sources.read('man', 'passgatectl.1.scd')
        ctl = os.path.join(os.environ['PASSGATE_BUILD_ROOT'], 'ctl', 'passgatectl')
        self.help = subprocess.run([ctl, '--help'], capture_output=True, text=True,
                                   env=dict(os.environ, LC_ALL='C.UTF-8', LANGUAGE='')).stdout

    def test_every_command_in_the_man_page_and_the_help(self):
        top, _ = sources.ctl_commands()
        self.assertIn('doctor', top)
        for command in sources.ctl_documented_commands():
            with self.subTest(command):
                self.assertRegex(self.commands, rf'(?m)^\*{command}\*', 'passgatectl(1), COMMANDS')
                self.assertRegex(self.help, rf'(?m)^  {command}\b', 'passgatectl --help')

    def test_every_option_in_the_man_page(self):
        for option in sources.ctl_options():
            with self.subTest(option):
                self.assertRegex(self.page, rf'(?m)^\*(-\w\*, \*)?--{option}\*', 'passgatectl(1)')

    def test_exit_codes(self):
        text = man_sections('passgatectl.1')['EXIT STATUS']
        header = sources.read('ctl', 'ctl-error.h')
        codes = sorted(int(n) for n in re.findall(r'CTL_EXIT_\w+ = (\d+),', header))
        self.assertEqual(sorted(int(n) for n in re.findall(r'(?m)^\*(\d+)\*$', text)), codes)


class PamModule(harness.TestCase):
    def test_every_option(self):
        options = man_sections('pam_passgate.8')['OPTIONS']
        found = sources.module_options()
        self.assertIn('timeout=', found)
        for option in found:
            with self.subTest(option):
                self.assertRegex(options, rf'(?m)^\*{re.escape(option)}\*')

    def test_the_error_table(self):
        rows, default = sources.module_error_table()
        table = scd_table_rows(man_sections('pam_passgate.8')['RETURN VALUES'])
        self.assertEqual(table[0], ['error', 'auth', 'account', 'password'])
        expected = [[name.rsplit('.', 1)[1], *codes] for name, *codes in rows] + [['any other', *default]]
        self.assertEqual(table[1:], expected)

    def test_every_stage_the_module_has(self):
        text = sources.read('pam_module', 'pam_passgate.c')
        desc = man_sections('pam_passgate.8')['DESCRIPTION']
        stages = {'pam_sm_authenticate': 'auth', 'pam_sm_acct_mgmt': 'account', 'pam_sm_chauthtok': 'password'}
        for function, stage in stages.items():
            self.assertIn(function, text)
            self.assertRegex(desc, rf'(?m)^\*{stage}\*$')
        self.assertNotIn('pam_sm_open_session', text, 'the man page says there is no session stage')


class BusFiles(harness.TestCase):
    names = sources.bus_names()

    def test_polkit_actions(self):
        root = ET.fromstring(sources.read('dbus', 'org.passgate1.policy'))
        self.assertEqual(root.tag, 'policyconfig')
        actions = {a.get('id'): a for a in root.findall('action')}
        wanted = {v for k, v in self.names.items() if k.startswith('PG_POLKIT_')}
        self.assertEqual(set(actions), wanted)
        for action in actions.values():
            self.assertTrue(action.findtext('description').strip())
            self.assertTrue(action.findtext('message').strip())
            defaults = action.find('defaults')
            for element in ('allow_any', 'allow_inactive', 'allow_active'):
                self.assertEqual(defaults.findtext(element), 'auth_admin_keep', element)

    def test_activation_file_unit_and_users_agree(self):
        service = configparser.ConfigParser(interpolation=None)
        service.optionxform = str
        service.read_string(sources.read('dbus', 'org.passgate1.service'))
        act = service['D-BUS Service']
        self.assertEqual(act['Name'], self.names['PG_BUS_NAME'])
        self.assertEqual(act['SystemdService'], 'passgated.service')
        unit = sources.read('systemd', 'passgated.service.in')
        self.assertIn(f'\nBusName={self.names["PG_BUS_NAME"]}\n', unit)
        self.assertIn('\nType=dbus\n', unit)
        user = re.search(r'(?m)^User=(\w+)$', unit).group(1)
        self.assertEqual(act['User'], user)
        self.assertRegex(sources.read('systemd', 'passgate.sysusers.conf'), rf'(?m)^u {user} ')
        policy = ET.fromstring(sources.read('dbus', 'org.passgate1.conf'))
        owners = {p.get('user') for p in policy.findall('policy')
                  if p.find(f'allow[@own="{self.names["PG_BUS_NAME"]}"]') is not None}
        self.assertEqual(owners, {user, 'root'})

    def test_man_pages_named_in_the_unit_exist(self):
        unit = sources.read('systemd', 'passgated.service.in')
        for name, section in re.findall(r'man:([\w.]+)\((\d)\)', unit):
            self.assertTrue(os.path.exists(os.path.join(sources.SOURCE_ROOT, 'man', f'{name}.{section}.scd')),
                            name)


if __name__ == '__main__':
    harness.main()
