/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "config.h"
#include "daemon-setup.h"
#include "i18n.h"
#include "macro.h"

static void help(void)
{
        printf("passgated [--config PATH]\n\n"
               "The passgate account service on the system bus (org.passgate1).\n\n"
               "  --config PATH  configuration file (default " SYSCONFDIR
               "/passgate/passgate.conf)\n"
               "  --version      show the version\n"
               "State lives in $STATE_DIRECTORY, else " LOCALSTATEDIR "/lib/passgate.\n");
}

static int run(const char *config_path)
{
        Daemon d;
        const char *state = getenv("STATE_DIRECTORY");
        int r;

        /* systemd may pass several directories separated by ':': ours is the first. */
        _cleanup_free_ char *state_dir = strndup(state ? state : LOCALSTATEDIR "/lib/passgate",
                                                 state ? strcspn(state, ":") : SIZE_MAX);
        if (!state_dir)
                return -ENOMEM;

        if ((r = daemon_setup(&d, config_path, state_dir)) < 0)
                return r;
        /* daemon_setup() blocked them: one that came since is pending, the loop sees it at once. */
        if ((r = sd_event_add_signal(d.event, NULL, SIGTERM, NULL, NULL)) >= 0 &&
            (r = sd_event_add_signal(d.event, NULL, SIGINT, NULL, NULL)) >= 0)
                r = sd_event_loop(d.event);
        daemon_teardown(&d);
        return r;
}

int main(int argc, char *argv[])
{
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        const char *config_path = SYSCONFDIR "/passgate/passgate.conf";
        int c, r;

        setlocale(LC_ALL, "");
        r = i18n_setup();
        if (r < 0) {
                fprintf(stderr, "passgated: cannot set up translations: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        config_path = optarg;
                        break;
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case 'V':
                        printf("passgated %s\n", PACKAGE_VERSION);
                        return EXIT_SUCCESS;
                default:
                        return 2;
                }
        if (optind < argc) {
                fprintf(stderr, "passgated: unexpected argument %s\n", argv[optind]);
                return 2;
        }
        if (sodium_init() < 0) {
                fprintf(stderr, "passgated: libsodium failed to initialise\n");
                return EXIT_FAILURE;
        }
        umask(0077);
        /* No core dump and no ptrace by the same uid: the memory holds the pepper's keys and
         * passwords being hashed. */
        if (prctl(PR_SET_DUMPABLE, 0) < 0)
                fprintf(stderr, "passgated: cannot turn off core dumps: %s\n", strerror(errno));
        return run(config_path) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
