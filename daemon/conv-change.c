/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The change-password flow: old password (unless root resets another user's), new password or a
 * generated one, repeat, save. A refused new password is asked again with the reason.
 */
#include <errno.h>
#include <string.h>

#include "attempt.h"
#include "bus-names.h"
#include "clock.h"
#include "conversation.h"
#include "lockout.h"
#include "macro.h"
#include "messages.h"

#define MAX_REFUSALS 3

enum {
        CHANGE_START,
        CHANGE_ASK_OLD,
        CHANGE_ASK_NEW,
        CHANGE_ASK_REPEAT,
        CHANGE_SHOW_GENERATED,
};

int change_begin(Conversation *c, sd_bus_error *error)
{
        Daemon *d = c->d;
        uid_t uid;
        int r = resolve_login(d, c->login, &c->user);
        if (r < 0 && r != -ENOENT)
                return r;

        /* Unknown and someone else's look alike to anyone but root. */
        if (c->owner != 0 && (r < 0 || unix_user_uid(c->user, &uid) < 0 || uid != c->owner))
                return sd_bus_error_set(error, PG_ERROR_ACCESS_DENIED,
                                        "You may only change your own password.");
        if (r < 0)
                return sd_bus_error_set(error, PG_ERROR_NO_SUCH_ACCOUNT,
                                        "No such passgate account.");
        c->state = CHANGE_START;
        c->step = change_step;
        c->how = c->admin_reset ? "reset" : "change";
        return 0;
}

int change_ask_new(Conversation *c, sd_bus_message *m, const char *notice, unsigned notice_arg)
{
        c->state = CHANGE_ASK_NEW;
        c->new_password = erase_and_free(c->new_password);
        return conversation_reply(c, m,
                                  &(StepReply){ .kind = PG_STEP_SECRET,
                                                .id = "new-password",
                                                .message = MSG_ASK_NEW_PASSWORD,
                                                .notice = notice,
                                                .notice_arg = notice_arg });
}

static int refuse(Conversation *c, sd_bus_message *m, const char *notice, unsigned arg)
{
        if (++c->refusals >= MAX_REFUSALS) {
                (void)audit_write(c->d, c->user, "password-change-failed", c->owner,
                                  "new password refused too often", NULL, NULL);
                return conversation_fail(c, m, PG_ERROR_PASSWORD_REJECTED, MSG_TOO_MANY_TRIES);
        }
        return change_ask_new(c, m, notice, arg);
}

static void on_saved(Daemon *d, int r, void *userdata)
{
        Conversation *c = userdata;
        sd_bus_message *m = conversation_unpark(c);

        if (m && r < 0)
                (void)conversation_fail(c, m, PG_ERROR_STORE, MSG_INTERNAL);
        else if (m && streq(c->how, "recovery"))
                (void)recovery_finish(c, m);
        else if (m)
                (void)conversation_reply(c, m,
                                         &(StepReply){ .kind = PG_STEP_DONE,
                                                       .id = "done",
                                                       .message = MSG_CHANGE_DONE,
                                                       .user = c->user });
        sd_bus_message_unref(m);
        conversation_unref(c);
}

static void on_saved_hash(Conversation *c, sd_bus_message *m, HashJob *job)
{
        if (job->error || !job->new_hash) {
                (void)conversation_fail(c, m, PG_ERROR_STORE, MSG_INTERNAL);
                return;
        }
        PasswordSave s = { .user = c->user,
                           .hash = job->new_hash,
                           .must_change = false,
                           .how = c->how,
                           .locale = c->locale,
                           .caller = c->owner };
        conversation_park(c, m);
        if (password_save(c->d, &s, on_saved, c) < 0)
                conversation_unpark_failed(c);
}

static int save(Conversation *c, sd_bus_message *m)
{
        HashJob *job =
                hash_job_new(c->new_password, c->d->config->opslimit, c->d->config->memlimit);
        if (!job)
                return -ENOMEM;
        job->hash_new = true;
        return conversation_submit(c, m, job, on_saved_hash);
}

static void on_old_recorded(Daemon *d, const Attempt *o, int r, void *userdata)
{
        Conversation *c = userdata;
        sd_bus_message *m = conversation_unpark(c);

        if (!m)
                ;
        else if (r < 0)
                (void)conversation_fail(c, m, PG_ERROR_STORE, MSG_INTERNAL);
        else if (!o->succeeded)
                (void)conversation_fail(c, m, PG_ERROR_AUTHENTICATION_FAILED, MSG_LOGIN_FAILED);
        else
                (void)change_ask_new(c, m, NULL, 0);
        sd_bus_message_unref(m);
        conversation_unref(c);
}

/* A wrong current password counts like a failed login. */
static void on_old_verified(Conversation *c, sd_bus_message *m, HashJob *job)
{
        /* Not checked at all (shutdown): no failure to count. */
        if (job->error) {
                (void)conversation_fail(c, m, PG_ERROR_STORE, MSG_INTERNAL);
                return;
        }
        conversation_park(c, m);
        if (attempt_record(c->d, c->user, job->match == 0, job->new_hash, c->owner,
                           "password-change", on_old_recorded, c) < 0)
                conversation_unpark_failed(c);
}

static int verify_old(Conversation *c, sd_bus_message *m, const char *password)
{
        HashJob *job;
        int r = attempt_job(c->d, c->user, password, &job);
        if (r < 0)
                return r;
        return conversation_submit(c, m, job, on_old_verified);
}

static void on_history_checked(Conversation *c, sd_bus_message *m, HashJob *job)
{
        if (job->error) {
                (void)conversation_fail(c, m, PG_ERROR_STORE, MSG_INTERNAL);
                return;
        }
        if (job->match >= 0) {
                (void)refuse(c, m, job->match == 0 ? MSG_PW_SAME : MSG_PW_REUSED, 0);
                return;
        }
        c->state = CHANGE_ASK_REPEAT;
        (void)conversation_reply(c, m,
                                 &(StepReply){ .kind = PG_STEP_SECRET,
                                               .id = "repeat-password",
                                               .message = MSG_ASK_REPEAT });
}

static int take_new(Conversation *c, sd_bus_message *m, const char *value)
{
        Daemon *d = c->d;
        Account a = {};
        PolicyVerdict v;
        _cleanup_erase_ char *normalized = NULL;

        if (strlen(value) > policy_max_bytes(d->policy))
                return refuse(c, m, MSG_PW_TOO_LONG, d->policy->max_length);
        if (password_normalize(value, &normalized) < 0)
                return refuse(c, m, MSG_PW_NOT_UTF8, 0);
        int r = store_read_account(d->store, c->user, &a);
        if (r < 0)
                return r;
        if (policy_check(d->policy, normalized, &a, &d->pepper, &v) < 0) {
                account_clear(&a);
                return refuse(c, m, v.message, v.arg);
        }

        /* The current and the last passwords: only Argon2id can tell, so on a worker. */
        HashJob *job = hash_job_new(normalized, d->config->opslimit, d->config->memlimit);
        r = job ? 0 : -ENOMEM;
        if (r >= 0 && a.password_hash)
                r = hash_job_add_hash(job, a.password_hash);
        for (unsigned i = 0; r >= 0 && i < a.n_history && i < d->config->history; i++)
                r = hash_job_add_hash(job, a.history[i]);
        account_clear(&a);
        if (r < 0) {
                hash_job_free(job);
                return r;
        }
        c->new_password = TAKE_PTR(normalized);
        return conversation_submit(c, m, job, on_history_checked);
}

static int take_repeat(Conversation *c, sd_bus_message *m, const char *value)
{
        _cleanup_erase_ char *normalized = NULL;
        uint8_t a[crypto_generichash_BYTES], b[crypto_generichash_BYTES];

        if (strlen(value) > policy_max_bytes(c->d->policy) ||
            password_normalize(value, &normalized) < 0)
                return refuse(c, m, MSG_MISMATCH, 0);
        /* Hashes of equal length compare in constant time, whatever the lengths typed. */
        crypto_generichash(a, sizeof a, (const uint8_t *)normalized, strlen(normalized), NULL, 0);
        crypto_generichash(b, sizeof b, (const uint8_t *)c->new_password, strlen(c->new_password),
                           NULL, 0);
        if (sodium_memcmp(a, b, sizeof a) != 0)
                return refuse(c, m, MSG_MISMATCH, 0);
        return save(c, m);
}

static int show_generated(Conversation *c, sd_bus_message *m)
{
        int r = password_generate(c->d->policy, &c->new_password);
        if (r < 0)
                return r;
        c->state = CHANGE_SHOW_GENERATED;
        return conversation_reply(c, m,
                                  &(StepReply){ .kind = PG_STEP_INFO,
                                                .id = "generated",
                                                .message = MSG_GENERATED,
                                                .arg = c->new_password,
                                                .password = c->new_password });
}

int change_step(Conversation *c, sd_bus_message *m, const char *value)
{
        switch (c->state) {
        case CHANGE_START:
                if (c->admin_reset)
                        return change_ask_new(c, m, NULL, 0);
                c->state = CHANGE_ASK_OLD;
                return conversation_reply(c, m,
                                          &(StepReply){ .kind = PG_STEP_SECRET,
                                                        .id = "old-password",
                                                        .message = MSG_ASK_OLD_PASSWORD });
        case CHANGE_ASK_OLD:
                if (isempty(value) || strlen(value) > policy_max_bytes(c->d->policy))
                        return conversation_fail(c, m, PG_ERROR_AUTHENTICATION_FAILED,
                                                 MSG_LOGIN_FAILED);
                return verify_old(c, m, value);
        case CHANGE_ASK_NEW:
                if (isempty(value))
                        return show_generated(c, m);
                return take_new(c, m, value);
        case CHANGE_ASK_REPEAT:
                return take_repeat(c, m, value ? value : "");
        case CHANGE_SHOW_GENERATED:
                return save(c, m);
        default:
                return -EINVAL;
        }
}
