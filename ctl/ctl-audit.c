/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "bus-names.h"
#include "ctl-audit.h"
#include "ctl-bus.h"
#include "ctl-error.h"
#include "ctl-output.h"
#include "macro.h"
#include "messages.h"

typedef struct AuditEntry {
        uint64_t usec;
        const char *user;
        const char *event;
        const char *detail;
} AuditEntry;

static void print_json_entry(const AuditEntry *e, bool first)
{
        printf("%s{\"TimeUSec\":%" PRIu64 ",\"User\":", first ? "" : ",", e->usec);
        json_string(stdout, e->user);
        fputs(",\"Event\":", stdout);
        json_string(stdout, e->event);
        fputs(",\"Detail\":", stdout);
        json_string(stdout, e->detail);
        fputc('}', stdout);
}

static int add_table_row(Table *t, const AuditEntry *e)
{
        char time[TIMESTAMP_MAX];

        format_timestamp(e->usec, time, sizeof(time));
        return table_add_row(t, (const char *const[]){ time, e->user, e->event, e->detail });
}

int verb_audit(int argc, char **argv, const CtlArgs *args)
{
        const char *const headers[] = { _(MSG_CTL_COL_TIME), _(MSG_CTL_COL_USER),
                                        _(MSG_CTL_COL_EVENT), _(MSG_CTL_COL_DETAIL) };
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(table_freep) Table *table = NULL;
        AuditEntry e;
        bool first = true;
        int r;

        if (!args->json) {
                table = table_new(ELEMENTSOF(headers), headers);
                if (!table)
                        return -ENOMEM;
        }

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = ctl_bus_call_method(bus, PG_IFACE_ACCOUNTS, "ListAudit", &reply, "tu", args->since_usec,
                                args->max);
        if (r < 0)
                return r;

        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(tsss)");
        if (r < 0)
                return ctl_parse_error(r);
        if (args->json)
                fputc('[', stdout);
        while ((r = sd_bus_message_read(reply, "(tsss)", &e.usec, &e.user, &e.event, &e.detail)) >
               0) {
                if (args->json)
                        print_json_entry(&e, first);
                else if (add_table_row(table, &e) < 0)
                        return -ENOMEM;
                first = false;
        }
        if (r < 0)
                return ctl_parse_error(r);

        if (args->json) {
                fputs("]\n", stdout);
                return 0;
        }
        return table_print(table, stdout);
}
