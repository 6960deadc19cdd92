/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logins through a PAM stack, timed: the real pam_passgate.so, pam_unix or the bench's ping module.
 *
 *   bench-pam --confdir DIR --service NAME --user USER [--clients N] [--iterations K] [--load]
 *
 * stdin: the password, given to every hidden prompt. N client processes (like N sshd children)
 * start together; each runs pam_start_confdir, a timed pam_authenticate and pam_end, K times.
 * Prints {"clients", "logins", "seconds", "latencies_us", "cycles_us"}: seconds from the start to
 * the end of the last login; a cycle is pam_start to pam_end, what a client spends per login. With
 * --load the clients go on until SIGTERM or SIGINT, and "ready" is printed once they run. A login
 * that does not succeed fails the run: failures are not what is measured.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "bench-clock.h"
#include "bench-json.h"
#include "macro.h"

#define MAX_CLIENTS     64
#define MAX_ITERATIONS  100000
#define LOAD_MAX_SAMPLE 20000 /* per client in --load mode; later logins are counted only */

typedef struct Options {
        const char *confdir, *service, *user;
        unsigned clients, iterations;
        bool load;
} Options;

/* Shared with the clients through an anonymous shared mapping. */
typedef struct Board {
        int stop;
        unsigned cap;
        uint64_t logins[MAX_CLIENTS];
        uint64_t *cycles;     /* clients × cap, after the latencies */
        uint64_t latencies[]; /* clients × cap */
} Board;

static int conversation(int n, const struct pam_message **msg, struct pam_response **ret,
                        void *appdata)
{
        struct pam_response *resp = calloc((size_t)n, sizeof(struct pam_response));

        if (!resp)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                if (msg[i]->msg_style == PAM_ERROR_MSG || msg[i]->msg_style == PAM_TEXT_INFO)
                        continue;
                /* Only the password is scripted: any other question is a flow we do not time. */
                if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF || !(resp[i].resp = strdup(appdata))) {
                        for (int j = 0; j < i; j++)
                                erase_and_free(resp[j].resp);
                        free(resp);
                        return PAM_CONV_ERR;
                }
        }
        *ret = resp;
        return PAM_SUCCESS;
}

/* 0 when the login succeeded; why it did not goes to stderr. */
static int login_once(const Options *o, char *password, uint64_t *ret_usec, uint64_t *ret_cycle)
{
        struct pam_conv conv = { conversation, password };
        pam_handle_t *pamh = NULL;
        uint64_t start = bench_now_usec();

        int r = pam_start_confdir(o->service, o->user, &conv, o->confdir, &pamh);
        if (r != PAM_SUCCESS) {
                fprintf(stderr, "bench-pam: pam_start: %s\n", pam_strerror(NULL, r));
                return -EIO;
        }
        uint64_t t0 = bench_now_usec();
        r = pam_authenticate(pamh, 0);
        *ret_usec = bench_now_usec() - t0;
        if (r != PAM_SUCCESS)
                fprintf(stderr, "bench-pam: %s: pam_authenticate: %s\n", o->service,
                        pam_strerror(pamh, r));
        pam_end(pamh, r);
        *ret_cycle = bench_now_usec() - start;
        return r == PAM_SUCCESS ? 0 : -EACCES;
}

static void client(const Options *o, char *password, Board *b, unsigned id, int gate)
{
        char c;

        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* Blocks until the parent closes the gate's write end: all clients start at once. */
        (void)!read(gate, &c, 1);
        close(gate);
        for (uint64_t i = 0; o->load || i < o->iterations; i++) {
                if (__atomic_load_n(&b->stop, __ATOMIC_RELAXED))
                        break;
                uint64_t usec, cycle;
                if (login_once(o, password, &usec, &cycle) < 0)
                        _exit(EXIT_FAILURE);
                if (i < b->cap) {
                        b->latencies[(size_t)id * b->cap + i] = usec;
                        b->cycles[(size_t)id * b->cap + i] = cycle;
                }
                __atomic_store_n(&b->logins[id], i + 1, __ATOMIC_RELAXED);
        }
        /* _exit: no atexit handlers or stdio flushes of the parent's state in a child. */
        _exit(EXIT_SUCCESS);
}

static int wait_clients(pid_t *pids, unsigned n, Board *b)
{
        int r = 0;

        for (unsigned done = 0; done < n;) {
                int status;
                pid_t pid = waitpid(-1, &status, 0);
                if (pid < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (unsigned i = 0; i < n; i++)
                        if (pids[i] == pid) {
                                pids[i] = 0;
                                done++;
                        }
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        /* One failed login spoils the figure: stop the others too. */
                        __atomic_store_n(&b->stop, 1, __ATOMIC_RELAXED);
                        r = -EPROTO;
                }
        }
        return r;
}

/* --load: runs until told to stop. A client that ends on its own (SIGCHLD) has failed. */
static int wait_stop(pid_t *pids, unsigned n, Board *b, const sigset_t *mask)
{
        int sig = 0;

        printf("ready\n");
        fflush(stdout);
        int k = -sigwait(mask, &sig);
        __atomic_store_n(&b->stop, 1, __ATOMIC_RELAXED);
        int r = wait_clients(pids, n, b);
        return k < 0 ? k : r < 0 ? r : sig == SIGCHLD ? -EPROTO : 0;
}

/* The samples sit per client in the board; print them as one list each. */
static int print_board(const Board *b, unsigned clients, uint64_t wall)
{
        _cleanup_free_ uint64_t *lat = calloc((size_t)clients * b->cap, sizeof(uint64_t));
        _cleanup_free_ uint64_t *cyc = calloc((size_t)clients * b->cap, sizeof(uint64_t));
        uint64_t total = 0;
        size_t n = 0;

        if (!lat || !cyc)
                return -ENOMEM;
        for (unsigned i = 0; i < clients; i++) {
                total += b->logins[i];
                for (uint64_t j = 0; j < MIN(b->logins[i], (uint64_t)b->cap); j++, n++) {
                        lat[n] = b->latencies[(size_t)i * b->cap + j];
                        cyc[n] = b->cycles[(size_t)i * b->cap + j];
                }
        }
        printf("{\"clients\": %u, \"logins\": %llu, \"seconds\": %.6f, ", clients,
               (unsigned long long)total, (double)wall / 1e6);
        bench_json_array(stdout, "latencies_us", lat, n);
        printf(", ");
        bench_json_array(stdout, "cycles_us", cyc, n);
        printf("}\n");
        return 0;
}

static int run(const Options *o, char *password)
{
        unsigned cap = o->load ? LOAD_MAX_SAMPLE : o->iterations;
        size_t size = sizeof(Board) + 2 * (size_t)o->clients * cap * sizeof(uint64_t);
        pid_t pids[MAX_CLIENTS] = {};
        int gate[2], r = 0;
        sigset_t mask;

        Board *b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (b == MAP_FAILED)
                return -errno;
        b->cap = cap;
        b->cycles = b->latencies + (size_t)o->clients * cap;
        if (pipe2(gate, O_CLOEXEC) < 0) {
                r = -errno;
                munmap(b, size);
                return r;
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        unsigned started = 0;
        for (; started < o->clients; started++) {
                pid_t pid = fork();
                if (pid < 0) {
                        r = -errno;
                        break;
                }
                if (pid == 0) {
                        close(gate[1]);
                        sigprocmask(SIG_UNBLOCK, &mask, NULL);
                        client(o, password, b, started, gate[0]);
                }
                pids[started] = pid;
        }
        close(gate[0]);
        if (r < 0)
                __atomic_store_n(&b->stop, 1, __ATOMIC_RELAXED);
        uint64_t t0 = bench_now_usec();
        close(gate[1]);
        int k = o->load && r == 0 ? wait_stop(pids, started, b, &mask)
                                  : wait_clients(pids, started, b);
        uint64_t wall = bench_now_usec() - t0;
        r = r < 0 ? r : k;
        if (r == 0)
                r = print_board(b, o->clients, wall);
        munmap(b, size);
        return r;
}

int main(int argc, char *argv[])
{
        static const struct option options[] = {
                { "confdir", required_argument, NULL, 'd' },
                { "service", required_argument, NULL, 's' },
                { "user", required_argument, NULL, 'u' },
                { "clients", required_argument, NULL, 'c' },
                { "iterations", required_argument, NULL, 'i' },
                { "load", no_argument, NULL, 'l' },
                {},
        };
        Options o = { .clients = 1, .iterations = 10 };
        _cleanup_erase_ char *password = NULL;
        size_t size = 0;
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'd':
                        o.confdir = optarg;
                        break;
                case 's':
                        o.service = optarg;
                        break;
                case 'u':
                        o.user = optarg;
                        break;
                case 'c':
                        o.clients = (unsigned)strtoul(optarg, NULL, 10);
                        break;
                case 'i':
                        o.iterations = (unsigned)strtoul(optarg, NULL, 10);
                        break;
                case 'l':
                        o.load = true;
                        break;
                default:
                        return 2;
                }
        if (!o.confdir || !o.service || !o.user || o.clients < 1 || o.clients > MAX_CLIENTS ||
            o.iterations < 1 || o.iterations > MAX_ITERATIONS) {
                fprintf(stderr,
                        "Usage: bench-pam --confdir DIR --service NAME --user USER "
                        "[--clients 1..%d] [--iterations 1..%d] [--load]\n",
                        MAX_CLIENTS, MAX_ITERATIONS);
                return 2;
        }
        /* A --load run has no end of its own: it must not outlive whoever started it. */
        (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getline(&password, &size, stdin) < 0) {
                fprintf(stderr, "bench-pam: expected the password on stdin\n");
                return 2;
        }
        password[strcspn(password, "\n")] = 0;

        int r = run(&o, password);
        if (r < 0) {
                fprintf(stderr, "bench-pam: %s\n", r == -EPROTO ? "a login failed" : strerror(-r));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
