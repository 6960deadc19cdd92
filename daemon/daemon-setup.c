/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon-setup.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bus-names.h"
#include "macro.h"

/* A state directory or pepper others can read would leak what the store protects. */
static int check_private(const char *path, const char *what)
{
        struct stat st;
        if (stat(path, &st) < 0) {
                fprintf(stderr, "passgated: %s %s: %s\n", what, path, strerror(errno));
                return -errno;
        }
        if (st.st_mode & (S_IRWXG | S_IRWXO)) {
                fprintf(stderr,
                        "passgated: %s %s is accessible by group or others (mode %04o); "
                        "refusing to start. Fix with: chmod 0700 %s\n",
                        what, path, (unsigned)(st.st_mode & 07777), path);
                return -EPERM;
        }
        return 0;
}

/* A hash of a random secret, at the configured cost: the stand-in for unknown accounts. */
static int make_dummy_hash(Daemon *d)
{
        char out[crypto_pwhash_STRBYTES], secret[33];
        randombytes_buf(secret, sizeof secret - 1);
        for (size_t i = 0; i < sizeof secret - 1; i++)
                secret[i] = (char)('a' + (unsigned char)secret[i] % 26);
        secret[sizeof secret - 1] = 0;
        int r = crypto_pwhash_str(out, secret, strlen(secret), d->config->opslimit,
                                  d->config->memlimit);
        sodium_memzero(secret, sizeof secret);
        if (r != 0)
                return -ENOMEM;
        d->dummy_hash = strdup(out);
        return d->dummy_hash ? 0 : -ENOMEM;
}

static int setup(Daemon *d, const char *config_path, const char *state_dir)
{
        int r;

        if ((r = config_load(config_path, &d->config, stderr)) < 0)
                return r;
        if ((r = check_private(state_dir, "state directory")) < 0)
                return r;
        if ((r = pepper_load(d->config->pepper_path, &d->pepper)) < 0) {
                fprintf(stderr, "passgated: pepper %s: %s%s\n", d->config->pepper_path,
                        strerror(-r),
                        r == -EPERM ? " (it must be readable by its owner only)" : "");
                return r;
        }
        /* Never in swap; a failure (RLIMIT_MEMLOCK) leaves it in ordinary memory. */
        (void)sodium_mlock(&d->pepper, sizeof d->pepper);
        if ((r = store_open(state_dir, &d->pepper, &d->store)) < 0) {
                fprintf(stderr, "passgated: cannot open the store in %s: %s\n", state_dir,
                        strerror(-r));
                return r;
        }
        if ((r = policy_new(d->config, &d->policy)) < 0) {
                fprintf(stderr, "passgated: cannot load the password blocklist %s: %s\n",
                        d->config->blocklist_path, strerror(-r));
                return r;
        }
        if ((r = make_dummy_hash(d)) < 0)
                return r;

        /* Blocked before any worker thread starts, or a worker would take SIGTERM and die. */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        if ((r = sd_event_default(&d->event)) < 0 ||
            (r = workqueue_new(d->event, d->config->hash_workers, &d->hashers)) < 0 ||
            (r = workqueue_new(d->event, 1, &d->writer)) < 0 ||
            (r = workqueue_new(d->event, 2, &d->senders)) < 0 ||
            (r = delivery_new(d->senders, d->config->delivery_sms, d->config->delivery_email,
                              d->config->delivery_timeout_usec, &d->delivery)) < 0)
                return r;

        if ((r = sd_bus_open_system(&d->bus)) < 0) {
                fprintf(stderr, "passgated: cannot connect to the system bus: %s\n", strerror(-r));
                return r;
        }
        if ((r = bus_manager_register(d)) < 0 || (r = bus_accounts_register(d)) < 0 ||
            (r = bus_conversation_register(d)) < 0 || (r = bus_centers_register(d)) < 0 ||
            (r = bus_requests_register(d)) < 0 || (r = bus_support_register(d)) < 0 ||
            (r = sd_bus_add_object_manager(d->bus, NULL, PG_OBJECT_PATH)) < 0 ||
            (r = sd_bus_attach_event(d->bus, d->event, 0)) < 0)
                return r;
        if ((r = requests_start(d)) < 0)
                return r;
        /* The name last: once it is visible, every method works. */
        if ((r = sd_bus_request_name(d->bus, PG_BUS_NAME, 0)) < 0) {
                fprintf(stderr, "passgated: cannot own %s: %s\n", PG_BUS_NAME, strerror(-r));
                return r;
        }
        fprintf(stderr, "passgated: ready (store %s, hash cost %s)\n", state_dir,
                d->config->hash_cost);
        return 0;
}

int daemon_setup(Daemon *d, const char *config_path, const char *state_dir)
{
        *d = (Daemon){};
        int r = setup(d, config_path, state_dir);
        if (r < 0)
                daemon_teardown(d);
        return r;
}

void daemon_teardown(Daemon *d)
{
        /* Hashes first: what they hand on to the writer still gets written or answered. */
        workqueue_free(d->hashers);
        /* NULL: what the senders still finish can no longer be stored (daemon_write). */
        d->writer = workqueue_free(d->writer);
        /* Codes and notices already handed over still go out (or time out) before we stop. */
        workqueue_free(d->senders);
        delivery_free(d->delivery);
        conversations_free_all(d);
        d->bus = sd_bus_flush_close_unref(d->bus);
        sd_event_unref(d->event);
        policy_free(d->policy);
        store_close(d->store);
        erase_and_free(d->dummy_hash);
        pepper_wipe(&d->pepper);
        config_free(d->config);
        *d = (Daemon){};
}
