/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "scratch.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

int scratch_remove(const char *dir)
{
        return nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int scratch_pepper(const char *dir, const char *name, const uint8_t key[static 32], Pepper *ret)
{
        char path[512];

        snprintf(path, sizeof path, "%s/%s", dir, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
        if (fd < 0)
                return -errno;
        ssize_t n = write(fd, key, 32);
        close(fd);
        if (n != 32)
                return -EIO;
        return pepper_load(path, ret);
}
