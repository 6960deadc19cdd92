/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Everything passgate.conf(5) can set, with defaults already applied and bounds checked. */
typedef struct Config {
        char *pepper_path;

        char *hash_cost;
        unsigned long long opslimit;
        size_t memlimit;
        unsigned min_length;
        unsigned max_length;
        unsigned history;
        char *blocklist_path;

        unsigned lockout_after;
        unsigned disable_after;
        uint64_t lockout_base_usec;
        uint64_t lockout_max_usec;

        unsigned country_code;
        char *trunk_prefix;

        char *delivery_sms;
        char *delivery_email;
        uint64_t delivery_timeout_usec;

        unsigned recovery_documents; /* bit set of DocType */
        uint64_t code_lifetime_usec;
        uint64_t code_resend_usec;
        unsigned code_tries;
        unsigned codes_per_hour;           /* per account */
        unsigned attempts_per_hour;        /* per identifier typed, known or not */
        unsigned caller_attempts_per_hour; /* per calling uid other than root */
        unsigned messages_per_hour;        /* all codes and notices of the host */
        bool login_after_recovery;
        bool terminate_sessions_on_recovery;
        uint64_t temporary_lifetime_usec;

        unsigned max_bookings;      /* future bookings one contact may hold */
        unsigned bookings_per_hour; /* per calling uid (root included: it is never a login) */
        uint64_t request_hold_usec; /* before a clerk's reset request is applied */
        char *support_hotline, *support_abroad, *support_chat;
        unsigned verify_per_hour; /* VerifyIdentity calls per agent */
        unsigned verify_account_per_hour;

        uint64_t conversation_idle_usec;
        unsigned hash_workers;
} Config;

/* Reads path (a missing file means all defaults); on a bad value writes "path:line: why" to err. */
int config_load(const char *path, Config **ret, FILE *err);
Config *config_free(Config *c);
