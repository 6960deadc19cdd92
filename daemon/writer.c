/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include "daemon.h"

typedef struct Write {
        Daemon *d;
        store_write_fn fn;
        void *userdata;
        write_done_t done;
        int r;
} Write;

/* Runs again when the map grew: what the last try held for the journal goes. */
static int run_txn(Store *s, MDB_txn *txn, void *userdata)
{
        Write *w = userdata;
        audit_txn_begin();
        return w->fn(s, txn, w->userdata);
}

static void run(void *userdata)
{
        Write *w = userdata;
        w->r = store_write(w->d->store, run_txn, w);
        audit_txn_end(w->r >= 0);
}

static void finished(void *userdata)
{
        Write *w = userdata;
        if (w->done)
                w->done(w->d, w->r, w->userdata);
        free(w);
}

int daemon_write(Daemon *d, store_write_fn fn, void *userdata, write_done_t done)
{
        /* Shutting down, the writer already stopped: a delivery that finished after it changes
         * nothing, like one that failed. */
        if (!d->writer)
                return -ECANCELED;
        Write *w = malloc(sizeof(Write));
        if (!w)
                return -ENOMEM;
        *w = (Write){ .d = d, .fn = fn, .userdata = userdata, .done = done, .r = -ECANCELED };
        int r = workqueue_submit(d->writer, run, finished, w);
        if (r < 0)
                free(w);
        return r;
}
