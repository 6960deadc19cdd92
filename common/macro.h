/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_     __attribute__((unused))
#define _public_     __attribute__((visibility("default")))

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)     ((a) < (b) ? (a) : (b))
#define MAX(a, b)     ((a) > (b) ? (a) : (b))

static inline void freep(void *p)
{
        free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* Wipes a NUL-terminated secret before freeing it: passwords, codes and document numbers. */
static inline char *erase_and_free(char *s)
{
        if (s) {
                sodium_memzero(s, strlen(s));
                free(s);
        }
        return NULL;
}
static inline void erase_and_freep(char **s)
{
        erase_and_free(*s);
}
#define _cleanup_erase_ _cleanup_(erase_and_freep)

static inline void strv_freep(char ***l)
{
        if (*l)
                for (char **i = *l; *i; i++)
                        free(*i);
        free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
        static inline void func##p(type *p)                                                        \
        {                                                                                          \
                if (*p)                                                                            \
                        func(*p);                                                                  \
        }

/* Hands ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _p_ = (p);                                                           \
                (p) = NULL;                                                                        \
                _p_;                                                                               \
        })

static inline bool streq_ptr(const char *a, const char *b)
{
        return a && b && strcmp(a, b) == 0;
}
#define streq(a, b) (strcmp((a), (b)) == 0)

static inline bool isempty(const char *s)
{
        return !s || !*s;
}
