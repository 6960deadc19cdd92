/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "hasher.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

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
        j->error = -ECANCELED;
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

static void run_job(void *userdata)
{
        HashJob *j = userdata;
        size_t len = strlen(j->password);

        j->error = 0;
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

static void job_done(void *userdata)
{
        HashJob *j = userdata;
        j->done(j, j->userdata);
        hash_job_free(j);
}

int hash_job_submit(WorkQueue *q, HashJob *job)
{
        return workqueue_submit(q, run_job, job_done, job);
}
