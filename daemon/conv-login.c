/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The login flow. An unknown identifier, a locked or delayed account and a wrong password take
 * the same steps, the same Argon2id work and end in the same error.
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

enum {
        LOGIN_START,
        LOGIN_ASK_IDENTIFIER,
        LOGIN_ASK_PASSWORD,
};

int login_begin(Conversation *c, sd_bus_error *error)
{
        c->state = LOGIN_START;
        c->step = login_step;
        return 0;
}

static int ask_password(Conversation *c, sd_bus_message *m)
{
        c->state = LOGIN_ASK_PASSWORD;
        return conversation_reply(c, m,
                                  &(StepReply){ .kind = PG_STEP_SECRET,
                                                .id = "password",
                                                .message = MSG_ASK_PASSWORD });
}

static int fail_login(Conversation *c, sd_bus_message *m)
{
        return conversation_fail(c, m, PG_ERROR_AUTHENTICATION_FAILED, MSG_LOGIN_FAILED);
}

/* Both ends, known or not, wait for one store write before answering: the same time. */
static void on_unknown_recorded(Daemon *d, int r, void *userdata)
{
        Conversation *c = userdata;
        sd_bus_message *m = conversation_unpark(c);
        if (m)
                (void)fail_login(c, m);
        sd_bus_message_unref(m);
        conversation_unref(c);
}

static void on_recorded(Daemon *d, const Attempt *o, int r, void *userdata)
{
        Conversation *c = userdata;
        sd_bus_message *m = conversation_unpark(c);

        if (!m)
                ;
        else if (r < 0)
                (void)conversation_fail(c, m, PG_ERROR_STORE, MSG_INTERNAL);
        else if (!o->succeeded)
                (void)fail_login(c, m);
        else
                (void)conversation_reply(c, m,
                                         &(StepReply){ .kind = PG_STEP_DONE,
                                                       .id = "done",
                                                       .message = o->change_required
                                                                          ? MSG_CHANGE_REQUIRED
                                                                          : MSG_LOGGED_IN,
                                                       .user = c->user,
                                                       .change_required = o->change_required });
        sd_bus_message_unref(m);
        conversation_unref(c);
}

static void on_verified(Conversation *c, sd_bus_message *m, HashJob *job)
{
        Daemon *d = c->d;
        int r;

        conversation_park(c, m);
        if (!c->user || job->error)
                r = audit_write(d, c->user, "login-failure", c->owner,
                                job->error ? "internal error" : "unknown identifier",
                                on_unknown_recorded, c);
        else
                r = attempt_record(d, c->user, job->match == 0, job->new_hash, c->owner, "login",
                                   on_recorded, c);
        if (r < 0)
                conversation_unpark_failed(c);
}

static int verify(Conversation *c, sd_bus_message *m, const char *password)
{
        Daemon *d = c->d;
        HashJob *job;

        int r = resolve_login(d, c->login, &c->user);
        if (r < 0 && r != -ENOENT)
                return r;
        if ((r = attempt_job(d, c->user, password, &job)) < 0)
                return r;
        return conversation_submit(c, m, job, on_verified);
}

int login_step(Conversation *c, sd_bus_message *m, const char *value)
{
        switch (c->state) {
        case LOGIN_START:
                if (!isempty(c->login))
                        return ask_password(c, m);
                c->state = LOGIN_ASK_IDENTIFIER;
                return conversation_reply(c, m,
                                          &(StepReply){ .kind = PG_STEP_TEXT,
                                                        .id = "identifier",
                                                        .message = MSG_ASK_IDENTIFIER });
        case LOGIN_ASK_IDENTIFIER:
                if (isempty(value))
                        return fail_login(c, m);
                /* As BeginConversation answers the same text as its login. */
                if (!conversation_text_valid(value, 256))
                        return sd_bus_reply_method_errorf(
                                m, PG_ERROR_INVALID_ARGS,
                                "The login is too long or contains control characters.");
                free(c->login);
                if (!(c->login = strdup(value)))
                        return -ENOMEM;
                return ask_password(c, m);
        case LOGIN_ASK_PASSWORD:
                /* The prompt says so: no password means "I don't know it". */
                if (isempty(value))
                        return recovery_enter(c, m);
                if (strlen(value) > policy_max_bytes(c->d->policy))
                        return fail_login(c, m);
                return verify(c, m, value);
        default:
                return -EINVAL;
        }
}
