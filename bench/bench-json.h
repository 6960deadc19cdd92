/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The benchmark programs print raw samples as one JSON object on stdout; bench/bench.py takes the
 * medians and percentiles, so every figure is computed the same way.
 */

/* "key": [v0, v1, …] */
void bench_json_array(FILE *f, const char *key, const uint64_t *v, size_t n);
