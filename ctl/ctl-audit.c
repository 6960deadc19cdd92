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

static void print_json_entry(const AuditEntry *e)
{
        printf("\"TimeUSec\":%" PRIu64 ",\"User\":", e->usec);
        json_string(stdout, e->user);
        fputs(",\"Event\":", stdout);
        json_string(stdout, e->event);
        fputs(",\"Detail\":", stdout);
        json_string(stdout, e->detail);
}

static int add_table_row(Listing *l, const AuditEntry *e)
{
        char time[TIMESTAMP_MAX];

        format_timestamp(e->usec, time, sizeof(time));
        return listing_row(l, (const char *const[]){ time, e->user, e->event, e->detail });
}

int verb_audit(int argc, char **argv, const CtlArgs *args)
{
        const char *const headers[] = { _(MSG_CTL_COL_TIME), _(MSG_CTL_COL_USER),
                                        _(MSG_CTL_COL_EVENT), _(MSG_CTL_COL_DETAIL) };
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(listing_free) Listing l = {};
        AuditEntry e;
        int r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = ctl_bus_call_method(bus, PG_IFACE_ACCOUNTS, "ListAudit", &reply, "tu", args->since_usec,
                                args->max);
        if (r < 0)
                return r;
        if ((r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(tsss)")) < 0)
                return ctl_parse_error(r);
        if ((r = listing_open(&l, args->json, ELEMENTSOF(headers), headers)) < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(tsss)", &e.usec, &e.user, &e.event, &e.detail)) >
               0) {
                if (listing_json_object(&l)) {
                        print_json_entry(&e);
                        fputc('}', stdout);
                } else if (add_table_row(&l, &e) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return ctl_parse_error(r);
        return listing_close(&l);
}
