/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Temporary passwords: a generated password goes to a contact of the account (never to the
 * caller), must be changed at the next login and stops working after a while. It is stored only
 * once the backend has taken the message, so a failed delivery changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-names.h"
#include "clock.h"
#include "daemon.h"
#include "l10n.h"
#include "macro.h"
#include "messages.h"

typedef struct Temporary {
        Daemon *d;
        TemporaryIssue issue; /* user and to point to the copies below */
        char *user;
        char *to;
        char *password;
        char *hash;
        write_done_t done;
        void *userdata;
} Temporary;

static void temporary_free(Temporary *t)
{
        free(t->user);
        free(t->to);
        erase_and_free(t->password);
        erase_and_free(t->hash);
        free(t);
}

static void finish(Daemon *d, int r, void *userdata)
{
        Temporary *t = userdata;
        t->done(d, r, t->userdata);
        temporary_free(t);
}

static void on_delivered(int r, void *userdata)
{
        Temporary *t = userdata;
        Daemon *d = t->d;

        if (r < 0) {
                finish(d, -ECOMM, t);
                return;
        }
        PasswordSave s = { .user = t->user,
                           .hash = t->hash,
                           .must_change = true,
                           .expires_usec = now_usec() + d->config->temporary_lifetime_usec,
                           .how = t->issue.how,
                           .caller = t->issue.caller,
                           .hook = t->issue.hook,
                           .hook_userdata = t->issue.hook_userdata };
        if ((r = password_save(d, &s, finish, t)) < 0)
                finish(d, r, t);
}

static void on_hashed(HashJob *job, void *userdata)
{
        Temporary *t = userdata;
        Daemon *d = t->d;
        _cleanup_free_ char *text = NULL;
        unsigned hours = (unsigned)(d->config->temporary_lifetime_usec / USEC_PER_HOUR);
        int r = job->error;

        if (r >= 0 && !(t->hash = job->new_hash ? strdup(job->new_hash) : NULL))
                r = -ENOMEM;
        if (r >= 0 &&
            asprintf(&text, l10n_gettext(NULL, MSG_MAIL_TEMPORARY), t->password, hours) < 0)
                r = -ENOMEM;
        if (r >= 0) {
                Message *msg = message_new(t->issue.channel, t->to,
                                           l10n_gettext(NULL, MSG_MAIL_TEMPORARY_SUBJECT), text);
                sodium_memzero(text, strlen(text));
                r = msg ? delivery_send(d->delivery, msg, on_delivered, t) : -ENOMEM;
        }
        if (r < 0)
                finish(d, r, t);
}

int temporary_issue(Daemon *d, const TemporaryIssue *issue, write_done_t done, void *userdata)
{
        Temporary *t = calloc(1, sizeof(Temporary));
        int r = 0;

        if (!t)
                return -ENOMEM;
        *t = (Temporary){ .d = d,
                          .issue = *issue,
                          .user = strdup(issue->user),
                          .to = strdup(issue->to),
                          .done = done,
                          .userdata = userdata };
        if (!t->user || !t->to || (r = password_generate(d->policy, &t->password)) < 0) {
                temporary_free(t);
                return r < 0 ? r : -ENOMEM;
        }
        HashJob *job = hash_job_new(t->password, d->config->opslimit, d->config->memlimit);
        if (!job) {
                temporary_free(t);
                return -ENOMEM;
        }
        job->hash_new = true;
        job->done = on_hashed;
        job->userdata = t;
        if ((r = hash_job_submit(d->hashers, job)) < 0) {
                hash_job_free(job);
                temporary_free(t);
                return r;
        }
        return 0;
}

/* Accounts.IssueTemporaryPassword: the reply waits for the outcome. */
typedef struct Call {
        sd_bus_message *m;
        char *user;
        uid_t caller;
} Call;

static void call_free(Call *c)
{
        sd_bus_message_unref(c->m);
        free(c->user);
        free(c);
}

static void on_issued(Daemon *d, int r, void *userdata)
{
        Call *c = userdata;
        if (r == -ECOMM) {
                (void)audit_write(d, c->user, "temporary-password-failed", c->caller,
                                  "delivery failed", NULL, NULL);
                (void)sd_bus_reply_method_errorf(c->m, PG_ERROR_DELIVERY_FAILED,
                                                 "The temporary password could not be sent; "
                                                 "nothing was changed.");
        } else if (r == -ENOENT)
                (void)sd_bus_reply_method_errorf(c->m, PG_ERROR_NO_SUCH_ACCOUNT,
                                                 "No such passgate account.");
        else if (r < 0)
                (void)bus_reply_failure(c->m, r);
        else
                (void)sd_bus_reply_method_return(c->m, NULL);
        call_free(c);
}

int do_issue_temporary(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        const char *user;
        Account a = {};
        int r;

        if ((r = sd_bus_message_read(m, "s", &user)) < 0)
                return r;
        if ((r = store_read_account(d->store, user, &a)) < 0)
                return bus_account_error(error, r);
        /* E-mail first: a password in an SMS lingers on a lock screen. */
        TemporaryIssue issue = { .user = user,
                                 .channel = a.email ? CHANNEL_EMAIL : CHANNEL_SMS,
                                 .to = a.email ? a.email : a.phone,
                                 .how = "temporary",
                                 .caller = caller };
        if (!issue.to) {
                account_clear(&a);
                return sd_bus_error_set(error, PG_ERROR_NO_CONTACT,
                                        "The account has no phone or e-mail to send it to.");
        }
        Call *c = calloc(1, sizeof(Call));
        if (c)
                *c = (Call){ .m = sd_bus_message_ref(m), .user = strdup(user), .caller = caller };
        r = !c || !c->user ? -ENOMEM : temporary_issue(d, &issue, on_issued, c);
        account_clear(&a);
        if (r < 0) {
                if (c)
                        call_free(c);
                return r;
        }
        return 1;
}
