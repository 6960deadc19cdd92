/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "ctl-args.h"

/*
 * org.passgate1.ServiceCenters: "centers", "slots", "book" and "cancel" for anyone, "center add",
 * "center remove" and "center schedule" for admins. Times are local, read and shown as
 * "YYYY-MM-DD HH:MM".
 */
int verb_centers(int argc, char **argv, const CtlArgs *args);
int verb_slots(int argc, char **argv, const CtlArgs *args);
int verb_book(int argc, char **argv, const CtlArgs *args);
int verb_cancel(int argc, char **argv, const CtlArgs *args);
int verb_center_add(int argc, char **argv, const CtlArgs *args);
int verb_center_remove(int argc, char **argv, const CtlArgs *args);
int verb_center_schedule(int argc, char **argv, const CtlArgs *args);
