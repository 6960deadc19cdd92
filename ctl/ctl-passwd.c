/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <locale.h>
#include <stdio.h>

#include "bus-names.h"
#include "conv-client.h"
#include "ctl-bus.h"
#include "ctl-error.h"
#include "ctl-output.h"
#include "ctl-passwd.h"
#include "ctl-tty.h"
#include "ctl-user.h"
#include "macro.h"
#include "messages.h"

/* The step the daemon answers with a generated password when it gets an empty answer. */
#define STEP_NEW_PASSWORD "new-password"

typedef struct Dialogue {
        bool json;
        bool generate;   /* answer the new-password step with "" so the daemon generates one */
        bool ask_failed; /* the error was reported where it happened */
} Dialogue;

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

static void show_info(const Dialogue *d, const ConvPrompt *p)
{
        const char *message = p->message ? p->message : "";

        if (!p->password) {
                /* With --json, stdout is kept for the one document. */
                print_line(d->json ? stderr : stdout, message);
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
        Dialogue *d = userdata;
        int r = ask_step(d, p, ret_answer);

        if (r < 0)
                d->ask_failed = true;
        return r;
}

static int set_password_from_stdin(const char *user, bool must_change)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_erase_ char *password = NULL;
        int r;

        r = tty_read_line(_(MSG_CTL_ASK_NEW_PASSWORD), false, &password);
        if (r < 0)
                return r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = ctl_bus_new_call(bus, PG_IFACE_ACCOUNTS, "SetPassword", &m);
        if (r < 0)
                return r;
        r = sd_bus_message_sensitive(m);
        if (r < 0)
                return ctl_error(r, _(MSG_CTL_BUILD_CALL), strerror(-r));
        r = sd_bus_message_append(m, "ssb", user, password, must_change);
        if (r < 0)
                /* sd-bus refuses text that is not UTF-8. */
                return ctl_error(-EDOM, _(MSG_CTL_BUILD_CALL), strerror(-r));
        return ctl_bus_call(bus, m, NULL);
}

static int change_password(const char *user, const CtlArgs *args, bool admin_reset)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(conv_result_clear) ConvResult result = { 0 };
        /* The daemon speaks the language passgatectl itself speaks (LC_ALL, LC_MESSAGES, LANG). */
        const char *lang = setlocale(LC_MESSAGES, NULL);
        const ConvClientInfo client = {
                .renderer = "text",
                .locale = isempty(lang) ? NULL : lang,
                .admin_reset = admin_reset,
        };
        Dialogue dialogue = {
                .json = args->json,
                .generate = args->given & OPT_GENERATE,
        };
        int r;

        r = ctl_bus_open(&bus);
        if (r < 0)
                return r;

        r = conv_run(bus, PG_FLOW_CHANGE_PASSWORD, user, &client, CTL_CALL_TIMEOUT_USEC, ask,
                     &dialogue, &result);
        if (r < 0)
                return dialogue.ask_failed ? r : ctl_bus_error(NULL, r);
        if (result.error)
                return ctl_conv_error(result.error, result.message);

        if (args->given & OPT_MUST_CHANGE)
                return ctl_bus_call_method(bus, PG_IFACE_ACCOUNTS, "ExpirePassword", NULL, "s",
                                           user);
        return 0;
}

int verb_user_passwd(int argc, char **argv, const CtlArgs *args)
{
        _cleanup_free_ char *self = NULL;
        const char *user;
        bool admin_reset;
        int r;

        if ((args->given & OPT_PASSWORD_STDIN) && (args->given & OPT_GENERATE))
                return ctl_error(-EINVAL, "%s", _(MSG_CTL_STDIN_OR_GENERATE));

        r = ctl_calling_user(&self);
        if (r < 0)
                return r;
        user = argc > 1 ? argv[1] : self;
        r = ctl_user_name_check(user);
        if (r < 0)
                return r;

        if (args->given & OPT_PASSWORD_STDIN)
                return set_password_from_stdin(user, args->given & OPT_MUST_CHANGE);

        /* Only root may skip the old password, and only for someone else's account. */
        admin_reset = geteuid() == 0 && argc > 1 && !streq(user, self);
        if ((args->given & OPT_MUST_CHANGE) && !admin_reset)
                return ctl_error(-EINVAL, "%s", _(MSG_CTL_MUST_CHANGE_USAGE));

        return change_password(user, args, admin_reset);
}
