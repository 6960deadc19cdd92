/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of passgate.conf parsing: defaults, bounds, line numbers of errors, warnings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "macro.h"
#include "scratch.h"

#define SEC 1000000ULL

static char tmpdir[] = "/tmp/pg-test-conf-XXXXXX";
static char conf_path[300];

static int setup(void **state)
{
        if (!mkdtemp(tmpdir))
                return -1;
        snprintf(conf_path, sizeof conf_path, "%s/passgate.conf", tmpdir);
        return 0;
}

static int teardown(void **state)
{
        return scratch_remove(tmpdir);
}

/* Loads text as the configuration file; the error stream's text goes to *err_text. */
static int load(const char *text, Config **ret, char **err_text)
{
        FILE *f = fopen(conf_path, "we");
        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);

        char *buf = NULL;
        size_t size = 0;
        FILE *err = open_memstream(&buf, &size);
        assert_non_null(err);
        *ret = NULL;
        int r = config_load(conf_path, ret, err);
        assert_int_equal(fclose(err), 0);
        *err_text = buf;
        return r;
}

static void assert_contains(const char *haystack, const char *needle)
{
        if (!strstr(haystack, needle))
                fail_msg("'%s' not found in '%s'", needle, haystack);
}

static void test_missing_file_defaults(void **state)
{
        Config *c = NULL;
        char path[400];
        char *buf = NULL;
        size_t size = 0;

        unsetenv("CREDENTIALS_DIRECTORY");
        snprintf(path, sizeof path, "%s/does-not-exist.conf", tmpdir);
        FILE *err = open_memstream(&buf, &size);
        assert_int_equal(config_load(path, &c, err), 0);
        fclose(err);
        assert_string_equal(buf, "");
        free(buf);

        assert_int_equal(c->min_length, 15);
        assert_int_equal(c->max_length, 256);
        assert_int_equal(c->history, 5);
        assert_int_equal(c->country_code, 7);
        assert_string_equal(c->trunk_prefix, "8");
        assert_string_equal(c->hash_cost, "interactive");
        assert_true(c->opslimit == crypto_pwhash_OPSLIMIT_INTERACTIVE);
        assert_true(c->memlimit == crypto_pwhash_MEMLIMIT_INTERACTIVE);
        assert_int_equal(c->lockout_after, 5);
        assert_int_equal(c->disable_after, 100);
        assert_true(c->lockout_base_usec == 60 * SEC);
        assert_true(c->lockout_max_usec == 15 * 60 * SEC);
        assert_true(c->conversation_idle_usec == 15 * 60 * SEC);
        assert_null(c->blocklist_path);
        assert_non_null(c->pepper_path);
        size_t n = strlen(c->pepper_path);
        assert_true(n > strlen("/passgate/pepper"));
        assert_string_equal(c->pepper_path + n - strlen("/passgate/pepper"), "/passgate/pepper");
        assert_true(strncmp(c->delivery_sms, "spool:/", 7) == 0);
        assert_true(strncmp(c->delivery_email, "spool:/", 7) == 0);
        config_free(c);

        /* The pepper defaults to the systemd credential when there is one. */
        setenv("CREDENTIALS_DIRECTORY", "/run/credentials/passgated.service", 1);
        assert_int_equal(config_load(path, &c, stderr), 0);
        assert_string_equal(c->pepper_path, "/run/credentials/passgated.service/pepper");
        config_free(c);
        unsetenv("CREDENTIALS_DIRECTORY");

        /* An empty file too. */
        char *e;
        assert_int_equal(load("", &c, &e), 0);
        assert_string_equal(e, "");
        assert_int_equal(c->min_length, 15);
        free(e);
        config_free(c);
}

static void test_all_keys(void **state)
{
        Config *c;
        char *e;

        assert_int_equal(load("; passgate.conf\n"
                              "[store]\n"
                              "pepper = /etc/passgate/other-pepper\n"
                              "[password]\n"
                              "hash_cost = moderate\n"
                              "min_length = 20\n"
                              "max_length = 64\n"
                              "history = 0\n"
                              "blocklist = /usr/share/passgate/blocklist.txt\n"
                              "[lockout]\n"
                              "delay_after = 3\n"
                              "disable_after = 1000\n"
                              "first_delay = 1\n"
                              "max_delay = 3600\n"
                              "[phone]\n"
                              "country_code = 380\n"
                              "trunk_prefix =\n"
                              "[delivery]\n"
                              "sms = command:/usr/lib/passgate/sms\n"
                              "email = sendmail\n"
                              "[conversation]\n"
                              "idle_timeout = 60\n"
                              "[daemon]\n"
                              "hash_workers = 0\n",
                              &c, &e),
                         0);
        assert_string_equal(e, "");
        free(e);
        assert_string_equal(c->pepper_path, "/etc/passgate/other-pepper");
        assert_string_equal(c->hash_cost, "moderate");
        assert_true(c->opslimit == crypto_pwhash_OPSLIMIT_MODERATE);
        assert_true(c->memlimit == crypto_pwhash_MEMLIMIT_MODERATE);
        assert_int_equal(c->min_length, 20);
        assert_int_equal(c->max_length, 64);
        assert_int_equal(c->history, 0);
        assert_string_equal(c->blocklist_path, "/usr/share/passgate/blocklist.txt");
        assert_int_equal(c->lockout_after, 3);
        assert_int_equal(c->disable_after, 1000);
        assert_true(c->lockout_base_usec == 1 * SEC);
        assert_true(c->lockout_max_usec == 3600 * SEC);
        assert_int_equal(c->country_code, 380);
        assert_string_equal(c->trunk_prefix, "");
        assert_string_equal(c->delivery_sms, "command:/usr/lib/passgate/sms");
        assert_string_equal(c->delivery_email, "sendmail");
        assert_true(c->conversation_idle_usec == 60 * SEC);
        assert_int_equal(c->hash_workers, 0);
        config_free(c);

        assert_int_equal(load("[delivery]\nsms = spool:/var/spool/x\nemail = sendmail:/usr/sbin/"
                              "sendmail\n",
                              &c, &e),
                         0);
        assert_string_equal(c->delivery_sms, "spool:/var/spool/x");
        assert_string_equal(c->delivery_email, "sendmail:/usr/sbin/sendmail");
        free(e);
        config_free(c);
}

static void test_hash_cost(void **state)
{
        const struct {
                const char *name;
                unsigned long long ops;
                size_t mem;
        } costs[] = {
                { "min", crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN },
                { "interactive", crypto_pwhash_OPSLIMIT_INTERACTIVE,
                  crypto_pwhash_MEMLIMIT_INTERACTIVE },
                { "moderate", crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE },
                { "sensitive", crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE },
        };
        for (size_t i = 0; i < ELEMENTSOF(costs); i++) {
                char text[100];
                Config *c;
                char *e;
                snprintf(text, sizeof text, "[password]\nhash_cost = %s\n", costs[i].name);
                assert_int_equal(load(text, &c, &e), 0);
                assert_string_equal(c->hash_cost, costs[i].name);
                assert_true(c->opslimit == costs[i].ops);
                assert_true(c->memlimit == costs[i].mem);
                free(e);
                config_free(c);
        }
}

/* A bad value on a known line: refused, with "path:LINE:" and the key in the error. */
static void assert_bad(const char *section, const char *key, const char *value)
{
        char text[512];
        Config *c;
        char *e;

        /* Put the bad line at a different place each time, after comments and blank lines. */
        static unsigned shift;
        unsigned pad = shift++ % 5;
        int o = 0;
        for (unsigned i = 0; i < pad; i++)
                o += snprintf(text + o, sizeof text - o, i % 2 ? "\n" : "# comment %u\n", i);
        o += snprintf(text + o, sizeof text - o, "[%s]\n%s = %s\n[phone]\ncountry_code = 7\n",
                      section, key, value);
        unsigned line = pad + 2;

        assert_int_equal(load(text, &c, &e), -EINVAL);
        assert_null(c);
        char want[400];
        snprintf(want, sizeof want, "%s:%u:", conf_path, line);
        if (!strstr(e, want))
                fail_msg("[%s] %s = %s: '%s' not in '%s'", section, key, value, want, e);
        assert_contains(e, key);
        /* Only that line is named. */
        snprintf(want, sizeof want, "%s:%u:", conf_path, line + 2);
        assert_null(strstr(e, want));
        free(e);
}

static void test_bad_values(void **state)
{
        assert_bad("store", "pepper", "relative/pepper");
        assert_bad("store", "pepper", "");
        assert_bad("password", "hash_cost", "fast");
        assert_bad("password", "hash_cost", "MIN");
        assert_bad("password", "hash_cost", "");
        assert_bad("password", "min_length", "14");
        assert_bad("password", "min_length", "8");
        assert_bad("password", "min_length", "65");
        assert_bad("password", "min_length", "abc");
        assert_bad("password", "min_length", "-15");
        assert_bad("password", "min_length", "+15");
        assert_bad("password", "min_length", "15x");
        assert_bad("password", "min_length", "0x10");
        assert_bad("password", "min_length", "");
        assert_bad("password", "min_length", "99999999999999999999999");
        assert_bad("password", "min_length", "18446744073709551631"); /* 2^64 + 15 */
        assert_bad("password", "max_length", "63");
        assert_bad("password", "max_length", "1025");
        assert_bad("password", "history", "25");
        assert_bad("password", "blocklist", "blocklist.txt");
        assert_bad("lockout", "delay_after", "2");
        assert_bad("lockout", "delay_after", "21");
        assert_bad("lockout", "disable_after", "19");
        assert_bad("lockout", "disable_after", "1001");
        assert_bad("lockout", "first_delay", "0");
        assert_bad("lockout", "first_delay", "601");
        assert_bad("lockout", "max_delay", "59");
        assert_bad("lockout", "max_delay", "3601");
        assert_bad("phone", "country_code", "0");
        assert_bad("phone", "country_code", "1000");
        assert_bad("phone", "trunk_prefix", "8a");
        assert_bad("phone", "trunk_prefix", "1234");
        assert_bad("phone", "trunk_prefix", "-8");
        assert_bad("delivery", "sms", "ftp:/x");
        assert_bad("delivery", "sms", "spool:relative");
        assert_bad("delivery", "sms", "spool");
        assert_bad("delivery", "email", "command:");
        assert_bad("delivery", "email", "sendmailx:/usr/sbin/sendmail");
        assert_bad("conversation", "idle_timeout", "59");
        assert_bad("conversation", "idle_timeout", "3601");
        assert_bad("daemon", "hash_workers", "65");
}

static void test_bounds_accepted(void **state)
{
        const char *ok[] = {
                "[password]\nmin_length = 15\n",   "[password]\nmin_length = 64\n",
                "[password]\nmax_length = 1024\n", "[password]\nhistory = 24\n",
                "[lockout]\ndelay_after = 20\n",   "[lockout]\ndisable_after = 20\n",
                "[lockout]\nfirst_delay = 600\n",  "[lockout]\nmax_delay = 60\n",
                "[phone]\ncountry_code = 1\n",     "[phone]\ncountry_code = 999\n",
                "[phone]\ntrunk_prefix = 0\n",     "[phone]\ntrunk_prefix = 810\n",
                "[daemon]\nhash_workers = 64\n",   "[conversation]\nidle_timeout = 3600\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                Config *c;
                char *e;
                if (load(ok[i], &c, &e) != 0)
                        fail_msg("refused: %s (%s)", ok[i], e);
                assert_string_equal(e, "");
                free(e);
                config_free(c);
        }
}

static void test_min_max_length(void **state)
{
        Config *c;
        char *e;

        /* Equal is fine. */
        assert_int_equal(load("[password]\nmin_length = 64\nmax_length = 64\n", &c, &e), 0);
        assert_int_equal(c->min_length, 64);
        assert_int_equal(c->max_length, 64);
        free(e);
        config_free(c);

        /* A maximum below the minimum is refused, in either order. */
        assert_int_equal(load("[password]\nmin_length = 64\nmax_length = 63\n", &c, &e), -EINVAL);
        assert_null(c);
        assert_contains(e, "max_length");
        free(e);
        assert_int_equal(load("[password]\nmax_length = 40\nmin_length = 50\n", &c, &e), -EINVAL);
        assert_null(c);
        assert_contains(e, "max_length");
        free(e);
}

static void test_unknown_key_warns(void **state)
{
        Config *c;
        char *e;
        char want[400];

        assert_int_equal(load("[password]\n"
                              "min_length = 20\n"
                              "\n"
                              "min_lenght = 30\n"
                              "[nosuchsection]\n"
                              "key = value\n",
                              &c, &e),
                         0);
        snprintf(want, sizeof want, "%s:4:", conf_path);
        assert_contains(e, want);
        assert_contains(e, "min_lenght");
        assert_contains(e, "warning");
        snprintf(want, sizeof want, "%s:6:", conf_path);
        assert_contains(e, want);
        assert_contains(e, "nosuchsection");
        /* The known key still applies; the misspelt one changes nothing. */
        assert_int_equal(c->min_length, 20);
        free(e);
        config_free(c);

        /* A key known in one section is unknown in another. */
        assert_int_equal(load("[phone]\nmin_length = 40\n", &c, &e), 0);
        snprintf(want, sizeof want, "%s:2:", conf_path);
        assert_contains(e, want);
        assert_int_equal(c->min_length, 15);
        free(e);
        config_free(c);
}

static void test_syntax_error(void **state)
{
        Config *c;
        char *e;
        char want[400];

        assert_int_equal(load("[password]\nmin_length = 20\n[lockout\ndelay_after = 4\n", &c, &e),
                         -EINVAL);
        assert_null(c);
        snprintf(want, sizeof want, "%s:3:", conf_path);
        assert_contains(e, want);
        free(e);

        assert_int_equal(load("[password]\n\nthis line has no equals sign\n", &c, &e), -EINVAL);
        assert_null(c);
        assert_contains(e, want);
        free(e);
}

static void test_first_error_line_among_many(void **state)
{
        Config *c;
        char *e;
        char want[400];

        /* Every bad line is named with its own number. */
        assert_int_equal(load("[password]\n"
                              "min_length = 20\n"
                              "history = 99\n"
                              "max_length = 100\n"
                              "[phone]\n"
                              "\n"
                              "country_code = 0\n",
                              &c, &e),
                         -EINVAL);
        assert_null(c);
        snprintf(want, sizeof want, "%s:3:", conf_path);
        assert_contains(e, want);
        snprintf(want, sizeof want, "%s:7:", conf_path);
        assert_contains(e, want);
        free(e);
}

static void test_long_line(void **state)
{
        Config *c;
        char *e;
        char text[1024], path[400], want[400];

        /* A long (valid, absolute) path must be kept whole, or refused on its own line:
         * never cut short silently, and never shift the numbers of the lines after it. */
        int n = snprintf(path, sizeof path, "/usr/share/passgate/");
        memset(path + n, 'b', 300 - n);
        path[300] = 0;
        snprintf(text, sizeof text, "[password]\nblocklist = %s\nhistory = 99\n", path);
        int r = load(text, &c, &e);
        snprintf(want, sizeof want, "%s:3:", conf_path);
        bool line3 = strstr(e, want);
        snprintf(want, sizeof want, "%s:4:", conf_path);
        bool line4 = strstr(e, want);
        if (r == 0)
                config_free(c);
        if (r != -EINVAL || !line3 || line4) {
                print_message("history = 99 is on line 3 of 3; errors: %s", e);
                free(e);
                fail();
        }
        free(e);

        snprintf(text, sizeof text, "[password]\nblocklist = %s\n", path);
        r = load(text, &c, &e);
        snprintf(want, sizeof want, "%s:2:", conf_path);
        bool kept = r == 0 && streq(c->blocklist_path, path);
        bool named = r < 0 && strstr(e, want);
        if (r == 0)
                config_free(c);
        if (!kept && !named) {
                print_message("a valid line 2 of 300 bytes: r=%d, errors: %s", r, e);
                free(e);
                fail();
        }
        free(e);
}

/* A NUL byte is refused on its own line; the next line is still read and its error reported. */
static void test_nul_byte(void **state)
{
        static const char text[] = "[password]\nhistory = 5\0junk\nmin_length = 3\n";
        char want[400], *e;
        Config *c;

        FILE *f = fopen(conf_path, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(text, 1, sizeof text - 1, f), sizeof text - 1);
        assert_int_equal(fclose(f), 0);
        size_t size = 0;
        FILE *err = open_memstream(&e, &size);
        assert_non_null(err);
        assert_int_equal(config_load(conf_path, &c, err), -EINVAL);
        assert_int_equal(fclose(err), 0);
        snprintf(want, sizeof want, "%s:2: line contains a NUL byte", conf_path);
        assert_contains(e, want);
        snprintf(want, sizeof want, "%s:3: [password] min_length", conf_path);
        assert_contains(e, want);
        free(e);
}

static void test_unreadable(void **state)
{
        Config *c = NULL;
        char *buf = NULL;
        size_t size = 0;

        /* A directory where the file should be is an error that names the path, not an empty
         * file (which would silently run with defaults). */
        FILE *err = open_memstream(&buf, &size);
        assert_non_null(err);
        int r = config_load(tmpdir, &c, err);
        fclose(err);
        bool named = strstr(buf, tmpdir);
        free(buf);
        if (r >= 0) {
                config_free(c);
                fail_msg("config_load(<a directory>) = %d, expected an error", r);
        }
        assert_null(c);
        assert_true(named);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_missing_file_defaults),
                cmocka_unit_test(test_all_keys),
                cmocka_unit_test(test_hash_cost),
                cmocka_unit_test(test_bad_values),
                cmocka_unit_test(test_bounds_accepted),
                cmocka_unit_test(test_min_max_length),
                cmocka_unit_test(test_unknown_key_warns),
                cmocka_unit_test(test_syntax_error),
                cmocka_unit_test(test_first_error_line_among_many),
                cmocka_unit_test(test_long_line),
                cmocka_unit_test(test_nul_byte),
                cmocka_unit_test(test_unreadable),
        };

        if (sodium_init() < 0)
                return 1;
        return cmocka_run_group_tests(tests, setup, teardown);
}
