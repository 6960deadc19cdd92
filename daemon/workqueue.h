/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <systemd/sd-event.h>

/*
 * Threads that take work off the bus loop: run() on a worker, then done() back on the event loop,
 * in the order the workers finish. With one thread the work runs in the order it was submitted.
 */
typedef struct WorkQueue WorkQueue;
typedef void (*work_run_t)(void *userdata);
typedef void (*work_done_t)(void *userdata);

/* threads 0 means one per core. */
int workqueue_new(sd_event *e, unsigned threads, WorkQueue **ret);
/*
 * Stops the threads after the work they are running. Every piece of work still gets its done(),
 * here, also work that never ran: callers start their result as -ECANCELED to tell.
 */
WorkQueue *workqueue_free(WorkQueue *q);
int workqueue_submit(WorkQueue *q, work_run_t run, work_done_t done, void *userdata);
