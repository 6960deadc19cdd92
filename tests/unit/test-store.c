/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the LMDB store: schema, accounts, index, audit, map growth, migration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "macro.h"
#include "pepper.h"
#include "record.h"
#include "scratch.h"
#include "store.h"

#define PHONE     "+79123456767"
#define FULL_NAME "Иванов Иван Иванович"
#define EMAIL     "ivan@example.org"
#define HASH      "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo"

static char tmpdir[] = "/tmp/pg-test-store-XXXXXX";
static Pepper pepper;
static unsigned dir_counter;

static int setup(void **state)
{
        uint8_t key[32];

        if (!mkdtemp(tmpdir))
                return -1;
        for (size_t i = 0; i < sizeof key; i++)
                key[i] = (uint8_t)(i * 7 + 1);
        return scratch_pepper(tmpdir, "pepper", key, &pepper) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        pepper_wipe(&pepper);
        return scratch_remove(tmpdir);
}

/* A fresh, empty directory for one store. */
static void new_dir(char *buf, size_t size)
{
        snprintf(buf, size, "%s/store-%u", tmpdir, dir_counter++);
        assert_int_equal(mkdir(buf, 0700), 0);
}

static void make_account(Account *a, const char *user)
{
        *a = (Account){
                .user = strdup(user),
                .full_name = strdup(FULL_NAME),
                .phone = strdup(PHONE),
                .email = strdup(EMAIL),
                .password_hash = strdup(HASH),
                .failures = 2,
                .created_usec = 1600000000000000ULL,
        };
}

/* store_write callbacks. */

static int put_account_fn(Store *s, MDB_txn *txn, void *userdata)
{
        return store_put_account(s, txn, userdata);
}

static int put_then_fail_fn(Store *s, MDB_txn *txn, void *userdata)
{
        int r = store_put_account(s, txn, userdata);
        return r < 0 ? r : -EIO;
}

static int delete_account_fn(Store *s, MDB_txn *txn, void *userdata)
{
        return store_delete_account(s, txn, userdata);
}

typedef struct IndexPut {
        const uint8_t *key;
        const char *user;
} IndexPut;

static int index_put_fn(Store *s, MDB_txn *txn, void *userdata)
{
        IndexPut *ip = userdata;
        return store_index_put(s, txn, ip->key, ip->user);
}

static int index_delete_fn(Store *s, MDB_txn *txn, void *userdata)
{
        return store_index_delete(s, txn, userdata);
}

static int get_account(Store *s, const char *user, Account *ret)
{
        return store_read_account(s, user, ret);
}

static int index_lookup(Store *s, const uint8_t *key, char **ret)
{
        StoreRead rd;
        assert_int_equal(store_read_begin(s, &rd), 0);
        int r = store_index_lookup(s, rd.txn, key, ret);
        store_read_end(&rd);
        return r;
}

static void test_open_creates_schema(void **state)
{
        char dir[256], path[300];
        Store *s = NULL;
        unsigned v = 0;

        new_dir(dir, sizeof dir);
        assert_int_equal(store_open(dir, &pepper, &s), 0);
        assert_non_null(s);
        assert_int_equal(store_schema_version(s, &v), 0);
        assert_int_equal(v, STORE_SCHEMA_VERSION);
        s = store_close(s);
        assert_null(s);

        snprintf(path, sizeof path, "%s/data.mdb", dir);
        assert_int_equal(access(path, F_OK), 0);

        /* Reopening keeps it. */
        assert_int_equal(store_open(dir, &pepper, &s), 0);
        assert_int_equal(store_schema_version(s, &v), 0);
        assert_int_equal(v, STORE_SCHEMA_VERSION);
        store_close(s);

        /* A directory that does not exist is an error, not a crash. */
        snprintf(path, sizeof path, "%s/missing/dir", tmpdir);
        s = NULL;
        assert_true(store_open(path, &pepper, &s) < 0);
        assert_null(s);
}

static void test_account_durability(void **state)
{
        char dir[256];
        Store *s;
        Account a, b = {}, c;

        new_dir(dir, sizeof dir);
        assert_int_equal(store_open(dir, &pepper, &s), 0);
        assert_int_equal(get_account(s, "ivanov", &b), -ENOENT);

        make_account(&a, "ivanov");
        assert_int_equal(store_write(s, put_account_fn, &a), 0);
        /* A write whose function fails leaves nothing behind. */
        make_account(&c, "petrov");
        assert_int_equal(store_write(s, put_then_fail_fn, &c), -EIO);
        assert_int_equal(get_account(s, "petrov", &b), -ENOENT);
        s = store_close(s);

        assert_int_equal(store_open(dir, &pepper, &s), 0);
        assert_int_equal(get_account(s, "ivanov", &b), 0);
        assert_string_equal(b.user, "ivanov");
        assert_string_equal(b.full_name, FULL_NAME);
        assert_string_equal(b.phone, PHONE);
        assert_string_equal(b.email, EMAIL);
        assert_string_equal(b.password_hash, HASH);
        assert_int_equal(b.failures, 2);
        assert_true(b.created_usec == 1600000000000000ULL);
        account_clear(&b);
        assert_int_equal(get_account(s, "petrov", &b), -ENOENT);

        /* Updates replace, deletes remove, and both persist. */
        a.failures = 9;
        assert_int_equal(store_write(s, put_account_fn, &a), 0);
        assert_int_equal(store_write(s, put_account_fn, &c), 0);
        assert_int_equal(store_write(s, delete_account_fn, "petrov"), 0);
        assert_int_equal(store_write(s, delete_account_fn, "petrov"), -ENOENT);
        s = store_close(s);

        assert_int_equal(store_open(dir, &pepper, &s), 0);
        assert_int_equal(get_account(s, "ivanov", &b), 0);
        assert_int_equal(b.failures, 9);
        account_clear(&b);
        assert_int_equal(get_account(s, "petrov", &b), -ENOENT);
        store_close(s);
        account_clear(&a);
        account_clear(&c);
}

static void test_index(void **state)
{
        char dir[256];
        Store *s;
        uint8_t key[PEPPER_HASH_BYTES], key2[PEPPER_HASH_BYTES];
        char *owner = NULL;

        pepper_hash(pepper.index_key, "phone", PHONE, key);
        pepper_hash(pepper.index_key, "email", EMAIL, key2);
        new_dir(dir, sizeof dir);
        assert_int_equal(store_open(dir, &pepper, &s), 0);
        assert_int_equal(index_lookup(s, key, &owner), -ENOENT);
        assert_null(owner);

        assert_int_equal(store_write(s, index_put_fn, &(IndexPut){ key, "alice" }), 0);
        /* The same identifier cannot be taken by another account... */
        assert_int_equal(store_write(s, index_put_fn, &(IndexPut){ key, "bob" }), -EEXIST);
        assert_int_equal(index_lookup(s, key, &owner), 0);
        assert_string_equal(owner, "alice");
        owner = erase_and_free(owner);
        /* ...nor by a name that merely starts like the owner's. */
        assert_int_equal(store_write(s, index_put_fn, &(IndexPut){ key, "alice2" }), -EEXIST);
        /* The owner may put it again. */
        assert_int_equal(store_write(s, index_put_fn, &(IndexPut){ key, "alice" }), 0);
        assert_int_equal(store_write(s, index_put_fn, &(IndexPut){ key2, "bob" }), 0);
        s = store_close(s);

        assert_int_equal(store_open(dir, &pepper, &s), 0);
        assert_int_equal(index_lookup(s, key, &owner), 0);
        assert_string_equal(owner, "alice");
        owner = erase_and_free(owner);
        assert_int_equal(index_lookup(s, key2, &owner), 0);
        assert_string_equal(owner, "bob");
        owner = erase_and_free(owner);

        /* Once released, the identifier can go to another account; deleting twice is fine. */
        assert_int_equal(store_write(s, index_delete_fn, key), 0);
        assert_int_equal(store_write(s, index_delete_fn, key), 0);
        assert_int_equal(index_lookup(s, key, &owner), -ENOENT);
        assert_int_equal(store_write(s, index_put_fn, &(IndexPut){ key, "bob" }), 0);
        assert_int_equal(index_lookup(s, key, &owner), 0);
        assert_string_equal(owner, "bob");
        free(owner);
        store_close(s);
}

static void test_list_accounts(void **state)
{
        char dir[256];
        Store *s;
        char **l = NULL;
        const char *names[] = { "zoe", "alice", "mallory", "bob" };
        const char *sorted[] = { "alice", "bob", "mallory", "zoe" };

        new_dir(dir, sizeof dir);
        assert_int_equal(store_open(dir, &pepper, &s), 0);

        assert_int_equal(store_read_list_accounts(s, &l), 0);
        assert_non_null(l);
        assert_null(l[0]);
        free(l);

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                Account a;
                make_account(&a, names[i]);
                assert_int_equal(store_write(s, put_account_fn, &a), 0);
                account_clear(&a);
        }
        assert_int_equal(store_read_list_accounts(s, &l), 0);
        for (size_t i = 0; i < ELEMENTSOF(sorted); i++) {
                assert_non_null(l[i]);
                assert_string_equal(l[i], sorted[i]);
                free(l[i]);
        }
        assert_null(l[ELEMENTSOF(sorted)]);
        free(l);
        store_close(s);
}

typedef struct AuditEntry {
        uint64_t usec;
        char user[32], event[32], detail[64];
} AuditEntry;

typedef struct AuditList {
        AuditEntry e[16];
        unsigned n;
} AuditList;

static int audit_collect(uint64_t usec, const char *user, const char *event, const char *detail,
                         void *userdata)
{
        AuditList *l = userdata;
        assert_true(l->n < ELEMENTSOF(l->e));
        AuditEntry *e = &l->e[l->n++];
        e->usec = usec;
        snprintf(e->user, sizeof e->user, "%s", user);
        snprintf(e->event, sizeof e->event, "%s", event);
        snprintf(e->detail, sizeof e->detail, "%s", detail);
        return 0;
}

static const struct {
        uint64_t usec;
        const char *user, *event, *detail;
} audit_in[] = {
        { 100, "alice", "login", "sshd" },      { 200, "bob", "password-changed", "" },
        { 200, "alice", "locked", "too many" }, { 300, "carol", "recovery", "sms" },
        { 50, "dave", "created", "by root" },
};

static int audit_fn(Store *s, MDB_txn *txn, void *userdata)
{
        int r = 0;
        for (size_t i = 0; i < ELEMENTSOF(audit_in) && r >= 0; i++)
                r = store_audit_append(s, txn, audit_in[i].usec, audit_in[i].user,
                                       audit_in[i].event, audit_in[i].detail);
        return r;
}

static void test_audit(void **state)
{
        char dir[256];
        Store *s;
        AuditList l = {};
        /* Equal or earlier times are bumped to stay unique and in order of appending. */
        const uint64_t want[] = { 100, 200, 201, 300, 301 };

        new_dir(dir, sizeof dir);
        assert_int_equal(store_open(dir, &pepper, &s), 0);
        assert_int_equal(store_audit_list(s, 0, 100, audit_collect, &l), 0);
        assert_int_equal(l.n, 0);

        assert_int_equal(store_write(s, audit_fn, NULL), 0);
        s = store_close(s);
        assert_int_equal(store_open(dir, &pepper, &s), 0);

        assert_int_equal(store_audit_list(s, 0, 100, audit_collect, &l), 0);
        assert_int_equal(l.n, ELEMENTSOF(audit_in));
        for (size_t i = 0; i < ELEMENTSOF(audit_in); i++) {
                assert_true(l.e[i].usec == want[i]);
                assert_string_equal(l.e[i].user, audit_in[i].user);
                assert_string_equal(l.e[i].event, audit_in[i].event);
                assert_string_equal(l.e[i].detail, audit_in[i].detail);
        }

        /* since: entries at or after that time. */
        l = (AuditList){};
        assert_int_equal(store_audit_list(s, 201, 100, audit_collect, &l), 0);
        assert_int_equal(l.n, 3);
        assert_true(l.e[0].usec == 201);
        assert_string_equal(l.e[0].event, "locked");
        assert_true(l.e[2].usec == 301);

        l = (AuditList){};
        assert_int_equal(store_audit_list(s, 150, 100, audit_collect, &l), 0);
        assert_int_equal(l.n, 4);
        assert_true(l.e[0].usec == 200);

        /* max: the oldest entries first, no more than asked. */
        l = (AuditList){};
        assert_int_equal(store_audit_list(s, 0, 2, audit_collect, &l), 0);
        assert_int_equal(l.n, 2);
        assert_true(l.e[0].usec == 100);
        assert_true(l.e[1].usec == 200);
        l = (AuditList){};
        assert_int_equal(store_audit_list(s, 0, 0, audit_collect, &l), 0);
        assert_int_equal(l.n, 0);
        l = (AuditList){};
        assert_int_equal(store_audit_list(s, 302, 100, audit_collect, &l), 0);
        assert_int_equal(l.n, 0);

        /* Later appends with an old time still come last. */
        assert_int_equal(store_write(s, audit_fn, NULL), 0);
        l = (AuditList){};
        assert_int_equal(store_audit_list(s, 0, 100, audit_collect, &l), 0);
        assert_int_equal(l.n, 2 * ELEMENTSOF(audit_in));
        for (unsigned i = 1; i < l.n; i++)
                assert_true(l.e[i].usec > l.e[i - 1].usec);
        store_close(s);
}

/* Map growth: far more than the initial 8 MiB. */
#define N_BIG      3000
#define BIG_BATCH  1000
#define NAME_CHARS 1000

static char *big_name(unsigned i)
{
        char *s = malloc(NAME_CHARS * 2 + 32);
        assert_non_null(s);
        int o = sprintf(s, "%05u ", i);
        for (unsigned k = 0; k < NAME_CHARS; k++, o += 2)
                memcpy(s + o, "Ж", 2); /* two bytes in UTF-8 */
        s[o] = 0;
        return s;
}

static void big_account(Account *a, unsigned i)
{
        char user[32];
        snprintf(user, sizeof user, "user%05u", i);
        *a = (Account){ .user = strdup(user), .full_name = big_name(i) };
        for (unsigned h = 0; h < HISTORY_MAX; h++) {
                char buf[128];
                snprintf(buf, sizeof buf, "$argon2id$v=19$m=65536,t=2,p=1$%05u%02u$%080u", i, h, h);
                a->history[a->n_history++] = strdup(buf);
        }
}

typedef struct Batch {
        unsigned from, to;
        unsigned runs;
} Batch;

static int batch_fn(Store *s, MDB_txn *txn, void *userdata)
{
        Batch *b = userdata;
        b->runs++;
        for (unsigned i = b->from; i < b->to; i++) {
                Account a;
                big_account(&a, i);
                int r = store_put_account(s, txn, &a);
                account_clear(&a);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void test_map_growth(void **state)
{
        char dir[256], path[300];
        Store *s;
        struct stat st;
        unsigned retried = 0;

        new_dir(dir, sizeof dir);
        assert_int_equal(store_open(dir, &pepper, &s), 0);
        for (unsigned from = 0; from < N_BIG; from += BIG_BATCH) {
                Batch b = { from, MIN(from + BIG_BATCH, N_BIG), 0 };
                assert_int_equal(store_write(s, batch_fn, &b), 0);
                if (b.runs > 1)
                        retried++;
        }
        /* At least one transaction hit the full map and was retried after growing it. */
        assert_true(retried > 0);
        s = store_close(s);

        snprintf(path, sizeof path, "%s/data.mdb", dir);
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size > (off_t)(8 << 20));

        assert_int_equal(store_open(dir, &pepper, &s), 0);
        for (unsigned i = 0; i < N_BIG; i++) {
                Account want, got = {};
                big_account(&want, i);
                assert_int_equal(get_account(s, want.user, &got), 0);
                assert_string_equal(got.full_name, want.full_name);
                assert_int_equal(got.n_history, HISTORY_MAX);
                assert_string_equal(got.history[HISTORY_MAX - 1], want.history[HISTORY_MAX - 1]);
                account_clear(&want);
                account_clear(&got);
        }
        /* Still writable after reopening a grown store. */
        Batch b = { N_BIG, N_BIG + 200, 0 };
        assert_int_equal(store_write(s, batch_fn, &b), 0);
        Account got = {};
        assert_int_equal(get_account(s, "user03199", &got), 0);
        account_clear(&got);
        store_close(s);
}

/* Readers on other threads while the writer grows the map, as the daemon's bus thread reads while
 * its writer thread writes: every read either finds an account whole or not yet written. */
typedef struct Reader {
        Store *s;
        atomic_bool stop;
        unsigned reads, found;
        int error;
} Reader;

static void *reader_thread(void *userdata)
{
        Reader *rd = userdata;
        for (unsigned i = 0; !atomic_load(&rd->stop); i = (i + 7) % N_BIG, rd->reads++) {
                char user[32];
                Account a = {};
                snprintf(user, sizeof user, "user%05u", i);
                int r = store_read_account(rd->s, user, &a);
                if (r == 0 && (a.n_history != HISTORY_MAX || !a.full_name))
                        r = -EBADMSG;
                if (r == 0)
                        rd->found++;
                else if (r != -ENOENT && !rd->error)
                        rd->error = r;
                account_clear(&a);
        }
        return NULL;
}

static void test_map_growth_under_readers(void **state)
{
        char dir[256];
        Reader rd[2] = {};
        pthread_t t[2];
        unsigned retried = 0;

        new_dir(dir, sizeof dir);
        assert_int_equal(store_open(dir, &pepper, &rd[0].s), 0);
        rd[1].s = rd[0].s;
        for (int k = 0; k < 2; k++)
                assert_int_equal(pthread_create(&t[k], NULL, reader_thread, &rd[k]), 0);
        for (unsigned from = 0; from < N_BIG; from += BIG_BATCH) {
                Batch b = { from, MIN(from + BIG_BATCH, N_BIG), 0 };
                assert_int_equal(store_write(rd[0].s, batch_fn, &b), 0);
                retried += b.runs > 1;
        }
        for (int k = 0; k < 2; k++) {
                atomic_store(&rd[k].stop, true);
                assert_int_equal(pthread_join(t[k], NULL), 0);
                assert_int_equal(rd[k].error, 0);
                assert_true(rd[k].reads > 0);
        }
        assert_true(retried > 0);
        assert_true(rd[0].found + rd[1].found > 0);
        store_close(rd[0].s);
}

/* Hand-made LMDB environments, as an older or foreign passgate would have left them. */

typedef struct Raw {
        MDB_env *env;
        MDB_txn *txn;
        MDB_dbi meta, accounts;
} Raw;

static void raw_open(Raw *r, const char *dir, bool create)
{
        assert_int_equal(mdb_env_create(&r->env), 0);
        assert_int_equal(mdb_env_set_maxdbs(r->env, 8), 0);
        assert_int_equal(mdb_env_open(r->env, dir, MDB_NOTLS, 0600), 0);
        assert_int_equal(mdb_txn_begin(r->env, NULL, create ? 0 : MDB_RDONLY, &r->txn), 0);
        assert_int_equal(mdb_dbi_open(r->txn, "meta", create ? MDB_CREATE : 0, &r->meta), 0);
        assert_int_equal(mdb_dbi_open(r->txn, "accounts", create ? MDB_CREATE : 0, &r->accounts),
                         0);
}

static void raw_put(Raw *r, MDB_dbi dbi, const char *key, const void *v, size_t n)
{
        MDB_val k = { strlen(key), (void *)key }, val = { n, (void *)v };
        assert_int_equal(mdb_put(r->txn, dbi, &k, &val, 0), 0);
}

static void raw_put_schema(Raw *r, unsigned version)
{
        uint8_t b[4] = { (uint8_t)(version >> 24), (uint8_t)(version >> 16),
                         (uint8_t)(version >> 8), (uint8_t)version };
        raw_put(r, r->meta, "schema", b, 4);
}

static int raw_get(Raw *r, MDB_dbi dbi, const char *key, MDB_val *v)
{
        MDB_val k = { strlen(key), (void *)key };
        return mdb_get(r->txn, dbi, &k, v);
}

static void raw_commit(Raw *r)
{
        assert_int_equal(mdb_txn_commit(r->txn), 0);
        mdb_env_close(r->env);
}

static void raw_close(Raw *r)
{
        mdb_txn_abort(r->txn);
        mdb_env_close(r->env);
}

static void tlv(uint8_t *b, size_t *o, uint8_t tag, const void *v, size_t n)
{
        b[(*o)++] = tag;
        b[(*o)++] = (uint8_t)(n >> 8);
        b[(*o)++] = (uint8_t)n;
        memcpy(b + *o, v, n);
        *o += n;
}

static void tlv_u64(uint8_t *b, size_t *o, uint8_t tag, uint64_t v)
{
        uint8_t x[8];
        for (int i = 0; i < 8; i++)
                x[i] = (uint8_t)(v >> (56 - 8 * i));
        tlv(b, o, tag, x, 8);
}

/* A schema-1 record: magic, version 1, contacts in plain text. */
static size_t v1_record(uint8_t *b, const char *phone)
{
        size_t o = 0;
        uint8_t flags = 2; /* locked */
        memcpy(b, "PGA\x01", 4);
        o = 4;
        tlv(b, &o, 1, HASH, strlen(HASH));
        tlv(b, &o, 3, &flags, 1);
        tlv_u64(b, &o, 5, 4);
        tlv_u64(b, &o, 8, 1500000000000000ULL);
        tlv(b, &o, 20, FULL_NAME, strlen(FULL_NAME));
        tlv(b, &o, 21, phone, strlen(phone));
        tlv(b, &o, 22, EMAIL, strlen(EMAIL));
        return o;
}

static void test_migration_1_to_2(void **state)
{
        char dir[256];
        uint8_t rec[1024], rec2[1024];
        Raw r = {};
        Store *s;
        Account a = {};
        unsigned v = 0;
        MDB_val val;

        new_dir(dir, sizeof dir);
        raw_open(&r, dir, true);
        raw_put_schema(&r, 1);
        raw_put(&r, r.accounts, "ivanov", rec, v1_record(rec, PHONE));
        raw_put(&r, r.accounts, "petrov", rec2, v1_record(rec2, "+79990001122"));
        raw_commit(&r);

        assert_int_equal(store_open(dir, &pepper, &s), 0);
        assert_int_equal(store_schema_version(s, &v), 0);
        assert_int_equal(v, 2);
        assert_int_equal(get_account(s, "ivanov", &a), 0);
        assert_string_equal(a.full_name, FULL_NAME);
        assert_string_equal(a.phone, PHONE);
        assert_string_equal(a.email, EMAIL);
        assert_string_equal(a.password_hash, HASH);
        assert_true(a.locked);
        assert_int_equal(a.failures, 4);
        assert_true(a.created_usec == 1500000000000000ULL);
        account_clear(&a);
        assert_int_equal(get_account(s, "petrov", &a), 0);
        assert_string_equal(a.phone, "+79990001122");
        account_clear(&a);
        store_close(s);

        /* On disk, the records are now sealed: version 2, no phone, e-mail or name in clear. */
        raw_open(&r, dir, false);
        assert_int_equal(raw_get(&r, r.accounts, "ivanov", &val), 0);
        assert_true(val.mv_size > 4);
        assert_memory_equal(val.mv_data, "PGA", 3);
        assert_int_equal(((uint8_t *)val.mv_data)[3], 2);
        assert_null(memmem(val.mv_data, val.mv_size, PHONE, strlen(PHONE)));
        assert_null(memmem(val.mv_data, val.mv_size, EMAIL, strlen(EMAIL)));
        assert_null(memmem(val.mv_data, val.mv_size, FULL_NAME, strlen(FULL_NAME)));
        assert_int_equal(raw_get(&r, r.accounts, "petrov", &val), 0);
        assert_int_equal(((uint8_t *)val.mv_data)[3], 2);
        assert_null(memmem(val.mv_data, val.mv_size, "+79990001122", 12));
        assert_int_equal(raw_get(&r, r.meta, "schema", &val), 0);
        assert_int_equal(val.mv_size, 4);
        assert_memory_equal(val.mv_data, "\0\0\0\2", 4);
        raw_close(&r);

        /* Opening again does not migrate twice. */
        assert_int_equal(store_open(dir, &pepper, &s), 0);
        assert_int_equal(get_account(s, "ivanov", &a), 0);
        assert_string_equal(a.phone, PHONE);
        account_clear(&a);
        store_close(s);
}

static void test_failed_migration_changes_nothing(void **state)
{
        char dir[256];
        uint8_t rec[1024];
        Raw r = {};
        Store *s = NULL;
        MDB_val val;
        size_t n;

        /* One good schema-1 record and one that cannot be decoded. */
        new_dir(dir, sizeof dir);
        raw_open(&r, dir, true);
        raw_put_schema(&r, 1);
        n = v1_record(rec, PHONE);
        raw_put(&r, r.accounts, "aaa", rec, n);
        raw_put(&r, r.accounts, "zzz", "PGA\x01\x01\x00\x50", 7);
        raw_commit(&r);

        assert_true(store_open(dir, &pepper, &s) < 0);
        assert_null(s);

        raw_open(&r, dir, false);
        assert_int_equal(raw_get(&r, r.meta, "schema", &val), 0);
        assert_memory_equal(val.mv_data, "\0\0\0\1", 4);
        assert_int_equal(raw_get(&r, r.accounts, "aaa", &val), 0);
        assert_int_equal(val.mv_size, n);
        assert_memory_equal(val.mv_data, rec, n);
        raw_close(&r);
}

static void test_future_schema_refused(void **state)
{
        char dir[256];
        Raw r = {};
        Store *s = NULL;
        MDB_val val;

        new_dir(dir, sizeof dir);
        raw_open(&r, dir, true);
        raw_put_schema(&r, STORE_SCHEMA_VERSION + 1);
        raw_commit(&r);
        assert_int_equal(store_open(dir, &pepper, &s), -EPROTONOSUPPORT);
        assert_null(s);
        /* And left as it was. */
        raw_open(&r, dir, false);
        assert_int_equal(raw_get(&r, r.meta, "schema", &val), 0);
        assert_memory_equal(val.mv_data, "\0\0\0\3", 4);
        raw_close(&r);

        new_dir(dir, sizeof dir);
        raw_open(&r, dir, true);
        raw_put_schema(&r, 0);
        raw_commit(&r);
        assert_int_equal(store_open(dir, &pepper, &s), -EPROTONOSUPPORT);
        assert_null(s);
}

static void test_accounts_without_schema_refused(void **state)
{
        char dir[256];
        uint8_t rec[1024];
        Raw r = {};
        Store *s = NULL;
        MDB_val val;

        new_dir(dir, sizeof dir);
        raw_open(&r, dir, true);
        raw_put(&r, r.accounts, "ivanov", rec, v1_record(rec, PHONE));
        raw_commit(&r);

        assert_true(store_open(dir, &pepper, &s) < 0);
        assert_null(s);
        /* No schema was made up for it. */
        raw_open(&r, dir, false);
        assert_int_equal(raw_get(&r, r.meta, "schema", &val), MDB_NOTFOUND);
        raw_close(&r);
}

/* After migration a plain record can only be planted by someone who wrote the file: a forgery. */
static void test_plain_record_refused_after_migration(void **state)
{
        char dir[256];
        uint8_t rec[1024];
        Raw r = {};
        Store *s;
        Account a = {};

        new_dir(dir, sizeof dir);
        assert_int_equal(store_open(dir, &pepper, &s), 0);
        store_close(s);
        raw_open(&r, dir, true);
        raw_put(&r, r.accounts, "mallory", rec, v1_record(rec, PHONE));
        raw_commit(&r);
        assert_int_equal(store_open(dir, &pepper, &s), 0);
        assert_int_equal(get_account(s, "mallory", &a), -EBADMSG);
        store_close(s);
}

static int tables_fill_fn(Store *s, MDB_txn *txn, void *userdata)
{
        int r = store_table_put(s, txn, TABLE_SLOTS, "c1/0001", 7, "one", 3);
        if (r >= 0)
                r = store_table_put(s, txn, TABLE_SLOTS, "c1/0002", 7, "two", 3);
        if (r >= 0)
                r = store_table_put(s, txn, TABLE_SLOTS, "c2/0001", 7, "other", 5);
        if (r >= 0)
                r = store_table_put(s, txn, TABLE_CENTERS, "c1", 2, "Центр 1", strlen("Центр 1"));
        return r;
}

static int tables_delete_fn(Store *s, MDB_txn *txn, void *userdata)
{
        return store_table_delete(s, txn, TABLE_SLOTS, "c1/0001", 7);
}

/* A sealed value copied to another key, as someone with the store file alone could do. */
static int tables_move_fn(Store *s, MDB_txn *txn, void *userdata)
{
        MDB_dbi dbi;
        MDB_val k = { .mv_size = 7, .mv_data = "c2/0001" }, v;
        int rc = mdb_dbi_open(txn, "slots", 0, &dbi);
        if (rc || (rc = mdb_get(txn, dbi, &k, &v)))
                return -EIO;
        k = (MDB_val){ .mv_size = 7, .mv_data = "c1/0009" };
        return mdb_put(txn, dbi, &k, &v, 0) ? -EIO : 0;
}

static int collect_fn(const uint8_t *key, size_t key_size, const uint8_t *value, size_t size,
                      void *userdata)
{
        char *out = userdata;
        strncat(out, (const char *)value, size);
        strcat(out, ";");
        return 0;
}

static void test_tables(void **state)
{
        char dir[PATH_MAX], seen[64] = "";
        StoreRead rd;
        Store *s;
        uint8_t *v;
        size_t n;

        new_dir(dir, sizeof dir);
        assert_int_equal(store_open(dir, &pepper, &s), 0);
        assert_int_equal(store_write(s, tables_fill_fn, NULL), 0);
        assert_int_equal(store_read_begin(s, &rd), 0);
        assert_int_equal(store_table_get(s, rd.txn, TABLE_CENTERS, "c1", 2, &v, &n), 0);
        assert_string_equal((char *)v, "Центр 1");
        free(v);
        assert_int_equal(store_table_get(s, rd.txn, TABLE_CENTERS, "c2", 2, &v, &n), -ENOENT);
        assert_int_equal(store_table_foreach(s, rd.txn, TABLE_SLOTS, "c1/", 3, collect_fn, seen),
                         0);
        assert_string_equal(seen, "one;two;");
        store_read_end(&rd);
        assert_int_equal(store_write(s, tables_delete_fn, NULL), 0);
        assert_int_equal(store_write(s, tables_move_fn, NULL), 0);
        assert_int_equal(store_read_begin(s, &rd), 0);
        assert_int_equal(store_table_get(s, rd.txn, TABLE_SLOTS, "c1/0001", 7, &v, &n), -ENOENT);
        assert_int_equal(store_table_get(s, rd.txn, TABLE_SLOTS, "c1/0009", 7, &v, &n), -EBADMSG);
        store_read_end(&rd);
        store_close(s);

        /* Nothing of a center's name is in the file. */
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/data.mdb", dir);
        FILE *f = fopen(path, "re");
        assert_non_null(f);
        static char data[1 << 20];
        size_t got = fread(data, 1, sizeof data, f);
        fclose(f);
        assert_null(memmem(data, got, "Центр", strlen("Центр")));
        assert_null(memmem(data, got, "other", 5));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_open_creates_schema),
                cmocka_unit_test(test_account_durability),
                cmocka_unit_test(test_index),
                cmocka_unit_test(test_list_accounts),
                cmocka_unit_test(test_audit),
                cmocka_unit_test(test_map_growth),
                cmocka_unit_test(test_map_growth_under_readers),
                cmocka_unit_test(test_migration_1_to_2),
                cmocka_unit_test(test_failed_migration_changes_nothing),
                cmocka_unit_test(test_future_schema_refused),
                cmocka_unit_test(test_accounts_without_schema_refused),
                cmocka_unit_test(test_tables),
                cmocka_unit_test(test_plain_record_refused_after_migration),
        };

        if (sodium_init() < 0)
                return 1;
        return cmocka_run_group_tests(tests, setup, teardown);
}
