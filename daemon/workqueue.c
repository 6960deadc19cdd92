/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "workqueue.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct Work {
        work_run_t run;
        work_done_t done;
        void *userdata;
        struct Work *next;
} Work;

struct WorkQueue {
        pthread_mutex_t lock;
        pthread_cond_t wake;
        Work *queue, *queue_tail;
        Work *finished, *finished_tail;
        bool stopping;
        int efd;
        sd_event_source *source;
        pthread_t *threads;
        unsigned n_threads;
};

static void *worker(void *arg)
{
        WorkQueue *q = arg;

        pthread_mutex_lock(&q->lock);
        for (;;) {
                while (!q->queue && !q->stopping)
                        pthread_cond_wait(&q->wake, &q->lock);
                if (q->stopping)
                        break;
                Work *w = q->queue;
                q->queue = w->next;
                if (!q->queue)
                        q->queue_tail = NULL;
                pthread_mutex_unlock(&q->lock);

                w->run(w->userdata);

                pthread_mutex_lock(&q->lock);
                w->next = NULL;
                if (q->finished_tail)
                        q->finished_tail->next = w;
                else
                        q->finished = w;
                q->finished_tail = w;
                uint64_t one = 1;
                (void)!write(q->efd, &one, sizeof one);
        }
        pthread_mutex_unlock(&q->lock);
        return NULL;
}

static int on_finished(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        WorkQueue *q = userdata;
        uint64_t n;

        (void)!read(fd, &n, sizeof n);
        pthread_mutex_lock(&q->lock);
        Work *list = q->finished;
        q->finished = q->finished_tail = NULL;
        pthread_mutex_unlock(&q->lock);

        while (list) {
                Work *w = list;
                list = w->next;
                w->done(w->userdata);
                free(w);
        }
        return 0;
}

int workqueue_new(sd_event *e, unsigned threads, WorkQueue **ret)
{
        WorkQueue *q = calloc(1, sizeof(WorkQueue));
        if (!q)
                return -ENOMEM;
        pthread_mutex_init(&q->lock, NULL);
        pthread_cond_init(&q->wake, NULL);
        q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (q->efd < 0) {
                int r = -errno;
                workqueue_free(q);
                return r;
        }
        int r = sd_event_add_io(e, &q->source, q->efd, EPOLLIN, on_finished, q);
        if (r < 0) {
                workqueue_free(q);
                return r;
        }
        if (threads == 0) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                threads = n > 0 ? (unsigned)n : 1;
        }
        q->threads = calloc(threads, sizeof(pthread_t));
        if (!q->threads) {
                workqueue_free(q);
                return -ENOMEM;
        }
        for (; q->n_threads < threads; q->n_threads++) {
                r = -pthread_create(&q->threads[q->n_threads], NULL, worker, q);
                if (r < 0) {
                        workqueue_free(q);
                        return r;
                }
        }
        *ret = q;
        return 0;
}

WorkQueue *workqueue_free(WorkQueue *q)
{
        if (!q)
                return NULL;
        pthread_mutex_lock(&q->lock);
        q->stopping = true;
        pthread_cond_broadcast(&q->wake);
        pthread_mutex_unlock(&q->lock);
        for (unsigned i = 0; i < q->n_threads; i++)
                pthread_join(q->threads[i], NULL);
        free(q->threads);
        Work *lists[] = { q->finished, q->queue };
        for (size_t i = 0; i < 2; i++)
                for (Work *l = lists[i], *n; l; l = n) {
                        n = l->next;
                        l->done(l->userdata);
                        free(l);
                }
        sd_event_source_disable_unref(q->source);
        if (q->efd >= 0)
                close(q->efd);
        pthread_mutex_destroy(&q->lock);
        pthread_cond_destroy(&q->wake);
        free(q);
        return NULL;
}

int workqueue_submit(WorkQueue *q, work_run_t run, work_done_t done, void *userdata)
{
        Work *w = malloc(sizeof(Work));
        if (!w)
                return -ENOMEM;
        *w = (Work){ .run = run, .done = done, .userdata = userdata };
        pthread_mutex_lock(&q->lock);
        if (q->queue_tail)
                q->queue_tail->next = w;
        else
                q->queue = w;
        q->queue_tail = w;
        pthread_cond_signal(&q->wake);
        pthread_mutex_unlock(&q->lock);
        return 0;
}
