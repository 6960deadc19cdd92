/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "daemon.h"

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
        const char *password;
} StepReply;

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
        int state;
        unsigned refusals;
        char *new_password;
        sd_bus_message *pending;
        sd_event_source *idle_timer;
        uint64_t expires_usec;
        bool finished;
};

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
