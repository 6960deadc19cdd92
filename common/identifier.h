/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* How phone numbers are written nationally: [phone] country_code and trunk_prefix. */
typedef struct PhoneRules {
        unsigned country_code;    /* 1..999, e.g. 7 */
        const char *trunk_prefix; /* dialled before a national number, e.g. "8"; "" or NULL: none */
} PhoneRules;

/* Whether the rules can be used: country code 1..999, trunk prefix of at most 3 digits. */
bool phone_rules_valid(const PhoneRules *r);

/*
 * Turns a typed phone number into E.164 ("+79123456789"). Accepts the international form
 * ("+7 912 345-67-89") and, when r is not NULL, the national one (trunk prefix and national number:
 * "8 (912) 345-67-89"). Spaces, dashes, dots and one pair of parentheses may separate digits.
 * Numbers under +7 have 10 national digits; others 7..15 digits in all. -EINVAL on bad input.
 */
int phone_normalize(const char *in, const PhoneRules *r, char **ret);

/*
 * Trims the address and lowercases the ASCII letters of its domain; the local part stays as typed.
 * Requires UTF-8, one '@', a local part of 1..64 bytes without spaces, control characters or
 * RFC 5322 specials, a domain of dot-separated labels with at least one dot, 254 bytes in all.
 * -EINVAL otherwise.
 */
int email_normalize(const char *in, char **ret);

/* systemd's strict user name rules: [A-Za-z_][A-Za-z0-9_-]*, 1..31 bytes (must fit in utmp). */
bool unix_name_valid(const char *in);

typedef enum IdKind {
        ID_UNIX_NAME,
        ID_PHONE,
        ID_EMAIL,
        ID_SNILS,
        _ID_KIND_MAX,
} IdKind;

/* "user", "phone", "email", "snils"; NULL when out of range. */
const char *id_kind_to_string(IdKind k);

typedef struct IdCandidate {
        IdKind kind;
        char *value; /* normalised: the unix name as typed, E.164, e-mail, 11 SNILS digits */
} IdCandidate;

#define ID_CANDIDATES_MAX 4

/*
 * Every reading of what was typed at a login prompt, most likely first: an e-mail address, a unix
 * name, a phone number (r may be NULL: international form only), a SNILS with valid check digits.
 * A number can be both a phone and a SNILS: then both, phone first. *n = 0 when nothing fits.
 * Returns 0, -EINVAL when typed is NULL, or -ENOMEM. Release with id_candidates_free().
 */
int identifier_candidates(const char *typed, const PhoneRules *r,
                          IdCandidate out[static ID_CANDIDATES_MAX], size_t *n);

/* Erases and frees the values of n candidates. */
void id_candidates_free(IdCandidate *c, size_t n);
