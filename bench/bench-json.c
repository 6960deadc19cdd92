/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "bench-json.h"

#include <inttypes.h>

void bench_json_array(FILE *f, const char *key, const uint64_t *v, size_t n)
{
        fprintf(f, "\"%s\": [", key);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%" PRIu64, i ? ", " : "", v[i]);
        fputc(']', f);
}
