# SPDX-License-Identifier: GPL-2.0-or-later
"""What the sources say, parsed rather than copied into the tests: the configuration keys
(daemon/conf.c), passgatectl's commands and options (ctl/passgatectl.c), the module's options and
error table (pam_module/), the paths a build was configured with (<build>/config.h) and the pam.d
files the README recommends."""
import os
import re

SOURCE_ROOT = os.environ.get('PASSGATE_SOURCE_ROOT') or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read(*path):
    with open(os.path.join(SOURCE_ROOT, *path), encoding='utf-8') as f:
        return f.read()


def _c_table(text, name):
    """The body of `... name[] = { ... };` in C source."""
    m = re.search(r'\b' + re.escape(name) + r'\[\w*\]\s*=\s*\{(.*?)\n\};', text, re.S)
    if not m:
        raise AssertionError(f'no table {name}[] in the source')
    return m.group(1)


def config_keys():
    """[(section, key)] of daemon/conf.c's keys[] table."""
    return re.findall(r'\{\s*"(\w+)",\s*"(\w+)",\s*set_\w+,', _c_table(read('daemon', 'conf.c'), 'keys'))


def ctl_commands():
    """(top-level commands, commands of the user group) of ctl/passgatectl.c."""
    text = read('ctl', 'passgatectl.c')
    top = re.findall(r'\{\s*"([\w-]+)",', _c_table(text, 'verbs'))
    user = re.findall(r'\{\s*"([\w-]+)",', _c_table(text, 'user_verbs'))
    return top, user


def ctl_documented_commands():
    """Every command as passgatectl(1) and --help name it: the top-level verbs that run alone
    ("status", "support") and the verbs of each group ("user add", "request file")."""
    text = read('ctl', 'passgatectl.c')
    out = []
    for name, run, sub in re.findall(r'\{\s*"([\w-]+)",[^{}]*?,\s*(\w+),\s*(\w+)\s*\}',
                                     _c_table(text, 'verbs')):
        if run != 'NULL':
            out.append(name)
        if sub != 'NULL':
            out += [f'{name} {c}' for c in re.findall(r'\{\s*"([\w-]+)",', _c_table(text, sub))]
    return out


def ctl_options():
    """The long options of ctl/passgatectl.c, without the dashes."""
    return re.findall(r'\{\s*"([\w-]+)",\s*(?:no|required)_argument', _c_table(read('ctl', 'passgatectl.c'), 'options'))


def module_options():
    """The options pam_module/module-options.c compares arguments with ("timeout=" included)."""
    text = read('pam_module', 'module-options.c')
    return re.findall(r'streq\(a, "([\w=]+)"\)', text) + re.findall(r'strncmp\(a, "([\w=]+)"', text)


def bus_names():
    """common/bus-names.h's #defines, string concatenation resolved."""
    names = {}
    for line in read('common', 'bus-names.h').splitlines():
        m = re.match(r'#define\s+(PG_\w+)\s+(.*?)\s*(?:/\*.*)?$', line)
        if m:
            names[m.group(1)] = ''.join(t[1:-1] if t.startswith('"') else names[t]
                                        for t in re.findall(r'"[^"]*"|\w+', m.group(2)))
    return names


def module_error_table():
    """[(error name, auth code, account code, password code)] of pam_module/module-errors.c, and the
    codes for unknown names."""
    text = read('pam_module', 'module-errors.c')
    names = bus_names()
    rows = [(names[n], a, b, c) for n, a, b, c in re.findall(
        r'\{\s*(PG_ERROR_\w+),\s*\{\s*(PAM_\w+),\s*(PAM_\w+),\s*(PAM_\w+)\s*\}\s*\}', _c_table(text, 'error_table'))]
    default = tuple(re.findall(r'PAM_\w+', _c_table(text, 'error_default')))
    return rows, default


def config_h(build_root):
    """The quoted #defines of <build>/config.h: the directories that build was configured with."""
    with open(os.path.join(build_root, 'config.h'), encoding='utf-8') as f:
        return dict(re.findall(r'#define\s+(\w+)\s+"([^"]*)"', f.read()))


def readme_pam_files():
    """{'common-auth': text, ...}: the README's fenced blocks that start with "# /etc/pam.d/NAME"."""
    files = {}
    block = indent = None
    for line in read('README.md').splitlines():
        fence = re.match(r'^( *)```\w*$', line)
        if block is None and fence:
            block, indent = [], fence.group(1)
        elif block is not None and line == indent + '```':
            m = block and re.match(r'# /etc/pam\.d/([\w-]+)$', block[0])
            if m:
                files[m.group(1)] = ''.join(b + '\n' for b in block[1:])
            block = None
        elif block is not None:
            block.append(line[len(indent):])
    if not files:
        raise AssertionError('README.md has no "# /etc/pam.d/..." blocks')
    return files
