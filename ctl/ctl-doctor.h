/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "ctl-args.h"

/*
 * "doctor": checks that passgated answers, the files it needs (state directory, pepper,
 * configuration, delivery backends) and the PAM stacks that use pam_passgate.so, and says what is
 * wrong and how to fix it. Every path is read under root ("" or NULL for /). Reads only: it never
 * changes a file and never opens the store. Returns -EUCLEAN when it found a problem.
 */
int verb_doctor(const char *root, const CtlArgs *args);
