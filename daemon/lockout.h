/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "account.h"
#include "conf.h"

/* The time until which logins are refused after consecutive failures; 0 when not delayed. */
uint64_t lockout_until(const Account *a, const Config *c);
/* True when the password may not be used now (delayed, disabled, locked or not set). */
bool lockout_blocked(const Account *a, const Config *c, uint64_t now);
/* Counts a failure; returns true when it disabled the password. */
bool lockout_record_failure(Account *a, const Config *c, uint64_t now);
void lockout_record_success(Account *a);
