/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "delivery.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"

#define DEFAULT_SENDMAIL "/usr/sbin/sendmail"

/* 42 bytes make 56 base64 characters: "Subject: " and one encoded word stay within 78 columns. */
#define SUBJECT_CHUNK 42

typedef enum BackendType {
        BACKEND_SPOOL,
        BACKEND_SENDMAIL,
        BACKEND_COMMAND,
} BackendType;

typedef struct Backend {
        BackendType type;
        char *spec; /* as configured: names the backend in the log */
        const char *path;
} Backend;

struct Delivery {
        WorkQueue *queue;
        Backend backends[2]; /* by Channel */
        uint64_t timeout_usec;
};

/* Each job carries its own backend, so the Delivery may go before the queue does. */
typedef struct Job {
        Backend backend;
        uint64_t timeout_usec;
        Message *msg;
        int r;
        delivery_done_t done;
        void *userdata;
} Job;

static char *child_env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", NULL };

static const char *channel_name(Channel c)
{
        return c == CHANNEL_SMS ? "sms" : "email";
}

static int backend_parse(const char *spec, Backend *ret)
{
        static const struct {
                const char *prefix;
                BackendType type;
        } types[] = {
                { "spool:", BACKEND_SPOOL },
                { "sendmail:", BACKEND_SENDMAIL },
                { "command:", BACKEND_COMMAND },
        };
        size_t i = 0;

        if (streq(spec, "sendmail"))
                spec = "sendmail:" DEFAULT_SENDMAIL;
        while (i < ELEMENTSOF(types) &&
               strncmp(spec, types[i].prefix, strlen(types[i].prefix)) != 0)
                i++;
        if (i == ELEMENTSOF(types) || spec[strlen(types[i].prefix)] != '/')
                return -EINVAL;
        Backend b = { .type = types[i].type, .spec = strdup(spec) };
        if (!b.spec)
                return -ENOMEM;
        b.path = b.spec + strlen(types[i].prefix);
        *ret = b;
        return 0;
}

static void backend_done(Backend *b)
{
        free(b->spec);
        *b = (Backend){};
}

Message *message_new(Channel channel, const char *to, const char *subject, const char *text)
{
        Message *m = calloc(1, sizeof(Message));
        if (!m)
                return NULL;
        m->channel = channel;
        m->to = strdup(to);
        m->subject = strdup(subject ? subject : "");
        m->text = strdup(text);
        if (!m->to || !m->subject || !m->text)
                return message_free(m);
        return m;
}

Message *message_free(Message *m)
{
        if (!m)
                return NULL;
        free(m->to);
        free(m->subject);
        erase_and_free(m->text);
        free(m);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Message *, message_free)

static void job_free(Job *j)
{
        backend_done(&j->backend);
        message_free(j->msg);
        free(j);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Job *, job_free)

/* One exact-size buffer, so that no partial copies of the text are left behind in freed memory. */
static char *concat(const char *const *parts, size_t n, size_t *ret_len)
{
        size_t len = 0;
        for (size_t i = 0; i < n; i++)
                len += strlen(parts[i]);
        char *buf = malloc(len + 1), *p = buf;
        if (!buf)
                return NULL;
        for (size_t i = 0; i < n; i++)
                p = stpcpy(p, parts[i]);
        *ret_len = len;
        return buf;
}

static uint64_t clock_usec(clockid_t id)
{
        struct timespec ts;
        clock_gettime(id, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, buf, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

static int deliver_spool(const Backend *b, const Message *m)
{
        uint8_t rnd[8];
        char hex[2 * sizeof rnd + 1], name[64], tmp[sizeof name + 8];
        size_t len;

        if (mkdir(b->path, 0700) < 0 && errno != EEXIST)
                return -errno;
        _cleanup_close_ int dfd = open(b->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;

        const char *parts[] = { "To: ",        m->to,      "\nChannel: ", channel_name(m->channel),
                                "\nSubject: ", m->subject, "\n\n",        m->text,
                                "\n" };
        _cleanup_erase_ char *buf = concat(parts, ELEMENTSOF(parts), &len);
        if (!buf)
                return -ENOMEM;

        randombytes_buf(rnd, sizeof rnd);
        sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
        snprintf(name, sizeof name, "%" PRIu64 "-%s.msg", clock_usec(CLOCK_REALTIME), hex);
        /* Readers skip dot-files, so a half-written message is never read. */
        snprintf(tmp, sizeof tmp, ".%s.tmp", name);

        int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        int r = write_all(fd, buf, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
                r = -errno;
        if (r < 0) {
                unlinkat(dfd, tmp, 0);
                return r;
        }
        return fsync(dfd) < 0 ? -errno : 0;
}

static int poll_until(int fd, short events, uint64_t deadline)
{
        for (;;) {
                uint64_t now = clock_usec(CLOCK_MONOTONIC);
                if (now >= deadline)
                        return -ETIMEDOUT;
                uint64_t ms = (deadline - now + 999) / 1000;
                struct pollfd p = { .fd = fd, .events = events };
                int n = poll(&p, 1, (int)MIN(ms, (uint64_t)INT_MAX));
                if (n > 0)
                        return 0;
                if (n < 0 && errno != EINTR)
                        return -errno;
        }
}

/*
 * A write to a pipe whose reader has gone raises SIGPIPE at the writing thread, and by default that
 * kills the daemon. The signal is blocked here only around our writes, and the one an EPIPE
 * raised is taken off this thread's pending set before the old mask comes back, so neither the
 * process's dispositions nor the other threads are touched.
 */
static int feed(int fd, const char *buf, size_t len, uint64_t deadline)
{
        sigset_t pipe_set, saved;
        int r = 0;

        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_set, &saved);
        while (len > 0) {
                r = poll_until(fd, POLLOUT, deadline);
                if (r < 0)
                        break;
                ssize_t n = write(fd, buf, len);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        continue;
                if (n < 0 && errno == EPIPE) {
                        /* The child stopped reading: its exit status tells if it took it. */
                        sigtimedwait(&pipe_set, NULL, &(struct timespec){});
                        break;
                }
                if (n < 0) {
                        r = -errno;
                        break;
                }
                buf += n;
                len -= (size_t)n;
        }
        pthread_sigmask(SIG_SETMASK, &saved, NULL);
        return r;
}

static int spawn(const char *path, char *const argv[], int in, pid_t *ret)
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, all;
        int r;

        sigemptyset(&none);
        sigfillset(&all);
        if ((r = posix_spawn_file_actions_init(&fa)) != 0)
                return -r;
        if ((r = posix_spawnattr_init(&attr)) != 0) {
                posix_spawn_file_actions_destroy(&fa);
                return -r;
        }
        /*
         * Gateways may echo the code: what they print goes nowhere. Descriptors a library opened
         * without O_CLOEXEC are closed too. A process group of its own lets a timeout kill all the
         * child started, and the daemon's blocked SIGTERM must not make the child unkillable.
         */
        if ((r = posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO)) != 0 ||
            (r = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)) !=
                    0 ||
            (r = posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO)) != 0 ||
            (r = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1)) != 0 ||
            (r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                         POSIX_SPAWN_SETSIGDEF)) != 0 ||
            (r = posix_spawnattr_setpgroup(&attr, 0)) != 0 ||
            (r = posix_spawnattr_setsigmask(&attr, &none)) != 0 ||
            (r = posix_spawnattr_setsigdefault(&attr, &all)) != 0)
                goto finish;
        r = posix_spawn(ret, path, &fa, &attr, argv, child_env);
finish:
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
        return -r;
}

/* One deadline for writing and waiting: a gateway that hangs either way costs the timeout, no more.
 */
static int run_child(const char *path, char *const argv[], const char *input, size_t len,
                     uint64_t timeout_usec)
{
        uint64_t deadline = clock_usec(CLOCK_MONOTONIC) + timeout_usec;
        int fds[2];
        pid_t pid;
        siginfo_t si = {};

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        _cleanup_close_ int in_w = fds[1];
        /* Only our end: the child's stdin stays blocking. */
        int r = fcntl(in_w, F_SETFL, O_NONBLOCK) < 0 ? -errno : spawn(path, argv, fds[0], &pid);
        close(fds[0]);
        if (r < 0)
                return r;

        _cleanup_close_ int pidfd = pidfd_open(pid, 0);
        if (pidfd < 0) {
                r = -errno;
                kill(-pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return r;
        }

        r = feed(in_w, input, len, deadline);
        close(in_w);
        in_w = -EBADF;
        if (r == 0)
                r = poll_until(pidfd, POLLIN, deadline);
        if (r < 0) {
                /* Not yet reaped, so the group id cannot have been reused. */
                pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
                kill(-pid, SIGKILL);
        }
        while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0)
                if (errno != EINTR)
                        return r < 0 ? r : -errno;
        if (r < 0)
                return r;
        return si.si_code == CLD_EXITED && si.si_status == 0 ? 0 : -EIO;
}

static int deliver_command(const Backend *b, const Message *m, uint64_t timeout_usec)
{
        char *argv[] = { (char *)b->path, m->to, NULL };
        const char *parts[] = { m->text, "\n" };
        size_t len;

        _cleanup_erase_ char *input = concat(parts, ELEMENTSOF(parts), &len);
        if (!input)
                return -ENOMEM;
        return run_child(b->path, argv, input, len, timeout_usec);
}

static bool needs_encoding(const char *s)
{
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p >= 0x80)
                        return true;
        return strstr(s, "=?") != NULL;
}

/* RFC 2047 encoded words, folded one to a line, each holding whole UTF-8 characters. */
static char *encode_subject(const char *s)
{
        const char prefix[] = "=?UTF-8?B?", suffix[] = "?=";
        size_t len = strlen(s);

        if (!needs_encoding(s))
                return strdup(s);

        size_t words = len / (SUBJECT_CHUNK - 3) + 1;
        char *out = malloc(words * (sizeof prefix + sizeof suffix + 2 + SUBJECT_CHUNK / 3 * 4) + 1);
        if (!out)
                return NULL;
        char *p = out;
        for (size_t i = 0; i < len;) {
                size_t n = MIN(len - i, (size_t)SUBJECT_CHUNK);
                while (n > SUBJECT_CHUNK - 3 && i + n < len &&
                       ((unsigned char)s[i + n] & 0xc0) == 0x80)
                        n--;
                if (i > 0)
                        p = stpcpy(p, "\n ");
                p = stpcpy(p, prefix);
                sodium_bin2base64(p, sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL),
                                  (const unsigned char *)s + i, n, sodium_base64_VARIANT_ORIGINAL);
                p = stpcpy(p + strlen(p), suffix);
                i += n;
        }
        return out;
}

static int deliver_sendmail(const Backend *b, const Message *m, uint64_t timeout_usec)
{
        char *argv[] = { (char *)b->path, "-t", "-i", NULL };
        size_t len;

        _cleanup_free_ char *subject = encode_subject(m->subject);
        if (!subject)
                return -ENOMEM;
        const char *parts[] = {
                "To: ",
                m->to,
                "\nSubject: ",
                subject,
                "\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=UTF-8\n"
                "Content-Transfer-Encoding: 8bit\n"
                "Auto-Submitted: auto-generated\n\n",
                m->text,
                "\n",
        };
        _cleanup_erase_ char *input = concat(parts, ELEMENTSOF(parts), &len);
        if (!input)
                return -ENOMEM;
        return run_child(b->path, argv, input, len, timeout_usec);
}

static void job_run(void *userdata)
{
        Job *j = userdata;

        switch (j->backend.type) {
        case BACKEND_SPOOL:
                j->r = deliver_spool(&j->backend, j->msg);
                break;
        case BACKEND_SENDMAIL:
                j->r = deliver_sendmail(&j->backend, j->msg, j->timeout_usec);
                break;
        case BACKEND_COMMAND:
                j->r = deliver_command(&j->backend, j->msg, j->timeout_usec);
                break;
        }
        if (j->r < 0) {
                /* Neither the recipient nor the text: the log must not leak codes or contacts. */
                errno = -j->r;
                fprintf(stderr, "passgated: delivery by %s failed: %m\n", j->backend.spec);
        }
}

static void job_done(void *userdata)
{
        Job *j = userdata;

        if (j->done)
                j->done(j->r, j->userdata);
        job_free(j);
}

/* A line break would forge headers, a leading dash an option of the gateway. */
static bool message_valid(const Message *m, BackendType type)
{
        if (isempty(m->to) || (type == BACKEND_COMMAND && m->to[0] == '-'))
                return false;
        for (const char *p = m->to; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        return false;
        for (const char *p = m->subject; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

int delivery_new(WorkQueue *queue, const char *sms, const char *email, uint64_t timeout_usec,
                 Delivery **ret)
{
        Delivery *d = calloc(1, sizeof(Delivery));
        if (!d)
                return -ENOMEM;
        d->queue = queue;
        d->timeout_usec = timeout_usec;
        int r = backend_parse(sms, &d->backends[CHANNEL_SMS]);
        if (r == 0)
                r = backend_parse(email, &d->backends[CHANNEL_EMAIL]);
        if (r < 0) {
                delivery_free(d);
                return r;
        }
        *ret = d;
        return 0;
}

Delivery *delivery_free(Delivery *d)
{
        if (!d)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(d->backends); i++)
                backend_done(&d->backends[i]);
        free(d);
        return NULL;
}

int delivery_send(Delivery *d, Message *msg, delivery_done_t done, void *userdata)
{
        _cleanup_(message_freep) Message *m = msg;
        int r;

        if ((unsigned)m->channel > CHANNEL_EMAIL || !message_valid(m, d->backends[m->channel].type))
                return -EINVAL;
        _cleanup_(job_freep) Job *j = calloc(1, sizeof(Job));
        if (!j)
                return -ENOMEM;
        if ((r = backend_parse(d->backends[m->channel].spec, &j->backend)) < 0)
                return r;
        j->timeout_usec = d->timeout_usec;
        j->msg = TAKE_PTR(m);
        j->r = -ECANCELED;
        j->done = done;
        j->userdata = userdata;
        if ((r = workqueue_submit(d->queue, job_run, job_done, j)) < 0)
                return r;
        TAKE_PTR(j);
        return 0;
}
