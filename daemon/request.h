/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "clock.h"
#include "daemon.h"

/*
 * A reset request filed by a clerk at a service center, as TABLE_REQUESTS keeps it (sealed), keyed
 * by its id: 16 random lowercase hex digits, which tell nothing about the account.
 */
#define REQUEST_ID_CHARS 16

typedef struct Request {
        char id[REQUEST_ID_CHARS + 1];
        char *center;
        char *user;
        char *contact; /* given at the desk: E.164 or e-mail; NULL: the registered one */
        uint64_t filed_usec;
        uint64_t apply_usec;    /* filed + [centers] request_hold */
        uint64_t deadline_usec; /* filed + 24 h */
        uint64_t next_try_usec; /* apply_usec, later after a failed delivery */
        uid_t clerk;
} Request;

#define REQUEST_DEADLINE_USEC (24ULL * 3600ULL * USEC_PER_SEC)

void request_clear(Request *r);
bool request_id_valid(const char *id);
/* A fresh random id. */
void request_id_new(char id[static REQUEST_ID_CHARS + 1]);

/* -ENOENT when there is none. */
int request_get(Store *s, MDB_txn *txn, const char *id, Request *ret);
int request_put(Store *s, MDB_txn *txn, const Request *r);
int request_delete(Store *s, MDB_txn *txn, const char *id);
/* fn for every request; a negative return stops it. */
typedef int (*request_fn)(const Request *r, void *userdata);
int request_foreach(Store *s, MDB_txn *txn, request_fn fn, void *userdata);

/* Inside a write: deletes every request about user, each audited as cancelled with why. */
int requests_cancel_user(Daemon *d, MDB_txn *txn, const char *user, uid_t caller, const char *why);

/* request-apply.c: the store changed (a request was filed): look again for the next one due. */
void requests_changed(Daemon *d);
