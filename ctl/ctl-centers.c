/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "bus-names.h"
#include "ctl-bus.h"
#include "ctl-centers.h"
#include "ctl-error.h"
#include "ctl-number.h"
#include "ctl-output.h"
#include "macro.h"
#include "messages.h"

#define USEC_PER_SEC       1000000ULL
#define SLOTS_DEFAULT_DAYS 14
#define SLOT_TEXT_MAX      64

/* The form "slots" shows and "book" reads back. */
static void format_slot(uint64_t usec, char buf[static SLOT_TEXT_MAX])
{
        time_t t = (time_t)(usec / USEC_PER_SEC);
        struct tm tm;

        if (!localtime_r(&t, &tm) || strftime(buf, SLOT_TEXT_MAX, "%Y-%m-%d %H:%M", &tm) == 0)
                snprintf(buf, SLOT_TEXT_MAX, "@%" PRIu64, usec);
}

/* mktime() of broken-down local time; -EINVAL when the fields name no such time (February 30th, an
 * hour skipped by a clock change), which mktime() would quietly move. */
static int local_time(struct tm *tm, uint64_t *ret)
{
        struct tm want = *tm;
        time_t t;

        tm->tm_isdst = -1;
        t = mktime(tm);
        if (t == (time_t)-1 || t < 0 || tm->tm_year != want.tm_year || tm->tm_mon != want.tm_mon ||
            tm->tm_mday != want.tm_mday || tm->tm_hour != want.tm_hour || tm->tm_min != want.tm_min)
                return -EINVAL;
        *ret = (uint64_t)t * USEC_PER_SEC;
        return 0;
}

/*
 * "YYYY-MM-DD HH:MM" or "YYYY-MM-DDTHH:MM" in local time, or @USEC. With date_alone a date without
 * a time is its midnight, or with end_of_day the next midnight (so that --to DATE takes that day).
 */
static int parse_time(const char *s, bool date_alone, bool end_of_day, uint64_t *ret)
{
        struct tm tm = { 0 };
        const char *rest;
        int r = -EINVAL;

        if (s[0] == '@')
                r = ctl_parse_u64(s + 1, ret);
        else if ((rest = strptime(s, "%Y-%m-%d", &tm))) {
                if (*rest == '\0' && date_alone) {
                        r = local_time(&tm, ret);
                        if (r >= 0 && end_of_day) {
                                tm.tm_mday++;
                                tm.tm_isdst = -1;
                                time_t t = mktime(&tm);
                                r = t == (time_t)-1 ? -EINVAL : 0;
                                *ret = (uint64_t)t * USEC_PER_SEC;
                        }
                } else if ((*rest == ' ' || *rest == 'T') &&
                           (rest = strptime(rest + 1, "%H:%M", &tm)) && *rest == '\0')
                        r = local_time(&tm, ret);
        }
        if (r < 0)
                return ctl_error(-EINVAL, _(MSG_CTL_BAD_TIME), s);
        return 0;
}

/*
 * A slot written as one word ("@USEC", "YYYY-MM-DDTHH:MM", or quoted "YYYY-MM-DD HH:MM") or as the
 * two words a shell makes of "YYYY-MM-DD HH:MM" unquoted; *used says how many it took.
 */
static int parse_slot_words(int argc, char **argv, int *used, uint64_t *ret)
{
        if (argc >= 2 && argv[0][0] != '@' && !strpbrk(argv[0], " T") && strchr(argv[1], ':')) {
                _cleanup_free_ char *joined = NULL;

                if (asprintf(&joined, "%s %s", argv[0], argv[1]) < 0)
                        return -ENOMEM;
                *used = 2;
                return parse_time(joined, false, false, ret);
        }
        *used = 1;
        return parse_time(argv[0], false, false, ret);
}

static int parse_places(const char *s, uint32_t *ret)
{
        uint64_t v;

        if (ctl_parse_u64(s, &v) < 0 || v > UINT32_MAX)
                return ctl_error(-EINVAL, _(MSG_CTL_BAD_NUMBER), "PLACES", s);
        *ret = (uint32_t)v;
        return 0;
}

/* ---------------------------------------------------------------- centers */

int verb_centers(int argc, char **argv, const CtlArgs *args)
{
        const char *const headers[] = { _(MSG_CTL_COL_ID), _(MSG_CTL_COL_NAME),
                                        _(MSG_CTL_COL_ADDRESS), _(MSG_CTL_COL_HOURS),
                                        _(MSG_CTL_COL_PHONE) };
        static const char *const keys[] = { "Id", "Name", "Address", "Hours", "Phone" };
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(listing_free) Listing l = {};
        const char *c[ELEMENTSOF(keys)];
        int r;

        if ((r = ctl_bus_open(&bus)) < 0 ||
            (r = ctl_bus_call_method(bus, PG_IFACE_SERVICECENTERS, "ListCenters", &reply, "")) < 0)
                return r;
        if ((r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(sssss)")) < 0)
                return ctl_parse_error(r);
        if ((r = listing_open(&l, args->json, ELEMENTSOF(headers), headers)) < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(sssss)", &c[0], &c[1], &c[2], &c[3], &c[4])) > 0) {
                if (!listing_json_object(&l)) {
                        if (listing_row(&l, c) < 0)
                                return -ENOMEM;
                        continue;
                }
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        printf("%s\"%s\":", i ? "," : "", keys[i]);
                        json_string(stdout, c[i]);
                }
                fputc('}', stdout);
        }
        if (r < 0)
                return ctl_parse_error(r);
        return listing_close(&l);
}

/* ---------------------------------------------------------------- slots */

int verb_slots(int argc, char **argv, const CtlArgs *args)
{
        const char *const headers[] = { _(MSG_CTL_COL_SLOT), _(MSG_CTL_COL_FREE) };
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(listing_free) Listing l = {};
        uint64_t from = (uint64_t)time(NULL) * USEC_PER_SEC, to, start;
        uint32_t free_places;
        int r;

        if (args->from && (r = parse_time(args->from, true, false, &from)) < 0)
                return r;
        to = from + SLOTS_DEFAULT_DAYS * 24 * 3600 * USEC_PER_SEC;
        if (args->to && (r = parse_time(args->to, true, true, &to)) < 0)
                return r;
        if ((r = ctl_bus_open(&bus)) < 0 ||
            (r = ctl_bus_call_method(bus, PG_IFACE_SERVICECENTERS, "ListSlots", &reply, "stt",
                                     argv[1], from, to)) < 0)
                return r;
        if ((r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(tu)")) < 0)
                return ctl_parse_error(r);
        if ((r = listing_open(&l, args->json, ELEMENTSOF(headers), headers)) < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(tu)", &start, &free_places)) > 0) {
                char when[SLOT_TEXT_MAX], places[16];

                if (listing_json_object(&l)) {
                        printf("\"StartUSec\":%" PRIu64 ",\"Free\":%" PRIu32 "}", start,
                               free_places);
                        continue;
                }
                format_slot(start, when);
                snprintf(places, sizeof places, "%" PRIu32, free_places);
                if (listing_row(&l, (const char *const[]){ when, places }) < 0)
                        return -ENOMEM;
        }
        if (r < 0)
                return ctl_parse_error(r);
        return listing_close(&l);
}

/* ---------------------------------------------------------------- book, cancel */

int verb_book(int argc, char **argv, const CtlArgs *args)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *coupon;
        uint64_t slot;
        int used, r;

        if (!args->full_name || !args->contact)
                return ctl_error(-EINVAL, "%s", _(MSG_CTL_BOOK_USAGE));
        if ((r = parse_slot_words(argc - 2, argv + 2, &used, &slot)) < 0)
                return r;
        if (2 + used != argc)
                return ctl_error(-EINVAL, _(MSG_CTL_TOO_MANY_ARGS), "book");
        if ((r = ctl_bus_open(&bus)) < 0 ||
            (r = ctl_bus_call_method(bus, PG_IFACE_SERVICECENTERS, "BookAppointment", &reply,
                                     "stss", argv[1], slot, args->full_name, args->contact)) < 0)
                return r;
        /* The reply holds the coupon: have sd-bus wipe it when it is freed. */
        if ((r = sd_bus_message_sensitive(reply)) < 0 ||
            (r = sd_bus_message_read(reply, "s", &coupon)) < 0)
                return ctl_parse_error(r);
        if (args->json) {
                fputs("{\"Coupon\":", stdout);
                json_string(stdout, coupon);
                fputs("}\n", stdout);
        } else {
                printf(_(MSG_CTL_BOOKED), coupon);
                fputc('\n', stdout);
        }
        return 0;
}

int verb_cancel(int argc, char **argv, const CtlArgs *args)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r;

        if ((r = ctl_bus_open(&bus)) < 0)
                return r;
        return ctl_bus_call_method(bus, PG_IFACE_SERVICECENTERS, "CancelAppointment", NULL, "s",
                                   argv[1]);
}

/* ---------------------------------------------------------------- center add, remove, schedule */

int verb_center_add(int argc, char **argv, const CtlArgs *args)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (!args->name || !args->address || !args->hours || !args->phone)
                return ctl_error(-EINVAL, "%s", _(MSG_CTL_CENTER_ADD_USAGE));
        if ((r = ctl_bus_open(&bus)) < 0)
                return r;
        return ctl_bus_call_method(bus, PG_IFACE_SERVICECENTERS, "AddCenter", NULL, "sssss",
                                   argv[1], args->name, args->address, args->hours, args->phone);
}

int verb_center_remove(int argc, char **argv, const CtlArgs *args)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r;

        if ((r = ctl_bus_open(&bus)) < 0)
                return r;
        return ctl_bus_call_method(bus, PG_IFACE_SERVICECENTERS, "RemoveCenter", NULL, "s",
                                   argv[1]);
}

/* SLOT PLACES pairs from the command line. */
static int append_argv_slots(sd_bus_message *m, int argc, char **argv)
{
        for (int i = 0; i < argc;) {
                uint64_t start;
                uint32_t places;
                int used, r;

                if ((r = parse_slot_words(argc - i, argv + i, &used, &start)) < 0)
                        return r;
                i += used;
                if (i >= argc)
                        return ctl_error(-EINVAL, "%s", _(MSG_CTL_SCHEDULE_USAGE));
                if ((r = parse_places(argv[i++], &places)) < 0)
                        return r;
                if ((r = sd_bus_message_append(m, "(tu)", start, places)) < 0)
                        return r;
        }
        return 0;
}

/* Lines "YYYY-MM-DD HH:MM PLACES" from stdin; empty lines and lines starting with '#' are skipped.
 */
static int append_stdin_slots(sd_bus_message *m)
{
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        unsigned n = 0;
        ssize_t len;
        int r;

        while ((len = getline(&line, &size, stdin)) >= 0) {
                uint64_t start;
                uint32_t places;
                char *sep;

                n++;
                while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == ' '))
                        line[--len] = '\0';
                if (len == 0 || line[0] == '#')
                        continue;
                if (!(sep = strrchr(line, ' ')))
                        return ctl_error(-EINVAL, _(MSG_CTL_BAD_SCHEDULE_LINE), n);
                *sep = '\0';
                if ((r = parse_time(line, false, false, &start)) < 0 ||
                    (r = parse_places(sep + 1, &places)) < 0)
                        return ctl_error(r, _(MSG_CTL_BAD_SCHEDULE_LINE), n);
                if ((r = sd_bus_message_append(m, "(tu)", start, places)) < 0)
                        return r;
        }
        if (ferror(stdin))
                return ctl_error(-EIO, _(MSG_CTL_TERMINAL), strerror(errno));
        return 0;
}

int verb_center_schedule(int argc, char **argv, const CtlArgs *args)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if ((r = ctl_bus_open(&bus)) < 0 ||
            (r = ctl_bus_new_call(bus, PG_IFACE_SERVICECENTERS, "SetSchedule", &m)) < 0)
                return r;
        if ((r = sd_bus_message_append(m, "s", argv[1])) < 0 ||
            (r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "(tu)")) < 0)
                return ctl_error(-EINVAL, _(MSG_CTL_BUILD_CALL), strerror(-r));
        r = argc > 2 ? append_argv_slots(m, argc - 2, argv + 2) : append_stdin_slots(m);
        if (r < 0)
                return r;
        if ((r = sd_bus_message_close_container(m)) < 0)
                return ctl_error(r, _(MSG_CTL_BUILD_CALL), strerror(-r));
        return ctl_bus_call(bus, m, NULL);
}
