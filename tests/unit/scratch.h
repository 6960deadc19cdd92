/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

#include "pepper.h"

/* What the unit tests share: a scratch directory (from mkdtemp()) and peppers of known bytes. */

/* Removes dir and everything in it: 0 or -1, as nftw(). */
int scratch_remove(const char *dir);

/* Writes key to dir/name (mode 0400, as passgated wants it) and loads it: 0 or a negative errno. */
int scratch_pepper(const char *dir, const char *name, const uint8_t key[static 32], Pepper *ret);
