/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "ctl-args.h"

/* "audit": Accounts.ListAudit, oldest first, as a table or a JSON array. */
int verb_audit(int argc, char **argv, const CtlArgs *args);
