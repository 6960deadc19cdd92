/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target of the configuration parser (daemon/conf.h): the input is passgate.conf, read
 * by config_load() through a memfd's /proc/self/fd path, so no file is written. A configuration
 * that loads must hold only what the bounds allow, whatever the text was.
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "document.h"
#include "fuzz.h"
#include "identifier.h"
#include "macro.h"

static int conf_fd = -1;
static char conf_path[64];
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        /* The pepper path's default must not depend on who runs the fuzzer. */
        unsetenv("CREDENTIALS_DIRECTORY");
        conf_fd = memfd_create("passgate.conf", MFD_CLOEXEC);
        FUZZ_CHECK(conf_fd >= 0);
        snprintf(conf_path, sizeof conf_path, "/proc/self/fd/%d", conf_fd);
        /* Messages about bad lines are expected by the thousand: not worth a terminal. */
        devnull = fopen("/dev/null", "we");
        FUZZ_CHECK(devnull);
        return 0;
}

static void check_config(const Config *c)
{
        const PhoneRules rules = { c->country_code, c->trunk_prefix };

        FUZZ_CHECK(c->pepper_path && c->pepper_path[0] == '/');
        FUZZ_CHECK(!c->blocklist_path || c->blocklist_path[0] == '/');
        FUZZ_CHECK(c->hash_cost && c->opslimit > 0 && c->memlimit > 0);
        FUZZ_CHECK(c->min_length >= 15 && c->min_length <= c->max_length && c->max_length <= 1024);
        FUZZ_CHECK(c->lockout_base_usec > 0 && c->lockout_max_usec > 0);
        /* The daemon hands these straight to phone_normalize(). */
        FUZZ_CHECK(phone_rules_valid(&rules));
        FUZZ_CHECK(c->delivery_sms && c->delivery_email);
        FUZZ_CHECK(c->recovery_documents != 0 && c->recovery_documents < 1u << _DOC_MAX);
        FUZZ_CHECK(c->code_tries >= 1 && c->codes_per_hour >= 1 && c->attempts_per_hour >= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        Config *c = NULL;
        int r;

        FUZZ_CHECK(ftruncate(conf_fd, 0) == 0);
        FUZZ_CHECK(pwrite(conf_fd, data, size, 0) == (ssize_t)size);

        r = config_load(conf_path, &c, devnull);
        FUZZ_CHECK(r == 0 || r == -EINVAL);
        FUZZ_CHECK((r == 0) == (c != NULL));
        if (c)
                check_config(c);
        config_free(c);
        return 0;
}
