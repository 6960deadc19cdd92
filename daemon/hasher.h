/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "account.h"
#include "workqueue.h"

/*
 * Argon2id off the bus loop, on a work queue of at most one thread per core, since each hash
 * takes its full memory. Results come back on the event loop.
 */
typedef struct HashJob HashJob;
typedef void (*hash_done_t)(HashJob *job, void *userdata);

struct HashJob {
        /* in */
        char *password;                /* owned, wiped when the job is freed */
        char *hashes[HISTORY_MAX + 1]; /* owned: verify against each, stop at the first match */
        unsigned n_hashes;
        bool hash_new; /* compute new_hash from password */
        bool rehash;   /* compute new_hash if hashes[0] matched at another cost */
        unsigned long long opslimit;
        size_t memlimit;
        hash_done_t done;
        void *userdata;
        /* out */
        int match; /* index of the matching hash, or -1 */
        char *new_hash;
        int error; /* -ECANCELED if it never ran (shutdown) */
};

/* Takes ownership of job; done runs on the event loop, then the job is freed. */
int hash_job_submit(WorkQueue *q, HashJob *job);
HashJob *hash_job_new(const char *password, unsigned long long opslimit, size_t memlimit);
int hash_job_add_hash(HashJob *j, const char *hash);
void hash_job_free(HashJob *j);
