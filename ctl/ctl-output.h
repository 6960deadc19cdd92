/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Writes s as a JSON string literal, quotes included. */
void json_string(FILE *f, const char *s);

/* Writes s with control characters replaced, so text from the bus cannot drive the terminal. */
void fputs_printable(const char *s, FILE *f);

/* A CLOCK_REALTIME time in µs as local date and time; 0 and UINT64_MAX read "never". */
void format_timestamp(uint64_t usec, char *buf, size_t size);
#define TIMESTAMP_MAX 64

/* Aligned columns under a header row, for human eyes. */
typedef struct Table Table;

Table *table_new(size_t n_columns, const char *const *headers);
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free)

/* Copies n_columns cells. */
int table_add_row(Table *t, const char *const *cells);
int table_print(const Table *t, FILE *f);

/* Records from the bus as a table, or (--json) as one JSON array of objects on stdout. */
typedef struct Listing {
        bool json;
        bool first;
        Table *table;
} Listing;

int listing_open(Listing *l, bool json, size_t n_columns, const char *const *headers);
/* With JSON, starts the next object ("{" or ",{") for the caller to fill and returns true. */
bool listing_json_object(Listing *l);
int listing_row(Listing *l, const char *const *cells);
/* Ends the array, or prints the table; frees what listing_open() took. */
int listing_close(Listing *l);
void listing_free(Listing *l);
