/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include <systemd/sd-bus.h>

#include "conv-client.h"

/*
 * A conversation of passgated rendered on the terminal, as a desktop app renders it: questions and
 * notices on stderr, answers from stdin (one line each when stdin is no terminal), information on
 * stdout. With --json, stdout only gets a generated password, as one JSON string.
 */
typedef struct Dialogue {
        bool json;
        bool generate;    /* answer the new-password step with "" so the daemon generates one */
        bool admin_reset; /* root changes another user's password: no old password asked */
} Dialogue;

/*
 * Runs flow with login to its end. 0 with *ret filled when the flow is done or failed (ret->error
 * set): the caller decides what a failure means. A daemon that cannot be reached or an answer that
 * cannot be read is reported and returned as its class (negative errno).
 */
int dialogue_run(sd_bus *bus, const char *flow, const char *login, const Dialogue *d,
                 ConvResult *ret);

/* Prints a text of passgated line by line, no control characters: stdout (stderr with --json). */
void dialogue_say(const Dialogue *d, const char *text);
