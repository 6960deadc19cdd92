/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include <security/pam_modules.h>

#include "conv-client.h"

/* Shows one message (PAM_TEXT_INFO or PAM_ERROR_MSG). 0, -ENOMEM, or -ECOMM when the application
 * could not show it. */
int module_conv_show(pam_handle_t *pamh, int style, const char *text);

typedef struct ModuleConv {
        pam_handle_t *pamh;
        /* Remote services: every text goes with the next question, because ssh keyboard-interactive
         * shows lone messages late or not at all. */
        bool fold;
        char *held; /* texts waiting for the next question (may hold a generated password) */
} ModuleConv;

/*
 * Renders a step through the application's PAM conversation: a Notice first, then the question.
 * For secret, text and choice it returns the answer (a choice's id; the caller wipes it).
 * 0, -ENOMEM, or -ECOMM when the conversation failed.
 */
int module_conv_render(ModuleConv *mc, const ConvPrompt *p, char **ret_answer);

/* Shows what is still held back (the flow ended without another question) and wipes it. */
void module_conv_flush(ModuleConv *mc);
