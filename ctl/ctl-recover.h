/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "ctl-args.h"

/*
 * "recover [LOGIN]": the daemon's recovery conversation ("I don't know the password") on the
 * terminal, for any uid. LOGIN, a phone or an e-mail address, answers the first question.
 */
int verb_recover(int argc, char **argv, const CtlArgs *args);
