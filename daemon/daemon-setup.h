/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "daemon.h"

/*
 * Everything passgated does between reading its arguments and running its event loop: the
 * configuration, the state directory's mode, the pepper, the store, the policy, the work queues on
 * the thread's default sd-event loop, the bus objects and, last, the name. What fails is told on
 * stderr. On failure d is torn down again; on success daemon_teardown() undoes it. SIGTERM and
 * SIGINT are left blocked in the calling thread, as in the workers it starts: the caller decides
 * who takes them. Apart from main.c so that a fuzz target can run the real daemon in its process.
 */
int daemon_setup(Daemon *d, const char *config_path, const char *state_dir);
void daemon_teardown(Daemon *d);
