/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small login(1)-like PAM application for tests and the sandbox.
 *
 *   pam-driver [--script] [--no-chauthtok] [--password] SERVICE [USER]
 *
 * Default: pam_authenticate, pam_acct_mgmt, and pam_chauthtok(PAM_CHANGE_EXPIRED_AUTHTOK) when
 * the account stage asks for a new password (unless --no-chauthtok). --password: only
 * pam_chauthtok(0), USER required.
 *
 * --script: each message goes to stdout as "<STYLE>: <text>" (one line per line of text), each
 * answer is one line of stdin; no more input fails the conversation. Without it, the terminal is
 * used, with echo off for hidden prompts.
 *
 * Last lines: "auth=", "acct=", "chauthtok=" (what ran, as PAM code names), "user=". Exit 0 when
 * every stage that ran succeeded (an account stage asking for a new password counts as success
 * when the change then succeeds), 1 otherwise, 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <security/pam_appl.h>

typedef struct Driver {
        bool script;
} Driver;

/* Signal handlers need the saved terminal state; nothing else is global. */
static struct termios saved_termios;
static volatile sig_atomic_t echo_disabled;

static const struct {
        int code;
        const char *name;
} pam_code_names[] = {
#define CODE(c)                                                                                    \
        {                                                                                          \
                c, #c                                                                              \
        }
        CODE(PAM_SUCCESS),
        CODE(PAM_OPEN_ERR),
        CODE(PAM_SYMBOL_ERR),
        CODE(PAM_SERVICE_ERR),
        CODE(PAM_SYSTEM_ERR),
        CODE(PAM_BUF_ERR),
        CODE(PAM_PERM_DENIED),
        CODE(PAM_AUTH_ERR),
        CODE(PAM_CRED_INSUFFICIENT),
        CODE(PAM_AUTHINFO_UNAVAIL),
        CODE(PAM_USER_UNKNOWN),
        CODE(PAM_MAXTRIES),
        CODE(PAM_NEW_AUTHTOK_REQD),
        CODE(PAM_ACCT_EXPIRED),
        CODE(PAM_SESSION_ERR),
        CODE(PAM_CRED_UNAVAIL),
        CODE(PAM_CRED_EXPIRED),
        CODE(PAM_CRED_ERR),
        CODE(PAM_NO_MODULE_DATA),
        CODE(PAM_CONV_ERR),
        CODE(PAM_AUTHTOK_ERR),
        CODE(PAM_AUTHTOK_RECOVERY_ERR),
        CODE(PAM_AUTHTOK_LOCK_BUSY),
        CODE(PAM_AUTHTOK_DISABLE_AGING),
        CODE(PAM_TRY_AGAIN),
        CODE(PAM_IGNORE),
        CODE(PAM_ABORT),
        CODE(PAM_AUTHTOK_EXPIRED),
        CODE(PAM_MODULE_UNKNOWN),
        CODE(PAM_BAD_ITEM),
        CODE(PAM_CONV_AGAIN),
        CODE(PAM_INCOMPLETE),
#undef CODE
};

static const char *pam_code_name(int code)
{
        for (size_t i = 0; i < sizeof(pam_code_names) / sizeof(pam_code_names[0]); i++)
                if (pam_code_names[i].code == code)
                        return pam_code_names[i].name;
        return "PAM_UNKNOWN_CODE";
}

static void restore_echo(void)
{
        if (echo_disabled) {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
                echo_disabled = 0;
        }
}

/* A hidden prompt interrupted by a signal must not leave the terminal without echo. */
static void on_signal(int sig)
{
        restore_echo();
        signal(sig, SIG_DFL);
        raise(sig);
}

static void install_signal_handlers(void)
{
        static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };

        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
                signal(sigs[i], on_signal);
}

static int disable_echo(void)
{
        struct termios t;

        if (!isatty(STDIN_FILENO))
                return 0;
        if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
                return -errno;
        t = saved_termios;
        t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        echo_disabled = 1;
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0) {
                echo_disabled = 0;
                return -errno;
        }
        return 0;
}

static void wipe_free(char *s)
{
        if (s) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
}

/* One line of stdin without its newline; NULL at end of input. */
static char *read_line(void)
{
        char *line = NULL;
        size_t size = 0;
        ssize_t n;

        n = getline(&line, &size, stdin);
        if (n < 0) {
                /* The buffer holds no terminated string at end of input. */
                if (line)
                        explicit_bzero(line, size);
                free(line);
                return NULL;
        }
        if (n > 0 && line[n - 1] == '\n')
                line[n - 1] = '\0';
        return line;
}

static const char *style_name(int style)
{
        switch (style) {
        case PAM_PROMPT_ECHO_OFF:
                return "PROMPT_ECHO_OFF";
        case PAM_PROMPT_ECHO_ON:
                return "PROMPT_ECHO_ON";
        case PAM_ERROR_MSG:
                return "ERROR_MSG";
        case PAM_TEXT_INFO:
                return "TEXT_INFO";
        default:
                return NULL;
        }
}

/* Tests parse line by line: a multi-line message keeps its prefix on every line. */
static void print_script(int style, const char *text)
{
        const char *name = style_name(style), *p = text ? text : "";

        do {
                size_t len = strcspn(p, "\n");

                printf("%s: %.*s\n", name, (int)len, p);
                p += len;
        } while (*p++ == '\n' && *p);
        fflush(stdout);
}

static void print_terminal(int style, const char *text)
{
        FILE *f = style == PAM_ERROR_MSG ? stderr : stdout;

        if (style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON)
                fputs(text, f);
        else
                fprintf(f, "%s\n", text);
        fflush(f);
}

static char *answer_prompt(const Driver *d, int style)
{
        char *line;

        if (d->script || style == PAM_PROMPT_ECHO_ON)
                return read_line();

        if (disable_echo() < 0)
                return NULL;
        line = read_line();
        restore_echo();
        /* The user's Enter was not echoed. */
        if (isatty(STDIN_FILENO))
                fputc('\n', stdout);
        return line;
}

static void free_responses(struct pam_response *r, int n)
{
        for (int i = 0; i < n; i++)
                wipe_free(r[i].resp);
        free(r);
}

static int conversation(int num_msg, const struct pam_message **msg, struct pam_response **ret_resp,
                        void *appdata)
{
        const Driver *d = appdata;
        struct pam_response *resp;

        if (num_msg <= 0 || num_msg > PAM_MAX_NUM_MSG)
                return PAM_CONV_ERR;
        resp = calloc((size_t)num_msg, sizeof(*resp));
        if (!resp)
                return PAM_BUF_ERR;

        for (int i = 0; i < num_msg; i++) {
                int style = msg[i]->msg_style;

                if (!style_name(style)) {
                        free_responses(resp, num_msg);
                        return PAM_CONV_ERR;
                }
                if (d->script)
                        print_script(style, msg[i]->msg);
                else
                        print_terminal(style, msg[i]->msg);

                if (style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON) {
                        resp[i].resp = answer_prompt(d, style);
                        if (!resp[i].resp) {
                                free_responses(resp, num_msg);
                                return PAM_CONV_ERR;
                        }
                }
        }

        *ret_resp = resp;
        return PAM_SUCCESS;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: pam-driver [--script] [--no-chauthtok] [--password] SERVICE [USER]\n");
}

int main(int argc, char *argv[])
{
        static const struct option options[] = {
                { "script", no_argument, NULL, 's' },
                { "no-chauthtok", no_argument, NULL, 'n' },
                { "password", no_argument, NULL, 'p' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        Driver driver = {};
        struct pam_conv conv = { conversation, &driver };
        pam_handle_t *pamh = NULL;
        bool chauthtok = true, password_only = false, ok;
        const char *service, *user = NULL;
        const void *final_user = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        driver.script = true;
                        break;
                case 'n':
                        chauthtok = false;
                        break;
                case 'p':
                        password_only = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        if (optind >= argc || argc - optind > 2 || (password_only && argc - optind != 2)) {
                usage(stderr);
                return 2;
        }
        service = argv[optind];
        if (optind + 1 < argc)
                user = argv[optind + 1];

        if (!driver.script)
                install_signal_handlers();

        r = pam_start(service, user, &conv, &pamh);
        if (r != PAM_SUCCESS) {
                fprintf(stderr, "pam_start: %s\n", pam_code_name(r));
                return 1;
        }

        if (password_only) {
                r = pam_chauthtok(pamh, 0);
                printf("chauthtok=%s\n", pam_code_name(r));
                ok = r == PAM_SUCCESS;
        } else {
                r = pam_authenticate(pamh, 0);
                printf("auth=%s\n", pam_code_name(r));
                ok = r == PAM_SUCCESS;
                if (ok) {
                        r = pam_acct_mgmt(pamh, 0);
                        printf("acct=%s\n", pam_code_name(r));
                        ok = r == PAM_SUCCESS;
                        if (r == PAM_NEW_AUTHTOK_REQD && chauthtok) {
                                r = pam_chauthtok(pamh, PAM_CHANGE_EXPIRED_AUTHTOK);
                                printf("chauthtok=%s\n", pam_code_name(r));
                                ok = r == PAM_SUCCESS;
                        }
                }
        }

        if (pam_get_item(pamh, PAM_USER, &final_user) != PAM_SUCCESS)
                final_user = NULL;
        printf("user=%s\n", final_user ? (const char *)final_user : "");
        fflush(stdout);

        pam_end(pamh, r);
        return ok ? 0 : 1;
}
