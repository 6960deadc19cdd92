/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

/*
 * XChaCha20-Poly1305 with a random nonce: out is nonce, ciphertext, tag. The associated data binds
 * a sealed value to where it is kept (a header, a table, a key), so it cannot be moved elsewhere.
 */
#define SEAL_OVERHEAD                                                                              \
        (crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES)

int seal(const uint8_t key[static crypto_aead_xchacha20poly1305_ietf_KEYBYTES], const uint8_t *ad,
         size_t ad_size, const uint8_t *plain, size_t size, uint8_t *out);
/* Into a malloc'ed buffer (one byte longer, NUL-terminated) that the caller wipes; -EBADMSG when
 * the data were cut or changed or belong elsewhere. */
int unseal(const uint8_t key[static crypto_aead_xchacha20poly1305_ietf_KEYBYTES], const uint8_t *ad,
           size_t ad_size, const uint8_t *data, size_t size, uint8_t **ret, size_t *ret_size);
