/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#define PEPPER_HASH_BYTES 32

/*
 * Keys derived from the pepper, a secret kept outside the store: a stolen store file alone
 * reveals no identifier, document number, code or contact.
 */
typedef struct Pepper {
        uint8_t index_key[crypto_generichash_KEYBYTES];                  /* identifier lookups */
        uint8_t document_key[crypto_generichash_KEYBYTES];               /* document numbers */
        uint8_t code_key[crypto_generichash_KEYBYTES];                   /* one-time codes */
        uint8_t record_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES]; /* contacts, names */
} Pepper;

/* Reads the pepper file, creating it (mode 0400) with fresh random bytes when missing. */
int pepper_load(const char *path, Pepper *ret);
void pepper_wipe(Pepper *p);

/* Keyed BLAKE2b of "kind\0value". */
void pepper_hash(const uint8_t key[crypto_generichash_KEYBYTES], const char *kind,
                 const char *value, uint8_t out[PEPPER_HASH_BYTES]);
