/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>
#include <stdio.h>
#include <termios.h>

#include "ctl-error.h"
#include "ctl-tty.h"
#include "macro.h"
#include "messages.h"

static const int restore_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM };

/* Read by the signal handler: what to put back before the process dies. */
static struct termios saved_termios;
static volatile sig_atomic_t termios_changed;

static void restore_and_reraise(int sig)
{
        if (termios_changed) {
                (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
                /* The hidden answer left the cursor after the prompt. */
                (void)!write(STDERR_FILENO, "\n", 1);
        }
        /* SA_RESETHAND restored the default action: the signal still ends the process. */
        (void)raise(sig);
}

typedef struct EchoOff {
        bool active;
        struct sigaction old[ELEMENTSOF(restore_signals)];
} EchoOff;

static int echo_off(EchoOff *e)
{
        struct sigaction sa = { .sa_handler = restore_and_reraise, .sa_flags = SA_RESETHAND };
        struct termios t;

        if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
                return -errno;

        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ELEMENTSOF(restore_signals); i++)
                (void)sigaction(restore_signals[i], &sa, &e->old[i]);

        t = saved_termios;
        t.c_lflag &= ~(tcflag_t)ECHO;
        /* The Enter key still moves to the next line, as after a visible answer. */
        t.c_lflag |= ECHONL;
        termios_changed = 1;
        e->active = true;
        if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) < 0)
                return -errno;
        return 0;
}

static void echo_restore(EchoOff *e)
{
        if (!e->active)
                return;
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
        termios_changed = 0;
        for (size_t i = 0; i < ELEMENTSOF(restore_signals); i++)
                (void)sigaction(restore_signals[i], &e->old[i], NULL);
        e->active = false;
}

/* Byte by byte: stdio would keep the secret in its buffer, and read ahead the next answers. */
static int read_line(char *buf, size_t size, size_t *ret_len)
{
        size_t n = 0;

        for (;;) {
                char c;
                ssize_t k = read(STDIN_FILENO, &c, 1);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0) {
                        if (n == 0)
                                return -ECANCELED;
                        break;
                }
                if (c == '\n')
                        break;
                if (n + 1 >= size)
                        return -EMSGSIZE;
                buf[n++] = c;
        }
        if (n > 0 && buf[n - 1] == '\r')
                n--;
        buf[n] = '\0';
        *ret_len = n;
        return 0;
}

int tty_read_line(const char *prompt, bool echo, char **ret)
{
        _cleanup_(echo_restore) EchoOff e = { 0 };
        bool terminal = isatty(STDIN_FILENO);
        char buf[TTY_LINE_MAX];
        size_t len = 0;
        int r;

        if (terminal) {
                fputs(prompt, stderr);
                fflush(stderr);
                if (!echo) {
                        r = echo_off(&e);
                        if (r < 0)
                                return ctl_error(r, _(MSG_CTL_TERMINAL), strerror(-r));
                }
        }

        r = read_line(buf, sizeof(buf), &len);
        if (r >= 0) {
                *ret = strndup(buf, len);
                if (!*ret)
                        r = -ENOMEM;
        }
        sodium_memzero(buf, sizeof(buf));

        if (r == -EMSGSIZE)
                return ctl_error(r, _(MSG_CTL_LINE_TOO_LONG), TTY_LINE_MAX - 1);
        if (r == -ECANCELED) {
                /* Ctrl-D at a prompt leaves the cursor after the prompt. */
                if (terminal)
                        fputc('\n', stderr);
                return ctl_error(r, "%s", _(MSG_CTL_NO_ANSWER));
        }
        if (r < 0)
                return ctl_error(r, _(MSG_CTL_TERMINAL), strerror(-r));
        return 0;
}
