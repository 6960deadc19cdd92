/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every libFuzzer target of tests/fuzz shares. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The entry points libFuzzer calls; declared for -Wmissing-prototypes. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A property the code under test promised does not hold: abort, so that libFuzzer keeps the input
 * as a crash like any sanitizer finding. Not assert(): it must stay in every build type.
 */
#define FUZZ_CHECK(cond)                                                                           \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

/*
 * The input as a C string in a buffer of its own exact size, so that ASan sees any read past the
 * terminator. An embedded NUL ends the string early, as it would for a caller.
 */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);

        if (!s)
                abort();
        if (size)
                memcpy(s, data, size);
        s[size] = '\0';
        return s;
}
