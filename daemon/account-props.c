/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "account-props.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistr.h>

#include "bus-names.h"
#include "identifier.h"
#include "macro.h"
#include "mask.h"

#define MAX_FULL_NAME_BYTES 256
#define MAX_PROP_BYTES      512

void props_clear(Props *p)
{
        free(p->full_name);
        free(p->phone);
        free(p->email);
        for (int t = 0; t < _DOC_MAX; t++)
                erase_and_free(p->doc[t]);
}

bool text_ok(const char *s, size_t max)
{
        size_t n = strlen(s);
        if (n > max || u8_check((const uint8_t *)s, n))
                return false;
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

static int read_documents(sd_bus_message *m, Props *p, sd_bus_error *error)
{
        int r = sd_bus_message_enter_container(m, 'v', "a{ss}");
        if (r < 0)
                return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS, "Documents must be a{ss}.");
        if ((r = sd_bus_message_enter_container(m, 'a', "{ss}")) < 0)
                return r;
        const char *type, *number;
        while ((r = sd_bus_message_read(m, "{ss}", &type, &number)) > 0) {
                DocType t;
                if (doc_type_from_string(type, &t) < 0)
                        return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS,
                                                 "Unknown document type (use passport, snils "
                                                 "or inn).");
                if (p->has_doc[t])
                        return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                                "A document type is given twice.");
                p->has_doc[t] = true;
                if (isempty(number))
                        continue;
                if (strlen(number) > 64 || document_normalize(t, number, &p->doc[t]) < 0)
                        return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS,
                                                 "The %s number is not valid.", type);
        }
        if (r < 0)
                return r;
        if ((r = sd_bus_message_exit_container(m)) < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_string_prop(sd_bus_message *m, const char *key, const char **ret,
                            sd_bus_error *error)
{
        if (sd_bus_message_read(m, "v", "s", ret) < 0)
                return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS, "%s must be a string.", key);
        if (!text_ok(*ret, MAX_PROP_BYTES))
                return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS,
                                         "%s is too long or not valid text.", key);
        return 0;
}

int read_props(Daemon *d, sd_bus_message *m, Props *p, sd_bus_error *error)
{
        PhoneRules rules = { d->config->country_code, d->config->trunk_prefix };
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key, *v;
                if ((r = sd_bus_message_read(m, "s", &key)) < 0)
                        return r;
                if (streq(key, "Documents")) {
                        if ((r = read_documents(m, p, error)) < 0 || sd_bus_error_is_set(error))
                                return r;
                } else if (streq(key, "FullName") || streq(key, "Phone") || streq(key, "Email")) {
                        if ((r = read_string_prop(m, key, &v, error)) < 0 ||
                            sd_bus_error_is_set(error))
                                return r;
                        char **field = key[0] == 'F'   ? &p->full_name
                                       : key[0] == 'P' ? &p->phone
                                                       : &p->email;
                        bool *has = key[0] == 'F'   ? &p->has_full_name
                                    : key[0] == 'P' ? &p->has_phone
                                                    : &p->has_email;
                        if (*has)
                                return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS,
                                                         "%s is given twice.", key);
                        *has = true;
                        if (isempty(v))
                                ;
                        else if (key[0] == 'F') {
                                if (strlen(v) > MAX_FULL_NAME_BYTES)
                                        return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                                                "FullName is too long.");
                                if (!(*field = strdup(v)))
                                        return -ENOMEM;
                        } else if (key[0] == 'P' ? phone_normalize(v, &rules, field) < 0
                                                 : email_normalize(v, field) < 0)
                                return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS,
                                                         key[0] == 'P'
                                                                 ? "The phone number is not valid."
                                                                 : "The e-mail address is not "
                                                                   "valid.");
                } else
                        return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS,
                                                 "Unknown property %s (use FullName, Phone, "
                                                 "Email, Documents).",
                                                 key);
                if ((r = sd_bus_message_exit_container(m)) < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int apply_props(Daemon *d, Account *a, Props *p)
{
        if (p->has_full_name) {
                free(a->full_name);
                a->full_name = TAKE_PTR(p->full_name);
        }
        if (p->has_phone) {
                free(a->phone);
                a->phone = TAKE_PTR(p->phone);
        }
        if (p->has_email) {
                free(a->email);
                a->email = TAKE_PTR(p->email);
        }
        for (int t = 0; t < _DOC_MAX; t++) {
                if (!p->has_doc[t])
                        continue;
                AccountDocument *doc = &a->documents[t];
                *doc = (AccountDocument){};
                if (!p->doc[t])
                        continue;
                _cleanup_free_ char *last = NULL;
                int r = document_last_digits((DocType)t, p->doc[t], &last);
                if (r < 0)
                        return r;
                doc->set = true;
                snprintf(doc->last, sizeof doc->last, "%s", last);
                pepper_hash(d->pepper.document_key, doc_type_to_string((DocType)t), p->doc[t],
                            doc->hash);
        }
        return 0;
}
