/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "workqueue.h"

/*
 * Sending codes and notices: by the backend configured for the channel ([delivery] sms, email):
 * spool:/DIR (one file per message, written atomically), sendmail[:/PATH] (sendmail -t -i with
 * the message on stdin) or command:/PATH (the recipient as the only argument, the text and a
 * newline on stdin). Runs on a work queue, never on the bus loop; a child process and its process
 * group are killed when writing and waiting took longer than the timeout (-ETIMEDOUT). Failures are
 * logged without recipient or text.
 */
typedef enum Channel {
        CHANNEL_SMS,
        CHANNEL_EMAIL,
} Channel;

typedef struct Message {
        Channel channel;
        char *to;      /* E.164 phone or e-mail address */
        char *subject; /* e-mail subject; also the spool's Subject: header */
        char *text;    /* may hold a one-time code or password: wiped when freed */
} Message;

/* r is 0 when the backend accepted the message, else a negative errno (-ETIMEDOUT, -EIO, …). */
typedef void (*delivery_done_t)(int r, void *userdata);

typedef struct Delivery Delivery;

/* sms and email are the configured backend strings; timeout in microseconds. Queued messages do
 * not need the Delivery: it may be freed before the queue. */
int delivery_new(WorkQueue *queue, const char *sms, const char *email, uint64_t timeout_usec,
                 Delivery **ret);
Delivery *delivery_free(Delivery *d);

/* Takes msg (and frees it, wiping the text) whatever happens; done (optional) runs on the event
 * loop with the outcome, -ECANCELED when the queue stopped first. On an error return done never
 * runs: -EINVAL for an empty recipient, a control character in the recipient or subject (it would
 * forge headers), or a recipient starting with '-' for a command (it would pass for an option). */
int delivery_send(Delivery *d, Message *msg, delivery_done_t done, void *userdata);

/* Builds a message from copies of its parts (subject may be NULL: empty); NULL on -ENOMEM. */
Message *message_new(Channel channel, const char *to, const char *subject, const char *text);
Message *message_free(Message *m);
