/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * The byte format of everything passgate stores: fields as a tag byte, a 16-bit big-endian
 * length and the value. Buffers are wiped when they grow or go away: they hold secrets.
 */
typedef struct TlvBuf {
        uint8_t *data;
        size_t size, allocated;
} TlvBuf;

void tlv_buf_wipe(TlvBuf *b);
int tlv_buf_reserve(TlvBuf *b, size_t more);
int tlv_put(TlvBuf *b, uint8_t tag, const void *v, size_t n);
/* Nothing for NULL. */
int tlv_put_str(TlvBuf *b, uint8_t tag, const char *s);
int tlv_put_u64(TlvBuf *b, uint8_t tag, uint64_t v);

void tlv_be_put(uint8_t *x, uint64_t v, size_t n);
uint64_t tlv_be_get(const uint8_t *x, size_t n);

typedef struct TlvReader {
        const uint8_t *data;
        size_t size, offset;
} TlvReader;

/* 1 with the next field, 0 at the end, -EBADMSG when a field is cut short. */
int tlv_next(TlvReader *r, uint8_t *ret_tag, const uint8_t **ret_value, size_t *ret_size);
/* A string field (no NUL inside) into *field, replacing (and wiping) what was there. */
int tlv_dup_str(char **field, const uint8_t *v, size_t n);
