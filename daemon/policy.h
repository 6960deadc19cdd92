/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "account.h"
#include "conf.h"

/* What makes a password acceptable: length, strength, the admin's blocklist, the account's own
 * details. History is checked on a hash worker, since it needs Argon2id. */
typedef struct Policy {
        unsigned min_length, max_length;
        char **blocklist; /* sorted, ASCII lower case */
        size_t n_blocklist;
} Policy;

/* Why a password was refused: a message of messages.h and its number argument, if any. */
typedef struct PolicyVerdict {
        const char *message;
        unsigned arg;
} PolicyVerdict;

int policy_new(const Config *c, Policy **ret);
Policy *policy_free(Policy *p);

/* The byte limit a password can never exceed, checked before anything else touches it. */
size_t policy_max_bytes(const Policy *p);

/* NFKC-normalises a password (NIST SP 800-63B) so that every way of typing it hashes alike. */
int password_normalize(const char *in, char **ret);

/* 0 when acceptable, -EINVAL with *v filled when refused. a may be NULL (no context known). */
int policy_check(const Policy *p, const char *password, const Account *a, const Pepper *pepper,
                 PolicyVerdict *v);
