/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * Validators of identity document numbers. Every normalised number is a malloc'ed string of
 * digits: a secret, to be released with erase_and_free(). Malformed input gives -EINVAL, wrong
 * check digits -EBADMSG.
 */

typedef enum DocType {
        DOC_PASSPORT,
        DOC_SNILS,
        DOC_INN,
        _DOC_MAX,
} DocType;

/* "passport", "snils", "inn"; NULL when out of range. */
const char *doc_type_to_string(DocType t);
int doc_type_from_string(const char *s, DocType *ret);

/* SNILS: 11 digits, "112-233-445 95" allowed; the number must be above 001-001-998. */
int snils_normalize(const char *in, char **ret);

/* Internal passport: 4-digit series and 6-digit number, spaces allowed: "45 10 123456". */
int passport_normalize(const char *in, char **ret);

/* INN: 10 digits (organisation) or 12 digits (person), spaces allowed. */
int inn_normalize(const char *in, char **ret);

int document_normalize(DocType t, const char *in, char **ret);
