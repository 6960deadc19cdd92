/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "ctl-args.h"

/* A usage error unless name is a valid unix user name. */
int ctl_user_name_check(const char *name);

/* The name of the effective user, for verbs whose USER is optional. */
int ctl_calling_user(char **ret);

/* "user …" verbs on org.passgate1.Accounts; argv[0] is the verb after "user". */
int verb_user_add(int argc, char **argv, const CtlArgs *args);
int verb_user_update(int argc, char **argv, const CtlArgs *args);
int verb_user_show(int argc, char **argv, const CtlArgs *args);
int verb_user_list(int argc, char **argv, const CtlArgs *args);
int verb_user_expire(int argc, char **argv, const CtlArgs *args);
int verb_user_lock(int argc, char **argv, const CtlArgs *args);
int verb_user_unlock(int argc, char **argv, const CtlArgs *args);
int verb_user_delete(int argc, char **argv, const CtlArgs *args);
/* A temporary password, sent by passgated to the account's registered contact. */
int verb_user_temporary(int argc, char **argv, const CtlArgs *args);
