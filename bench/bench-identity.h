/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * Synthetic people for the scale benchmark: account i has its own unix name, phone, e-mail,
 * SNILS, passport and INN, each valid (check digits included) and unique for i < 10^8, written
 * as a person would type them, so they go through the real normalisation.
 */
typedef enum IdentityField {
        IDENTITY_USER,
        IDENTITY_PHONE, /* national form: "8 900 123-45-67" */
        IDENTITY_EMAIL,
        IDENTITY_SNILS, /* "123-456-789 01" */
        IDENTITY_PASSPORT,
        IDENTITY_INN,
        IDENTITY_FULL_NAME,
        IDENTITY_UNKNOWN_PHONE, /* a valid phone that no account has */
        _IDENTITY_MAX,
} IdentityField;

#define IDENTITY_MAX_ACCOUNTS 100000000u

void identity_format(IdentityField f, uint32_t i, char *buf, size_t size);
