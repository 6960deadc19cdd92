/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "ctl-args.h"

/*
 * "request …" verbs: reset requests filed by a clerk at a service center (org.passgate1.
 * ServiceCenters). file and list for clerks and admins; cancel also for the account's owner.
 */
int verb_request_file(int argc, char **argv, const CtlArgs *args);
int verb_request_list(int argc, char **argv, const CtlArgs *args);
int verb_request_cancel(int argc, char **argv, const CtlArgs *args);
