/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "document.h"
#include "pepper.h"

#define HISTORY_MAX    24
#define DOC_LAST_MAX   4
#define CODES_SENT_MAX 10

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
        uint64_t password_expires_usec; /* a temporary password stops working then; 0: never */
        uint64_t created_usec;

        /* The pending one-time recovery code, as a keyed hash bound to the user and issue time. */
        bool code_set;
        uint8_t code_hash[PEPPER_HASH_BYTES];
        uint64_t code_issued_usec;
        /* The pending code was sent by the support desk: a recovery start keeps it for its whole
         * lifetime instead of only for the resend cooldown. */
        bool code_support;
        /* Wrong codes since the last good one: a new code carries them over, only an hour without
         * a wrong code or a good code clears them. */
        uint32_t code_tries;
        uint64_t code_last_failure_usec;
        uint64_t codes_sent[CODES_SENT_MAX]; /* when codes went out, for the hourly cap */
        unsigned n_codes_sent;
} Account;

void account_clear(Account *a);
/* Moves the current hash into the history (keeping at most keep entries) and sets a new one;
 * counters, a pending code and a temporary password's expiry are cleared. */
int account_set_password_hash(Account *a, const char *hash, unsigned keep, uint64_t now);
