/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "ctl-args.h"

/* "status [USER]": Manager.GetAccountStatus, the caller's own account by default. */
int verb_status(int argc, char **argv, const CtlArgs *args);
