/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of delivery: spool, command and sendmail backends on a real event loop and queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "delivery.h"
#include "macro.h"
#include "scratch.h"
#include "workqueue.h"

#define PHONE       "+79123456767"
#define EMAIL       "ivan@example.org"
#define CODE        "493817"
#define TEXT        "Код для входа: " CODE ". Никому его не сообщайте."
#define SUBJECT     "Код подтверждения"
#define SUBJECT_B64 "=?UTF-8?B?0JrQvtC0INC/0L7QtNGC0LLQtdGA0LbQtNC10L3QuNGP?="
#define CHILD_ENV   "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
#define MAIL_HEADERS                                                                               \
        "MIME-Version: 1.0\n"                                                                      \
        "Content-Type: text/plain; charset=UTF-8\n"                                                \
        "Content-Transfer-Encoding: 8bit\n"                                                        \
        "Auto-Submitted: auto-generated\n\n"
/* Open without O_CLOEXEC in the test: no child may see it. */
#define LEAKY_FD 77

static char tmpdir[] = "/tmp/pg-test-delivery-XXXXXX";
static unsigned counter;
static char log_path[PATH_MAX];

typedef struct Send {
        Channel channel;
        const char *to;
        const char *subject;
        const char *text;
        int r;
        bool called;
} Send;

static int setup(void **state)
{
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
        return scratch_remove(tmpdir);
}

/* A fresh name in the temporary directory; nothing is created. */
static void new_path(char *buf, const char *what)
{
        snprintf(buf, PATH_MAX, "%s/%s-%u", tmpdir, what, counter++);
}

static void new_dir(char *buf, const char *what)
{
        new_path(buf, what);
        assert_int_equal(mkdir(buf, 0700), 0);
}

static char *read_all(const char *path)
{
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        char *buf = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&buf, &size);
        assert_non_null(m);
        int c;
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        fclose(f);
        fclose(m);
        return buf;
}

static void read_at(char *ret_buf, size_t size, const char *dir, const char *name)
{
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        _cleanup_free_ char *s = read_all(path);
        assert_non_null(s);
        snprintf(ret_buf, size, "%s", s);
}

/* A shell script at a new path; *dir is where it may leave what it saw (substituted for @DIR@). */
static void write_script(char *ret_path, const char *dir, const char *body)
{
        new_path(ret_path, "script");
        FILE *f = fopen(ret_path, "we");
        assert_non_null(f);
        fputs("#!/bin/sh\n", f);
        for (const char *p = body; *p; p++)
                if (strncmp(p, "@DIR@", 5) == 0) {
                        fputs(dir, f);
                        p += 4;
                } else
                        fputc(*p, f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(chmod(ret_path, 0755), 0);
}

static void on_done(int r, void *userdata)
{
        Send *s = userdata;
        s->r = r;
        s->called = true;
}

static uint64_t mono_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

static bool all_called(const Send *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!s[i].called)
                        return false;
        return true;
}

static void stderr_to_log(int *saved)
{
        new_path(log_path, "log");
        fflush(stderr);
        *saved = dup(STDERR_FILENO);
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(*saved >= 0 && fd >= 0);
        dup2(fd, STDERR_FILENO);
        close(fd);
}

static void stderr_back(int saved)
{
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
}

/*
 * Sends every message through a new queue of `threads` and runs the event loop until each one's
 * done() came; what delivery logs goes to log_path. A refused send counts as done with its error.
 */
static void deliver(const char *sms, const char *email, unsigned threads, uint64_t timeout_usec,
                    Send *s, size_t n)
{
        sd_event *e = NULL;
        WorkQueue *q = NULL;
        Delivery *d = NULL;
        int saved;

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(workqueue_new(e, threads, &q), 0);
        assert_int_equal(delivery_new(q, sms, email, timeout_usec, &d), 0);
        stderr_to_log(&saved);
        for (size_t i = 0; i < n; i++) {
                s[i].called = false;
                Message *m = message_new(s[i].channel, s[i].to, s[i].subject, s[i].text);
                int r = m ? delivery_send(d, m, on_done, &s[i]) : -ENOMEM;
                if (r < 0)
                        on_done(r, &s[i]);
        }
        uint64_t deadline = mono_usec() + 60 * USEC_PER_SEC;
        while (!all_called(s, n) && mono_usec() < deadline)
                sd_event_run(e, 100 * USEC_PER_MSEC);
        stderr_back(saved);
        delivery_free(d);
        workqueue_free(q);
        sd_event_unref(e);
        assert_true(all_called(s, n));
}

static int send_one(const char *spec, Channel channel, const char *to, const char *subject,
                    const char *text, uint64_t timeout_usec)
{
        Send s = { .channel = channel, .to = to, .subject = subject, .text = text };
        deliver(spec, spec, 1, timeout_usec, &s, 1);
        return s.r;
}

/* Delivery logs neither whom it wrote to nor what. */
static void assert_log_clean(void)
{
        _cleanup_free_ char *log = read_all(log_path);
        assert_non_null(log);
        assert_null(strstr(log, CODE));
        assert_null(strstr(log, "9123456767"));
        assert_null(strstr(log, "ivan"));
        assert_null(strstr(log, "Никому"));
}

static void assert_log_is(const char *fmt, ...)
{
        char want[PATH_MAX * 2];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(want, sizeof want, fmt, ap);
        va_end(ap);
        _cleanup_free_ char *log = read_all(log_path);
        assert_string_equal(log, want);
        assert_log_clean();
}

/* The names in dir, failing on any dot-file (a temporary file left behind). */
static size_t list_dir(const char *dir, char names[][NAME_MAX + 1], size_t max)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        assert_non_null(d);
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                assert_true(de->d_name[0] != '.');
                assert_true(n < max);
                snprintf(names[n++], NAME_MAX + 1, "%s", de->d_name);
        }
        closedir(d);
        return n;
}

static void test_spool(void **state)
{
        char dir[PATH_MAX], spec[PATH_MAX + 8], names[4][NAME_MAX + 1], got[2][1024],
                path[2 * PATH_MAX];
        struct stat st;
        regex_t re;
        Send s[] = {
                { CHANNEL_SMS, PHONE, SUBJECT, TEXT },
                { CHANNEL_EMAIL, EMAIL, "Notice", "Your password was changed." },
        };

        new_path(dir, "spool");
        snprintf(spec, sizeof spec, "spool:%s", dir);
        deliver(spec, spec, 1, 5 * USEC_PER_SEC, s, ELEMENTSOF(s));
        assert_int_equal(s[0].r, 0);
        assert_int_equal(s[1].r, 0);
        assert_log_is("");

        assert_int_equal(stat(dir, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0700);
        assert_int_equal(list_dir(dir, names, ELEMENTSOF(names)), 2);
        assert_int_equal(regcomp(&re, "^[0-9]+-[0-9a-f]{16}\\.msg$", REG_EXTENDED | REG_NOSUB), 0);
        for (size_t i = 0; i < 2; i++) {
                assert_int_equal(regexec(&re, names[i], 0, NULL, 0), 0);
                snprintf(path, sizeof path, "%s/%s", dir, names[i]);
                assert_int_equal(stat(path, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0600);
                read_at(got[i], sizeof got[i], dir, names[i]);
        }
        regfree(&re);
        /* In whichever order the names sort. */
        size_t sms = strstr(got[0], "Channel: sms") ? 0 : 1;
        assert_string_equal(got[sms],
                            "To: " PHONE "\nChannel: sms\nSubject: " SUBJECT "\n\n" TEXT "\n");
        assert_string_equal(got[1 - sms], "To: " EMAIL "\nChannel: email\nSubject: Notice\n\n"
                                          "Your password was changed.\n");
}

static void test_spool_unwritable(void **state)
{
        char spec[PATH_MAX + 8];

        snprintf(spec, sizeof spec, "spool:%s/missing-parent/spool", tmpdir);
        assert_int_equal(send_one(spec, CHANNEL_SMS, PHONE, SUBJECT, TEXT, USEC_PER_SEC), -ENOENT);
        assert_log_is("passgated: delivery by %s failed: No such file or directory\n", spec);
}

static void test_command(void **state)
{
        char dir[PATH_MAX], script[PATH_MAX], spec[PATH_MAX + 8], got[1024];

        new_dir(dir, "command");
        write_script(script, dir,
                     "printf '%s' \"$#\" > @DIR@/argc\n"
                     "printf '%s' \"$1\" > @DIR@/arg\n"
                     "cat > @DIR@/stdin\n");
        snprintf(spec, sizeof spec, "command:%s", script);
        assert_int_equal(send_one(spec, CHANNEL_SMS, PHONE, NULL, TEXT, 5 * USEC_PER_SEC), 0);
        assert_log_is("");
        read_at(got, sizeof got, dir, "argc");
        assert_string_equal(got, "1");
        read_at(got, sizeof got, dir, "arg");
        assert_string_equal(got, PHONE);
        read_at(got, sizeof got, dir, "stdin");
        assert_string_equal(got, TEXT "\n");
}

static void test_command_fails(void **state)
{
        char script[PATH_MAX], spec[PATH_MAX + 8];

        write_script(script, tmpdir, "cat > /dev/null\necho \"$1\"; echo \"$1\" >&2\nexit 1\n");
        snprintf(spec, sizeof spec, "command:%s", script);
        assert_int_equal(send_one(spec, CHANNEL_SMS, PHONE, NULL, TEXT, 5 * USEC_PER_SEC), -EIO);
        /* What the gateway printed went nowhere. */
        assert_log_is("passgated: delivery by %s failed: Input/output error\n", spec);
}

static void test_command_missing(void **state)
{
        char spec[PATH_MAX + 8];

        snprintf(spec, sizeof spec, "command:%s/no-such-gateway", tmpdir);
        assert_int_equal(send_one(spec, CHANNEL_SMS, PHONE, NULL, TEXT, 5 * USEC_PER_SEC), -ENOENT);
        assert_log_is("passgated: delivery by %s failed: No such file or directory\n", spec);
}

/* A gateway that exits without reading: the write meets EPIPE, and SIGPIPE must not kill us. */
static void test_command_stops_reading(void **state)
{
        char script[PATH_MAX], spec[PATH_MAX + 8];
        size_t len = 1 << 20;
        _cleanup_free_ char *big = malloc(len + 1);

        assert_non_null(big);
        memset(big, 'x', len);
        big[len] = '\0';
        write_script(script, tmpdir, "exit 0\n");
        snprintf(spec, sizeof spec, "command:%s", script);
        assert_int_equal(send_one(spec, CHANNEL_SMS, PHONE, NULL, big, 5 * USEC_PER_SEC), 0);
        write_script(script, tmpdir, "exit 3\n");
        snprintf(spec, sizeof spec, "command:%s", script);
        assert_int_equal(send_one(spec, CHANNEL_SMS, PHONE, NULL, big, 5 * USEC_PER_SEC), -EIO);
}

static pid_t read_pid(const char *dir, const char *name)
{
        char got[32];
        read_at(got, sizeof got, dir, name);
        return (pid_t)atoi(got);
}

static void test_command_timeout(void **state)
{
        char dir[PATH_MAX], script[PATH_MAX], spec[PATH_MAX + 8];
        int status = 0;

        new_dir(dir, "timeout");
        write_script(script, dir,
                     "sleep 60 &\n"
                     "echo $! > @DIR@/grandchild\n"
                     "echo $$ > @DIR@/child\n"
                     "wait\n");
        snprintf(spec, sizeof spec, "command:%s", script);
        uint64_t start = mono_usec();
        assert_int_equal(send_one(spec, CHANNEL_SMS, PHONE, NULL, TEXT, USEC_PER_SEC), -ETIMEDOUT);
        uint64_t took = mono_usec() - start;
        assert_true(took >= USEC_PER_SEC && took < 10 * USEC_PER_SEC);
        assert_log_is("passgated: delivery by %s failed: Connection timed out\n", spec);

        /* The orphaned sleep came to us, the subreaper: it died of the group's SIGKILL. */
        pid_t child = read_pid(dir, "child"), grandchild = read_pid(dir, "grandchild");
        assert_true(child > 0 && grandchild > 0);
        pid_t r = 0;
        for (unsigned i = 0; i < 500 && r == 0; i++) {
                r = waitpid(grandchild, &status, WNOHANG);
                if (r == 0)
                        usleep(10000);
        }
        assert_int_equal(r, grandchild);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        assert_int_equal(kill(-child, 0), -1);
        assert_int_equal(errno, ESRCH);
}

/* The daemon blocks SIGTERM (main() does it here too) and the test ignores SIGUSR1, sets an
 * environment variable and holds a descriptor open without O_CLOEXEC: the child gets none. */
static void test_child_environment(void **state)
{
        char dir[PATH_MAX], script[PATH_MAX], spec[PATH_MAX + 8], got[4096];

        new_dir(dir, "probe");
        write_script(script, dir,
                     /* Builtins only: dash blocks every signal while it forks a command. */
                     "while read -r k v; do case $k in Sig[BI]*) echo $k $v;; esac; done \\\n"
                     "        < /proc/$$/status > @DIR@/signals\n"
                     "env > @DIR@/env\n"
                     "fds=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2)\n"
                     "echo \"$fds\" > @DIR@/fds\n"
                     "test -e /proc/$$/fd/77 && echo leaked >> @DIR@/fds\n"
                     "kill -TERM $$\n"
                     "exit 0\n");
        snprintf(spec, sizeof spec, "command:%s", script);
        /* SIGTERM killed it: the exit status is not 0. */
        assert_int_equal(send_one(spec, CHANNEL_SMS, PHONE, NULL, TEXT, 5 * USEC_PER_SEC), -EIO);

        read_at(got, sizeof got, dir, "signals");
        unsigned long long blocked, ignored;
        assert_int_equal(sscanf(got, "SigBlk: %llx\nSigIgn: %llx\n", &blocked, &ignored), 2);
        assert_int_equal(blocked, 0);
        /* Signals 1..31: glibc's posix_spawn leaves its own internal ones (32, 33) ignored. */
        assert_int_equal(ignored & 0x7fffffffu, 0);
        read_at(got, sizeof got, dir, "env");
        assert_non_null(strstr(got, CHILD_ENV "\n"));
        assert_non_null(strstr(got, "LANG=C.UTF-8\n"));
        assert_null(strstr(got, "PG_TEST_LEAK"));
        read_at(got, sizeof got, dir, "fds");
        assert_int_equal(strncmp(got, "pipe:[", 6), 0);
        assert_non_null(strstr(got, "]\n/dev/null\n/dev/null\n"));
        assert_null(strstr(got, "leaked"));
}

static void fake_sendmail(char *ret_spec, char *ret_dir)
{
        char script[PATH_MAX];

        new_dir(ret_dir, "sendmail");
        write_script(script, ret_dir, "printf '%s\\n' \"$@\" > @DIR@/args\ncat > @DIR@/mail\n");
        snprintf(ret_spec, PATH_MAX + 16, "sendmail:%s", script);
}

static void test_sendmail(void **state)
{
        char spec[PATH_MAX + 16], dir[PATH_MAX], got[2048];

        fake_sendmail(spec, dir);
        assert_int_equal(
                send_one(spec, CHANNEL_EMAIL, EMAIL, "Password changed", TEXT, 5 * USEC_PER_SEC),
                0);
        assert_log_is("");
        read_at(got, sizeof got, dir, "args");
        assert_string_equal(got, "-t\n-i\n");
        read_at(got, sizeof got, dir, "mail");
        assert_string_equal(got,
                            "To: " EMAIL "\nSubject: Password changed\n" MAIL_HEADERS TEXT "\n");

        assert_int_equal(send_one(spec, CHANNEL_EMAIL, EMAIL, SUBJECT, TEXT, 5 * USEC_PER_SEC), 0);
        read_at(got, sizeof got, dir, "mail");
        assert_string_equal(got,
                            "To: " EMAIL "\nSubject: " SUBJECT_B64 "\n" MAIL_HEADERS TEXT "\n");
}

/* A long subject: several encoded words, folded, each of whole characters, at most 75 long. */
static void test_sendmail_long_subject(void **state)
{
        char spec[PATH_MAX + 16], dir[PATH_MAX], got[4096], subject[1024] = "", decoded[1024] = "";
        size_t n_decoded = 0, n_words = 0;

        for (int i = 0; i < 8; i++)
                strcat(subject, "Пароль изменён ✓ ");
        fake_sendmail(spec, dir);
        assert_int_equal(send_one(spec, CHANNEL_EMAIL, EMAIL, subject, TEXT, 5 * USEC_PER_SEC), 0);
        read_at(got, sizeof got, dir, "mail");

        assert_int_equal(strncmp(got, "To: " EMAIL "\nSubject: ", 4 + strlen(EMAIL) + 10), 0);
        char *header = got + 4 + strlen(EMAIL) + 1, *end = strstr(header, "\nMIME-Version: ");
        assert_non_null(end);
        assert_string_equal(end + 1, MAIL_HEADERS TEXT "\n");
        *end = '\0';
        for (char *line = header, *next; line; line = next) {
                next = strstr(line, "\n ");
                if (next) {
                        *next = '\0';
                        next += 2;
                }
                assert_true(strlen(line) <= 78);
                char *word = line == header ? line + strlen("Subject: ") : line;
                size_t len = strlen(word), bin_len;
                assert_true(len <= 75);
                assert_int_equal(strncmp(word, "=?UTF-8?B?", 10), 0);
                assert_string_equal(word + len - 2, "?=");
                word[len - 2] = '\0';
                assert_int_equal(sodium_base642bin((unsigned char *)decoded + n_decoded,
                                                   sizeof decoded - n_decoded, word + 10, len - 12,
                                                   NULL, &bin_len, NULL,
                                                   sodium_base64_VARIANT_ORIGINAL),
                                 0);
                /* No word starts inside a character. */
                assert_true(((unsigned char)decoded[n_decoded] & 0xc0) != 0x80);
                n_decoded += bin_len;
                n_words++;
        }
        assert_true(n_words > 2);
        assert_int_equal(n_decoded, strlen(subject));
        assert_memory_equal(decoded, subject, n_decoded);
}

static void test_sendmail_missing(void **state)
{
        char spec[PATH_MAX + 16];

        snprintf(spec, sizeof spec, "sendmail:%s/no-sendmail", tmpdir);
        assert_int_equal(send_one(spec, CHANNEL_EMAIL, EMAIL, SUBJECT, TEXT, 5 * USEC_PER_SEC),
                         -ENOENT);
        assert_log_is("passgated: delivery by %s failed: No such file or directory\n", spec);
}

/* Spool and command deliveries mixed on two threads: every message arrives, once. */
static void test_concurrent(void **state)
{
        enum { N = 24 };
        char spool[PATH_MAX], out[PATH_MAX], script[PATH_MAX], sms[PATH_MAX + 8],
                email[PATH_MAX + 8], names[N][NAME_MAX + 1], got[256], to[N][64], text[N][64];
        Send s[2 * N];
        bool seen[N] = {};

        new_path(spool, "spool");
        new_dir(out, "gateway");
        write_script(script, out, "cat > @DIR@/\"$1\"\n");
        snprintf(sms, sizeof sms, "spool:%s", spool);
        snprintf(email, sizeof email, "command:%s", script);
        for (int i = 0; i < N; i++) {
                snprintf(to[i], sizeof to[i], "user%d@example.org", i);
                snprintf(text[i], sizeof text[i], "message %d", i);
                s[2 * i] = (Send){ CHANNEL_SMS, PHONE, "Code", text[i] };
                s[2 * i + 1] = (Send){ CHANNEL_EMAIL, to[i], "Code", text[i] };
        }
        deliver(sms, email, 2, 10 * USEC_PER_SEC, s, ELEMENTSOF(s));
        for (size_t i = 0; i < ELEMENTSOF(s); i++)
                assert_int_equal(s[i].r, 0);
        assert_log_is("");

        assert_int_equal(list_dir(spool, names, N), N);
        for (int i = 0; i < N; i++) {
                int k;
                read_at(got, sizeof got, spool, names[i]);
                char *body = strstr(got, "\n\nmessage ");
                assert_non_null(body);
                k = atoi(body + strlen("\n\nmessage "));
                assert_true(k >= 0 && k < N && !seen[k]);
                seen[k] = true;
        }
        for (int i = 0; i < N; i++) {
                read_at(got, sizeof got, out, to[i]);
                size_t len = strlen(text[i]);
                assert_int_equal(strlen(got), len + 1);
                assert_memory_equal(got, text[i], len);
                assert_int_equal(got[len], '\n');
        }
}

/* Work the queue never ran reports -ECANCELED, also after the Delivery itself is gone. */
static void test_cancelled(void **state)
{
        char spool[PATH_MAX], script[PATH_MAX], sms[PATH_MAX + 8], email[PATH_MAX + 8];
        Send s[] = {
                { CHANNEL_EMAIL, EMAIL, "Code", TEXT },
                { CHANNEL_SMS, PHONE, "Code", TEXT },
        };
        sd_event *e = NULL;
        WorkQueue *q = NULL;
        Delivery *d = NULL;
        int saved;

        new_path(spool, "spool");
        write_script(script, tmpdir, "exec sleep 30\n");
        snprintf(sms, sizeof sms, "spool:%s", spool);
        snprintf(email, sizeof email, "command:%s", script);
        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(workqueue_new(e, 1, &q), 0);
        assert_int_equal(delivery_new(q, sms, email, USEC_PER_SEC, &d), 0);
        stderr_to_log(&saved);
        for (size_t i = 0; i < ELEMENTSOF(s); i++)
                assert_int_equal(
                        delivery_send(d,
                                      message_new(s[i].channel, s[i].to, s[i].subject, s[i].text),
                                      on_done, &s[i]),
                        0);
        delivery_free(d);
        workqueue_free(q);
        stderr_back(saved);
        sd_event_unref(e);
        assert_true(all_called(s, ELEMENTSOF(s)));
        assert_true(s[0].r == -ETIMEDOUT || s[0].r == -ECANCELED);
        assert_int_equal(s[1].r, -ECANCELED);
        assert_int_equal(access(spool, F_OK), -1);
        assert_log_clean();
}

/* What would forge a header or pass for a gateway's option is refused, and done() never runs. */
static void test_refused(void **state)
{
        char spool[PATH_MAX + 8], command[PATH_MAX + 8];
        Send s[] = {
                { CHANNEL_SMS, PHONE "\nBcc: x@example.org", "Code", TEXT },
                { CHANNEL_SMS, PHONE, "Code\nBcc: x@example.org", TEXT },
                { CHANNEL_SMS, "", "Code", TEXT },
                { CHANNEL_EMAIL, "-oQ/tmp@example.org", "Code", TEXT },
        };
        Delivery *d = NULL;

        snprintf(spool, sizeof spool, "spool:%s/refused", tmpdir);
        snprintf(command, sizeof command, "command:%s/refused-gateway", tmpdir);
        deliver(spool, command, 1, USEC_PER_SEC, s, ELEMENTSOF(s));
        for (size_t i = 0; i < ELEMENTSOF(s); i++)
                assert_int_equal(s[i].r, -EINVAL);
        assert_log_is("");

        assert_int_equal(delivery_new(NULL, "smtp:/x", "sendmail", USEC_PER_SEC, &d), -EINVAL);
        assert_int_equal(delivery_new(NULL, "sendmail", "spool:relative", USEC_PER_SEC, &d),
                         -EINVAL);
        assert_null(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_spool),
                cmocka_unit_test(test_spool_unwritable),
                cmocka_unit_test(test_command),
                cmocka_unit_test(test_command_fails),
                cmocka_unit_test(test_command_missing),
                cmocka_unit_test(test_command_stops_reading),
                cmocka_unit_test(test_command_timeout),
                cmocka_unit_test(test_child_environment),
                cmocka_unit_test(test_sendmail),
                cmocka_unit_test(test_sendmail_long_subject),
                cmocka_unit_test(test_sendmail_missing),
                cmocka_unit_test(test_concurrent),
                cmocka_unit_test(test_cancelled),
                cmocka_unit_test(test_refused),
        };
        sigset_t mask;

        if (sodium_init() < 0)
                return 1;
        /* As passgated does, before any worker thread starts. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGUSR1, SIG_IGN);
        setenv("PG_TEST_LEAK", "1", 1);
        if (dup2(open("/dev/null", O_RDONLY), LEAKY_FD) != LEAKY_FD)
                return 1;
        /* Orphans of a killed gateway come to us, so the test can see how they died. */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                return 1;
        return cmocka_run_group_tests(tests, setup, teardown);
}
