/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "bus-names.h"
#include "ctl-bus.h"
#include "ctl-error.h"
#include "ctl-output.h"
#include "ctl-request.h"
#include "macro.h"
#include "messages.h"

static int append_documents(sd_bus_message *m, const CtlArgs *args)
{
        int r = sd_bus_message_open_container(m, 'a', "{ss}");
        if (r >= 0)
                r = sd_bus_message_append(m, "{ss}{ss}", "passport", args->passport, "snils",
                                          args->snils);
        if (r >= 0 && args->contact)
                r = sd_bus_message_append(m, "{ss}", "contact", args->contact);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

int verb_request_file(int argc, char **argv, const CtlArgs *args)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *request;
        uint64_t deadline;
        char when[TIMESTAMP_MAX];
        int r;

        if (!args->passport || !args->snils)
                return ctl_error(-EINVAL, "%s", _(MSG_CTL_REQUEST_DOCUMENTS));
        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = ctl_bus_new_call(bus, PG_IFACE_SERVICECENTERS, "FileResetRequest", &m);
        if (r < 0)
                return r;
        /* Document numbers go in it: have sd-bus wipe it when it is freed. */
        r = sd_bus_message_sensitive(m);
        if (r < 0)
                return ctl_error(r, _(MSG_CTL_BUILD_CALL), strerror(-r));
        r = sd_bus_message_append(m, "ss", argv[1], argv[2]);
        if (r >= 0)
                r = append_documents(m, args);
        if (r < 0)
                /* sd-bus refuses text that is not UTF-8. */
                return ctl_error(-EDOM, _(MSG_CTL_BUILD_CALL), strerror(-r));
        r = ctl_bus_call(bus, m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "st", &request, &deadline);
        if (r < 0)
                return ctl_parse_error(r);

        if (args->json) {
                fputs("{\"Request\":", stdout);
                json_string(stdout, request);
                printf(",\"DeadlineUSec\":%" PRIu64 "}\n", deadline);
                return 0;
        }
        format_timestamp(deadline, when, sizeof when);
        printf(_(MSG_CTL_REQUEST_FILED), request, when);
        fputc('\n', stdout);
        return 0;
}

typedef struct Listed {
        const char *request, *center, *user, *state, *contact;
        uint64_t filed, apply;
} Listed;

static void print_json(const Listed *e)
{
        fputs("\"Request\":", stdout);
        json_string(stdout, e->request);
        fputs(",\"Center\":", stdout);
        json_string(stdout, e->center);
        fputs(",\"User\":", stdout);
        json_string(stdout, e->user);
        printf(",\"FiledUSec\":%" PRIu64 ",\"ApplyUSec\":%" PRIu64 ",\"State\":", e->filed,
               e->apply);
        json_string(stdout, e->state);
        fputs(",\"Contact\":", stdout);
        json_string(stdout, e->contact);
}

static int add_row(Listing *l, const Listed *e)
{
        char filed[TIMESTAMP_MAX], apply[TIMESTAMP_MAX];

        format_timestamp(e->filed, filed, sizeof filed);
        format_timestamp(e->apply, apply, sizeof apply);
        return listing_row(l, (const char *const[]){ e->request, e->center, e->user, filed, apply,
                                                     e->state, e->contact });
}

int verb_request_list(int argc, char **argv, const CtlArgs *args)
{
        const char *const headers[] = { _(MSG_CTL_COL_REQUEST), _(MSG_CTL_COL_CENTER),
                                        _(MSG_CTL_COL_USER),    _(MSG_CTL_COL_FILED),
                                        _(MSG_CTL_COL_APPLY),   _(MSG_CTL_COL_STATE),
                                        _(MSG_CTL_COL_CONTACT) };
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(listing_free) Listing l = {};
        Listed e;
        int r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = ctl_bus_call_method(bus, PG_IFACE_SERVICECENTERS, "ListResetRequests", &reply, "");
        if (r < 0)
                return r;
        if ((r = sd_bus_message_enter_container(reply, 'a', "(sssttss)")) < 0)
                return ctl_parse_error(r);
        if ((r = listing_open(&l, args->json, ELEMENTSOF(headers), headers)) < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(sssttss)", &e.request, &e.center, &e.user,
                                        &e.filed, &e.apply, &e.state, &e.contact)) > 0) {
                if (listing_json_object(&l)) {
                        print_json(&e);
                        fputc('}', stdout);
                } else if (add_row(&l, &e) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return ctl_parse_error(r);
        return listing_close(&l);
}

int verb_request_cancel(int argc, char **argv, const CtlArgs *args)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        return ctl_bus_call_method(bus, PG_IFACE_SERVICECENTERS, "CancelResetRequest", NULL, "s",
                                   argv[1]);
}
