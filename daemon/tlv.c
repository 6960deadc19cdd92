/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tlv.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

void tlv_buf_wipe(TlvBuf *b)
{
        if (b->data)
                sodium_memzero(b->data, b->allocated);
        free(b->data);
        *b = (TlvBuf){};
}

int tlv_buf_reserve(TlvBuf *b, size_t more)
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

int tlv_put(TlvBuf *b, uint8_t tag, const void *v, size_t n)
{
        if (n > UINT16_MAX)
                return -E2BIG;
        int r = tlv_buf_reserve(b, 3 + n);
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

int tlv_put_str(TlvBuf *b, uint8_t tag, const char *s)
{
        return s ? tlv_put(b, tag, s, strlen(s)) : 0;
}

void tlv_be_put(uint8_t *x, uint64_t v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                x[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

uint64_t tlv_be_get(const uint8_t *x, size_t n)
{
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
                v = v << 8 | x[i];
        return v;
}

int tlv_put_u64(TlvBuf *b, uint8_t tag, uint64_t v)
{
        uint8_t x[8];
        tlv_be_put(x, v, sizeof x);
        return tlv_put(b, tag, x, sizeof x);
}

int tlv_next(TlvReader *r, uint8_t *ret_tag, const uint8_t **ret_value, size_t *ret_size)
{
        if (r->offset >= r->size)
                return 0;
        if (r->size - r->offset < 3)
                return -EBADMSG;
        const uint8_t *d = r->data + r->offset;
        size_t n = (size_t)d[1] << 8 | d[2];
        if (n > r->size - r->offset - 3)
                return -EBADMSG;
        *ret_tag = d[0];
        *ret_value = d + 3;
        *ret_size = n;
        r->offset += 3 + n;
        return 1;
}

int tlv_dup_str(char **field, const uint8_t *v, size_t n)
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
