#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Translations. Catalogs: every text of common/messages.h is translated in every po/<lang>.po, none
fuzzy, formats kept, headers right. Flows, in Russian and in Latvian: a login with a forced change
(a refused password, a mismatch, a generated password), a change refused too often, a wrong
password, a locked account, passgatectl's help, errors and dialogue; every line shown must be the
translation from the .po, never an English text. The language is each client's own: conversations
in different languages at once, and an unknown or malformed locale gives English without failing.

  test_i18n.py Catalogs   the catalogs only (no bus, no locales needed)
  test_i18n.py Flows      the flows (needs ru_RU.UTF-8 and lv_LV.UTF-8: tools/deps generates them)
"""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

import harness  # noqa: E402
from harness import V, strong_password  # noqa: E402
from harness.pamcase import OFF, OK, PamTestCase  # noqa: E402

SOURCE = os.environ.get('PASSGATE_SOURCE_ROOT') or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
PO_DIR = os.path.join(SOURCE, 'po')
LOCALES = {'ru': 'ru_RU.UTF-8', 'lv': 'lv_LV.UTF-8'}
PLURAL_FORMS = {
    'ru': 'nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && '
          '(n%100<10 || n%100>=20) ? 1 : 2);',
    'lv': 'nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n != 0 ? 1 : 2);',
}
# Texts that read the same in every language.
SAME_EVERYWHERE = {'%u) %s'}

ERR = 'ERROR_MSG'
INFO = 'TEXT_INFO'
NEW_AUTHTOK_REQD = 'PAM_NEW_AUTHTOK_REQD'


def c_unescape(s):
    return re.sub(r'\\(.)', lambda m: {'n': '\n', 't': '\t'}.get(m.group(1), m.group(1)), s)


def messages_h():
    """{'MSG_ASK_PASSWORD': 'Password: ', ...} from common/messages.h: the one source of the texts."""
    with open(os.path.join(SOURCE, 'common', 'messages.h'), encoding='utf-8') as f:
        text = f.read().replace('\\\n', ' ')
    out = {}
    for name, body in re.findall(r'^#define\s+(MSG_\w+)\s+N_\((.*)\)\s*$', text, re.M):
        out[name] = ''.join(c_unescape(s) for s in re.findall(r'"((?:[^"\\]|\\.)*)"', body))
    return out


MSG = messages_h()


def parse_po(path):
    """[{'msgid', 'msgstr', 'flags'}] of a .po file; obsolete (#~) entries are left out."""
    entries, cur, field = [], None, None
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line.strip():
                cur = field = None
                continue
            if line.startswith('#~'):
                continue
            if cur is None:
                cur = {'msgid': '', 'msgstr': '', 'flags': set()}
                entries.append(cur)
            if line.startswith('#,'):
                cur['flags'] |= {w.strip() for w in line[2:].split(',')}
            elif line.startswith('#'):
                continue
            elif line.startswith('"'):
                cur[field] += c_unescape(line[1:-1])
            else:
                field, _, rest = line.partition(' ')
                if field not in ('msgid', 'msgstr'):
                    raise AssertionError(f'{path}: unexpected line {line!r}')
                cur[field] = c_unescape(rest.strip()[1:-1])
    return entries


def linguas():
    with open(os.path.join(PO_DIR, 'LINGUAS'), encoding='utf-8') as f:
        return [w for line in f if not line.startswith('#') for w in line.split()]


class Catalog:
    def __init__(self, lang):
        self.lang = lang
        entries = parse_po(os.path.join(PO_DIR, f'{lang}.po'))
        self.header = {k.strip(): v.strip() for k, _, v in
                       (line.partition(':') for line in entries[0]['msgstr'].splitlines())}
        self.header_flags = entries[0]['flags']
        self.entries = entries[1:]
        self.tr = {e['msgid']: e['msgstr'] for e in self.entries}

    def __call__(self, name):
        """The translation of a messages.h text, by its macro name."""
        text = self.tr.get(MSG[name])
        if not text:
            raise AssertionError(f'{name} is not translated in po/{self.lang}.po')
        return text


def line_patterns(texts):
    """Each line of each text as a regex over a shown line: printf directives match any value."""
    pats = set()
    for t in texts:
        for line in t.split('\n'):
            line = line.strip()
            if line:
                pats.add(re.sub(r'%[sud]', lambda m: '.+' if m.group(0) == '%s' else r'\d+',
                                re.escape(line)))
    return [re.compile(p) for p in pats]


class Catalogs(unittest.TestCase):
    """The .po files: valid, complete against the sources, nothing left in English."""

    def test_linguas(self):
        self.assertEqual(sorted(linguas()), sorted(LOCALES))

    def test_msgfmt_check(self):
        for lang in linguas():
            with self.subTest(lang=lang):
                p = subprocess.run(['msgfmt', '--check', '--statistics', '--output-file=/dev/null',
                                    os.path.join(PO_DIR, f'{lang}.po')], capture_output=True, text=True,
                                   env=dict(os.environ, LC_ALL='C'))
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertRegex(p.stderr, r'^\d+ translated messages?\.\n\Z', p.stderr)

    def test_headers(self):
        for lang in linguas():
            with self.subTest(lang=lang):
                cat = Catalog(lang)
                self.assertNotIn('fuzzy', cat.header_flags, 'a fuzzy header is left out of the .mo')
                self.assertEqual(cat.header.get('Language'), lang)
                self.assertEqual(cat.header.get('Content-Type'), 'text/plain; charset=UTF-8')
                self.assertEqual(cat.header.get('Plural-Forms'), PLURAL_FORMS[lang])

    def test_every_text_translated(self):
        """Against the template extracted from the sources now (<build>/po/passgate.pot)."""
        pot = os.path.join(os.environ['PASSGATE_BUILD_ROOT'], 'po', 'passgate.pot')
        template = {e['msgid'] for e in parse_po(pot)[1:]}
        self.assertEqual(template, set(MSG.values()), 'the template is not what messages.h holds')
        for lang in linguas():
            with self.subTest(lang=lang):
                cat = Catalog(lang)
                missing = sorted(m for m in template if not cat.tr.get(m))
                fuzzy = sorted(e['msgid'] for e in cat.entries if 'fuzzy' in e['flags'])
                english = sorted(e['msgid'] for e in cat.entries
                                 if e['msgstr'] == e['msgid'] and e['msgid'] not in SAME_EVERYWHERE)
                self.assertEqual((missing, fuzzy, english), ([], [], []),
                                 f'po/{lang}.po: untranslated, fuzzy or English texts; run '
                                 f'`ninja -C <build> passgate-update-po` and translate them')
                p = subprocess.run(['msgcmp', os.path.join(PO_DIR, f'{lang}.po'), pot],
                                   capture_output=True, text=True)
                self.assertEqual(p.returncode, 0, p.stderr)


def have_locale(name):
    want = name.lower().replace('utf-8', 'utf8')
    out = subprocess.run(['locale', '-a'], capture_output=True, text=True).stdout
    return any(line.strip().lower().replace('utf-8', 'utf8') == want for line in out.splitlines())


class Flows(PamTestCase):
    @classmethod
    def setUpClass(cls):
        absent = [loc for loc in LOCALES.values() if not have_locale(loc)]
        if absent:
            raise unittest.SkipTest(f'locales not generated: {", ".join(absent)} (run tools/deps as root)')
        super().setUpClass()
        cls.cats = {lang: Catalog(lang) for lang in LOCALES}
        cls.english = line_patterns(t for t in MSG.values() if t not in SAME_EVERYWHERE)

    def setUp(self):
        super().setUp()
        self.new = strong_password()

    def fresh(self, i):
        """A fresh daemon state for every language after the first (setUp made the first)."""
        if i > 0:
            self.setUp()

    def lang_env(self, locale):
        # As a login session gets it: LANG only (the harness runs everything with LC_ALL=C.UTF-8).
        return {'LC_ALL': '', 'LC_MESSAGES': '', 'LANG': locale}

    def assertAllTranslated(self, lang, lines):
        """Every line is a line of a translation into lang, and none is an English text."""
        translated = line_patterns(self.cats[lang].tr.values())
        for line in lines:
            line = line.strip()
            if not line:
                continue
            self.assertTrue(any(p.fullmatch(line) for p in translated), f'not from {lang}.po: {line!r}')
            self.assertFalse(any(p.fullmatch(line) for p in self.english), f'English text: {line!r}')

    def expected_forced_change(self, t, password=None):
        """(kind, text) of a login with a forced change: a too short password, a mismatch, a
        generated one. t maps a messages.h name to the text shown."""
        generated = t('MSG_GENERATED').replace('%s', password or '%s').split('\n')
        return [(OFF, t('MSG_ASK_PASSWORD')), (ERR, t('MSG_CHANGE_REQUIRED')),
                (OFF, t('MSG_ASK_OLD_PASSWORD')), (OFF, t('MSG_ASK_NEW_PASSWORD')),
                (ERR, t('MSG_PW_TOO_SHORT').replace('%u', '15')), (OFF, t('MSG_ASK_NEW_PASSWORD')),
                (OFF, t('MSG_ASK_REPEAT')), (ERR, t('MSG_MISMATCH')), (OFF, t('MSG_ASK_NEW_PASSWORD')),
                (INFO, generated[0]), (INFO, generated[1]), (INFO, t('MSG_CHANGE_DONE'))]

    def forced_change(self, locale):
        self.make_account(must_change=True)
        # Password, current password, a too short one, a good one and a mismatch, then generate.
        res = self.sb.pam(user=self.user, answers=[self.pw, self.pw, 'short', self.new, self.new + 'x', ''],
                          env=self.lang_env(locale))
        self.assertPam(res, auth=OK, acct=NEW_AUTHTOK_REQD, chauthtok=OK)
        return res

    def generated_in(self, res, t):
        first = re.escape(t('MSG_GENERATED').split('\n')[0].strip()).replace('%s', '(\\S+)')
        found = [m.group(1) for _, text in res.messages if (m := re.fullmatch(first, text.strip()))]
        self.assertEqual(len(found), 1, res)
        self.sb.secrets.add(found[0])
        return found[0]

    def test_forced_change(self):
        for i, (lang, locale) in enumerate(LOCALES.items()):
            with self.subTest(lang=lang):
                self.fresh(i)
                t = self.cats[lang]
                res = self.forced_change(locale)
                password = self.generated_in(res, t)
                self.assertEqual([(k, s.strip()) for k, s in res.messages],
                                 [(k, s.strip()) for k, s in self.expected_forced_change(t, password)])
                self.assertAllTranslated(lang, [s for _, s in res.messages])
                # The password the translated text showed is the one saved.
                res = self.sb.pam(user=self.user, answers=[password], env=self.lang_env(locale))
                self.assertPam(res, auth=OK, acct=OK)
                self.assertEqual(res.messages, [(OFF, t('MSG_ASK_PASSWORD').strip())])

    def test_change_refused_too_often(self):
        for i, (lang, locale) in enumerate(LOCALES.items()):
            with self.subTest(lang=lang):
                self.fresh(i)
                t = self.cats[lang]
                reasons = line_patterns(t(k) for k in MSG if k.startswith('MSG_PW_'))
                self.make_account()
                weak = ['short', 'aaaaaaaaaaaaaaaaaaaa', 'password1234567890']
                # Root resets without the current password, as passwd(1) run by root does.
                answers = weak if harness.is_root() else [self.pw] + weak
                res = self.sb.pam(user=self.user, answers=answers, password=True, env=self.lang_env(locale))
                self.assertPam(res, chauthtok='PAM_AUTHTOK_ERR')
                errors = res.errors()
                self.assertEqual(len(errors), 3, res)
                for why in errors[:2]:
                    self.assertTrue(any(p.fullmatch(why) for p in reasons), res)
                self.assertEqual(errors[2], t('MSG_TOO_MANY_TRIES'))
                self.assertAllTranslated(lang, [s for _, s in res.messages])

    def test_wrong_password_and_locked_account(self):
        for i, (lang, locale) in enumerate(LOCALES.items()):
            with self.subTest(lang=lang):
                self.fresh(i)
                t = self.cats[lang]
                self.make_account()
                res = self.sb.pam(user=self.user, answers=[strong_password()], env=self.lang_env(locale))
                self.assertPam(res, auth='PAM_AUTH_ERR')
                self.assertEqual(res.errors(), [t('MSG_LOGIN_FAILED')])
                self.assertAllTranslated(lang, [s for _, s in res.messages])
                # The module's own text, in the account stage.
                self.sb.accounts('LockAccount', 'ss', self.user, 'i18n test')
                res = self.sb.pam('passgate-acct', user=self.user, env=self.lang_env(locale))
                self.assertPam(res, acct='PAM_PERM_DENIED')
                self.assertEqual(res.errors(), [t('MSG_PAM_ACCOUNT_LOCKED')])

    def test_unknown_locale_reads_english(self):
        for i, locale in enumerate(('xx_XX.UTF-8', 'C.UTF-8')):
            with self.subTest(locale=locale):
                self.fresh(i)
                res = self.forced_change(locale)
                password = self.generated_in(res, lambda k: MSG[k])
                self.assertEqual([(k, s.strip()) for k, s in res.messages],
                                 [(k, s.strip()) for k, s in
                                  self.expected_forced_change(lambda k: MSG[k], password)])

    def begin(self, locale=None):
        client = {'Service': 'passgate-test'}
        if locale is not None:
            client['Locale'] = V('s', locale)
        return self.sb.manager('BeginConversation', 'ssa{sv}', 'login', self.user, client)

    def test_each_conversation_its_own_language(self):
        self.make_account()
        ru, lv, en = self.begin(LOCALES['ru']), self.begin(LOCALES['lv']), self.begin()
        # Interleaved on one daemon: no language leaks from one client to the next.
        for _ in range(2):
            self.assertEqual(self.sb.step(ru)[1]['Message'], self.cats['ru']('MSG_ASK_PASSWORD'))
            self.assertEqual(self.sb.step(en)[1]['Message'], MSG['MSG_ASK_PASSWORD'])
            self.assertEqual(self.sb.step(lv)[1]['Message'], self.cats['lv']('MSG_ASK_PASSWORD'))
            ru, lv, en = self.begin(LOCALES['ru']), self.begin(LOCALES['lv']), self.begin()
        self.sb.secrets.add(self.pw)
        self.sb.step(lv)
        self.assertEqual(self.sb.step(lv, self.pw)[1]['Message'], self.cats['lv']('MSG_LOGGED_IN'))
        self.sb.step(ru)
        self.assertEqual(self.sb.step(ru, 'wrong password, surely')[1]['Message'],
                         self.cats['ru']('MSG_LOGIN_FAILED'))

    def test_daemon_environment_chooses_no_language(self):
        """passgated's own LANGUAGE and LANG (a host's /etc/locale.conf) are nobody's language."""
        saved = dict(self.sb.daemon_env)
        self.addCleanup(lambda: setattr(self.sb, 'daemon_env', saved))
        self.sb.daemon_env.update(LANGUAGE='lv:ru', LANG=LOCALES['lv'], LC_ALL=LOCALES['lv'])
        self.sb.restart_daemon(fresh=True)
        self.make_account()
        self.assertEqual(self.sb.step(self.begin(LOCALES['ru']))[1]['Message'],
                         self.cats['ru']('MSG_ASK_PASSWORD'))
        self.assertEqual(self.sb.step(self.begin())[1]['Message'], MSG['MSG_ASK_PASSWORD'])

    def test_malformed_locale_reads_english(self):
        self.make_account()
        for locale in ('../../../../tmp/ru_RU.UTF-8', '/usr/share/locale/ru', '.', 'ru_RU.UTF-8\t',
                       'ru_RU.UTF-8:lv', '', 'x' * 256):
            with self.subTest(locale=locale):
                steps = self.sb.converse('login', self.user, [self.pw],
                                         client={'Service': 'passgate-test', 'Locale': V('s', locale)})
                self.assertEqual(steps[0][1]['Message'], MSG['MSG_ASK_PASSWORD'])
                self.assertEqual(steps[-1][0], 'done')

    def ctl(self, lang, *args, **kw):
        return self.sb.ctl(*args, env=self.lang_env(LOCALES[lang]), **kw)

    def test_passgatectl_help_and_usage_errors(self):
        for lang in LOCALES:
            with self.subTest(lang=lang):
                t = self.cats[lang]
                res = self.ctl(lang, '--help')
                self.assertEqual((res.rc, res.stdout), (0, t('MSG_CTL_HELP')), res)
                res = self.ctl(lang, 'frobnicate')
                self.assertEqual(res.rc, 2, res)
                self.assertEqual(res.stderr, 'passgatectl: ' + t('MSG_CTL_UNKNOWN_VERB').replace('%s', 'frobnicate')
                                 + '\n' + t('MSG_CTL_TRY_HELP') + '\n')
                res = self.ctl(lang, 'audit', '--max')
                self.assertEqual(res.rc, 2, res)
                self.assertEqual(res.stderr.splitlines()[0],
                                 'passgatectl: ' + t('MSG_CTL_OPTION_NEEDS_ARG').replace('%s', '--max'))

    def test_passgatectl_dialogue(self):
        """passgatectl sends its language to passgated: the refusals it prints are translated too."""
        if not harness.is_root():
            self.skipTest('root resets another user\'s password without the current one')
        self.make_account()
        for lang in LOCALES:
            with self.subTest(lang=lang):
                t = self.cats[lang]
                res = self.ctl(lang, 'user', 'passwd', self.user, input='short\nshort\nshort\n')
                self.assertEqual(res.rc, 6, res)
                reason = t('MSG_PW_TOO_SHORT').replace('%u', '15')
                self.assertEqual(res.stderr.count(reason + '\n'), 2, res)
                self.assertIn(t('MSG_TOO_MANY_TRIES'), res.stderr.splitlines()[-1], res)
                for line in res.stderr.splitlines():
                    self.assertFalse(any(p.fullmatch(line.strip()) for p in self.english), res)


if __name__ == '__main__':
    harness.main()
