/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "seal.h"

#include <errno.h>
#include <stdlib.h>

#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES

int seal(const uint8_t key[static crypto_aead_xchacha20poly1305_ietf_KEYBYTES], const uint8_t *ad,
         size_t ad_size, const uint8_t *plain, size_t size, uint8_t *out)
{
        randombytes_buf(out, NONCE_BYTES);
        crypto_aead_xchacha20poly1305_ietf_encrypt(out + NONCE_BYTES, NULL,
                                                   plain ? plain : (const uint8_t *)"", size, ad,
                                                   ad_size, NULL, out, key);
        return 0;
}

int unseal(const uint8_t key[static crypto_aead_xchacha20poly1305_ietf_KEYBYTES], const uint8_t *ad,
           size_t ad_size, const uint8_t *data, size_t size, uint8_t **ret, size_t *ret_size)
{
        if (size < SEAL_OVERHEAD)
                return -EBADMSG;
        size_t n = size - SEAL_OVERHEAD;
        uint8_t *plain = malloc(n + 1);
        if (!plain)
                return -ENOMEM;
        unsigned long long got = 0;
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &got, NULL, data + NONCE_BYTES,
                                                       size - NONCE_BYTES, ad, ad_size, data,
                                                       key) < 0) {
                sodium_memzero(plain, n + 1);
                free(plain);
                return -EBADMSG;
        }
        plain[got] = 0;
        *ret = plain;
        *ret_size = (size_t)got;
        return 0;
}
