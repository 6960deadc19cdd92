/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

#define USEC_PER_SEC  1000000ULL
#define USEC_PER_MSEC 1000ULL
#define USEC_PER_HOUR (3600ULL * USEC_PER_SEC)

/* Wall-clock time in microseconds: every rule that depends on time reads it here. */
uint64_t now_usec(void);
