/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <security/pam_modules.h>

#include "conv-client.h"

/* Shows one message (PAM_TEXT_INFO or PAM_ERROR_MSG). 0, -ENOMEM, or -ECOMM when the application
 * could not show it. */
int module_conv_show(pam_handle_t *pamh, int style, const char *text);

/*
 * Renders a step through the application's PAM conversation: a Notice first, then the question.
 * For secret, text and choice it returns the answer (a choice's id; the caller wipes it).
 * 0, -ENOMEM, or -ECOMM when the conversation failed.
 */
int module_conv_render(pam_handle_t *pamh, const ConvPrompt *p, char **ret_answer);
