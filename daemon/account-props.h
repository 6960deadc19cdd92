/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "daemon.h"
#include "document.h"

/* What CreateAccount / UpdateAccount were given: each field is either untouched or set. */
typedef struct Props {
        bool has_full_name, has_phone, has_email, has_doc[_DOC_MAX];
        char *full_name, *phone, *email; /* NULL: remove (an empty string was given) */
        char *doc[_DOC_MAX];             /* normalised numbers; secrets */
} Props;

void props_clear(Props *p);
/* Valid UTF-8 of at most max bytes, without control characters. */
bool text_ok(const char *s, size_t max);
/* Reads the a{sv} of props; a bad value sets error with the reason. */
int read_props(Daemon *d, sd_bus_message *m, Props *p, sd_bus_error *error);
/* Moves what p sets into a, documents as keyed hashes and their last digits. */
int apply_props(Daemon *d, Account *a, Props *p);
