/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The passgate.conf that meson installs shows every key commented out with its default. With each
 * "#key = value" line uncommented, passgated's own parser must accept it without a warning and
 * come to exactly the settings it has with no file at all.
 *
 *   test-default-conf <build>/conf/passgate.conf
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "macro.h"

static const char *shipped_path;

static void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

/* Writes the shipped file with its "#key = value" lines uncommented; returns how many there were.
 * An empty value ("#blocklist =") means "not set": such a line stays a comment. */
static unsigned uncomment(const char *from, const char *to)
{
        _cleanup_(fclosep) FILE *in = fopen(from, "re");
        _cleanup_(fclosep) FILE *out = fopen(to, "we");
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        unsigned keys = 0;

        assert_non_null(in);
        assert_non_null(out);
        while (getline(&line, &size, in) >= 0) {
                size_t name = strspn(line + 1, "abcdefghijklmnopqrstuvwxyz_");
                const char *rest = line + 1 + name;
                bool key = line[0] == '#' && name > 0 && strncmp(rest, " = ", 3) == 0;
                if (key && rest[3] != '\n') {
                        fputs(line + 1, out);
                        keys++;
                } else
                        fputs(line, out);
        }
        return keys;
}

static Config *load(const char *path, char **ret_messages)
{
        size_t size = 0;
        Config *c = NULL;
        FILE *err = open_memstream(ret_messages, &size);

        assert_non_null(err);
        assert_int_equal(config_load(path, &c, err), 0);
        fclose(err);
        return c;
}

static void test_shipped_values_are_the_defaults(void **state)
{
        char dir[] = "/tmp/passgate-conf-XXXXXX";
        _cleanup_free_ char *uncommented = NULL, *missing = NULL, *messages = NULL,
                            *no_messages = NULL;
        Config *shipped, *defaults;

        /* The pepper's default follows systemd's credentials: here, the file's own default. */
        unsetenv("CREDENTIALS_DIRECTORY");
        assert_non_null(mkdtemp(dir));
        assert_true(asprintf(&uncommented, "%s/passgate.conf", dir) > 0);
        assert_true(asprintf(&missing, "%s/none.conf", dir) > 0);

        assert_true(uncomment(shipped_path, uncommented) >= 10);
        shipped = load(uncommented, &messages);
        defaults = load(missing, &no_messages);
        assert_string_equal(messages, "");

        assert_string_equal(shipped->pepper_path, defaults->pepper_path);
        assert_string_equal(shipped->hash_cost, defaults->hash_cost);
        assert_true(shipped->opslimit == defaults->opslimit);
        assert_true(shipped->memlimit == defaults->memlimit);
        assert_int_equal(shipped->min_length, defaults->min_length);
        assert_int_equal(shipped->max_length, defaults->max_length);
        assert_int_equal(shipped->history, defaults->history);
        assert_null(shipped->blocklist_path);
        assert_null(defaults->blocklist_path);
        assert_int_equal(shipped->lockout_after, defaults->lockout_after);
        assert_int_equal(shipped->disable_after, defaults->disable_after);
        assert_true(shipped->lockout_base_usec == defaults->lockout_base_usec);
        assert_true(shipped->lockout_max_usec == defaults->lockout_max_usec);
        assert_int_equal(shipped->country_code, defaults->country_code);
        assert_string_equal(shipped->trunk_prefix, defaults->trunk_prefix);
        assert_string_equal(shipped->delivery_sms, defaults->delivery_sms);
        assert_string_equal(shipped->delivery_email, defaults->delivery_email);
        assert_true(shipped->conversation_idle_usec == defaults->conversation_idle_usec);
        assert_int_equal(shipped->hash_workers, defaults->hash_workers);

        config_free(shipped);
        config_free(defaults);
        unlink(uncommented);
        rmdir(dir);
}

/* A value that differs must be seen: the comparison above is not blind. */
static void test_a_changed_value_differs(void **state)
{
        char path[] = "/tmp/passgate-conf-XXXXXX";
        _cleanup_free_ char *messages = NULL, *no_messages = NULL;
        int fd = mkstemp(path);
        Config *changed, *defaults;

        assert_true(fd >= 0);
        assert_true(write(fd, "[password]\nmin_length = 16\n", 27) == 27);
        close(fd);
        changed = load(path, &messages);
        defaults = load("/nonexistent/passgate.conf", &no_messages);
        assert_int_not_equal(changed->min_length, defaults->min_length);
        config_free(changed);
        config_free(defaults);
        unlink(path);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shipped_values_are_the_defaults),
                cmocka_unit_test(test_a_changed_value_differs),
        };

        if (argc != 2) {
                fprintf(stderr, "usage: %s PASSGATE_CONF\n", argv[0]);
                return 2;
        }
        shipped_path = argv[1];
        return cmocka_run_group_tests(tests, NULL, NULL);
}
