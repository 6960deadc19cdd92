/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>
#include <time.h>

/* Benchmarks time intervals, so the monotonic clock: wall-clock steps must not show up as cost. */
static inline uint64_t bench_now_nsec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static inline uint64_t bench_now_usec(void)
{
        return bench_now_nsec() / 1000;
}
