/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* Longer answers are refused: no password, code or name comes close. */
#define TTY_LINE_MAX 4096

/*
 * Reads one line from stdin into a malloc'ed string without its line end; the caller wipes it.
 * On a terminal the prompt goes to stderr first, and !echo hides what is typed (the terminal is
 * restored even when a signal ends the process). Scripts pipe the line in: no prompt then.
 * -ECANCELED at the end of input, -EMSGSIZE for an overlong line.
 */
int tty_read_line(const char *prompt, bool echo, char **ret);
