/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "ctl-args.h"

/* "policy": the rules a new password must pass. */
int verb_policy(int argc, char **argv, const CtlArgs *args);

/* "generate": a password that passes them, printed once. */
int verb_generate(int argc, char **argv, const CtlArgs *args);
