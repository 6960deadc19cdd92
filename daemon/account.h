/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "document.h"
#include "pepper.h"

#define HISTORY_MAX  24
#define DOC_LAST_MAX 4

typedef struct AccountDocument {
        bool set;
        uint8_t hash[PEPPER_HASH_BYTES]; /* keyed hash of the normalised number */
        char last[DOC_LAST_MAX];         /* the last digits, for masked display */
} AccountDocument;

/* One passgate account, as the store keeps it (decoded). */
typedef struct Account {
        char *user;
        char *full_name;
        char *phone; /* E.164 */
        char *email;
        AccountDocument documents[_DOC_MAX];

        char *password_hash; /* crypto_pwhash_str, NULL when none is set */
        char *history[HISTORY_MAX];
        unsigned n_history;
        bool must_change;
        bool locked;
        bool disabled; /* too many failures: only recovery or an admin brings it back */
        char *lock_reason;

        uint32_t failures; /* consecutive */
        uint64_t last_failure_usec;
        uint64_t password_changed_usec;
        uint64_t created_usec;
} Account;

void account_clear(Account *a);
/* Moves the current hash into the history (keeping at most keep entries) and sets a new one. */
int account_set_password_hash(Account *a, const char *hash, unsigned keep, uint64_t now);
