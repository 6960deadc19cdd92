/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the account record format: round trip, sealing of contacts, integrity, versions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "macro.h"
#include "pepper.h"
#include "record.h"
#include "scratch.h"

#define USER      "ivanov"
#define FULL_NAME "Иванов Иван Иванович"
#define PHONE     "+79123456767"
#define EMAIL     "ivan.ivanov@example.org"
#define SNILS     "11223344595"
#define HASH      "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo"

static char tmpdir[] = "/tmp/pg-test-record-XXXXXX";
static Pepper pepper, other_pepper;

static void load_pepper(const char *name, uint8_t fill, Pepper *ret)
{
        uint8_t key[32];

        memset(key, fill, sizeof key);
        assert_int_equal(scratch_pepper(tmpdir, name, key, ret), 0);
}

static int setup(void **state)
{
        if (!mkdtemp(tmpdir))
                return -1;
        load_pepper("pepper", 0x42, &pepper);
        load_pepper("other", 0x43, &other_pepper);
        return 0;
}

static int teardown(void **state)
{
        pepper_wipe(&pepper);
        pepper_wipe(&other_pepper);
        return scratch_remove(tmpdir);
}

static void full_account(Account *a)
{
        *a = (Account){
                .user = strdup(USER),
                .full_name = strdup(FULL_NAME),
                .phone = strdup(PHONE),
                .email = strdup(EMAIL),
                .password_hash = strdup(HASH),
                .n_history = 3,
                .must_change = true,
                .locked = true,
                .disabled = false,
                .lock_reason = strdup("lost device"),
                .failures = 7,
                .last_failure_usec = 0x0102030405060708ULL,
                .password_changed_usec = 1700000000123456ULL,
                .created_usec = 1600000000654321ULL,
        };
        for (unsigned i = 0; i < a->n_history; i++) {
                char h[64];
                snprintf(h, sizeof h, "$argon2id$old-hash-%u", i);
                a->history[i] = strdup(h);
        }
        a->documents[DOC_SNILS].set = true;
        pepper_hash(pepper.document_key, "snils", SNILS, a->documents[DOC_SNILS].hash);
        strcpy(a->documents[DOC_SNILS].last, "95");
        a->documents[DOC_PASSPORT].set = true;
        pepper_hash(pepper.document_key, "passport", "4510123456", a->documents[DOC_PASSPORT].hash);
        strcpy(a->documents[DOC_PASSPORT].last, "456");
}

static void assert_str_eq_ptr(const char *a, const char *b)
{
        if (!a || !b)
                assert_ptr_equal(a, b);
        else
                assert_string_equal(a, b);
}

static void assert_account_equal(const Account *a, const Account *b)
{
        assert_str_eq_ptr(a->user, b->user);
        assert_str_eq_ptr(a->full_name, b->full_name);
        assert_str_eq_ptr(a->phone, b->phone);
        assert_str_eq_ptr(a->email, b->email);
        assert_str_eq_ptr(a->password_hash, b->password_hash);
        assert_str_eq_ptr(a->lock_reason, b->lock_reason);
        assert_int_equal(a->n_history, b->n_history);
        for (unsigned i = 0; i < a->n_history; i++)
                assert_string_equal(a->history[i], b->history[i]);
        for (int t = 0; t < _DOC_MAX; t++) {
                assert_int_equal(a->documents[t].set, b->documents[t].set);
                if (!a->documents[t].set)
                        continue;
                assert_memory_equal(a->documents[t].hash, b->documents[t].hash, PEPPER_HASH_BYTES);
                assert_string_equal(a->documents[t].last, b->documents[t].last);
        }
        assert_int_equal(a->must_change, b->must_change);
        assert_int_equal(a->locked, b->locked);
        assert_int_equal(a->disabled, b->disabled);
        assert_int_equal(a->failures, b->failures);
        assert_true(a->last_failure_usec == b->last_failure_usec);
        assert_true(a->password_changed_usec == b->password_changed_usec);
        assert_true(a->created_usec == b->created_usec);
}

typedef struct Bytes {
        uint8_t data[4096];
        size_t size;
} Bytes;

static void b_raw(Bytes *b, const void *v, size_t n)
{
        assert_true(b->size + n <= sizeof b->data);
        memcpy(b->data + b->size, v, n);
        b->size += n;
}

static void b_tlv(Bytes *b, uint8_t tag, const void *v, size_t n)
{
        uint8_t h[3] = { tag, (uint8_t)(n >> 8), (uint8_t)n };
        b_raw(b, h, 3);
        b_raw(b, v, n);
}

static void b_str(Bytes *b, uint8_t tag, const char *s)
{
        b_tlv(b, tag, s, strlen(s));
}

static void b_u64(Bytes *b, uint8_t tag, uint64_t v)
{
        uint8_t x[8];
        for (int i = 0; i < 8; i++)
                x[i] = (uint8_t)(v >> (56 - 8 * i));
        b_tlv(b, tag, x, 8);
}

/* Decodes from an exactly sized heap copy, so that AddressSanitizer sees any overread. */
static int decode_copy(const char *user, const uint8_t *d, size_t n, const Pepper *p, Account *ret)
{
        uint8_t *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        if (n)
                memcpy(copy, d, n);
        int r = record_decode(user, copy, n, p, ret);
        free(copy);
        return r;
}

static void test_round_trip(void **state)
{
        Account a, b = {};
        uint8_t *d = NULL;
        size_t n = 0;

        full_account(&a);
        assert_int_equal(record_encode(&a, &pepper, &d, &n), 0);
        assert_non_null(d);
        assert_true(n > 4);
        assert_memory_equal(d, "PGA", 3);
        assert_int_equal(d[3], RECORD_VERSION);
        assert_int_equal(record_version(d, n), RECORD_VERSION);

        assert_int_equal(decode_copy(USER, d, n, &pepper, &b), 0);
        assert_account_equal(&a, &b);
        account_clear(&b);

        /* The other flags, and an account without password, contacts or documents. */
        a.must_change = false;
        a.locked = false;
        a.disabled = true;
        free(d);
        assert_int_equal(record_encode(&a, &pepper, &d, &n), 0);
        assert_int_equal(decode_copy(USER, d, n, &pepper, &b), 0);
        assert_account_equal(&a, &b);
        account_clear(&b);
        account_clear(&a);
        free(d);

        a = (Account){ .user = strdup("bare") };
        assert_int_equal(record_encode(&a, &pepper, &d, &n), 0);
        assert_int_equal(decode_copy("bare", d, n, &pepper, &b), 0);
        assert_account_equal(&a, &b);
        assert_null(b.password_hash);
        assert_null(b.phone);
        account_clear(&b);
        account_clear(&a);
        free(d);
}

static void test_full_history_round_trip(void **state)
{
        Account a = { .user = strdup(USER) }, b = {};
        uint8_t *d = NULL;
        size_t n = 0;

        for (unsigned i = 0; i < HISTORY_MAX; i++) {
                char h[64];
                snprintf(h, sizeof h, "$argon2id$history-%02u", i);
                a.history[a.n_history++] = strdup(h);
        }
        assert_int_equal(record_encode(&a, &pepper, &d, &n), 0);
        assert_int_equal(decode_copy(USER, d, n, &pepper, &b), 0);
        assert_account_equal(&a, &b);
        account_clear(&a);
        account_clear(&b);
        free(d);
}

static void test_contacts_not_in_plain_text(void **state)
{
        Account a;
        uint8_t *d = NULL;
        size_t n = 0;
        char digits[] = "9123456767";

        full_account(&a);
        assert_int_equal(record_encode(&a, &pepper, &d, &n), 0);
        assert_null(memmem(d, n, PHONE, strlen(PHONE)));
        assert_null(memmem(d, n, digits, strlen(digits)));
        assert_null(memmem(d, n, EMAIL, strlen(EMAIL)));
        assert_null(memmem(d, n, "example.org", strlen("example.org")));
        assert_null(memmem(d, n, FULL_NAME, strlen(FULL_NAME)));
        assert_null(memmem(d, n, "Иванов", strlen("Иванов")));
        assert_null(memmem(d, n, SNILS, strlen(SNILS)));
        /* Each encoding uses a fresh nonce: two encodings of one account differ. */
        uint8_t *d2 = NULL;
        size_t n2 = 0;
        assert_int_equal(record_encode(&a, &pepper, &d2, &n2), 0);
        assert_int_equal(n, n2);
        assert_true(memcmp(d, d2, n) != 0);
        account_clear(&a);
        free(d);
        free(d2);
}

static void test_bound_to_user_and_pepper(void **state)
{
        Account a, b = {};
        uint8_t *d = NULL;
        size_t n = 0;

        full_account(&a);
        assert_int_equal(record_encode(&a, &pepper, &d, &n), 0);
        /* The record of one user stored under another's key must not decode. */
        assert_int_equal(decode_copy("petrov", d, n, &pepper, &b), -EBADMSG);
        assert_null(b.user);
        assert_null(b.phone);
        assert_int_equal(decode_copy("ivanov2", d, n, &pepper, &b), -EBADMSG);
        assert_int_equal(decode_copy("", d, n, &pepper, &b), -EBADMSG);
        /* Nor with another pepper. */
        assert_int_equal(decode_copy(USER, d, n, &other_pepper, &b), -EBADMSG);
        account_clear(&a);
        free(d);
}

static void test_tampered_sealed_part(void **state)
{
        Account a, b = {};
        uint8_t *d = NULL;
        size_t n = 0, off, len;

        full_account(&a);
        assert_int_equal(record_encode(&a, &pepper, &d, &n), 0);
        /* Everything after the header is sealed: every byte of the nonce, the ciphertext and the
         * tag is covered. (A changed header is refused by its magic and version checks.) */
        off = 4;
        len = n - 4;
        for (size_t i = off; i < off + len; i++) {
                d[i] ^= 0x01;
                assert_int_equal(decode_copy(USER, d, n, &pepper, &b), -EBADMSG);
                d[i] ^= 0x01;
        }
        assert_int_equal(decode_copy(USER, d, n, &pepper, &b), 0);
        account_clear(&b);
        account_clear(&a);
        free(d);
}

static void test_truncated(void **state)
{
        Account a, b = {};
        uint8_t *d = NULL;
        size_t n = 0;
        unsigned accepted = 0;

        full_account(&a);
        assert_int_equal(record_encode(&a, &pepper, &d, &n), 0);
        for (size_t len = 0; len < n; len++) {
                int r = decode_copy(USER, d, len, &pepper, &b);
                if (r >= 0) {
                        print_message("truncated record of %zu/%zu bytes decoded: locked %d, "
                                      "failures %u, documents %d, phone %s\n",
                                      len, n, b.locked, b.failures, b.documents[DOC_SNILS].set,
                                      b.phone ? "kept" : "lost");
                        accepted++;
                        account_clear(&b);
                        continue;
                }
                assert_true(r == -EBADMSG || r == -EPROTONOSUPPORT);
                assert_null(b.user);
        }
        account_clear(&a);
        free(d);
        /* A record cut short must not decode as an account that lost its contacts. */
        assert_int_equal(accepted, 0);
}

static void test_versions(void **state)
{
        Account a, b = {};
        uint8_t *d = NULL;
        size_t n = 0;

        full_account(&a);
        assert_int_equal(record_encode(&a, &pepper, &d, &n), 0);

        d[3] = RECORD_VERSION + 1;
        assert_int_equal(record_version(d, n), RECORD_VERSION + 1);
        assert_int_equal(decode_copy(USER, d, n, &pepper, &b), -EPROTONOSUPPORT);
        d[3] = 0xff;
        assert_int_equal(decode_copy(USER, d, n, &pepper, &b), -EPROTONOSUPPORT);
        d[3] = 0;
        assert_int_equal(decode_copy(USER, d, n, &pepper, &b), -EPROTONOSUPPORT);
        d[3] = RECORD_VERSION;

        d[0] = 'X';
        assert_int_equal(record_version(d, n), -EBADMSG);
        assert_int_equal(decode_copy(USER, d, n, &pepper, &b), -EBADMSG);
        d[0] = 'P';
        assert_int_equal(record_version(d, 3), -EBADMSG);
        assert_null(b.user);

        account_clear(&a);
        free(d);
}

static void build_v1(Bytes *b)
{
        uint8_t flags = 1; /* must change */

        *b = (Bytes){};
        b_raw(b, "PGA\x01", 4);
        b_str(b, TAG_PASSWORD_HASH, HASH);
        b_tlv(b, TAG_FLAGS, &flags, 1);
        b_u64(b, TAG_FAILURES, 3);
        b_u64(b, TAG_LAST_FAILURE, 1700000000000000ULL);
        b_u64(b, TAG_PASSWORD_CHANGED, 1690000000000000ULL);
        b_u64(b, TAG_CREATED, 1680000000000000ULL);
        b_str(b, TAG_HISTORY, "$argon2id$older");
        b_str(b, TAG_FULL_NAME, FULL_NAME);
        b_str(b, TAG_PHONE, PHONE);
        b_str(b, TAG_EMAIL, EMAIL);
}

static void test_version_1(void **state)
{
        Bytes v1;
        Account a = {};

        build_v1(&v1);
        assert_int_equal(record_version(v1.data, v1.size), 1);
        assert_int_equal(decode_copy(USER, v1.data, v1.size, &pepper, &a), 0);
        assert_string_equal(a.user, USER);
        assert_string_equal(a.full_name, FULL_NAME);
        assert_string_equal(a.phone, PHONE);
        assert_string_equal(a.email, EMAIL);
        assert_string_equal(a.password_hash, HASH);
        assert_int_equal(a.n_history, 1);
        assert_string_equal(a.history[0], "$argon2id$older");
        assert_true(a.must_change);
        assert_false(a.locked);
        assert_false(a.disabled);
        assert_int_equal(a.failures, 3);
        assert_true(a.last_failure_usec == 1700000000000000ULL);
        assert_true(a.password_changed_usec == 1690000000000000ULL);
        assert_true(a.created_usec == 1680000000000000ULL);

        /* Re-encoded, it becomes the current version with its contacts sealed. */
        uint8_t *d = NULL;
        size_t n = 0;
        Account b = {};
        assert_int_equal(record_encode(&a, &pepper, &d, &n), 0);
        assert_int_equal(record_version(d, n), RECORD_VERSION);
        assert_null(memmem(d, n, PHONE, strlen(PHONE)));
        assert_int_equal(decode_copy(USER, d, n, &pepper, &b), 0);
        assert_account_equal(&a, &b);
        account_clear(&a);
        account_clear(&b);
        free(d);

        /* Truncated version-1 records fail cleanly too (no crash, an error or a prefix). */
        for (size_t len = 0; len < v1.size; len++) {
                int r = decode_copy(USER, v1.data, len, &pepper, &b);
                if (r >= 0)
                        account_clear(&b);
                else
                        assert_true(r == -EBADMSG || r == -EPROTONOSUPPORT);
        }
}

static void test_plain_contacts_refused_in_version_2(void **state)
{
        Bytes b = {};
        Account a = {};

        /* A current record cannot carry contacts outside the seal: that would be a forgery. */
        b_raw(&b, "PGA", 3);
        uint8_t v = RECORD_VERSION;
        b_raw(&b, &v, 1);
        b_str(&b, TAG_PASSWORD_HASH, HASH);
        b_str(&b, TAG_PHONE, "+79990000000");
        assert_int_equal(decode_copy(USER, b.data, b.size, &pepper, &a), -EBADMSG);
        assert_null(a.user);
}

static void test_malformed_fields(void **state)
{
        Account a = {};
        Bytes b;

        /* A length running past the end. */
        b = (Bytes){};
        b_raw(&b, "PGA\x02", 4);
        b_raw(&b,
              "\x01\x00\x10"
              "abc",
              6);
        assert_int_equal(decode_copy(USER, b.data, b.size, &pepper, &a), -EBADMSG);

        /* A counter of the wrong width. */
        b = (Bytes){};
        b_raw(&b, "PGA\x01", 4);
        b_tlv(&b, TAG_FAILURES, "\x00\x01", 2);
        assert_int_equal(decode_copy(USER, b.data, b.size, &pepper, &a), -EBADMSG);

        /* Flags of the wrong width. */
        b = (Bytes){};
        b_raw(&b, "PGA\x01", 4);
        b_tlv(&b, TAG_FLAGS, "\x00\x00", 2);
        assert_int_equal(decode_copy(USER, b.data, b.size, &pepper, &a), -EBADMSG);

        /* A string with an embedded NUL. */
        b = (Bytes){};
        b_raw(&b, "PGA\x01", 4);
        b_tlv(&b, TAG_PASSWORD_HASH, "ab\0cd", 5);
        assert_int_equal(decode_copy(USER, b.data, b.size, &pepper, &a), -EBADMSG);

        /* More history entries than an account holds. */
        b = (Bytes){};
        b_raw(&b, "PGA\x01", 4);
        for (unsigned i = 0; i <= HISTORY_MAX; i++)
                b_str(&b, TAG_HISTORY, "$h");
        assert_int_equal(decode_copy(USER, b.data, b.size, &pepper, &a), -EBADMSG);

        /* A version-2 record too short to hold a nonce and a tag. */
        b = (Bytes){};
        b_raw(&b, "PGA\x02xyz", 7);
        assert_int_equal(decode_copy(USER, b.data, b.size, &pepper, &a), -EBADMSG);
        assert_null(a.user);
}

/* The pending code's source: its own tag, so that older daemons skip it and newer ones read
 * older records (no tag) as a code the user asked for. */
static void test_code_source(void **state)
{
        Account a = { .user = strdup(USER), .code_set = true, .code_support = true }, b = {};
        uint8_t *d = NULL;
        size_t n = 0;

        a.code_issued_usec = 1700000000000000ULL;
        memset(a.code_hash, 0x5a, sizeof a.code_hash);
        assert_int_equal(record_encode(&a, &pepper, &d, &n), 0);
        assert_int_equal(decode_copy(USER, d, n, &pepper, &b), 0);
        assert_true(b.code_set && b.code_support);
        assert_true(b.code_issued_usec == a.code_issued_usec);
        assert_memory_equal(b.code_hash, a.code_hash, PEPPER_HASH_BYTES);
        account_clear(&b);
        free(d);

        /* Without a pending code there is no source to keep. */
        a.code_set = false;
        assert_int_equal(record_encode(&a, &pepper, &d, &n), 0);
        assert_int_equal(decode_copy(USER, d, n, &pepper, &b), 0);
        assert_false(b.code_set || b.code_support);
        account_clear(&b);
        account_clear(&a);
        free(d);

        uint8_t code[PEPPER_HASH_BYTES + 8] = { 0 };
        Bytes old = {};
        b_raw(&old, "PGA\x01", 4);
        b_tlv(&old, TAG_CODE, code, sizeof code);
        assert_int_equal(decode_copy(USER, old.data, old.size, &pepper, &b), 0);
        assert_true(b.code_set);
        assert_false(b.code_support);
        account_clear(&b);

        b_tlv(&old, TAG_CODE_SOURCE, "\x01\x00", 2);
        assert_int_equal(decode_copy(USER, old.data, old.size, &pepper, &b), -EBADMSG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_full_history_round_trip),
                cmocka_unit_test(test_contacts_not_in_plain_text),
                cmocka_unit_test(test_bound_to_user_and_pepper),
                cmocka_unit_test(test_tampered_sealed_part),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_versions),
                cmocka_unit_test(test_version_1),
                cmocka_unit_test(test_plain_contacts_refused_in_version_2),
                cmocka_unit_test(test_malformed_fields),
                cmocka_unit_test(test_code_source),
        };

        if (sodium_init() < 0)
                return 1;
        return cmocka_run_group_tests(tests, setup, teardown);
}
