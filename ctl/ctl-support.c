/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "bus-names.h"
#include "ctl-bus.h"
#include "ctl-error.h"
#include "ctl-output.h"
#include "ctl-support.h"
#include "document.h"
#include "macro.h"
#include "messages.h"

static const char *contact_label(const char *key)
{
        if (streq(key, "hotline"))
                return _(MSG_CTL_SUPPORT_HOTLINE);
        if (streq(key, "abroad"))
                return _(MSG_CTL_SUPPORT_ABROAD);
        if (streq(key, "chat"))
                return _(MSG_CTL_SUPPORT_CHAT);
        /* A key of a newer passgated: shown as it comes. */
        return key;
}

int verb_support(int argc, char **argv, const CtlArgs *args)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *key, *value;
        unsigned n = 0;
        int r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = ctl_bus_call_method(bus, PG_IFACE_SUPPORT, "GetContacts", &reply, "");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{ss}");
        if (r < 0)
                return ctl_parse_error(r);
        if (args->json)
                fputc('{', stdout);
        while ((r = sd_bus_message_read(reply, "{ss}", &key, &value)) > 0) {
                if (args->json) {
                        fputs(n ? "," : "", stdout);
                        json_string(stdout, key);
                        fputc(':', stdout);
                        json_string(stdout, value);
                } else {
                        fputs_printable(contact_label(key), stdout);
                        fputs(": ", stdout);
                        fputs_printable(value, stdout);
                        fputc('\n', stdout);
                }
                n++;
        }
        if (r < 0 || (r = sd_bus_message_exit_container(reply)) < 0)
                return ctl_parse_error(r);
        if (args->json)
                fputs("}\n", stdout);
        else if (n == 0)
                printf("%s\n", _(MSG_CTL_SUPPORT_NONE));
        return 0;
}

int verb_support_verify(int argc, char **argv, const CtlArgs *args)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        unsigned docs = args->given & (OPT_PASSPORT | OPT_SNILS | OPT_INN);
        DocType type = docs == OPT_PASSPORT ? DOC_PASSPORT
                       : docs == OPT_SNILS  ? DOC_SNILS
                                            : DOC_INN;
        const char *number = type == DOC_PASSPORT ? args->passport
                             : type == DOC_SNILS  ? args->snils
                                                  : args->inn;
        int match, r;

        /* docs & (docs - 1): more than one document. */
        if (!(args->given & OPT_FULL_NAME) || !docs || (docs & (docs - 1)))
                return ctl_error(-EINVAL, "%s", _(MSG_CTL_VERIFY_USAGE));

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = ctl_bus_new_call(bus, PG_IFACE_SUPPORT, "VerifyIdentity", &m);
        if (r < 0)
                return r;
        /* The name and the number go in it: have sd-bus wipe it when it is freed. */
        r = sd_bus_message_sensitive(m);
        if (r < 0)
                return ctl_error(r, _(MSG_CTL_BUILD_CALL), strerror(-r));
        r = sd_bus_message_append(m, "ssss", argv[1], args->full_name, doc_type_to_string(type),
                                  number);
        if (r < 0)
                /* sd-bus refuses text that is not UTF-8. */
                return ctl_error(-EDOM, _(MSG_CTL_BUILD_CALL), strerror(-r));
        r = ctl_bus_call(bus, m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "b", &match);
        if (r < 0)
                return ctl_parse_error(r);

        if (args->json)
                printf("{\"match\":%s}\n", match ? "true" : "false");
        else
                printf("%s\n", match ? _(MSG_CTL_MATCH) : _(MSG_CTL_NO_MATCH));
        return match ? 0 : -EKEYREJECTED;
}

int verb_support_send_code(int argc, char **argv, const CtlArgs *args)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = ctl_bus_call_method(bus, PG_IFACE_SUPPORT, "SendRecoveryCode", NULL, "s", argv[1]);
        if (r < 0)
                return r;
        if (!args->json) {
                printf(_(MSG_CTL_SUPPORT_CODE_SENT), argv[1]);
                fputc('\n', stdout);
        }
        return 0;
}
