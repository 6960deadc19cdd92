/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "account.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

void account_clear(Account *a)
{
        free(a->user);
        free(a->full_name);
        free(a->phone);
        free(a->email);
        erase_and_free(a->password_hash);
        for (unsigned i = 0; i < a->n_history; i++)
                erase_and_free(a->history[i]);
        free(a->lock_reason);
        sodium_memzero(a, sizeof *a);
}

int account_set_password_hash(Account *a, const char *hash, unsigned keep, uint64_t now)
{
        char *h = strdup(hash);
        if (!h)
                return -ENOMEM;

        keep = MIN(keep, HISTORY_MAX);
        if (a->n_history > keep) {
                for (unsigned i = keep; i < a->n_history; i++)
                        a->history[i] = erase_and_free(a->history[i]);
                a->n_history = keep;
        }
        if (a->password_hash && keep > 0) {
                if (a->n_history == keep) {
                        unsigned last = keep - 1;
                        for (unsigned i = last; i < a->n_history; i++)
                                a->history[i] = erase_and_free(a->history[i]);
                        a->n_history = last;
                }
                memmove(a->history + 1, a->history, a->n_history * sizeof(char *));
                a->history[0] = TAKE_PTR(a->password_hash);
                a->n_history++;
        }
        erase_and_free(a->password_hash);
        a->password_hash = h;
        a->password_changed_usec = now;
        a->must_change = false;
        a->disabled = false;
        a->failures = 0;
        a->last_failure_usec = 0;
        a->password_expires_usec = 0;
        /* A code asked for before the change must not open the account afterwards. */
        a->code_set = false;
        sodium_memzero(a->code_hash, sizeof a->code_hash);
        a->code_tries = 0;
        return 0;
}
