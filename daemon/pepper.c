/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "pepper.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"

#define PEPPER_BYTES crypto_kdf_KEYBYTES

static int read_exact(int fd, uint8_t *buf, size_t n)
{
        size_t got = 0;
        while (got < n) {
                ssize_t k = read(fd, buf + got, n - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -EBADMSG;
                got += (size_t)k;
        }
        return 0;
}

static int create_pepper(const char *path, uint8_t key[PEPPER_BYTES])
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
        if (fd < 0)
                return -errno;
        randombytes_buf(key, PEPPER_BYTES);
        if (write(fd, key, PEPPER_BYTES) != PEPPER_BYTES || fsync(fd) < 0) {
                int r = errno ? -errno : -EIO;
                unlink(path);
                return r;
        }
        return 0;
}

int pepper_load(const char *path, Pepper *ret)
{
        uint8_t key[PEPPER_BYTES];
        int r;

        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 && errno == ENOENT)
                r = create_pepper(path, key);
        else if (fd < 0)
                r = -errno;
        else {
                struct stat st;
                if (fstat(fd, &st) < 0)
                        return -errno;
                /* A pepper others can read is no secret: refuse rather than run with it. */
                if (st.st_mode & (S_IRWXG | S_IRWXO))
                        return -EPERM;
                if (st.st_size != PEPPER_BYTES)
                        return -EBADMSG;
                r = read_exact(fd, key, sizeof key);
        }
        if (r < 0)
                return r;

        crypto_kdf_derive_from_key(ret->index_key, sizeof ret->index_key, 1, "pgindex", key);
        crypto_kdf_derive_from_key(ret->document_key, sizeof ret->document_key, 2, "pgdocmt", key);
        crypto_kdf_derive_from_key(ret->code_key, sizeof ret->code_key, 3, "pgcodes", key);
        crypto_kdf_derive_from_key(ret->record_key, sizeof ret->record_key, 4, "pgrecrd", key);
        sodium_memzero(key, sizeof key);
        return 0;
}

void pepper_wipe(Pepper *p)
{
        /* Wipes it too; unlocking memory that was never locked does no harm. */
        sodium_munlock(p, sizeof *p);
}

void pepper_hash(const uint8_t key[crypto_generichash_KEYBYTES], const char *kind,
                 const char *value, uint8_t out[PEPPER_HASH_BYTES])
{
        crypto_generichash_state st;

        crypto_generichash_init(&st, key, crypto_generichash_KEYBYTES, PEPPER_HASH_BYTES);
        crypto_generichash_update(&st, (const uint8_t *)kind, strlen(kind) + 1);
        crypto_generichash_update(&st, (const uint8_t *)value, strlen(value));
        crypto_generichash_final(&st, out, PEPPER_HASH_BYTES);
        sodium_memzero(&st, sizeof st);
}
