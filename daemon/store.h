/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "account.h"
#include "pepper.h"

#define STORE_SCHEMA_VERSION 2

typedef struct Store Store;

/* Opens (creating) the LMDB environment in dir, clears stale readers and migrates the schema. */
int store_open(const char *dir, const Pepper *p, Store **ret);
Store *store_close(Store *s);

/*
 * fn runs inside a write transaction and may run again after the map has grown. Writes may run on
 * another thread than reads; growing the map waits until no read transaction is open.
 */
typedef int (*store_write_fn)(Store *s, MDB_txn *txn, void *userdata);
int store_write(Store *s, store_write_fn fn, void *userdata);

typedef struct StoreRead {
        Store *store;
        MDB_txn *txn;
} StoreRead;
int store_read_begin(Store *s, StoreRead *ret);
void store_read_end(StoreRead *r);

int store_get_account(Store *s, MDB_txn *txn, const char *user, Account *ret);
/* 0 when the account exists, -ENOENT when not: without decoding (and unsealing) its record. */
int store_has_account(Store *s, MDB_txn *txn, const char *user);
/* The same in a read transaction of its own. */
int store_read_account(Store *s, const char *user, Account *ret);
int store_put_account(Store *s, MDB_txn *txn, const Account *a);
int store_delete_account(Store *s, MDB_txn *txn, const char *user);
/* NULL-terminated list of account names. */
int store_read_list_accounts(Store *s, char ***ret);

/* Index keys are PEPPER_HASH_BYTES long. */
int store_index_lookup(Store *s, MDB_txn *txn, const uint8_t *key, char **ret);
/* -EEXIST when the key belongs to another account. */
int store_index_put(Store *s, MDB_txn *txn, const uint8_t *key, const char *user);
int store_index_delete(Store *s, MDB_txn *txn, const uint8_t *key);

int store_audit_append(Store *s, MDB_txn *txn, uint64_t usec, const char *user, const char *event,
                       const char *detail);
typedef int (*store_audit_fn)(uint64_t usec, const char *user, const char *event,
                              const char *detail, void *userdata);
int store_audit_list(Store *s, uint64_t since_usec, unsigned max, store_audit_fn fn,
                     void *userdata);

/*
 * Rate limits by a PEPPER_HASH_BYTES key: -EDQUOT when cap events already happened within the
 * window before now; otherwise 0, and with take the event at now is recorded.
 */
int store_limit_take(Store *s, MDB_txn *txn, const uint8_t *key, unsigned cap, uint64_t window_usec,
                     uint64_t now, bool take);

/* Several limits at once: -EDQUOT when any one is used up, and then none is counted. */
typedef struct StoreLimit {
        const uint8_t *key;
        unsigned cap;
} StoreLimit;
int store_limits_take(Store *s, MDB_txn *txn, const StoreLimit *limits, size_t n,
                      uint64_t window_usec, uint64_t now);

/*
 * Tables of sealed values (service centers, their slots, bookings, reset requests): each value is
 * sealed with the record key, bound to its table and key, so a stolen store shows no name, contact
 * or schedule, and a value cannot be moved to another key. Keys are plain: make them opaque (ids,
 * keyed hashes) when they would tell something.
 */
typedef enum StoreTable {
        TABLE_CENTERS,
        TABLE_SLOTS,
        TABLE_BOOKINGS,
        TABLE_REQUESTS,
        _TABLE_MAX,
} StoreTable;

/* The unsealed value, malloc'ed (NUL-terminated one byte past size); the caller wipes it. */
int store_table_get(Store *s, MDB_txn *txn, StoreTable t, const void *key, size_t key_size,
                    uint8_t **ret, size_t *ret_size);
int store_table_put(Store *s, MDB_txn *txn, StoreTable t, const void *key, size_t key_size,
                    const void *value, size_t size);
/* 0, or -ENOENT when there was nothing. */
int store_table_delete(Store *s, MDB_txn *txn, StoreTable t, const void *key, size_t key_size);
/* fn for every entry whose key starts with prefix (all for prefix_size 0), in key order; a
 * negative return stops it. The value is wiped after fn returns. */
typedef int (*store_table_fn)(const uint8_t *key, size_t key_size, const uint8_t *value,
                              size_t size, void *userdata);
int store_table_foreach(Store *s, MDB_txn *txn, StoreTable t, const void *prefix,
                        size_t prefix_size, store_table_fn fn, void *userdata);

/* Work of the same cost as a write that did not happen: size bytes to a key of their own, and a
 * limit's events written back unchanged. */
int store_pad(Store *s, MDB_txn *txn, const void *data, size_t size);
int store_limit_touch(Store *s, MDB_txn *txn, const uint8_t *key);

int store_schema_version(Store *s, unsigned *ret);
