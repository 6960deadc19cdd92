/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "daemon.h"

/* The result of checking a password of a known account: counters, rehash and audit in one write. */
typedef struct Attempt {
        char *user;
        bool matched;
        char *new_hash; /* the same password at the configured cost, to replace the old */
        uid_t caller;
        const char *event; /* "login" or "password-change": the audit event's prefix */
        /* out */
        bool change_required;
        bool succeeded;
        bool disabled_now;
} Attempt;

typedef void (*attempt_done_t)(Daemon *d, const Attempt *a, int r, void *userdata);

/* Records it on the writer thread; done gets the outcome on the event loop. */
int attempt_record(Daemon *d, const char *user, bool matched, const char *new_hash, uid_t caller,
                   const char *event, attempt_done_t done, void *userdata);

/*
 * A hash job that checks password against user's hash, or against the dummy hash when the user is
 * unknown (NULL) or may not log in now: the same Argon2id work either way.
 */
int attempt_job(Daemon *d, const char *user, const char *password, HashJob **ret);
