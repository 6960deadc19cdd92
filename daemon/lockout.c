/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lockout.h"

uint64_t lockout_until(const Account *a, const Config *c)
{
        if (a->failures < c->lockout_after)
                return 0;
        unsigned doublings = a->failures - c->lockout_after;
        uint64_t delay = c->lockout_base_usec;
        while (doublings-- > 0 && delay < c->lockout_max_usec)
                delay *= 2;
        if (delay > c->lockout_max_usec)
                delay = c->lockout_max_usec;
        return a->last_failure_usec + delay;
}

bool lockout_blocked(const Account *a, const Config *c, uint64_t now)
{
        /* An expired temporary password is refused like a wrong one: recovery is the way on. */
        return !a->password_hash || a->locked || a->disabled || now < lockout_until(a, c) ||
               (a->password_expires_usec && now >= a->password_expires_usec);
}

bool lockout_record_failure(Account *a, const Config *c, uint64_t now)
{
        if (a->failures < UINT32_MAX)
                a->failures++;
        a->last_failure_usec = now;
        if (a->failures >= c->disable_after && !a->disabled) {
                a->disabled = true;
                return true;
        }
        return false;
}

void lockout_record_success(Account *a)
{
        a->failures = 0;
        a->last_failure_usec = 0;
}
