/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "account.h"

/*
 * The byte format of an account record in the store: "PGA", a version byte, then fields as
 * tag, 16-bit length, value. Version 2 seals all fields with a key derived from the pepper, bound
 * to the header and the account name, so a record cannot be read, cut, edited or moved to another
 * account without the pepper (counters and locks included). Version 1 (schema 1) kept them in
 * plain text and is still read so that a store can be migrated.
 */
#define RECORD_VERSION 2

/* Field tags, the same in both versions. */
enum {
        TAG_PASSWORD_HASH = 1,
        TAG_HISTORY = 2,
        TAG_FLAGS = 3,
        TAG_LOCK_REASON = 4,
        TAG_FAILURES = 5,
        TAG_LAST_FAILURE = 6,
        TAG_PASSWORD_CHANGED = 7,
        TAG_CREATED = 8,
        TAG_DOCUMENT = 9,
        TAG_CODE = 10,       /* hash, issue time */
        TAG_CODE_TRIES = 11, /* wrong tries, time of the last */
        TAG_CODE_SENT = 12,  /* one per code sent in the last hour */
        TAG_PASSWORD_EXPIRES = 13,
        TAG_CODE_SOURCE = 14, /* who had the code sent, 1 byte: 1 support; absent: the user */
        TAG_FULL_NAME = 20,
        TAG_PHONE = 21,
        TAG_EMAIL = 22,
};

int record_encode(const Account *a, const Pepper *p, uint8_t **ret, size_t *ret_size);
/* user is the record's key: it is bound to the sealed part, so records cannot be swapped. */
int record_decode(const char *user, const uint8_t *data, size_t size, const Pepper *p,
                  Account *ret);
/* Version of a record without decoding it, or a negative errno. */
int record_version(const uint8_t *data, size_t size);
