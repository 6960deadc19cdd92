/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target of the account record format (daemon/record.h), with a pepper derived as
 * pepper_load() derives it from a fixed key, so that sealed records in the corpus stay readable.
 *
 * The first byte of an input is a mode. Bit 0 clear: the rest is a record as the store holds it
 * (a sealed one from the corpus reaches the field decoder only with a valid seal). Bit 0 set: the
 * rest is the fields alone, decoded as a plain version 1 record, so that the fuzzer shapes fields
 * without having to forge a seal. Whatever decodes is then sealed again and must decode to the
 * same account, for its own user only, and not at all once one bit of it (chosen by the other
 * seven bits of the mode) is flipped.
 *
 * The nonce is a record's only randomness. Here it is fixed, so that two accounts seal to the same
 * bytes exactly when the store would keep the same: the round trip is checked on every field a
 * record holds, those added later included, without this file listing them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include "account.h"
#include "fuzz.h"
#include "macro.h"
#include "pepper.h"
#include "record.h"

#define USER       "fuzz"
#define OTHER_USER "fuzz2"

#define MODE_FIELDS 0x01

static Pepper pepper;

/* The fixed key the corpus was sealed with: bytes 0, 1, ... 31. */
static void load_fixed_pepper(void)
{
        char dir[] = "/tmp/pg-fuzz-record-XXXXXX", path[sizeof dir + sizeof "/pepper"];
        uint8_t key[32];
        int fd;

        for (size_t i = 0; i < sizeof key; i++)
                key[i] = (uint8_t)i;
        FUZZ_CHECK(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/pepper", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
        FUZZ_CHECK(fd >= 0);
        FUZZ_CHECK(write(fd, key, sizeof key) == (ssize_t)sizeof key);
        close(fd);
        FUZZ_CHECK(pepper_load(path, &pepper) == 0);
        unlink(path);
        rmdir(dir);
}

static uint32_t zero_random(void)
{
        return 0;
}

static void zero_buf(void *const buf, const size_t size)
{
        memset(buf, 0, size);
}

static const char *zero_name(void)
{
        return "fuzz-zero";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        static randombytes_implementation zero = {
                .implementation_name = zero_name,
                .random = zero_random,
                .buf = zero_buf,
        };

        /* Before sodium_init(), which would settle on the system's generator. */
        FUZZ_CHECK(randombytes_set_implementation(&zero) == 0);
        FUZZ_CHECK(sodium_init() >= 0);
        load_fixed_pepper();
        return 0;
}

static bool str_equal(const char *a, const char *b)
{
        return a == b || streq_ptr(a, b);
}

/* What every account has; comparing the seals covers the rest. */
static void check_equal(const Account *a, const Account *b)
{
        FUZZ_CHECK(streq(a->user, b->user));
        FUZZ_CHECK(str_equal(a->full_name, b->full_name));
        FUZZ_CHECK(str_equal(a->phone, b->phone));
        FUZZ_CHECK(str_equal(a->email, b->email));
        for (int t = 0; t < _DOC_MAX; t++) {
                const AccountDocument *x = &a->documents[t], *y = &b->documents[t];

                FUZZ_CHECK(x->set == y->set);
                FUZZ_CHECK(memcmp(x->hash, y->hash, sizeof x->hash) == 0);
                /* A C string to its users: what follows a NUL is not part of it. */
                FUZZ_CHECK(strncmp(x->last, y->last, sizeof x->last) == 0);
        }
        FUZZ_CHECK(str_equal(a->password_hash, b->password_hash));
        FUZZ_CHECK(a->n_history == b->n_history);
        for (unsigned i = 0; i < a->n_history; i++)
                FUZZ_CHECK(streq(a->history[i], b->history[i]));
        FUZZ_CHECK(a->must_change == b->must_change);
        FUZZ_CHECK(a->locked == b->locked);
        FUZZ_CHECK(a->disabled == b->disabled);
        FUZZ_CHECK(str_equal(a->lock_reason, b->lock_reason));
        FUZZ_CHECK(a->failures == b->failures);
        FUZZ_CHECK(a->last_failure_usec == b->last_failure_usec);
        FUZZ_CHECK(a->password_changed_usec == b->password_changed_usec);
        FUZZ_CHECK(a->created_usec == b->created_usec);
}

/* Seals a decoded account and reads it back: the same account, for USER and no one else. */
static void check_sealed(const Account *a, unsigned selector)
{
        _cleanup_free_ uint8_t *sealed = NULL, *again = NULL;
        Account b = {}, c = {};
        size_t size, again_size;
        int r;

        FUZZ_CHECK(record_encode(a, &pepper, &sealed, &size) == 0);
        FUZZ_CHECK(record_version(sealed, size) == RECORD_VERSION);

        FUZZ_CHECK(record_decode(USER, sealed, size, &pepper, &b) == 0);
        check_equal(a, &b);
        FUZZ_CHECK(record_encode(&b, &pepper, &again, &again_size) == 0);
        FUZZ_CHECK(again_size == size && memcmp(again, sealed, size) == 0);
        account_clear(&b);

        FUZZ_CHECK(record_decode(OTHER_USER, sealed, size, &pepper, &c) == -EBADMSG);

        /* No single bit of a sealed record can change without the record being refused. */
        sealed[selector * size / 128] ^= (uint8_t)(1u << (selector % 8));
        r = record_decode(USER, sealed, size, &pepper, &c);
        FUZZ_CHECK(r == -EBADMSG || r == -EPROTONOSUPPORT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ uint8_t *record = NULL;
        Account a = {};
        size_t n;
        int r;

        if (size < 1)
                return 0;
        if (data[0] & MODE_FIELDS) {
                /* The fields behind a version 1 header: decoded as they are, no seal to pass. */
                n = 4 + size - 1;
                record = malloc(n);
                FUZZ_CHECK(record);
                memcpy(record, "PGA\x01", 4);
                memcpy(record + 4, data + 1, size - 1);
        } else {
                /* An exact copy, so that ASan catches a read past the record's end. */
                n = size - 1;
                record = malloc(n ? n : 1);
                FUZZ_CHECK(record);
                memcpy(record, data + 1, n);
        }

        r = record_decode(USER, record, n, &pepper, &a);
        FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EPROTONOSUPPORT);
        if (r < 0)
                return 0;
        FUZZ_CHECK(streq(a.user, USER));
        FUZZ_CHECK(a.n_history <= HISTORY_MAX && a.n_codes_sent <= CODES_SENT_MAX);
        check_sealed(&a, data[0] >> 1);
        account_clear(&a);
        return 0;
}
