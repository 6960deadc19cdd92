/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"

#if PASSGATE_TEST_HOOKS
/* Test builds only: lets a test move time ("15 minutes later") without sleeping. */
static int64_t test_offset_usec(void)
{
        const char *path = getenv("PASSGATE_TEST_CLOCK_FILE");
        long long sec = 0;

        if (!path)
                return 0;
        FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        if (fscanf(f, "%lld", &sec) != 1)
                sec = 0;
        fclose(f);
        return (int64_t)sec * (int64_t)USEC_PER_SEC;
}
#endif

uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t u = (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
#if PASSGATE_TEST_HOOKS
        u += (uint64_t)test_offset_usec();
#endif
        return u;
}
