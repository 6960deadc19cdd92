/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bare password check that a login through passgate or pam_unix is compared with.
 *
 *   bench-verify --make COST            stdin: a password. Prints {"hash", "opslimit", "memlimit"}:
 *                                       an Argon2id string at passgate's named cost.
 *   bench-verify [--threads N] [--iterations K]
 *                                       stdin: a password, then a hash (Argon2id or crypt(3)).
 *                                       Checks it K times on each of N threads started together.
 *                                       Prints {"threads", "seconds", "latencies_us"}.
 */
#include <crypt.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-clock.h"
#include "bench-json.h"
#include "macro.h"

#define MAX_THREADS    256
#define MAX_ITERATIONS 100000

typedef struct Cost {
        const char *name;
        unsigned long long opslimit;
        size_t memlimit;
} Cost;

/* The names passgate.conf(5) gives to libsodium's costs. */
static const Cost costs[] = {
        { "min", crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN },
        { "interactive", crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE },
        { "moderate", crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE },
        { "sensitive", crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE },
};

typedef struct Shared {
        const char *password;
        const char *hash;
        unsigned iterations;
        /* A start gate, so that N threads hash at once from the first check on. */
        pthread_mutex_t lock;
        pthread_cond_t open;
        bool go, abort;
        int error;
} Shared;

typedef struct Worker {
        Shared *shared;
        uint64_t *latencies;
        pthread_t thread;
} Worker;

static void chomp(char *s)
{
        s[strcspn(s, "\n")] = 0;
}

static char *read_line(void)
{
        char *line = NULL;
        size_t size = 0;

        if (getline(&line, &size, stdin) < 0) {
                free(line);
                return NULL;
        }
        chomp(line);
        return line;
}

/* crypt(3) for what pam_unix stores (yescrypt, sha512), libsodium for passgate's Argon2id. */
static int check(const char *password, const char *hash, struct crypt_data *cd)
{
        if (strncmp(hash, "$argon2", strlen("$argon2")) == 0)
                return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 ? 0 : -EPERM;
        const char *out = crypt_rn(password, hash, cd, sizeof *cd);
        return out && streq(out, hash) ? 0 : -EPERM;
}

static void *run(void *arg)
{
        Worker *w = arg;
        Shared *s = w->shared;
        _cleanup_free_ struct crypt_data *cd = calloc(1, sizeof(struct crypt_data));

        pthread_mutex_lock(&s->lock);
        while (!s->go)
                pthread_cond_wait(&s->open, &s->lock);
        bool abort = s->abort;
        pthread_mutex_unlock(&s->lock);
        if (abort)
                return NULL;
        for (unsigned i = 0; i < s->iterations; i++) {
                uint64_t t0 = bench_now_usec();
                int r = cd ? check(s->password, s->hash, cd) : -ENOMEM;
                w->latencies[i] = bench_now_usec() - t0;
                if (r < 0) {
                        __atomic_store_n(&s->error, r, __ATOMIC_RELAXED);
                        break;
                }
        }
        return NULL;
}

static int make(const char *cost_name)
{
        _cleanup_erase_ char *password = read_line();
        char hash[crypto_pwhash_STRBYTES];

        if (!password)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(costs); i++) {
                if (!streq(costs[i].name, cost_name))
                        continue;
                if (crypto_pwhash_str(hash, password, strlen(password), costs[i].opslimit,
                                      costs[i].memlimit) != 0)
                        return -ENOMEM;
                printf("{\"hash\": \"%s\", \"opslimit\": %llu, \"memlimit\": %zu}\n", hash,
                       costs[i].opslimit, costs[i].memlimit);
                return 0;
        }
        return -EINVAL;
}

static int measure(unsigned threads, unsigned iterations)
{
        _cleanup_erase_ char *password = read_line();
        _cleanup_free_ char *hash = read_line();
        _cleanup_free_ uint64_t *latencies = calloc((size_t)threads * iterations, sizeof(uint64_t));
        _cleanup_free_ Worker *workers = calloc(threads, sizeof(Worker));
        Shared s = { .password = password,
                     .hash = hash,
                     .iterations = iterations,
                     .lock = PTHREAD_MUTEX_INITIALIZER,
                     .open = PTHREAD_COND_INITIALIZER };
        unsigned started = 0;
        int r = 0;

        if (!password || !hash)
                return -EINVAL;
        if (!latencies || !workers)
                return -ENOMEM;
        for (; started < threads; started++) {
                workers[started] =
                        (Worker){ .shared = &s,
                                  .latencies = latencies + (size_t)started * iterations };
                r = -pthread_create(&workers[started].thread, NULL, run, &workers[started]);
                if (r < 0)
                        break;
        }
        pthread_mutex_lock(&s.lock);
        s.go = true;
        s.abort = r < 0;
        pthread_cond_broadcast(&s.open);
        pthread_mutex_unlock(&s.lock);
        uint64_t t0 = bench_now_usec();
        for (unsigned i = 0; i < started; i++)
                pthread_join(workers[i].thread, NULL);
        uint64_t wall = bench_now_usec() - t0;
        if (r < 0)
                return r;
        if (s.error < 0)
                return s.error;

        printf("{\"threads\": %u, \"seconds\": %.6f, ", threads, (double)wall / 1e6);
        bench_json_array(stdout, "latencies_us", latencies, (size_t)threads * iterations);
        printf("}\n");
        return 0;
}

int main(int argc, char *argv[])
{
        static const struct option options[] = {
                { "make", required_argument, NULL, 'm' },
                { "threads", required_argument, NULL, 't' },
                { "iterations", required_argument, NULL, 'i' },
                {},
        };
        const char *cost = NULL;
        unsigned long threads = 1, iterations = 10;
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'm':
                        cost = optarg;
                        break;
                case 't':
                        threads = strtoul(optarg, NULL, 10);
                        break;
                case 'i':
                        iterations = strtoul(optarg, NULL, 10);
                        break;
                default:
                        return 2;
                }
        if (threads < 1 || threads > MAX_THREADS || iterations < 1 || iterations > MAX_ITERATIONS) {
                fprintf(stderr, "bench-verify: --threads 1..%d, --iterations 1..%d\n", MAX_THREADS,
                        MAX_ITERATIONS);
                return 2;
        }
        if (sodium_init() < 0)
                return EXIT_FAILURE;
        r = cost ? make(cost) : measure((unsigned)threads, (unsigned)iterations);
        if (r < 0) {
                fprintf(stderr, "bench-verify: %s\n",
                        r == -EPERM ? "the password does not match the hash"
                        : r == -EINVAL
                                ? "expected a password (and a hash) on stdin, or a known cost"
                                : strerror(-r));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
