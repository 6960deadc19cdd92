/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reset requests in the store: their record format and the few operations on them. */
#include "request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "tlv.h"

#define REQUEST_FORMAT 1

enum {
        REQ_FORMAT = 1,
        REQ_CENTER = 2,
        REQ_USER = 3,
        REQ_CONTACT = 4,
        REQ_FILED = 5,
        REQ_APPLY = 6,
        REQ_DEADLINE = 7,
        REQ_NEXT_TRY = 8,
        REQ_CLERK = 9,
};

void request_clear(Request *r)
{
        free(r->center);
        free(r->user);
        erase_and_free(r->contact);
        *r = (Request){};
}

bool request_id_valid(const char *id)
{
        return strlen(id) == REQUEST_ID_CHARS && strspn(id, "0123456789abcdef") == REQUEST_ID_CHARS;
}

void request_id_new(char id[static REQUEST_ID_CHARS + 1])
{
        uint8_t b[REQUEST_ID_CHARS / 2];
        randombytes_buf(b, sizeof b);
        sodium_bin2hex(id, REQUEST_ID_CHARS + 1, b, sizeof b);
}

static int encode(const Request *q, TlvBuf *b)
{
        const uint8_t format = REQUEST_FORMAT;
        int r;

        if ((r = tlv_put(b, REQ_FORMAT, &format, 1)) < 0 ||
            (r = tlv_put_str(b, REQ_CENTER, q->center)) < 0 ||
            (r = tlv_put_str(b, REQ_USER, q->user)) < 0 ||
            (r = tlv_put_str(b, REQ_CONTACT, q->contact)) < 0 ||
            (r = tlv_put_u64(b, REQ_FILED, q->filed_usec)) < 0 ||
            (r = tlv_put_u64(b, REQ_APPLY, q->apply_usec)) < 0 ||
            (r = tlv_put_u64(b, REQ_DEADLINE, q->deadline_usec)) < 0 ||
            (r = tlv_put_u64(b, REQ_NEXT_TRY, q->next_try_usec)) < 0 ||
            (r = tlv_put_u64(b, REQ_CLERK, q->clerk)) < 0)
                return r;
        return 0;
}

static int decode(const uint8_t *key, size_t key_size, const uint8_t *data, size_t size,
                  Request *ret)
{
        TlvReader rd = { .data = data, .size = size };
        Request q = {};
        const uint8_t *v;
        size_t n;
        uint8_t tag;
        int r, format = -1;

        if (key_size != REQUEST_ID_CHARS)
                return -EBADMSG;
        memcpy(q.id, key, REQUEST_ID_CHARS);
        while ((r = tlv_next(&rd, &tag, &v, &n)) > 0) {
                uint64_t u = n == 8 ? tlv_be_get(v, 8) : 0;
                if (tag >= REQ_FILED && tag <= REQ_CLERK && n != 8)
                        r = -EBADMSG;
                else if (tag == REQ_FORMAT)
                        format = n == 1 ? v[0] : -1;
                else if (tag == REQ_CENTER)
                        r = tlv_dup_str(&q.center, v, n);
                else if (tag == REQ_USER)
                        r = tlv_dup_str(&q.user, v, n);
                else if (tag == REQ_CONTACT)
                        r = tlv_dup_str(&q.contact, v, n);
                else if (tag == REQ_FILED)
                        q.filed_usec = u;
                else if (tag == REQ_APPLY)
                        q.apply_usec = u;
                else if (tag == REQ_DEADLINE)
                        q.deadline_usec = u;
                else if (tag == REQ_NEXT_TRY)
                        q.next_try_usec = u;
                else if (tag == REQ_CLERK)
                        q.clerk = (uid_t)u;
                if (r < 0)
                        break;
        }
        if (r >= 0 && (format != REQUEST_FORMAT || !q.center || !q.user))
                r = -EBADMSG;
        if (r < 0) {
                request_clear(&q);
                return r;
        }
        *ret = q;
        return 0;
}

int request_get(Store *s, MDB_txn *txn, const char *id, Request *ret)
{
        uint8_t *data;
        size_t size;
        int r = store_table_get(s, txn, TABLE_REQUESTS, id, strlen(id), &data, &size);
        if (r < 0)
                return r;
        r = decode((const uint8_t *)id, strlen(id), data, size, ret);
        sodium_memzero(data, size);
        free(data);
        return r;
}

int request_put(Store *s, MDB_txn *txn, const Request *q)
{
        _cleanup_(tlv_buf_wipe) TlvBuf b = {};
        int r = encode(q, &b);
        if (r < 0)
                return r;
        return store_table_put(s, txn, TABLE_REQUESTS, q->id, REQUEST_ID_CHARS, b.data, b.size);
}

int request_delete(Store *s, MDB_txn *txn, const char *id)
{
        return store_table_delete(s, txn, TABLE_REQUESTS, id, strlen(id));
}

typedef struct Each {
        request_fn fn;
        void *userdata;
} Each;

static int each(const uint8_t *key, size_t key_size, const uint8_t *value, size_t size,
                void *userdata)
{
        Each *e = userdata;
        Request q;
        int r = decode(key, key_size, value, size, &q);
        if (r < 0)
                return r;
        r = e->fn(&q, e->userdata);
        request_clear(&q);
        return r;
}

int request_foreach(Store *s, MDB_txn *txn, request_fn fn, void *userdata)
{
        return store_table_foreach(s, txn, TABLE_REQUESTS, NULL, 0, each,
                                   &(Each){ .fn = fn, .userdata = userdata });
}

/* The ids first: deleting under a cursor that walks the table would skip entries. */
typedef struct Ids {
        const char *user;
        char (*ids)[REQUEST_ID_CHARS + 1];
        size_t n;
} Ids;

static int collect(const Request *q, void *userdata)
{
        Ids *l = userdata;
        if (!streq(q->user, l->user))
                return 0;
        void *p = reallocarray(l->ids, l->n + 1, sizeof *l->ids);
        if (!p)
                return -ENOMEM;
        l->ids = p;
        memcpy(l->ids[l->n++], q->id, REQUEST_ID_CHARS + 1);
        return 0;
}

int requests_cancel_user(Daemon *d, MDB_txn *txn, const char *user, uid_t caller, const char *why)
{
        Ids l = { .user = user };
        int r = request_foreach(d->store, txn, collect, &l);
        for (size_t i = 0; i < l.n && r >= 0; i++) {
                char detail[128];
                snprintf(detail, sizeof detail, "request %s: %s", l.ids[i], why);
                if ((r = request_delete(d->store, txn, l.ids[i])) >= 0)
                        r = audit_event(d, txn, user, "reset-request-cancelled", caller, detail);
        }
        free(l.ids);
        return r;
}
