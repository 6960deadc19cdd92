/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "daemon.h"
#include "delivery.h"
#include "document.h"

typedef struct StepChoice {
        const char *id;
        const char *label; /* untranslated, from messages.h */
} StepChoice;

/* What a Step answers: the kind, the stable step Id, the text, and the keys some kinds carry. */
typedef struct StepReply {
        const char *kind;
        const char *id;
        const char *message; /* untranslated, from messages.h; formatted with arg when set */
        const char *arg;
        const char *notice; /* untranslated; formatted with notice_arg */
        unsigned notice_arg;
        const char *user;
        bool change_required;
        const char *error;
        bool offer_support; /* a failure: the support desk's contacts follow the message */
        const char *password;
        const StepChoice *choices;
        size_t n_choices;
} StepReply;

/* What a recovery knows. Whether the account matched is never shown in what it answers. */
typedef struct Recovery {
        int state;
        unsigned malformed; /* inputs asked again */
        Channel channel;
        char *identifier; /* normalised */
        char *masked;
        DocType doc_type;
        char *matched; /* the account whose document matched, NULL when none did */
        uint64_t code_sent_usec;
        unsigned code_tries;
        bool delivery_failed;
} Recovery;

typedef int (*conversation_step_t)(Conversation *c, sd_bus_message *m, const char *value);

struct Conversation {
        unsigned n_ref;
        Daemon *d;
        Conversation *next, *prev;
        char id[33];
        char *path;
        const char *flow;
        uid_t owner;
        char *owner_name; /* the unique bus name that began it */
        char *login;
        char *user; /* resolved account, NULL while unknown (or never known) */
        char *service;
        char *locale;
        bool remote;
        bool admin_reset;
        conversation_step_t step;
        const char *how; /* PasswordChanged "how" of the password this conversation saves */
        Recovery *recovery;
        int state;
        unsigned refusals;
        char *new_password;
        sd_bus_message *pending;
        sd_event_source *idle_timer;
        uint64_t expires_usec;
        bool finished;
};

/* UTF-8 of at most max bytes without control characters: what a name or identifier may be. */
bool conversation_text_valid(const char *s, size_t max);

Conversation *conversation_ref(Conversation *c);
Conversation *conversation_unref(Conversation *c);
/* Sends the reply; a done or failed step ends the conversation. */
int conversation_reply(Conversation *c, sd_bus_message *m, const StepReply *r);
/* Hands a hash job to the workers; its done callback gets the conversation, or NULL if it ended. */
/*
 * While a Step's work runs off the bus loop its message is parked here: another Step meanwhile gets
 * Busy, and a Cancel or the end of the conversation answers it. park takes a reference on c and m;
 * unpark gives m back (NULL when the conversation ended meanwhile) and the caller drops both
 * references when done with them.
 */
void conversation_park(Conversation *c, sd_bus_message *m);
sd_bus_message *conversation_unpark(Conversation *c);
/* The parked work could not even start: answer with an internal error and drop the references. */
void conversation_unpark_failed(Conversation *c);

typedef void (*conversation_hashed_t)(Conversation *c, sd_bus_message *m, HashJob *job);
int conversation_submit(Conversation *c, sd_bus_message *m, HashJob *job,
                        conversation_hashed_t done);
int conversation_fail(Conversation *c, sd_bus_message *m, const char *error, const char *message);

/* Flows: value is NULL on the first Step (and for an info acknowledgement). */
int login_begin(Conversation *c, sd_bus_error *error);
int login_step(Conversation *c, sd_bus_message *m, const char *value);
int change_begin(Conversation *c, sd_bus_error *error);
int change_step(Conversation *c, sd_bus_message *m, const char *value);
/* Goes on to the new password, for a recovery whose code was good. */
int change_ask_new(Conversation *c, sd_bus_message *m, const char *notice, unsigned notice_arg);
int recovery_begin(Conversation *c, sd_bus_error *error);
/* Switches a login conversation to recovery (an empty password) and answers this Step. */
int recovery_enter(Conversation *c, sd_bus_message *m);
int recovery_step(Conversation *c, sd_bus_message *m, const char *value);
/* After the new password is stored: cancels what else was open, answers how the flow ends. */
int recovery_finish(Conversation *c, sd_bus_message *m);
void recovery_free(Recovery *r);
