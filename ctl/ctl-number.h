/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

/* Digits only: strtoull() alone would take "-1", spaces and a sign. -EINVAL otherwise. */
int ctl_parse_u64(const char *s, uint64_t *ret);
