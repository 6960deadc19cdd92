/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store at scale, through the daemon's own code (libpgdaemon): records, sealing, index keys,
 * identifier resolution and LMDB transactions are the real ones.
 *
 *   bench-scale --config FILE --dir DIR --accounts N [--batch B] [--lookups L] [--history H]
 *               [--writes W]
 *
 * Enrols N synthetic accounts (bench-identity.c) into the store in DIR, B accounts per write
 * transaction, each with full name, phone, e-mail, SNILS, passport, INN and an Argon2id hash at
 * the configured cost (plus H earlier ones in its history). At 10^3, 10^4, … accounts and at N it
 * times L resolve_login() calls for each kind of identifier, the same call a login makes. Then it
 * times W single-account write transactions (the commit and fsync every login pays) and sizes the
 * store. The pepper is the one the configuration names, so passgated can open the store after.
 * Prints one JSON object.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "account-props.h"
#include "bench-clock.h"
#include "bench-identity.h"
#include "bench-json.h"
#include "clock.h"
#include "daemon.h"
#include "identifier.h"
#include "macro.h"
#include "record.h"

#define MAX_BATCH   100000
#define MAX_LOOKUPS 1000000
#define FIELD_BYTES 128

typedef struct Options {
        const char *config, *dir;
        uint32_t accounts, batch, lookups, history, writes;
} Options;

typedef struct Enrol {
        Daemon *d;
        char **hashes; /* hashes[0] is the current password, the others its history */
        unsigned n_hashes;
        uint32_t first, count;
        uint64_t now;
} Enrol;

/* What an admin's CreateAccount would have been given for person i, read as the daemon reads it. */
static int person_props(Daemon *d, uint32_t i, Props *p)
{
        PhoneRules rules = { d->config->country_code, d->config->trunk_prefix };
        static const struct {
                DocType type;
                IdentityField field;
        } docs[] = {
                { DOC_PASSPORT, IDENTITY_PASSPORT },
                { DOC_SNILS, IDENTITY_SNILS },
                { DOC_INN, IDENTITY_INN },
        };
        char buf[FIELD_BYTES];
        int r;

        identity_format(IDENTITY_FULL_NAME, i, buf, sizeof buf);
        p->has_full_name = p->has_phone = p->has_email = true;
        if (!(p->full_name = strdup(buf)))
                return -ENOMEM;
        identity_format(IDENTITY_PHONE, i, buf, sizeof buf);
        if ((r = phone_normalize(buf, &rules, &p->phone)) < 0)
                return r;
        identity_format(IDENTITY_EMAIL, i, buf, sizeof buf);
        if ((r = email_normalize(buf, &p->email)) < 0)
                return r;
        for (size_t k = 0; k < ELEMENTSOF(docs); k++) {
                identity_format(docs[k].field, i, buf, sizeof buf);
                p->has_doc[docs[k].type] = true;
                if ((r = document_normalize(docs[k].type, buf, &p->doc[docs[k].type])) < 0)
                        return r;
        }
        return 0;
}

/* As Accounts.CreateAccount and SetPassword write an account, without the per-account audit. */
static int enrol_one(Enrol *e, Store *s, MDB_txn *txn, uint32_t i)
{
        _cleanup_(props_clear) Props p = {};
        IndexKey keys[INDEX_KEYS_MAX];
        char user[FIELD_BYTES];
        Account a = { .created_usec = e->now };
        size_t n = 0;

        identity_format(IDENTITY_USER, i, user, sizeof user);
        int r = person_props(e->d, i, &p);
        if (r >= 0 && !(a.user = strdup(user)))
                r = -ENOMEM;
        if (r >= 0)
                r = apply_props(e->d, &a, &p);
        /* Oldest first: each new hash pushes the one before into the history. */
        for (unsigned h = e->n_hashes; r >= 0 && h > 0; h--)
                r = account_set_password_hash(&a, e->hashes[h - 1], e->d->config->history, e->now);
        if (r >= 0)
                n = account_index_keys(e->d, &a, keys);
        for (size_t k = 0; k < n && r >= 0; k++)
                r = store_index_put(s, txn, keys[k].key, a.user);
        if (r >= 0)
                r = store_put_account(s, txn, &a);
        account_clear(&a);
        return r;
}

/* Runs again from its first account when the store grows the map and retries. */
static int enrol_batch(Store *s, MDB_txn *txn, void *userdata)
{
        Enrol *e = userdata;

        for (uint32_t i = e->first; i < e->first + e->count; i++) {
                int r = enrol_one(e, s, txn, i);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const IdentityField lookup_fields[] = {
        IDENTITY_USER, IDENTITY_PHONE, IDENTITY_EMAIL, IDENTITY_SNILS, IDENTITY_UNKNOWN_PHONE,
};
static const char *const lookup_names[] = { "user", "phone", "email", "snils", "unknown" };

static int time_lookups(Daemon *d, uint32_t enrolled, uint32_t count, uint64_t *out)
{
        char typed[FIELD_BYTES], want[FIELD_BYTES];

        for (size_t f = 0; f < ELEMENTSOF(lookup_fields); f++)
                for (uint32_t k = 0; k < count; k++) {
                        uint32_t i = randombytes_uniform(enrolled);
                        _cleanup_free_ char *user = NULL;

                        identity_format(lookup_fields[f], i, typed, sizeof typed);
                        identity_format(IDENTITY_USER, i, want, sizeof want);
                        uint64_t t0 = bench_now_nsec();
                        int r = resolve_login(d, typed, &user);
                        out[f * count + k] = bench_now_nsec() - t0;
                        /* A wrong answer would make any latency meaningless. */
                        if (lookup_fields[f] == IDENTITY_UNKNOWN_PHONE
                                    ? r != -ENOENT
                                    : r < 0 || !streq(user, want))
                                return r < 0 && r != -ENOENT ? r : -EBADMSG;
                }
        return 0;
}

static int print_lookups(Daemon *d, uint32_t enrolled, uint32_t count, bool first)
{
        _cleanup_free_ uint64_t *lat =
                calloc((size_t)count * ELEMENTSOF(lookup_fields), sizeof(uint64_t));
        if (!lat)
                return -ENOMEM;
        int r = time_lookups(d, enrolled, count, lat);
        if (r < 0)
                return r;
        printf("%s{\"accounts\": %" PRIu32 ", \"lookup_ns\": {", first ? "" : ", ", enrolled);
        for (size_t f = 0; f < ELEMENTSOF(lookup_fields); f++) {
                printf("%s", f ? ", " : "");
                bench_json_array(stdout, lookup_names[f], lat + f * count, count);
        }
        printf("}}");
        return 0;
}

/* A login's write without its audit line: read the record, write it back, commit with fsync. */
static int rewrite_account(Store *s, MDB_txn *txn, void *userdata)
{
        const char *user = userdata;
        Account a = {};
        int r = store_get_account(s, txn, user, &a);
        if (r >= 0)
                r = store_put_account(s, txn, &a);
        account_clear(&a);
        return r;
}

static int print_writes(Store *s, uint32_t enrolled, uint32_t count)
{
        _cleanup_free_ uint64_t *lat = calloc(count, sizeof(uint64_t));
        char user[FIELD_BYTES];

        if (!lat)
                return -ENOMEM;
        for (uint32_t k = 0; k < count; k++) {
                identity_format(IDENTITY_USER, randombytes_uniform(enrolled), user, sizeof user);
                uint64_t t0 = bench_now_usec();
                int r = store_write(s, rewrite_account, user);
                lat[k] = bench_now_usec() - t0;
                if (r < 0)
                        return r;
        }
        printf(", ");
        bench_json_array(stdout, "write_us", lat, count);
        return 0;
}

/* The sealed record of one enrolled account, as the store keeps it (its key and node aside). */
static int print_record_size(Daemon *d)
{
        char user[FIELD_BYTES];
        Account a = {};
        uint8_t *data = NULL;
        size_t size = 0;

        identity_format(IDENTITY_USER, 0, user, sizeof user);
        int r = store_read_account(d->store, user, &a);
        if (r >= 0)
                r = record_encode(&a, &d->pepper, &data, &size);
        account_clear(&a);
        if (r < 0)
                return r;
        sodium_memzero(data, size);
        free(data);
        printf(", \"record_bytes\": %zu", size);
        return 0;
}

static uint64_t db_bytes(const MDB_stat *st)
{
        return ((uint64_t)st->ms_branch_pages + st->ms_leaf_pages + st->ms_overflow_pages) *
               st->ms_psize;
}

/* Sizes from LMDB itself, with the store closed: pages in use per database and in all. */
static int print_sizes(const char *dir)
{
        static const char *const dbs[] = { "accounts", "index", "audit", "meta" };
        _cleanup_free_ char *data = NULL;
        MDB_env *env = NULL;
        MDB_txn *txn = NULL;
        MDB_envinfo info;
        MDB_stat st;
        struct stat fst;
        int rc;

        if (asprintf(&data, "%s/data.mdb", dir) < 0)
                return -ENOMEM;
        if (stat(data, &fst) < 0)
                return -errno;
        if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_maxdbs(env, 8)) ||
            (rc = mdb_env_open(env, dir, MDB_RDONLY, 0600)) ||
            (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)))
                goto out;
        mdb_env_info(env, &info);
        mdb_env_stat(env, &st);
        printf(", \"page_size\": %u, \"file_bytes\": %" PRIu64 ", \"used_bytes\": %" PRIu64,
               st.ms_psize, (uint64_t)fst.st_size, ((uint64_t)info.me_last_pgno + 1) * st.ms_psize);
        printf(", \"db_bytes\": {");
        for (size_t i = 0; i < ELEMENTSOF(dbs); i++) {
                MDB_dbi dbi;
                if ((rc = mdb_dbi_open(txn, dbs[i], 0, &dbi)) || (rc = mdb_stat(txn, dbi, &st)))
                        goto out;
                printf("%s\"%s\": {\"bytes\": %" PRIu64 ", \"entries\": %zu, \"depth\": %u}",
                       i ? ", " : "", dbs[i], db_bytes(&st), st.ms_entries, st.ms_depth);
        }
        printf("}");
out:
        if (txn)
                mdb_txn_abort(txn);
        mdb_env_close(env);
        return rc ? -EIO : 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose)

static long status_kib(const char *key)
{
        _cleanup_(fclosep) FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        long v = -1;

        while (f && fgets(line, sizeof line, f))
                if (strncmp(line, key, strlen(key)) == 0)
                        v = strtol(line + strlen(key), NULL, 10);
        return v;
}

static int make_hashes(const Config *c, unsigned n, char **out)
{
        for (unsigned i = 0; i < n; i++) {
                char secret[33], hash[crypto_pwhash_STRBYTES];
                randombytes_buf(secret, sizeof secret);
                int r = crypto_pwhash_str(hash, secret, sizeof secret, c->opslimit, c->memlimit);
                sodium_memzero(secret, sizeof secret);
                if (r != 0 || !(out[i] = strdup(hash)))
                        return -ENOMEM;
        }
        return 0;
}

static int run(const Options *o)
{
        Daemon d = {};
        char *hashes[HISTORY_MAX + 1] = {};
        unsigned n_hashes = o->history + 1;
        int r;

        if ((r = config_load(o->config, &d.config, stderr)) < 0)
                return r;
        if ((r = pepper_load(d.config->pepper_path, &d.pepper)) < 0 ||
            (r = store_open(o->dir, &d.pepper, &d.store)) < 0 ||
            (r = make_hashes(d.config, n_hashes, hashes)) < 0)
                goto out;

        printf("{\"accounts\": %" PRIu32 ", \"batch\": %" PRIu32 ", \"history\": %" PRIu32
               ", \"checkpoints\": [",
               o->accounts, o->batch, o->history);
        Enrol e = { .d = &d, .hashes = hashes, .n_hashes = n_hashes, .now = now_usec() };
        uint64_t enrol_usec = 0;
        uint32_t checkpoint = 1000;
        bool first = true;
        while (e.first < o->accounts) {
                uint32_t end = MIN(o->accounts, MIN(e.first + o->batch, checkpoint));
                e.count = end - e.first;
                uint64_t t0 = bench_now_usec();
                r = store_write(d.store, enrol_batch, &e);
                enrol_usec += bench_now_usec() - t0;
                if (r < 0)
                        goto out;
                e.first = end;
                if (end == checkpoint || end == o->accounts) {
                        if ((r = print_lookups(&d, end, o->lookups, first)) < 0)
                                goto out;
                        first = false;
                        if (end == checkpoint && checkpoint <= UINT32_MAX / 10)
                                checkpoint *= 10;
                }
        }
        printf("], \"enrol_seconds\": %.6f", (double)enrol_usec / 1e6);
        if ((r = print_writes(d.store, o->accounts, o->writes)) < 0 ||
            (r = print_record_size(&d)) < 0)
                goto out;
        d.store = store_close(d.store);
        if ((r = print_sizes(o->dir)) < 0)
                goto out;
        printf(", \"peak_rss_kib\": %ld}\n", status_kib("VmHWM:"));
out:
        store_close(d.store);
        for (unsigned i = 0; i < n_hashes; i++)
                erase_and_free(hashes[i]);
        pepper_wipe(&d.pepper);
        config_free(d.config);
        return r;
}

int main(int argc, char *argv[])
{
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "dir", required_argument, NULL, 'd' },
                { "accounts", required_argument, NULL, 'n' },
                { "batch", required_argument, NULL, 'b' },
                { "lookups", required_argument, NULL, 'l' },
                { "history", required_argument, NULL, 'H' },
                { "writes", required_argument, NULL, 'w' },
                {},
        };
        Options o = { .batch = 10000, .lookups = 2000, .writes = 50 };
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        o.config = optarg;
                        break;
                case 'd':
                        o.dir = optarg;
                        break;
                case 'n':
                        o.accounts = (uint32_t)strtoul(optarg, NULL, 10);
                        break;
                case 'b':
                        o.batch = (uint32_t)strtoul(optarg, NULL, 10);
                        break;
                case 'l':
                        o.lookups = (uint32_t)strtoul(optarg, NULL, 10);
                        break;
                case 'H':
                        o.history = (uint32_t)strtoul(optarg, NULL, 10);
                        break;
                case 'w':
                        o.writes = (uint32_t)strtoul(optarg, NULL, 10);
                        break;
                default:
                        return 2;
                }
        if (!o.config || !o.dir || o.accounts < 1 || o.accounts > IDENTITY_MAX_ACCOUNTS ||
            o.batch < 1 || o.batch > MAX_BATCH || o.lookups < 1 || o.lookups > MAX_LOOKUPS ||
            o.history > HISTORY_MAX || o.writes < 1 || o.writes > MAX_LOOKUPS) {
                fprintf(stderr,
                        "Usage: bench-scale --config FILE --dir DIR --accounts 1..%u "
                        "[--batch 1..%d] [--lookups 1..%d] [--history 0..%d] "
                        "[--writes 1..%d]\n",
                        IDENTITY_MAX_ACCOUNTS, MAX_BATCH, MAX_LOOKUPS, HISTORY_MAX, MAX_LOOKUPS);
                return 2;
        }
        if (sodium_init() < 0)
                return EXIT_FAILURE;
        int r = run(&o);
        if (r < 0) {
                fprintf(stderr, "bench-scale: %s\n",
                        r == -EBADMSG ? "an identifier resolved to the wrong account"
                                      : strerror(-r));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
