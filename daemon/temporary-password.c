/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Accounts.IssueTemporaryPassword: a generated password goes to the registered contact (never to
 * the caller), must be changed at the next login and stops working after a while. It is stored
 * only once the backend has taken the message, so a failed delivery changes nothing.
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
        sd_bus_message *m;
        uid_t caller;
        char *user;
        Channel channel;
        char *to;
        char *password;
        char *hash;
} Temporary;

static void temporary_free(Temporary *t)
{
        sd_bus_message_unref(t->m);
        free(t->user);
        free(t->to);
        erase_and_free(t->password);
        erase_and_free(t->hash);
        free(t);
}

static void on_saved(Daemon *d, int r, void *userdata)
{
        Temporary *t = userdata;
        if (r == -ENOENT)
                (void)sd_bus_reply_method_errorf(t->m, PG_ERROR_NO_SUCH_ACCOUNT,
                                                 "No such passgate account.");
        else if (r < 0)
                (void)sd_bus_reply_method_errno(t->m, r, NULL);
        else
                (void)sd_bus_reply_method_return(t->m, NULL);
        temporary_free(t);
}

static void on_delivered(int r, void *userdata)
{
        Temporary *t = userdata;
        Daemon *d = t->d;

        if (r < 0) {
                (void)audit_write(d, t->user, "temporary-password-failed", t->caller,
                                  "delivery failed", NULL, NULL);
                (void)sd_bus_reply_method_errorf(t->m, PG_ERROR_DELIVERY_FAILED,
                                                 "The temporary password could not be sent; "
                                                 "nothing was changed.");
                temporary_free(t);
                return;
        }
        PasswordSave s = { .user = t->user,
                           .hash = t->hash,
                           .must_change = true,
                           .expires_usec = now_usec() + d->config->temporary_lifetime_usec,
                           .how = "temporary",
                           .caller = t->caller };
        if ((r = password_save(d, &s, on_saved, t)) < 0)
                on_saved(d, r, t);
}

static void on_hashed(HashJob *job, void *userdata)
{
        Temporary *t = userdata;
        Daemon *d = t->d;
        _cleanup_free_ char *text = NULL;
        unsigned hours = (unsigned)(d->config->temporary_lifetime_usec / (3600 * USEC_PER_SEC));
        int r = job->error;

        if (r >= 0 && !(t->hash = job->new_hash ? strdup(job->new_hash) : NULL))
                r = -ENOMEM;
        if (r >= 0 &&
            asprintf(&text, l10n_gettext(NULL, MSG_MAIL_TEMPORARY), t->password, hours) < 0)
                r = -ENOMEM;
        if (r >= 0) {
                Message *msg = message_new(t->channel, t->to,
                                           l10n_gettext(NULL, MSG_MAIL_TEMPORARY_SUBJECT), text);
                sodium_memzero(text, strlen(text));
                r = msg ? delivery_send(d->delivery, msg, on_delivered, t) : -ENOMEM;
        }
        if (r < 0)
                on_saved(d, r, t);
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
        const char *to = a.email ? a.email : a.phone;
        Channel channel = a.email ? CHANNEL_EMAIL : CHANNEL_SMS;
        if (!to) {
                account_clear(&a);
                return sd_bus_error_set(error, PG_ERROR_NO_CONTACT,
                                        "The account has no phone or e-mail to send it to.");
        }
        Temporary *t = calloc(1, sizeof(Temporary));
        if (!t) {
                account_clear(&a);
                return -ENOMEM;
        }
        *t = (Temporary){ .d = d,
                          .m = sd_bus_message_ref(m),
                          .caller = caller,
                          .channel = channel,
                          .user = strdup(user),
                          .to = strdup(to) };
        account_clear(&a);
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
        return 1;
}
