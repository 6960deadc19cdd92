/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "ctl-args.h"

/* "support": the contacts of the support desk, for anyone. */
int verb_support(int argc, char **argv, const CtlArgs *args);

/*
 * "support verify LOGIN --full-name NAME (--passport|--snils|--inn) NUMBER", for agents: prints
 * match (0) or no match (-EKEYREJECTED, exit status 7: the identity was not confirmed).
 */
int verb_support_verify(int argc, char **argv, const CtlArgs *args);

/* "support send-code LOGIN", for agents: a recovery code to the account's registered contact. */
int verb_support_send_code(int argc, char **argv, const CtlArgs *args);
