/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "ctl-args.h"

/*
 * "user passwd [USER]": with --password-stdin an admin sets the password read from stdin;
 * otherwise the daemon's change-password conversation runs on the terminal (or on stdin lines).
 */
int verb_user_passwd(int argc, char **argv, const CtlArgs *args);
