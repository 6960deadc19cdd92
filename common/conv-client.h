/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The client side of a passgate conversation: the daemon drives the steps, a renderer (the PAM
 * module, passgatectl) only shows them and returns the answers.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

/* A daemon that never ends its flow must not keep a PAM stack busy forever. */
#define CONV_STEPS_MAX 64

typedef struct ConvChoice {
        const char *id;
        const char *label;
} ConvChoice;

/* One step to render. The strings live until the ask callback returns. */
typedef struct ConvPrompt {
        const char *kind; /* PG_STEP_SECRET, _TEXT, _CHOICE or _INFO */
        const char *id;
        const char *message;
        const char *notice;   /* why the previous answer was refused, or NULL */
        const char *password; /* the "generated" info step only, or NULL */
        const ConvChoice *choices;
        size_t n_choices;
} ConvPrompt;

/*
 * Renders one step. For secret, text and choice it returns the answer in *ret_answer (malloc'ed;
 * the caller wipes it); for info ret_answer is NULL. A negative errno ends the conversation.
 */
typedef int (*conv_ask_t)(const ConvPrompt *p, char **ret_answer, void *userdata);

/* Fields left NULL/false are not sent. */
typedef struct ConvClientInfo {
        const char *service;
        bool remote;
        const char *renderer;
        const char *locale;
        bool admin_reset;
} ConvClientInfo;

/*
 * error == NULL: the flow is done and user is set; else the flow failed with that error name.
 * message is the last step's text ("" when it had none).
 */
typedef struct ConvResult {
        char *user;
        bool change_required;
        char *error;
        char *message;
} ConvResult;

void conv_result_clear(ConvResult *r);

/*
 * Opens the system bus (DBUS_SYSTEM_BUS_ADDRESS when set) and waits until it is usable, all within
 * timeout_usec; timeout_usec also becomes the default timeout of later calls on this bus.
 */
int conv_bus_open(uint64_t timeout_usec, sd_bus **ret);

/* Calls a method on the passgate main object, with a timeout. */
/* Whether an error reply is the daemon's (or the bus policy's) answer, not a missing service. */
bool conv_error_is_answer(const sd_bus_error *error);

int conv_call_method(sd_bus *bus, const char *interface, const char *member, uint64_t timeout_usec,
                     sd_bus_error *error, sd_bus_message **ret_reply, const char *types, ...);

/*
 * Runs a conversation to its end. Returns 0 with *ret filled when the flow is done or failed
 * (a org.passgate1.Error.* reply counts as failed), or a negative errno when the daemon cannot be
 * reached, times out or answers outside the contract (-EPROTO), or ask() fails.
 */
int conv_run(sd_bus *bus, const char *flow, const char *login, const ConvClientInfo *client,
             uint64_t timeout_usec, conv_ask_t ask, void *userdata, ConvResult *ret);
