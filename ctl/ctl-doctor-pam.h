/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * What the PAM stacks under ROOT/etc/pam.d do with pam_passgate.so, for passgatectl doctor. Each
 * stack that uses the module is run as libpam runs it, with the answers pam_passgate.so and
 * pam_unix.so give for a passgate user, a user passgate does not know and a stopped passgated.
 */

/* Something wrong (or worth knowing) about one pam_passgate.so line. */
typedef struct PamFinding {
        bool note;           /* worth knowing, not wrong */
        char *where;         /* file:line */
        const char *message; /* N_() text; %s takes detail when it is set */
        char *detail;
        const char *fix;      /* N_() text, or NULL */
        const char *controls; /* the controls that would do, or NULL */
        char *services;       /* ", "-separated, in the order met */
} PamFinding;

/* A service whose stacks use pam_passgate.so. */
typedef struct PamUse {
        char *service;
        char *types; /* "auth, account, password" */
} PamUse;

typedef struct PamReport {
        PamUse *uses;
        size_t n_uses;
        PamFinding *findings;
        size_t n_findings;
        bool falls_to_unix; /* an auth stack goes on to pam_unix after pam_passgate.so */
} PamReport;

/* root: "" for /. Fails with a negative errno when ROOT/etc/pam.d cannot be read. */
int pam_report_load(const char *root, PamReport *ret);
void pam_report_clear(PamReport *r);
