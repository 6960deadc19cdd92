/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Options a verb may accept; giving one to a verb that ignores it is a usage error. */
typedef enum CtlOption {
        OPT_FULL_NAME = 1 << 0,
        OPT_PHONE = 1 << 1,
        OPT_EMAIL = 1 << 2,
        OPT_PASSPORT = 1 << 3,
        OPT_SNILS = 1 << 4,
        OPT_INN = 1 << 5,
        OPT_MUST_CHANGE = 1 << 6,
        OPT_PASSWORD_STDIN = 1 << 7,
        OPT_GENERATE = 1 << 8,
        OPT_REASON = 1 << 9,
        OPT_SINCE = 1 << 10,
        OPT_SINCE_USEC = 1 << 11,
        OPT_MAX = 1 << 12,
        OPT_NAME = 1 << 13,
        OPT_ADDRESS = 1 << 14,
        OPT_HOURS = 1 << 15,
        OPT_CONTACT = 1 << 16,
        OPT_FROM = 1 << 17,
        OPT_TO = 1 << 18,
} CtlOption;

#define OPT_ACCOUNT_PROPS                                                                          \
        (OPT_FULL_NAME | OPT_PHONE | OPT_EMAIL | OPT_PASSPORT | OPT_SNILS | OPT_INN)

/* The parsed command line, as every verb sees it. */
typedef struct CtlArgs {
        bool json;
        unsigned given; /* CtlOption bits */
        const char *full_name;
        const char *phone;
        const char *email;
        /* Document numbers are secrets: copies, wiped when the program ends. */
        char *passport;
        char *snils;
        char *inn;
        const char *reason;
        uint64_t since_usec; /* from --since or --since-usec, 0 when neither */
        uint32_t max;
        /* Service centers: what "center add" and "book" send, the times "slots" lists. */
        const char *name;
        const char *address;
        const char *hours;
        const char *contact;
        const char *from;
        const char *to;
} CtlArgs;
