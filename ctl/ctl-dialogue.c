/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <locale.h>
#include <stdio.h>

#include "bus-names.h"
#include "ctl-bus.h"
#include "ctl-dialogue.h"
#include "ctl-error.h"
#include "ctl-output.h"
#include "ctl-tty.h"
#include "macro.h"
#include "messages.h"

/* The step the daemon answers with a generated password when it gets an empty answer. */
#define STEP_NEW_PASSWORD "new-password"

/* The state of one run, as the ask callback sees it. */
typedef struct Asker {
        const Dialogue *d;
        bool failed; /* the error was reported where it happened */
} Asker;

/* Line by line: a message may span lines, but no control character reaches the terminal. */
static void print_line(FILE *f, const char *text)
{
        _cleanup_free_ char *copy = strdup(text);
        char *state = NULL;

        if (!copy) {
                fputs_printable(text, f);
                fputc('\n', f);
                return;
        }
        for (char *line = strtok_r(copy, "\n", &state); line; line = strtok_r(NULL, "\n", &state)) {
                fputs_printable(line, f);
                fputc('\n', f);
        }
}

void dialogue_say(const Dialogue *d, const char *text)
{
        /* With --json, stdout is kept for the one document. */
        print_line(d->json ? stderr : stdout, text ? text : "");
}

static void show_info(const Dialogue *d, const ConvPrompt *p)
{
        const char *message = p->message ? p->message : "";

        if (!p->password) {
                dialogue_say(d, message);
                return;
        }

        /* The one time a password is printed: the user asked for a generated one. */
        if (d->json) {
                json_string(stdout, p->password);
                fputc('\n', stdout);
        } else {
                print_line(stdout, message);
                if (!strstr(message, p->password))
                        print_line(stdout, p->password);
        }
        fflush(stdout);
}

/* Lists the choices on a terminal; the answer may be a number from the list or an id. */
static int ask_choice(const ConvPrompt *p, char **ret)
{
        _cleanup_free_ char *answer = NULL;
        char *end;
        unsigned long i;
        int r;

        if (isatty(STDIN_FILENO))
                for (size_t k = 0; k < p->n_choices; k++) {
                        fprintf(stderr, "  %zu) ", k + 1);
                        print_line(stderr, p->choices[k].label ? p->choices[k].label : "");
                }

        r = tty_read_line(p->message ? p->message : "", true, &answer);
        if (r < 0)
                return r;

        errno = 0;
        i = strtoul(answer, &end, 10);
        if (errno == 0 && end != answer && *end == '\0' && i >= 1 && i <= p->n_choices) {
                char *id = strdup(p->choices[i - 1].id);

                if (!id)
                        return -ENOMEM;
                *ret = id;
                return 0;
        }
        /* Anything else goes as typed: the daemon asks again with a notice if it is no id. */
        *ret = TAKE_PTR(answer);
        return 0;
}

static int ask_step(const Dialogue *d, const ConvPrompt *p, char **ret_answer)
{
        const char *message = p->message ? p->message : "";

        if (p->notice)
                print_line(stderr, p->notice);

        /* An info step takes no answer: ret_answer may be NULL then. */
        if (streq(p->kind, PG_STEP_INFO)) {
                show_info(d, p);
                return 0;
        }
        if (d->generate && streq_ptr(p->id, STEP_NEW_PASSWORD)) {
                *ret_answer = strdup("");
                return *ret_answer ? 0 : -ENOMEM;
        }
        if (streq(p->kind, PG_STEP_CHOICE))
                return ask_choice(p, ret_answer);
        if (streq(p->kind, PG_STEP_SECRET))
                return tty_read_line(message, false, ret_answer);
        if (streq(p->kind, PG_STEP_TEXT))
                return tty_read_line(message, true, ret_answer);
        return ctl_error(-EPROTO, _(MSG_CTL_UNKNOWN_STEP), p->kind);
}

static int ask(const ConvPrompt *p, char **ret_answer, void *userdata)
{
        Asker *a = userdata;
        int r = ask_step(a->d, p, ret_answer);

        if (r < 0)
                a->failed = true;
        return r;
}

int dialogue_run(sd_bus *bus, const char *flow, const char *login, const Dialogue *d,
                 ConvResult *ret)
{
        /* The daemon speaks the language passgatectl itself speaks (LC_ALL, LC_MESSAGES, LANG). */
        const char *lang = setlocale(LC_MESSAGES, NULL);
        const ConvClientInfo client = {
                .renderer = "text",
                .locale = isempty(lang) ? NULL : lang,
                .admin_reset = d->admin_reset,
        };
        Asker asker = { .d = d };
        int r;

        r = conv_run(bus, flow, login, &client, CTL_CALL_TIMEOUT_USEC, ask, &asker, ret);
        if (r < 0)
                return asker.failed ? r : ctl_bus_error(NULL, r);
        return 0;
}
