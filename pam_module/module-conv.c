/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_ext.h>

#include "bus-names.h"
#include "macro.h"
#include "messages.h"
#include "module-conv.h"
#include "module-i18n.h"

static void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

static int pam_to_errno(int code)
{
        if (code == PAM_SUCCESS)
                return 0;
        return code == PAM_BUF_ERR ? -ENOMEM : -ECOMM;
}

int module_conv_show(pam_handle_t *pamh, int style, const char *text)
{
        return pam_to_errno(pam_prompt(pamh, style, NULL, "%s", text));
}

static int ask(pam_handle_t *pamh, int style, const char *text, char **ret_answer)
{
        _cleanup_erase_ char *answer = NULL;
        int r;

        r = pam_to_errno(pam_prompt(pamh, style, &answer, "%s", text));
        if (r < 0)
                return r;
        /* Some applications answer a failed read with success and no text. */
        if (!answer)
                return -ECOMM;
        *ret_answer = TAKE_PTR(answer);
        return 0;
}

/* The question, after whatever was held for it. */
static int ask_folded(ModuleConv *mc, int style, const char *text, char **ret_answer)
{
        _cleanup_erase_ char *all = NULL;

        if (!mc->held)
                return ask(mc->pamh, style, text, ret_answer);
        if (asprintf(&all, "%s\n%s", mc->held, text) < 0)
                return -ENOMEM;
        mc->held = erase_and_free(mc->held);
        return ask(mc->pamh, style, all, ret_answer);
}

static int format_choices(pam_handle_t *pamh, const ConvPrompt *p, char **ret)
{
        _cleanup_free_ char *list = NULL;
        size_t size = 0;
        _cleanup_(fclosep) FILE *f = open_memstream(&list, &size);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_choices; i++) {
                if (i > 0)
                        fputc('\n', f);
                fprintf(f, module_gettext(pamh, MSG_PAM_CHOICE_ITEM), (unsigned)(i + 1),
                        p->choices[i].label);
        }
        if (fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(list);
        return 0;
}

/* Appends a line to what waits for the next question. */
static int hold(ModuleConv *mc, const char *text)
{
        char *s;

        if (isempty(text))
                return 0;
        if (asprintf(&s, "%s%s%s", mc->held ? mc->held : "", mc->held ? "\n" : "", text) < 0)
                return -ENOMEM;
        erase_and_free(mc->held);
        mc->held = s;
        return 0;
}

/* Accepts the number shown in the list or the id itself; anything else goes to the daemon as is. */
static const char *choice_id(const ConvPrompt *p, const char *answer)
{
        unsigned long n;
        char *end;

        errno = 0;
        n = strtoul(answer, &end, 10);
        if (errno == 0 && end != answer && *end == '\0' && n >= 1 && n <= p->n_choices)
                return p->choices[n - 1].id;
        return answer;
}

static int ask_choice(ModuleConv *mc, const ConvPrompt *p, char **ret_answer)
{
        _cleanup_free_ char *answer = NULL, *list = NULL;
        char *id;
        int r;

        /* One message: graphical greeters replace one info message with the next. */
        r = format_choices(mc->pamh, p, &list);
        if (r < 0)
                return r;
        r = mc->fold ? hold(mc, list) : module_conv_show(mc->pamh, PAM_TEXT_INFO, list);
        if (r < 0)
                return r;
        r = ask_folded(mc, PAM_PROMPT_ECHO_ON, p->message, &answer);
        if (r < 0)
                return r;
        id = strdup(choice_id(p, answer));
        if (!id)
                return -ENOMEM;
        *ret_answer = id;
        return 0;
}

static int show_info(ModuleConv *mc, const ConvPrompt *p)
{
        _cleanup_erase_ char *line = NULL;
        int r;

        r = mc->fold ? hold(mc, p->message) : module_conv_show(mc->pamh, PAM_TEXT_INFO, p->message);
        if (r < 0 || isempty(p->message))
                return r;
        /* A generated password is shown once: never let the user miss it. */
        if (isempty(p->password) || strstr(p->message, p->password))
                return 0;
        if (asprintf(&line, module_gettext(mc->pamh, MSG_PAM_GENERATED_PASSWORD), p->password) < 0)
                return -ENOMEM;
        return mc->fold ? hold(mc, line) : module_conv_show(mc->pamh, PAM_TEXT_INFO, line);
}

int module_conv_render(ModuleConv *mc, const ConvPrompt *p, char **ret_answer)
{
        int r;

        if (!isempty(p->notice)) {
                r = mc->fold ? hold(mc, p->notice)
                             : module_conv_show(mc->pamh, PAM_ERROR_MSG, p->notice);
                if (r < 0)
                        return r;
        }

        if (streq(p->kind, PG_STEP_SECRET))
                return ask_folded(mc, PAM_PROMPT_ECHO_OFF, p->message, ret_answer);
        if (streq(p->kind, PG_STEP_TEXT))
                return ask_folded(mc, PAM_PROMPT_ECHO_ON, p->message, ret_answer);
        if (streq(p->kind, PG_STEP_CHOICE))
                return ask_choice(mc, p, ret_answer);
        return show_info(mc, p);
}

void module_conv_flush(ModuleConv *mc)
{
        if (mc->held)
                (void)module_conv_show(mc->pamh, PAM_TEXT_INFO, mc->held);
        mc->held = erase_and_free(mc->held);
}
