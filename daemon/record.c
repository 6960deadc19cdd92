/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "seal.h"
#include "tlv.h"

#define MAGIC "PGA"

#define CODE_SOURCE_SUPPORT 1

enum {
        FLAG_MUST_CHANGE = 1 << 0,
        FLAG_LOCKED = 1 << 1,
        FLAG_DISABLED = 1 << 2,
};

/* Associated data: the header and the record's key, so a record cannot move to another user. */
static void header_ad(const uint8_t header[4], const char *user, TlvBuf *ad, int *r)
{
        *r = tlv_buf_reserve(ad, 4 + strlen(user));
        if (*r < 0)
                return;
        memcpy(ad->data, header, 4);
        memcpy(ad->data + 4, user, strlen(user));
        ad->size = 4 + strlen(user);
}

int record_encode(const Account *a, const Pepper *p, uint8_t **ret, size_t *ret_size)
{
        _cleanup_(tlv_buf_wipe) TlvBuf b = {}, ad = {};
        const uint8_t header[4] = { MAGIC[0], MAGIC[1], MAGIC[2], RECORD_VERSION };
        int r;

        uint8_t flags = (a->must_change ? FLAG_MUST_CHANGE : 0) | (a->locked ? FLAG_LOCKED : 0) |
                        (a->disabled ? FLAG_DISABLED : 0);
        if ((r = tlv_put_str(&b, TAG_PASSWORD_HASH, a->password_hash)) < 0 ||
            (r = tlv_put(&b, TAG_FLAGS, &flags, 1)) < 0 ||
            (r = tlv_put_str(&b, TAG_LOCK_REASON, a->lock_reason)) < 0 ||
            (r = tlv_put_u64(&b, TAG_FAILURES, a->failures)) < 0 ||
            (r = tlv_put_u64(&b, TAG_LAST_FAILURE, a->last_failure_usec)) < 0 ||
            (r = tlv_put_u64(&b, TAG_PASSWORD_CHANGED, a->password_changed_usec)) < 0 ||
            (r = tlv_put_u64(&b, TAG_CREATED, a->created_usec)) < 0 ||
            (r = tlv_put_str(&b, TAG_FULL_NAME, a->full_name)) < 0 ||
            (r = tlv_put_str(&b, TAG_PHONE, a->phone)) < 0 ||
            (r = tlv_put_str(&b, TAG_EMAIL, a->email)) < 0)
                return r;
        for (unsigned i = 0; i < a->n_history; i++)
                if ((r = tlv_put_str(&b, TAG_HISTORY, a->history[i])) < 0)
                        return r;
        if (a->password_expires_usec &&
            (r = tlv_put_u64(&b, TAG_PASSWORD_EXPIRES, a->password_expires_usec)) < 0)
                return r;
        if (a->code_set) {
                uint8_t v[PEPPER_HASH_BYTES + 8];
                memcpy(v, a->code_hash, PEPPER_HASH_BYTES);
                tlv_be_put(v + PEPPER_HASH_BYTES, a->code_issued_usec, 8);
                r = tlv_put(&b, TAG_CODE, v, sizeof v);
                sodium_memzero(v, sizeof v);
                if (r < 0)
                        return r;
                /* A tag of its own: older daemons skip it and read the code as the user's. */
                if (a->code_support &&
                    (r = tlv_put(&b, TAG_CODE_SOURCE, &(uint8_t){ CODE_SOURCE_SUPPORT }, 1)) < 0)
                        return r;
        }
        if (a->code_tries) {
                uint8_t v[12];
                tlv_be_put(v, a->code_tries, 4);
                tlv_be_put(v + 4, a->code_last_failure_usec, 8);
                if ((r = tlv_put(&b, TAG_CODE_TRIES, v, sizeof v)) < 0)
                        return r;
        }
        for (unsigned i = 0; i < a->n_codes_sent; i++)
                if ((r = tlv_put_u64(&b, TAG_CODE_SENT, a->codes_sent[i])) < 0)
                        return r;
        for (int t = 0; t < _DOC_MAX; t++) {
                const AccountDocument *d = &a->documents[t];
                if (!d->set)
                        continue;
                uint8_t v[1 + PEPPER_HASH_BYTES + DOC_LAST_MAX] = { (uint8_t)t };
                size_t last = strnlen(d->last, DOC_LAST_MAX - 1);
                memcpy(v + 1, d->hash, PEPPER_HASH_BYTES);
                memcpy(v + 1 + PEPPER_HASH_BYTES, d->last, last);
                if ((r = tlv_put(&b, TAG_DOCUMENT, v, 1 + PEPPER_HASH_BYTES + last)) < 0)
                        return r;
        }

        header_ad(header, a->user, &ad, &r);
        if (r < 0)
                return r;
        size_t n = 4 + b.size + SEAL_OVERHEAD;
        uint8_t *out = malloc(n);
        if (!out)
                return -ENOMEM;
        memcpy(out, header, 4);
        seal(p->record_key, ad.data, ad.size, b.data, b.size, out + 4);
        *ret = out;
        *ret_size = n;
        return 0;
}

static int decode_fields(const uint8_t *d, size_t size, Account *a)
{
        TlvReader rd = { .data = d, .size = size };
        const uint8_t *v;
        uint8_t tag;
        size_t n;
        int k, r = 0;

        while ((k = tlv_next(&rd, &tag, &v, &n)) > 0) {
                switch (tag) {
                case TAG_PASSWORD_HASH:
                        r = tlv_dup_str(&a->password_hash, v, n);
                        break;
                case TAG_HISTORY:
                        if (a->n_history >= HISTORY_MAX)
                                return -EBADMSG;
                        r = tlv_dup_str(&a->history[a->n_history], v, n);
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
                        r = tlv_dup_str(&a->lock_reason, v, n);
                        break;
                case TAG_FAILURES:
                case TAG_LAST_FAILURE:
                case TAG_PASSWORD_CHANGED:
                case TAG_CREATED: {
                        if (n != 8)
                                return -EBADMSG;
                        uint64_t u = tlv_be_get(v, n);
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
                        a->password_expires_usec = tlv_be_get(v, n);
                        break;
                case TAG_CODE:
                        if (n != PEPPER_HASH_BYTES + 8)
                                return -EBADMSG;
                        a->code_set = true;
                        memcpy(a->code_hash, v, PEPPER_HASH_BYTES);
                        a->code_issued_usec = tlv_be_get(v + PEPPER_HASH_BYTES, 8);
                        break;
                case TAG_CODE_SOURCE:
                        if (n != 1)
                                return -EBADMSG;
                        a->code_support = v[0] == CODE_SOURCE_SUPPORT;
                        break;
                case TAG_CODE_TRIES:
                        if (n != 12)
                                return -EBADMSG;
                        a->code_tries = (uint32_t)tlv_be_get(v, 4);
                        a->code_last_failure_usec = tlv_be_get(v + 4, 8);
                        break;
                case TAG_CODE_SENT:
                        if (n != 8 || a->n_codes_sent >= CODES_SENT_MAX)
                                return -EBADMSG;
                        a->codes_sent[a->n_codes_sent++] = tlv_be_get(v, n);
                        break;
                case TAG_FULL_NAME:
                        r = tlv_dup_str(&a->full_name, v, n);
                        break;
                case TAG_PHONE:
                        r = tlv_dup_str(&a->phone, v, n);
                        break;
                case TAG_EMAIL:
                        r = tlv_dup_str(&a->email, v, n);
                        break;
                default:
                        /* Unknown tags come from a newer minor format: skip them. */
                        break;
                }
                if (r < 0)
                        return r;
        }
        return k;
}

/* Version 2: everything after the header is sealed, so truncation or tampering fails whole. */
static int unseal_fields(const uint8_t *data, size_t size, const Pepper *p, Account *a)
{
        _cleanup_(tlv_buf_wipe) TlvBuf ad = {};
        uint8_t *plain;
        size_t n;
        int r;

        if (size < 4)
                return -EBADMSG;
        header_ad(data, a->user, &ad, &r);
        if (r < 0 ||
            (r = unseal(p->record_key, ad.data, ad.size, data + 4, size - 4, &plain, &n)) < 0)
                return r;
        r = decode_fields(plain, n, a);
        sodium_memzero(plain, n);
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
        int r = version == 1 ? decode_fields(data + 4, size - 4, &a)
                             : unseal_fields(data, size, p, &a);
        if (r < 0) {
                account_clear(&a);
                return r;
        }
        *ret = a;
        return 0;
}
