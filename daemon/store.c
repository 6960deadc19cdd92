/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "record.h"
#include "seal.h"
#include "tlv.h"

#define INITIAL_MAP_SIZE (8ULL << 20)
#define MAX_MAP_SIZE     (64ULL << 30)

struct Store {
        /* Readers hold it shared; growing the map (LMDB: no transaction may be open) exclusive. */
        pthread_rwlock_t map_lock;
        MDB_env *env;
        MDB_dbi meta, accounts, index, audit, limits;
        MDB_dbi tables[_TABLE_MAX];
        const Pepper *pepper;
        size_t map_size;
        /* Plain (version 1) records are read only to migrate them: afterwards one is a forgery. */
        bool migrating;
};

/* LMDB codes are positive or their own range; passgate speaks negative errno. */
static int mdb_to_errno(int rc)
{
        switch (rc) {
        case 0:
                return 0;
        case MDB_NOTFOUND:
                return -ENOENT;
        case MDB_KEYEXIST:
                return -EEXIST;
        case MDB_MAP_FULL:
                return -ENOSPC;
        case MDB_CORRUPTED:
        case MDB_PAGE_NOTFOUND:
        case MDB_INVALID:
                return -EUCLEAN;
        case MDB_BAD_VALSIZE:
                /* An empty or over-long key: a caller's mistake, not the disk's. */
                return -EINVAL;
        case MDB_VERSION_MISMATCH:
                return -EPROTONOSUPPORT;
        case MDB_READERS_FULL:
        case MDB_TXN_FULL:
        case MDB_CURSOR_FULL:
                return -EBUSY;
        default:
                return rc > 0 ? -rc : -EIO;
        }
}

static int set_map_size(Store *s, size_t n)
{
        pthread_rwlock_wrlock(&s->map_lock);
        int rc = mdb_env_set_mapsize(s->env, n);
        pthread_rwlock_unlock(&s->map_lock);
        return mdb_to_errno(rc);
}

static int grow(Store *s)
{
        int dead;
        /* A reader killed while we run pins old pages: free them before asking for more. */
        mdb_reader_check(s->env, &dead);
        if (s->map_size >= MAX_MAP_SIZE)
                return -ENOSPC;
        size_t n = s->map_size * 2;
        int r = set_map_size(s, n);
        if (r < 0)
                return r;
        s->map_size = n;
        return 0;
}

int store_write(Store *s, store_write_fn fn, void *userdata)
{
        for (;;) {
                MDB_txn *txn;
                int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
                if (rc == MDB_MAP_RESIZED) {
                        /* Another process grew the map: adopt its size. */
                        int r = set_map_size(s, 0);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (rc)
                        return mdb_to_errno(rc);

                int r = fn(s, txn, userdata);
                if (r < 0) {
                        mdb_txn_abort(txn);
                        if (r == -ENOSPC && grow(s) == 0)
                                continue;
                        return r;
                }
                rc = mdb_txn_commit(txn);
                if (rc == MDB_MAP_FULL && grow(s) == 0)
                        continue;
                if (rc)
                        return mdb_to_errno(rc);
                return r;
        }
}

int store_read_begin(Store *s, StoreRead *ret)
{
        pthread_rwlock_rdlock(&s->map_lock);
        int r = mdb_to_errno(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &ret->txn));
        if (r < 0) {
                pthread_rwlock_unlock(&s->map_lock);
                *ret = (StoreRead){};
                return r;
        }
        ret->store = s;
        return 0;
}

void store_read_end(StoreRead *r)
{
        if (!r->txn)
                return;
        mdb_txn_abort(r->txn);
        pthread_rwlock_unlock(&r->store->map_lock);
        *r = (StoreRead){};
}
#define _cleanup_read_ _cleanup_(store_read_end)

static MDB_val val_str(const char *s)
{
        return (MDB_val){ .mv_size = strlen(s), .mv_data = (void *)s };
}

int store_get_account(Store *s, MDB_txn *txn, const char *user, Account *ret)
{
        MDB_val k = val_str(user), v;
        int r = mdb_to_errno(mdb_get(txn, s->accounts, &k, &v));
        if (r < 0)
                return r;
        if (!s->migrating && record_version(v.mv_data, v.mv_size) < RECORD_VERSION)
                return -EBADMSG;
        return record_decode(user, v.mv_data, v.mv_size, s->pepper, ret);
}

int store_has_account(Store *s, MDB_txn *txn, const char *user)
{
        MDB_val k = val_str(user), v;
        return mdb_to_errno(mdb_get(txn, s->accounts, &k, &v));
}

int store_read_account(Store *s, const char *user, Account *ret)
{
        _cleanup_read_ StoreRead rd = {};
        int r = store_read_begin(s, &rd);
        return r < 0 ? r : store_get_account(s, rd.txn, user, ret);
}

int store_put_account(Store *s, MDB_txn *txn, const Account *a)
{
        uint8_t *data;
        size_t size;
        int r = record_encode(a, s->pepper, &data, &size);
        if (r < 0)
                return r;
        MDB_val k = val_str(a->user), v = { .mv_size = size, .mv_data = data };
        r = mdb_to_errno(mdb_put(txn, s->accounts, &k, &v, 0));
        sodium_memzero(data, size);
        free(data);
        return r;
}

int store_delete_account(Store *s, MDB_txn *txn, const char *user)
{
        MDB_val k = val_str(user);
        return mdb_to_errno(mdb_del(txn, s->accounts, &k, NULL));
}

static int store_list_accounts(Store *s, MDB_txn *txn, char ***ret)
{
        MDB_cursor *c;
        MDB_val k, v;
        MDB_stat st;
        int r = mdb_to_errno(mdb_stat(txn, s->accounts, &st));
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **l = calloc(st.ms_entries + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        if ((r = mdb_to_errno(mdb_cursor_open(txn, s->accounts, &c))) < 0)
                return r;
        size_t n = 0;
        for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && n < st.ms_entries;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
                l[n] = strndup(k.mv_data, k.mv_size);
                if (!l[n]) {
                        mdb_cursor_close(c);
                        return -ENOMEM;
                }
                n++;
        }
        mdb_cursor_close(c);
        *ret = TAKE_PTR(l);
        return 0;
}

int store_read_list_accounts(Store *s, char ***ret)
{
        _cleanup_read_ StoreRead rd = {};
        int r = store_read_begin(s, &rd);
        return r < 0 ? r : store_list_accounts(s, rd.txn, ret);
}

int store_index_lookup(Store *s, MDB_txn *txn, const uint8_t *key, char **ret)
{
        MDB_val k = { .mv_size = PEPPER_HASH_BYTES, .mv_data = (void *)key }, v;
        int r = mdb_to_errno(mdb_get(txn, s->index, &k, &v));
        if (r < 0)
                return r;
        char *u = strndup(v.mv_data, v.mv_size);
        if (!u)
                return -ENOMEM;
        *ret = u;
        return 0;
}

int store_index_put(Store *s, MDB_txn *txn, const uint8_t *key, const char *user)
{
        _cleanup_free_ char *owner = NULL;
        int r = store_index_lookup(s, txn, key, &owner);
        if (r == 0)
                return streq(owner, user) ? 0 : -EEXIST;
        if (r != -ENOENT)
                return r;
        MDB_val k = { .mv_size = PEPPER_HASH_BYTES, .mv_data = (void *)key }, v = val_str(user);
        return mdb_to_errno(mdb_put(txn, s->index, &k, &v, 0));
}

int store_index_delete(Store *s, MDB_txn *txn, const uint8_t *key)
{
        MDB_val k = { .mv_size = PEPPER_HASH_BYTES, .mv_data = (void *)key };
        int r = mdb_to_errno(mdb_del(txn, s->index, &k, NULL));
        return r == -ENOENT ? 0 : r;
}

static void put_be64(uint8_t *b, uint64_t v)
{
        for (int i = 0; i < 8; i++)
                b[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get_be64(const uint8_t *b)
{
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
                v = v << 8 | b[i];
        return v;
}

/* Audit keys are the event time, made unique (and so strictly increasing) by bumping. */
int store_audit_append(Store *s, MDB_txn *txn, uint64_t usec, const char *user, const char *event,
                       const char *detail)
{
        MDB_cursor *c;
        MDB_val k, v;
        int r = mdb_to_errno(mdb_cursor_open(txn, s->audit, &c));
        if (r < 0)
                return r;
        if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0 && k.mv_size == 8) {
                uint64_t last = get_be64(k.mv_data);
                if (usec <= last)
                        usec = last + 1;
        }
        mdb_cursor_close(c);

        size_t lu = strlen(user), le = strlen(event), ld = strlen(detail);
        _cleanup_free_ char *buf = malloc(lu + le + ld + 2);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, user, lu + 1);
        memcpy(buf + lu + 1, event, le + 1);
        memcpy(buf + lu + le + 2, detail, ld);
        uint8_t key[8];
        put_be64(key, usec);
        k = (MDB_val){ .mv_size = 8, .mv_data = key };
        v = (MDB_val){ .mv_size = lu + le + ld + 2, .mv_data = buf };
        return mdb_to_errno(mdb_put(txn, s->audit, &k, &v, MDB_APPEND));
}

int store_audit_list(Store *s, uint64_t since_usec, unsigned max, store_audit_fn fn, void *userdata)
{
        _cleanup_read_ StoreRead rd = {};
        MDB_cursor *c;
        uint8_t key[8];
        int r = store_read_begin(s, &rd);
        if (r < 0)
                return r;
        if ((r = mdb_to_errno(mdb_cursor_open(rd.txn, s->audit, &c))) < 0)
                return r;
        put_be64(key, since_usec);
        MDB_val k = { .mv_size = 8, .mv_data = key }, v;
        unsigned n = 0;
        for (int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && n < max;
             rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), n++) {
                const char *d = v.mv_data, *end = d + v.mv_size;
                const char *e = memchr(d, 0, v.mv_size);
                const char *x = e ? memchr(e + 1, 0, (size_t)(end - e - 1)) : NULL;
                if (k.mv_size != 8 || !x)
                        continue;
                _cleanup_free_ char *detail = strndup(x + 1, (size_t)(end - x - 1));
                if (!detail) {
                        r = -ENOMEM;
                        break;
                }
                r = fn(get_be64(k.mv_data), d, e + 1, detail, userdata);
                if (r < 0)
                        break;
        }
        mdb_cursor_close(c);
        return r < 0 ? r : 0;
}

/* A limit's value is the times of its recent events, oldest first, at most cap of them. */
int store_limit_take(Store *s, MDB_txn *txn, const uint8_t *key, unsigned cap, uint64_t window_usec,
                     uint64_t now, bool take)
{
        MDB_val k = { .mv_size = PEPPER_HASH_BYTES, .mv_data = (void *)key }, v;
        _cleanup_free_ uint8_t *events = NULL;
        size_t n = 0;

        if (cap == 0)
                return -EDQUOT;
        int r = mdb_to_errno(mdb_get(txn, s->limits, &k, &v));
        if (r < 0 && r != -ENOENT)
                return r;
        if (!(events = malloc(8 * ((size_t)cap + 1))))
                return -ENOMEM;
        if (r == 0) {
                const uint8_t *b = v.mv_data;
                for (size_t i = 0; i + 8 <= v.mv_size; i += 8) {
                        uint64_t t = get_be64(b + i);
                        /* A clock moved back keeps its events: they still count. */
                        if (t + window_usec <= now || n >= cap)
                                continue;
                        put_be64(events + 8 * n++, t);
                }
        }
        if (n >= cap)
                return -EDQUOT;
        if (!take)
                return 0;
        put_be64(events + 8 * n++, now);
        v = (MDB_val){ .mv_size = 8 * n, .mv_data = events };
        return mdb_to_errno(mdb_put(txn, s->limits, &k, &v, 0));
}

int store_limits_take(Store *s, MDB_txn *txn, const StoreLimit *limits, size_t n,
                      uint64_t window_usec, uint64_t now)
{
        int r = 0;
        for (int take = 0; take <= 1 && r >= 0; take++)
                for (size_t i = 0; i < n && r >= 0; i++)
                        r = store_limit_take(s, txn, limits[i].key, limits[i].cap, window_usec, now,
                                             take);
        return r;
}

static const char *const table_names[_TABLE_MAX] = {
        [TABLE_CENTERS] = "centers",
        [TABLE_SLOTS] = "slots",
        [TABLE_BOOKINGS] = "bookings",
        [TABLE_REQUESTS] = "requests",
};

/* What a sealed value is bound to: its table and its key. */
static int table_ad(StoreTable t, const void *key, size_t key_size, TlvBuf *ad)
{
        const char *name = table_names[t];
        int r = tlv_buf_reserve(ad, strlen(name) + 1 + key_size);
        if (r < 0)
                return r;
        memcpy(ad->data, name, strlen(name) + 1);
        memcpy(ad->data + strlen(name) + 1, key, key_size);
        ad->size = strlen(name) + 1 + key_size;
        return 0;
}

static int table_unseal(Store *s, StoreTable t, const MDB_val *k, const MDB_val *v, uint8_t **ret,
                        size_t *ret_size)
{
        _cleanup_(tlv_buf_wipe) TlvBuf ad = {};
        int r = table_ad(t, k->mv_data, k->mv_size, &ad);
        if (r < 0)
                return r;
        return unseal(s->pepper->record_key, ad.data, ad.size, v->mv_data, v->mv_size, ret,
                      ret_size);
}

int store_table_get(Store *s, MDB_txn *txn, StoreTable t, const void *key, size_t key_size,
                    uint8_t **ret, size_t *ret_size)
{
        MDB_val k = { .mv_size = key_size, .mv_data = (void *)key }, v;
        int r = mdb_to_errno(mdb_get(txn, s->tables[t], &k, &v));
        return r < 0 ? r : table_unseal(s, t, &k, &v, ret, ret_size);
}

int store_table_put(Store *s, MDB_txn *txn, StoreTable t, const void *key, size_t key_size,
                    const void *value, size_t size)
{
        _cleanup_(tlv_buf_wipe) TlvBuf ad = {};
        MDB_val k = { .mv_size = key_size, .mv_data = (void *)key }, v;
        int r = table_ad(t, key, key_size, &ad);
        if (r < 0)
                return r;
        uint8_t *sealed = malloc(size + SEAL_OVERHEAD);
        if (!sealed)
                return -ENOMEM;
        seal(s->pepper->record_key, ad.data, ad.size, value, size, sealed);
        v = (MDB_val){ .mv_size = size + SEAL_OVERHEAD, .mv_data = sealed };
        r = mdb_to_errno(mdb_put(txn, s->tables[t], &k, &v, 0));
        free(sealed);
        return r;
}

int store_table_delete(Store *s, MDB_txn *txn, StoreTable t, const void *key, size_t key_size)
{
        MDB_val k = { .mv_size = key_size, .mv_data = (void *)key };
        return mdb_to_errno(mdb_del(txn, s->tables[t], &k, NULL));
}

int store_table_foreach(Store *s, MDB_txn *txn, StoreTable t, const void *prefix,
                        size_t prefix_size, store_table_fn fn, void *userdata)
{
        MDB_cursor *c;
        MDB_val k = { .mv_size = prefix_size, .mv_data = (void *)prefix }, v;
        int r = mdb_to_errno(mdb_cursor_open(txn, s->tables[t], &c));
        if (r < 0)
                return r;
        int rc = prefix_size ? mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)
                             : mdb_cursor_get(c, &k, &v, MDB_FIRST);
        for (; rc == 0 && r >= 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
                if (k.mv_size < prefix_size ||
                    (prefix_size && memcmp(k.mv_data, prefix, prefix_size) != 0))
                        break;
                uint8_t *plain;
                size_t n;
                if ((r = table_unseal(s, t, &k, &v, &plain, &n)) < 0)
                        break;
                r = fn(k.mv_data, k.mv_size, plain, n, userdata);
                sodium_memzero(plain, n);
                free(plain);
        }
        mdb_cursor_close(c);
        if (r < 0)
                return r;
        return rc == 0 || rc == MDB_NOTFOUND ? 0 : mdb_to_errno(rc);
}

static int get_schema(Store *s, MDB_txn *txn, unsigned *ret)
{
        MDB_val k = val_str("schema"), v;
        int r = mdb_to_errno(mdb_get(txn, s->meta, &k, &v));
        if (r < 0)
                return r;
        if (v.mv_size != 4)
                return -EUCLEAN;
        const uint8_t *b = v.mv_data;
        *ret = (unsigned)b[0] << 24 | (unsigned)b[1] << 16 | (unsigned)b[2] << 8 | b[3];
        return 0;
}

static int put_schema(Store *s, MDB_txn *txn, unsigned version)
{
        uint8_t b[4] = { (uint8_t)(version >> 24), (uint8_t)(version >> 16),
                         (uint8_t)(version >> 8), (uint8_t)version };
        MDB_val k = val_str("schema"), v = { .mv_size = 4, .mv_data = b };
        return mdb_to_errno(mdb_put(txn, s->meta, &k, &v, 0));
}

int store_pad(Store *s, MDB_txn *txn, const void *data, size_t size)
{
        MDB_val k = val_str("pad"), v = { .mv_size = size, .mv_data = (void *)data };
        return mdb_to_errno(mdb_put(txn, s->meta, &k, &v, 0));
}

int store_limit_touch(Store *s, MDB_txn *txn, const uint8_t *key)
{
        MDB_val k = { .mv_size = PEPPER_HASH_BYTES, .mv_data = (void *)key }, v;
        int r = mdb_to_errno(mdb_get(txn, s->limits, &k, &v));
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        /* LMDB's value points into the map, which the put may change: copy it first. */
        _cleanup_free_ void *copy = malloc(v.mv_size ? v.mv_size : 1);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, v.mv_data, v.mv_size);
        v.mv_data = copy;
        return mdb_to_errno(mdb_put(txn, s->limits, &k, &v, 0));
}

int store_schema_version(Store *s, unsigned *ret)
{
        _cleanup_read_ StoreRead rd = {};
        int r = store_read_begin(s, &rd);
        return r < 0 ? r : get_schema(s, rd.txn, ret);
}

/* Schema 1 kept full names and contacts in plain text: re-encode every record sealed. */
static int migrate_1_to_2(Store *s, MDB_txn *txn)
{
        _cleanup_strv_free_ char **users = NULL;
        int r = store_list_accounts(s, txn, &users);
        if (r < 0)
                return r;
        for (char **u = users; *u; u++) {
                Account a = {};
                if ((r = store_get_account(s, txn, *u, &a)) < 0)
                        return r;
                r = store_put_account(s, txn, &a);
                account_clear(&a);
                if (r < 0)
                        return r;
        }
        return put_schema(s, txn, 2);
}

static int migrate(Store *s, MDB_txn *txn, void *userdata)
{
        unsigned version;
        MDB_stat st;
        int r = get_schema(s, txn, &version);
        if (r == -ENOENT) {
                if ((r = mdb_to_errno(mdb_stat(txn, s->accounts, &st))) < 0)
                        return r;
                /* Accounts without a schema key cannot be ours: refuse to guess. */
                if (st.ms_entries > 0)
                        return -EUCLEAN;
                return put_schema(s, txn, STORE_SCHEMA_VERSION);
        }
        if (r < 0)
                return r;
        if (version > STORE_SCHEMA_VERSION || version < 1)
                return -EPROTONOSUPPORT;
        if (version == 1) {
                s->migrating = true;
                r = migrate_1_to_2(s, txn);
                s->migrating = false;
                if (r < 0)
                        return r;
        }
        return 0;
}

int store_open(const char *dir, const Pepper *p, Store **ret)
{
        _cleanup_free_ Store *s = calloc(1, sizeof(Store));
        MDB_txn *txn;
        int dead, r;

        if (!s)
                return -ENOMEM;
        pthread_rwlock_init(&s->map_lock, NULL);
        s->pepper = p;
        s->map_size = INITIAL_MAP_SIZE;
        if ((r = mdb_to_errno(mdb_env_create(&s->env))) < 0)
                return r;
        if ((r = mdb_to_errno(mdb_env_set_maxdbs(s->env, 16))) < 0 ||
            (r = mdb_to_errno(mdb_env_set_mapsize(s->env, s->map_size))) < 0 ||
            (r = mdb_to_errno(mdb_env_open(s->env, dir, MDB_NOTLS, 0600))) < 0)
                goto fail;

        MDB_envinfo info;
        mdb_env_info(s->env, &info);
        s->map_size = MAX(s->map_size, info.me_mapsize);
        /* Readers left by killed processes would pin old pages forever. */
        mdb_reader_check(s->env, &dead);

        if ((r = mdb_to_errno(mdb_txn_begin(s->env, NULL, 0, &txn))) < 0)
                goto fail;
        if ((r = mdb_to_errno(mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta))) < 0 ||
            (r = mdb_to_errno(mdb_dbi_open(txn, "accounts", MDB_CREATE, &s->accounts))) < 0 ||
            (r = mdb_to_errno(mdb_dbi_open(txn, "index", MDB_CREATE, &s->index))) < 0 ||
            (r = mdb_to_errno(mdb_dbi_open(txn, "audit", MDB_CREATE, &s->audit))) < 0 ||
            (r = mdb_to_errno(mdb_dbi_open(txn, "limits", MDB_CREATE, &s->limits))) < 0) {
                mdb_txn_abort(txn);
                goto fail;
        }
        for (StoreTable t = 0; t < _TABLE_MAX; t++)
                if ((r = mdb_to_errno(
                             mdb_dbi_open(txn, table_names[t], MDB_CREATE, &s->tables[t]))) < 0) {
                        mdb_txn_abort(txn);
                        goto fail;
                }
        if ((r = mdb_to_errno(mdb_txn_commit(txn))) < 0)
                goto fail;
        if ((r = store_write(s, migrate, NULL)) < 0)
                goto fail;

        *ret = TAKE_PTR(s);
        return 0;
fail:
        mdb_env_close(s->env);
        return r;
}

Store *store_close(Store *s)
{
        if (s) {
                mdb_env_close(s->env);
                pthread_rwlock_destroy(&s->map_lock);
                free(s);
        }
        return NULL;
}
