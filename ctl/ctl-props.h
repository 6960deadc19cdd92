/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include <systemd/sd-bus.h>

/*
 * Reads the a{sv} at the read position of m and prints all of it, whatever keys and types come:
 * "Key: value" lines, or one JSON object. Keys listed in order come first, in that order; the rest
 * follow sorted by name. A uint64 whose key ends in "USec" is a time.
 */
int print_properties(sd_bus_message *m, const char *const *order, bool json);
