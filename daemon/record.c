/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

#define MAGIC "PGA"

enum {
        FLAG_MUST_CHANGE = 1 << 0,
        FLAG_LOCKED = 1 << 1,
        FLAG_DISABLED = 1 << 2,
};

#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define MAC_BYTES   crypto_aead_xchacha20poly1305_ietf_ABYTES

typedef struct Buf {
        uint8_t *data;
        size_t size, allocated;
} Buf;

static void buf_wipe(Buf *b)
{
        if (b->data)
                sodium_memzero(b->data, b->allocated);
        free(b->data);
        *b = (Buf){};
}

static int buf_reserve(Buf *b, size_t more)
{
        if (b->size + more <= b->allocated)
                return 0;
        size_t n = MAX(b->allocated * 2, b->size + more + 64);
        /* Not realloc: the old buffer may hold secrets and must be wiped, not abandoned. */
        uint8_t *d = malloc(n);
        if (!d)
                return -ENOMEM;
        if (b->data) {
                memcpy(d, b->data, b->size);
                sodium_memzero(b->data, b->allocated);
                free(b->data);
        }
        b->data = d;
        b->allocated = n;
        return 0;
}

static int put(Buf *b, uint8_t tag, const void *v, size_t n)
{
        if (n > UINT16_MAX)
                return -E2BIG;
        int r = buf_reserve(b, 3 + n);
        if (r < 0)
                return r;
        b->data[b->size++] = tag;
        b->data[b->size++] = (uint8_t)(n >> 8);
        b->data[b->size++] = (uint8_t)n;
        if (n)
                memcpy(b->data + b->size, v, n);
        b->size += n;
        return 0;
}

static int put_str(Buf *b, uint8_t tag, const char *s)
{
        return s ? put(b, tag, s, strlen(s)) : 0;
}

static void put_be(uint8_t *x, uint64_t v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                x[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static int put_u64(Buf *b, uint8_t tag, uint64_t v)
{
        uint8_t x[8];
        put_be(x, v, sizeof x);
        return put(b, tag, x, sizeof x);
}

static uint64_t get_u64(const uint8_t *x, size_t n)
{
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
                v = v << 8 | x[i];
        return v;
}

/* Associated data: the header and the record's key, so a record cannot move to another user. */
static void header_ad(const uint8_t header[4], const char *user, Buf *ad, int *r)
{
        *r = buf_reserve(ad, 4 + strlen(user));
        if (*r < 0)
                return;
        memcpy(ad->data, header, 4);
        memcpy(ad->data + 4, user, strlen(user));
        ad->size = 4 + strlen(user);
}

int record_encode(const Account *a, const Pepper *p, uint8_t **ret, size_t *ret_size)
{
        _cleanup_(buf_wipe) Buf b = {}, ad = {};
        const uint8_t header[4] = { MAGIC[0], MAGIC[1], MAGIC[2], RECORD_VERSION };
        int r;

        uint8_t flags = (a->must_change ? FLAG_MUST_CHANGE : 0) | (a->locked ? FLAG_LOCKED : 0) |
                        (a->disabled ? FLAG_DISABLED : 0);
        if ((r = put_str(&b, TAG_PASSWORD_HASH, a->password_hash)) < 0 ||
            (r = put(&b, TAG_FLAGS, &flags, 1)) < 0 ||
            (r = put_str(&b, TAG_LOCK_REASON, a->lock_reason)) < 0 ||
            (r = put_u64(&b, TAG_FAILURES, a->failures)) < 0 ||
            (r = put_u64(&b, TAG_LAST_FAILURE, a->last_failure_usec)) < 0 ||
            (r = put_u64(&b, TAG_PASSWORD_CHANGED, a->password_changed_usec)) < 0 ||
            (r = put_u64(&b, TAG_CREATED, a->created_usec)) < 0 ||
            (r = put_str(&b, TAG_FULL_NAME, a->full_name)) < 0 ||
            (r = put_str(&b, TAG_PHONE, a->phone)) < 0 ||
            (r = put_str(&b, TAG_EMAIL, a->email)) < 0)
                return r;
        for (unsigned i = 0; i < a->n_history; i++)
                if ((r = put_str(&b, TAG_HISTORY, a->history[i])) < 0)
                        return r;
        if (a->password_expires_usec &&
            (r = put_u64(&b, TAG_PASSWORD_EXPIRES, a->password_expires_usec)) < 0)
                return r;
        if (a->code_set) {
                uint8_t v[PEPPER_HASH_BYTES + 8];
                memcpy(v, a->code_hash, PEPPER_HASH_BYTES);
                put_be(v + PEPPER_HASH_BYTES, a->code_issued_usec, 8);
                r = put(&b, TAG_CODE, v, sizeof v);
                sodium_memzero(v, sizeof v);
                if (r < 0)
                        return r;
        }
        if (a->code_tries) {
                uint8_t v[12];
                put_be(v, a->code_tries, 4);
                put_be(v + 4, a->code_last_failure_usec, 8);
                if ((r = put(&b, TAG_CODE_TRIES, v, sizeof v)) < 0)
                        return r;
        }
        for (unsigned i = 0; i < a->n_codes_sent; i++)
                if ((r = put_u64(&b, TAG_CODE_SENT, a->codes_sent[i])) < 0)
                        return r;
        for (int t = 0; t < _DOC_MAX; t++) {
                const AccountDocument *d = &a->documents[t];
                if (!d->set)
                        continue;
                uint8_t v[1 + PEPPER_HASH_BYTES + DOC_LAST_MAX] = { (uint8_t)t };
                size_t last = strnlen(d->last, DOC_LAST_MAX - 1);
                memcpy(v + 1, d->hash, PEPPER_HASH_BYTES);
                memcpy(v + 1 + PEPPER_HASH_BYTES, d->last, last);
                if ((r = put(&b, TAG_DOCUMENT, v, 1 + PEPPER_HASH_BYTES + last)) < 0)
                        return r;
        }

        header_ad(header, a->user, &ad, &r);
        if (r < 0)
                return r;
        size_t n = 4 + NONCE_BYTES + b.size + MAC_BYTES;
        uint8_t *out = malloc(n);
        if (!out)
                return -ENOMEM;
        memcpy(out, header, 4);
        randombytes_buf(out + 4, NONCE_BYTES);
        crypto_aead_xchacha20poly1305_ietf_encrypt(out + 4 + NONCE_BYTES, NULL,
                                                   b.data ? b.data : (const uint8_t *)"", b.size,
                                                   ad.data, ad.size, NULL, out + 4, p->record_key);
        *ret = out;
        *ret_size = n;
        return 0;
}

static int dup_str(char **field, const uint8_t *v, size_t n)
{
        if (memchr(v, 0, n))
                return -EBADMSG;
        char *s = strndup((const char *)v, n);
        if (!s)
                return -ENOMEM;
        erase_and_free(*field);
        *field = s;
        return 0;
}

static int decode_fields(const uint8_t *d, size_t size, Account *a)
{
        size_t o = 0;
        int r = 0;

        while (o < size) {
                if (size - o < 3)
                        return -EBADMSG;
                uint8_t tag = d[o];
                size_t n = (size_t)d[o + 1] << 8 | d[o + 2];
                o += 3;
                if (n > size - o)
                        return -EBADMSG;
                const uint8_t *v = d + o;
                o += n;

                switch (tag) {
                case TAG_PASSWORD_HASH:
                        r = dup_str(&a->password_hash, v, n);
                        break;
                case TAG_HISTORY:
                        if (a->n_history >= HISTORY_MAX)
                                return -EBADMSG;
                        r = dup_str(&a->history[a->n_history], v, n);
                        if (r >= 0)
                                a->n_history++;
                        break;
                case TAG_FLAGS:
                        if (n != 1)
                                return -EBADMSG;
                        a->must_change = v[0] & FLAG_MUST_CHANGE;
                        a->locked = v[0] & FLAG_LOCKED;
                        a->disabled = v[0] & FLAG_DISABLED;
                        break;
                case TAG_LOCK_REASON:
                        r = dup_str(&a->lock_reason, v, n);
                        break;
                case TAG_FAILURES:
                case TAG_LAST_FAILURE:
                case TAG_PASSWORD_CHANGED:
                case TAG_CREATED: {
                        if (n != 8)
                                return -EBADMSG;
                        uint64_t u = get_u64(v, n);
                        if (tag == TAG_FAILURES)
                                a->failures = (uint32_t)MIN(u, UINT32_MAX);
                        else if (tag == TAG_LAST_FAILURE)
                                a->last_failure_usec = u;
                        else if (tag == TAG_PASSWORD_CHANGED)
                                a->password_changed_usec = u;
                        else
                                a->created_usec = u;
                        break;
                }
                case TAG_DOCUMENT: {
                        if (n < 1 + PEPPER_HASH_BYTES ||
                            n > 1 + PEPPER_HASH_BYTES + DOC_LAST_MAX - 1 || v[0] >= _DOC_MAX)
                                return -EBADMSG;
                        AccountDocument *doc = &a->documents[v[0]];
                        *doc = (AccountDocument){ .set = true };
                        memcpy(doc->hash, v + 1, PEPPER_HASH_BYTES);
                        memcpy(doc->last, v + 1 + PEPPER_HASH_BYTES, n - 1 - PEPPER_HASH_BYTES);
                        break;
                }
                case TAG_PASSWORD_EXPIRES:
                        if (n != 8)
                                return -EBADMSG;
                        a->password_expires_usec = get_u64(v, n);
                        break;
                case TAG_CODE:
                        if (n != PEPPER_HASH_BYTES + 8)
                                return -EBADMSG;
                        a->code_set = true;
                        memcpy(a->code_hash, v, PEPPER_HASH_BYTES);
                        a->code_issued_usec = get_u64(v + PEPPER_HASH_BYTES, 8);
                        break;
                case TAG_CODE_TRIES:
                        if (n != 12)
                                return -EBADMSG;
                        a->code_tries = (uint32_t)get_u64(v, 4);
                        a->code_last_failure_usec = get_u64(v + 4, 8);
                        break;
                case TAG_CODE_SENT:
                        if (n != 8 || a->n_codes_sent >= CODES_SENT_MAX)
                                return -EBADMSG;
                        a->codes_sent[a->n_codes_sent++] = get_u64(v, n);
                        break;
                case TAG_FULL_NAME:
                        r = dup_str(&a->full_name, v, n);
                        break;
                case TAG_PHONE:
                        r = dup_str(&a->phone, v, n);
                        break;
                case TAG_EMAIL:
                        r = dup_str(&a->email, v, n);
                        break;
                default:
                        /* Unknown tags come from a newer minor format: skip them. */
                        break;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Version 2: everything after the header is sealed, so truncation or tampering fails whole. */
static int unseal(const uint8_t *data, size_t size, const Pepper *p, Account *a)
{
        _cleanup_(buf_wipe) Buf ad = {};
        int r;

        if (size < 4 + NONCE_BYTES + MAC_BYTES)
                return -EBADMSG;
        header_ad(data, a->user, &ad, &r);
        if (r < 0)
                return r;
        size_t plain_n = size - 4 - NONCE_BYTES - MAC_BYTES;
        uint8_t *plain = malloc(plain_n + 1);
        if (!plain)
                return -ENOMEM;
        unsigned long long got = 0;
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &got, NULL, data + 4 + NONCE_BYTES,
                                                       size - 4 - NONCE_BYTES, ad.data, ad.size,
                                                       data + 4, p->record_key) < 0)
                r = -EBADMSG;
        else
                r = decode_fields(plain, (size_t)got, a);
        sodium_memzero(plain, plain_n + 1);
        free(plain);
        return r;
}

int record_version(const uint8_t *data, size_t size)
{
        if (size < 4 || memcmp(data, MAGIC, 3) != 0)
                return -EBADMSG;
        return data[3];
}

int record_decode(const char *user, const uint8_t *data, size_t size, const Pepper *p, Account *ret)
{
        Account a = {};
        int version = record_version(data, size);
        if (version < 0)
                return version;
        if (version < 1 || version > RECORD_VERSION)
                return -EPROTONOSUPPORT;

        a.user = strdup(user);
        if (!a.user)
                return -ENOMEM;
        int r = version == 1 ? decode_fields(data + 4, size - 4, &a) : unseal(data, size, p, &a);
        if (r < 0) {
                account_clear(&a);
                return r;
        }
        *ret = a;
        return 0;
}
