/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How long passgated takes to answer a cheap method: the bus thread's responsiveness.
 *
 *   bench-call [--dest NAME --path PATH] [--iface I] [--member M] [--count K] [--interval-us U]
 *
 * One connection to the system bus (DBUS_SYSTEM_BUS_ADDRESS when set), then K calls without
 * arguments (by default to org.passgate1 at /org/passgate1), one every U µs: a sampling rate, so
 * that calls spread over a load instead of queueing behind each other. A call to the bus itself
 * (--dest org.freedesktop.DBus) shows what the bus and the scheduler alone add. Prints
 * {"latencies_us"}.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bench-clock.h"
#include "bench-json.h"
#include "bus-names.h"
#include "macro.h"

#define MAX_COUNT 1000000

static void sleep_until_usec(uint64_t usec)
{
        struct timespec ts = { .tv_sec = (time_t)(usec / 1000000),
                               .tv_nsec = (long)(usec % 1000000) * 1000 };

        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
}

typedef struct Target {
        const char *dest, *path, *iface, *member;
} Target;

static int run(const Target *t, unsigned count, uint64_t interval)
{
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ uint64_t *latencies = calloc(count, sizeof(uint64_t));

        if (!latencies)
                return -ENOMEM;
        int r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        uint64_t start = bench_now_usec();
        for (unsigned i = 0; i < count; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                sd_bus_error error = SD_BUS_ERROR_NULL;

                uint64_t t0 = bench_now_usec();
                r = sd_bus_call_method(bus, t->dest, t->path, t->iface, t->member, &error, &reply,
                                       "");
                latencies[i] = bench_now_usec() - t0;
                if (r < 0) {
                        fprintf(stderr, "bench-call: %s.%s: %s\n", t->iface, t->member,
                                error.message ? error.message : strerror(-r));
                        sd_bus_error_free(&error);
                        return r;
                }
                if (interval)
                        sleep_until_usec(start + (uint64_t)(i + 1) * interval);
        }
        printf("{");
        bench_json_array(stdout, "latencies_us", latencies, count);
        printf("}\n");
        return 0;
}

int main(int argc, char *argv[])
{
        static const struct option options[] = {
                { "dest", required_argument, NULL, 'd' },
                { "path", required_argument, NULL, 'p' },
                { "iface", required_argument, NULL, 'i' },
                { "member", required_argument, NULL, 'm' },
                { "count", required_argument, NULL, 'c' },
                { "interval-us", required_argument, NULL, 'u' },
                {},
        };
        Target t = { PG_BUS_NAME, PG_OBJECT_PATH, PG_IFACE_MANAGER, "GetPasswordPolicy" };
        unsigned long count = 100, interval = 0;
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'd':
                        t.dest = optarg;
                        break;
                case 'p':
                        t.path = optarg;
                        break;
                case 'i':
                        t.iface = optarg;
                        break;
                case 'm':
                        t.member = optarg;
                        break;
                case 'c':
                        count = strtoul(optarg, NULL, 10);
                        break;
                case 'u':
                        interval = strtoul(optarg, NULL, 10);
                        break;
                default:
                        return 2;
                }
        if (count < 1 || count > MAX_COUNT) {
                fprintf(stderr, "bench-call: --count 1..%d\n", MAX_COUNT);
                return 2;
        }
        int r = run(&t, (unsigned)count, interval);
        if (r < 0) {
                fprintf(stderr, "bench-call: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
