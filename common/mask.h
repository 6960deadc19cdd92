/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "document.h"

/*
 * Forms fit to show to clerks, agents and in notices. Each returns a malloc'ed string, or -EINVAL
 * when the input is not in normalised form, or -ENOMEM.
 */

/* "+79123456767" → "+7 *** ***-**-67": the first digit and the last two stay. */
int mask_phone(const char *e164, char **ret);

/* "ivan.petrov@example.com" → "i***@example.com"; a one-character local part → "*@example.com". */
int mask_email(const char *email, char **ret);

/* Passport "**** ***456", SNILS "***-***-*** 95", INN "********93" (its own length). */
int mask_document(DocType t, const char *normalized, char **ret);

/* The digits a mask shows: the last 3 of a passport, the last 2 of a SNILS or INN. */
int document_last_digits(DocType t, const char *normalized, char **ret);
