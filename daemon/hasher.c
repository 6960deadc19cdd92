/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hasher.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "macro.h"

struct Hasher {
        pthread_mutex_t lock;
        pthread_cond_t wake;
        HashJob *queue, *queue_tail;
        HashJob *finished;
        bool stopping;
        int efd;
        sd_event_source *source;
        pthread_t *threads;
        unsigned n_threads;
};

HashJob *hash_job_new(const char *password, unsigned long long opslimit, size_t memlimit)
{
        HashJob *j = calloc(1, sizeof(HashJob));
        if (!j)
                return NULL;
        j->password = strdup(password);
        if (!j->password) {
                free(j);
                return NULL;
        }
        j->opslimit = opslimit;
        j->memlimit = memlimit;
        j->match = -1;
        return j;
}

int hash_job_add_hash(HashJob *j, const char *hash)
{
        if (j->n_hashes >= ELEMENTSOF(j->hashes))
                return -E2BIG;
        char *h = strdup(hash);
        if (!h)
                return -ENOMEM;
        j->hashes[j->n_hashes++] = h;
        return 0;
}

void hash_job_free(HashJob *j)
{
        if (!j)
                return;
        erase_and_free(j->password);
        for (unsigned i = 0; i < j->n_hashes; i++)
                erase_and_free(j->hashes[i]);
        erase_and_free(j->new_hash);
        free(j);
}

static void run_job(HashJob *j)
{
        size_t len = strlen(j->password);

        for (unsigned i = 0; i < j->n_hashes; i++)
                if (crypto_pwhash_str_verify(j->hashes[i], j->password, len) == 0) {
                        j->match = (int)i;
                        break;
                }

        bool want = j->hash_new ||
                    (j->rehash && j->match == 0 &&
                     crypto_pwhash_str_needs_rehash(j->hashes[0], j->opslimit, j->memlimit) != 0);
        if (!want)
                return;
        char out[crypto_pwhash_STRBYTES];
        if (crypto_pwhash_str(out, j->password, len, j->opslimit, j->memlimit) != 0)
                j->error = -ENOMEM;
        else if (!(j->new_hash = strdup(out)))
                j->error = -ENOMEM;
        sodium_memzero(out, sizeof out);
}

static void *worker(void *arg)
{
        Hasher *h = arg;

        pthread_mutex_lock(&h->lock);
        for (;;) {
                while (!h->queue && !h->stopping)
                        pthread_cond_wait(&h->wake, &h->lock);
                if (h->stopping)
                        break;
                HashJob *j = h->queue;
                h->queue = j->next;
                if (!h->queue)
                        h->queue_tail = NULL;
                pthread_mutex_unlock(&h->lock);

                run_job(j);

                pthread_mutex_lock(&h->lock);
                j->next = h->finished;
                h->finished = j;
                uint64_t one = 1;
                (void)!write(h->efd, &one, sizeof one);
        }
        pthread_mutex_unlock(&h->lock);
        return NULL;
}

static int on_finished(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Hasher *h = userdata;
        uint64_t n;

        (void)!read(fd, &n, sizeof n);
        pthread_mutex_lock(&h->lock);
        HashJob *list = h->finished;
        h->finished = NULL;
        pthread_mutex_unlock(&h->lock);

        while (list) {
                HashJob *j = list;
                list = j->next;
                j->done(j, j->userdata);
                hash_job_free(j);
        }
        return 0;
}

int hasher_new(sd_event *e, unsigned workers, Hasher **ret)
{
        Hasher *h = calloc(1, sizeof(Hasher));
        if (!h)
                return -ENOMEM;
        pthread_mutex_init(&h->lock, NULL);
        pthread_cond_init(&h->wake, NULL);
        h->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (h->efd < 0) {
                int r = -errno;
                free(h);
                return r;
        }
        int r = sd_event_add_io(e, &h->source, h->efd, EPOLLIN, on_finished, h);
        if (r < 0) {
                hasher_free(h);
                return r;
        }
        if (workers == 0) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                workers = n > 0 ? (unsigned)n : 1;
        }
        h->threads = calloc(workers, sizeof(pthread_t));
        if (!h->threads) {
                hasher_free(h);
                return -ENOMEM;
        }
        for (; h->n_threads < workers; h->n_threads++) {
                r = -pthread_create(&h->threads[h->n_threads], NULL, worker, h);
                if (r < 0) {
                        hasher_free(h);
                        return r;
                }
        }
        *ret = h;
        return 0;
}

Hasher *hasher_free(Hasher *h)
{
        if (!h)
                return NULL;
        pthread_mutex_lock(&h->lock);
        h->stopping = true;
        pthread_cond_broadcast(&h->wake);
        pthread_mutex_unlock(&h->lock);
        for (unsigned i = 0; i < h->n_threads; i++)
                pthread_join(h->threads[i], NULL);
        free(h->threads);
        for (HashJob *l = h->queue; l;) {
                HashJob *n = l->next;
                hash_job_free(l);
                l = n;
        }
        for (HashJob *l = h->finished; l;) {
                HashJob *n = l->next;
                hash_job_free(l);
                l = n;
        }
        sd_event_source_disable_unref(h->source);
        if (h->efd >= 0)
                close(h->efd);
        pthread_mutex_destroy(&h->lock);
        pthread_cond_destroy(&h->wake);
        free(h);
        return NULL;
}

int hasher_submit(Hasher *h, HashJob *job)
{
        pthread_mutex_lock(&h->lock);
        job->next = NULL;
        if (h->queue_tail)
                h->queue_tail->next = job;
        else
                h->queue = job;
        h->queue_tail = job;
        pthread_cond_signal(&h->wake);
        pthread_mutex_unlock(&h->lock);
        return 0;
}
