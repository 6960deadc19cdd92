/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* Every call, and the connection itself, gives up after this long. */
#define CTL_CALL_TIMEOUT_USEC (25ULL * 1000000ULL)

/*
 * Connects to the system bus; failures are reported and become "daemon unreachable". Release with
 * sd_bus_close_unrefp, not the flushing variant: every call waits for its reply, so nothing is
 * queued at exit, and a peer that stopped reading must not hold the exit.
 */
int ctl_bus_open(sd_bus **ret);

/* A method call on the passgate object, to be filled and passed to ctl_bus_call(). */
int ctl_bus_new_call(sd_bus *bus, const char *interface, const char *member, sd_bus_message **ret);

/* Sends m and waits for the reply; an error is reported and returned as its class. */
int ctl_bus_call(sd_bus *bus, sd_bus_message *m, sd_bus_message **ret_reply);

/* ctl_bus_new_call() and ctl_bus_call() for arguments that sd_bus_message_append() can take. */
int ctl_bus_call_method(sd_bus *bus, const char *interface, const char *member,
                        sd_bus_message **ret_reply, const char *types, ...);
