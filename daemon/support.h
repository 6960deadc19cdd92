/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>

#include "conf.h"

/* The support desk's contacts from [support], for anyone: those configured, in this order. */
#define SUPPORT_CONTACTS_MAX 3
typedef struct SupportContact {
        const char *key;   /* "hotline", "abroad", "chat": GetContacts' keys */
        const char *text;  /* untranslated, from messages.h, with one %s for the value */
        const char *value; /* as configured */
} SupportContact;

size_t support_contacts(const Config *cf, SupportContact out[static SUPPORT_CONTACTS_MAX]);

/* "Support: hotline …, from abroad …, chat …" in the locale's language; NULL when none is set. */
int support_line(const Config *cf, const char *locale, char **ret);
