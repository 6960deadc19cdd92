/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "ctl-args.h"
#include "ctl-audit.h"
#include "ctl-centers.h"
#include "ctl-doctor.h"
#include "ctl-error.h"
#include "ctl-number.h"
#include "ctl-passwd.h"
#include "ctl-policy.h"
#include "ctl-recover.h"
#include "ctl-request.h"
#include "ctl-status.h"
#include "ctl-support.h"
#include "ctl-user.h"
#include "macro.h"
#include "messages.h"

#define ARGS_ANY (-1)

typedef struct Verb Verb;
struct Verb {
        const char *name;
        int min_args; /* the verb itself included */
        int max_args; /* or ARGS_ANY */
        unsigned options;
        int (*run)(int argc, char **argv, const CtlArgs *args);
        const Verb *sub; /* a group of verbs ("user …"); run, if any, is the group's name alone */
};

static const Verb user_verbs[] = {
        { "add", 2, 2, OPT_ACCOUNT_PROPS, verb_user_add, NULL },
        { "update", 2, 2, OPT_ACCOUNT_PROPS, verb_user_update, NULL },
        { "show", 2, 2, 0, verb_user_show, NULL },
        { "list", 1, 1, 0, verb_user_list, NULL },
        { "passwd", 1, 2, OPT_MUST_CHANGE | OPT_PASSWORD_STDIN | OPT_GENERATE, verb_user_passwd,
          NULL },
        { "expire", 2, 2, 0, verb_user_expire, NULL },
        { "temporary", 2, 2, 0, verb_user_temporary, NULL },
        { "lock", 2, 2, OPT_REASON, verb_user_lock, NULL },
        { "unlock", 2, 2, 0, verb_user_unlock, NULL },
        { "delete", 2, 2, 0, verb_user_delete, NULL },
        {},
};

static const Verb support_verbs[] = {
        { "verify", 2, 2, OPT_FULL_NAME | OPT_PASSPORT | OPT_SNILS | OPT_INN, verb_support_verify,
          NULL },
        { "send-code", 2, 2, 0, verb_support_send_code, NULL },
        {},
};

static const Verb center_verbs[] = {
        { "add", 2, 2, OPT_NAME | OPT_ADDRESS | OPT_HOURS | OPT_PHONE, verb_center_add, NULL },
        { "remove", 2, 2, 0, verb_center_remove, NULL },
        { "schedule", 2, ARGS_ANY, 0, verb_center_schedule, NULL },
        {},
};

static const Verb request_verbs[] = {
        { "file", 3, 3, OPT_PASSPORT | OPT_SNILS | OPT_CONTACT, verb_request_file, NULL },
        { "list", 1, 1, 0, verb_request_list, NULL },
        { "cancel", 2, 2, 0, verb_request_cancel, NULL },
        {},
};

/* doctor's --root: CtlArgs, which every verb shares, has no place for it. */
static const char *arg_root;

static int run_doctor(int argc, char **argv, const CtlArgs *args)
{
        return verb_doctor(arg_root, args);
}

static const Verb verbs[] = {
        { "status", 1, 2, 0, verb_status, NULL },
        { "user", 2, ARGS_ANY, 0, NULL, user_verbs },
        { "recover", 1, 2, OPT_GENERATE, verb_recover, NULL },
        { "support", 1, ARGS_ANY, 0, verb_support, support_verbs },
        { "centers", 1, 1, 0, verb_centers, NULL },
        { "slots", 2, 2, OPT_FROM | OPT_TO, verb_slots, NULL },
        { "book", 3, 4, OPT_FULL_NAME | OPT_CONTACT, verb_book, NULL },
        { "cancel", 2, 2, 0, verb_cancel, NULL },
        { "center", 2, ARGS_ANY, 0, NULL, center_verbs },
        { "request", 2, ARGS_ANY, 0, NULL, request_verbs },
        { "audit", 1, 1, OPT_SINCE | OPT_SINCE_USEC | OPT_MAX, verb_audit, NULL },
        { "policy", 1, 1, 0, verb_policy, NULL },
        { "generate", 1, 1, 0, verb_generate, NULL },
        { "doctor", 1, 1, 0, run_doctor, NULL },
        {},
};

/* For messages about an option given to a verb that does not take it. */
static const struct {
        CtlOption option;
        const char *name;
} option_names[] = {
        { OPT_FULL_NAME, "--full-name" },
        { OPT_PHONE, "--phone" },
        { OPT_EMAIL, "--email" },
        { OPT_PASSPORT, "--passport" },
        { OPT_SNILS, "--snils" },
        { OPT_INN, "--inn" },
        { OPT_MUST_CHANGE, "--must-change" },
        { OPT_PASSWORD_STDIN, "--password-stdin" },
        { OPT_GENERATE, "--generate" },
        { OPT_REASON, "--reason" },
        { OPT_SINCE, "--since" },
        { OPT_SINCE_USEC, "--since-usec" },
        { OPT_MAX, "--max" },
        { OPT_NAME, "--name" },
        { OPT_ADDRESS, "--address" },
        { OPT_HOURS, "--hours" },
        { OPT_CONTACT, "--contact" },
        { OPT_FROM, "--from" },
        { OPT_TO, "--to" },
};

static int usage_error(const char *format, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *format, ...)
{
        va_list ap;

        fputs("passgatectl: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fprintf(stderr, "\n%s\n", _(MSG_CTL_TRY_HELP));
        return -EINVAL;
}

/* group: the words before argv[0] ("user "), so messages name the whole command. */
static int dispatch(const Verb *table, const char *group, int argc, char **argv,
                    const CtlArgs *args)
{
        const Verb *v = table;
        char name[64];

        if (argc < 1)
                return usage_error("%s", _(MSG_CTL_NO_VERB));
        while (v->name && !streq(v->name, argv[0]))
                v++;
        if (!v->name)
                return usage_error(_(MSG_CTL_UNKNOWN_VERB), argv[0]);
        snprintf(name, sizeof(name), "%s%s", group, v->name);
        if (argc < v->min_args)
                return usage_error(_(MSG_CTL_TOO_FEW_ARGS), name);
        if (v->max_args != ARGS_ANY && argc > v->max_args)
                return usage_error(_(MSG_CTL_TOO_MANY_ARGS), name);
        if (v->sub && (argc > 1 || !v->run)) {
                strcat(name, " ");
                return dispatch(v->sub, name, argc - 1, argv + 1, args);
        }
        for (size_t i = 0; i < ELEMENTSOF(option_names); i++)
                if (args->given & ~v->options & option_names[i].option)
                        return usage_error(_(MSG_CTL_OPTION_NOT_FOR_VERB), option_names[i].name,
                                           name);
        return v->run(argc, argv, args);
}

static int parse_number(const char *option, const char *s, uint64_t limit, uint64_t *ret)
{
        if (ctl_parse_u64(s, ret) < 0 || *ret > limit)
                return usage_error(_(MSG_CTL_BAD_NUMBER), option, s);
        return 0;
}

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Keeps a copy of a document number and blanks the original, which ps would show. */
static int take_secret(char *optarg_value, char **slot)
{
        char *copy = strdup(optarg_value);

        if (!copy)
                return -ENOMEM;
        sodium_memzero(optarg_value, strlen(optarg_value));
        erase_and_free(*slot);
        *slot = copy;
        return 0;
}

static void ctl_args_clear(CtlArgs *a)
{
        erase_and_free(a->passport);
        erase_and_free(a->snils);
        erase_and_free(a->inn);
}

enum {
        ARG_VERSION = 0x100,
        ARG_JSON,
        ARG_FULL_NAME,
        ARG_PHONE,
        ARG_EMAIL,
        ARG_PASSPORT,
        ARG_SNILS,
        ARG_INN,
        ARG_MUST_CHANGE,
        ARG_PASSWORD_STDIN,
        ARG_GENERATE,
        ARG_REASON,
        ARG_SINCE,
        ARG_SINCE_USEC,
        ARG_MAX,
        ARG_ROOT,
        ARG_NAME,
        ARG_ADDRESS,
        ARG_HOURS,
        ARG_CONTACT,
        ARG_FROM,
        ARG_TO,
};

static const struct option options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, ARG_VERSION },
        { "json", no_argument, NULL, ARG_JSON },
        { "full-name", required_argument, NULL, ARG_FULL_NAME },
        { "phone", required_argument, NULL, ARG_PHONE },
        { "email", required_argument, NULL, ARG_EMAIL },
        { "passport", required_argument, NULL, ARG_PASSPORT },
        { "snils", required_argument, NULL, ARG_SNILS },
        { "inn", required_argument, NULL, ARG_INN },
        { "must-change", no_argument, NULL, ARG_MUST_CHANGE },
        { "password-stdin", no_argument, NULL, ARG_PASSWORD_STDIN },
        { "generate", no_argument, NULL, ARG_GENERATE },
        { "reason", required_argument, NULL, ARG_REASON },
        { "since", required_argument, NULL, ARG_SINCE },
        { "since-usec", required_argument, NULL, ARG_SINCE_USEC },
        { "max", required_argument, NULL, ARG_MAX },
        { "root", required_argument, NULL, ARG_ROOT },
        { "name", required_argument, NULL, ARG_NAME },
        { "address", required_argument, NULL, ARG_ADDRESS },
        { "hours", required_argument, NULL, ARG_HOURS },
        { "contact", required_argument, NULL, ARG_CONTACT },
        { "from", required_argument, NULL, ARG_FROM },
        { "to", required_argument, NULL, ARG_TO },
        {},
};

/* 1: run a verb; 0: done (--help, --version); negative errno: failed. */
static int parse_argv(int argc, char **argv, CtlArgs *a)
{
        uint64_t n;
        int c, r;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                r = 0;
                switch (c) {
                case 'h':
                        fputs(_(MSG_CTL_HELP), stdout);
                        return 0;
                case ARG_VERSION:
                        printf("passgatectl %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_JSON:
                        a->json = true;
                        break;
                case ARG_FULL_NAME:
                        a->full_name = optarg;
                        a->given |= OPT_FULL_NAME;
                        break;
                case ARG_PHONE:
                        a->phone = optarg;
                        a->given |= OPT_PHONE;
                        break;
                case ARG_EMAIL:
                        a->email = optarg;
                        a->given |= OPT_EMAIL;
                        break;
                case ARG_PASSPORT:
                        r = take_secret(optarg, &a->passport);
                        a->given |= OPT_PASSPORT;
                        break;
                case ARG_SNILS:
                        r = take_secret(optarg, &a->snils);
                        a->given |= OPT_SNILS;
                        break;
                case ARG_INN:
                        r = take_secret(optarg, &a->inn);
                        a->given |= OPT_INN;
                        break;
                case ARG_MUST_CHANGE:
                        a->given |= OPT_MUST_CHANGE;
                        break;
                case ARG_PASSWORD_STDIN:
                        a->given |= OPT_PASSWORD_STDIN;
                        break;
                case ARG_GENERATE:
                        a->given |= OPT_GENERATE;
                        break;
                case ARG_REASON:
                        a->reason = optarg;
                        a->given |= OPT_REASON;
                        break;
                case ARG_SINCE:
                        r = parse_number("--since", optarg, UINT64_MAX / 1000000, &n);
                        if (r >= 0) {
                                uint64_t now = now_usec();
                                /* Further back than the epoch is everything. */
                                a->since_usec = n * 1000000 < now ? now - n * 1000000 : 0;
                        }
                        a->given |= OPT_SINCE;
                        break;
                case ARG_SINCE_USEC:
                        r = parse_number("--since-usec", optarg, UINT64_MAX, &a->since_usec);
                        a->given |= OPT_SINCE_USEC;
                        break;
                case ARG_MAX:
                        r = parse_number("--max", optarg, UINT32_MAX, &n);
                        a->max = (uint32_t)n;
                        a->given |= OPT_MAX;
                        break;
                case ARG_ROOT:
                        arg_root = optarg;
                        break;
                case ARG_NAME:
                        a->name = optarg;
                        a->given |= OPT_NAME;
                        break;
                case ARG_ADDRESS:
                        a->address = optarg;
                        a->given |= OPT_ADDRESS;
                        break;
                case ARG_HOURS:
                        a->hours = optarg;
                        a->given |= OPT_HOURS;
                        break;
                case ARG_CONTACT:
                        a->contact = optarg;
                        a->given |= OPT_CONTACT;
                        break;
                case ARG_FROM:
                        a->from = optarg;
                        a->given |= OPT_FROM;
                        break;
                case ARG_TO:
                        a->to = optarg;
                        a->given |= OPT_TO;
                        break;
                case ':':
                        return usage_error(_(MSG_CTL_OPTION_NEEDS_ARG), argv[optind - 1]);
                default:
                        return usage_error(_(MSG_CTL_UNKNOWN_OPTION), argv[optind - 1]);
                }
                if (r < 0)
                        return r;
        }

        if ((a->given & OPT_SINCE) && (a->given & OPT_SINCE_USEC))
                return usage_error("%s", _(MSG_CTL_SINCE_TWICE));
        if (arg_root && optind < argc && !streq(argv[optind], "doctor"))
                return usage_error(_(MSG_CTL_OPTION_NOT_FOR_VERB), "--root", argv[optind]);
        return 1;
}

int main(int argc, char **argv)
{
        _cleanup_(ctl_args_clear) CtlArgs args = { 0 };
        int r;

        setlocale(LC_ALL, "");
        bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);

        r = parse_argv(argc, argv, &args);
        if (r <= 0)
                return ctl_exit_status(r);

        r = ctl_error_map_register();
        if (r < 0)
                return ctl_exit_status(ctl_error(r, "%s", strerror(-r)));

        r = dispatch(verbs, "", argc - optind, argv + optind, &args);

        /* Output that did not reach its file is a failure, even after the daemon said yes. */
        if (fflush(stdout) != 0 || ferror(stdout)) {
                int e = errno > 0 ? errno : EIO;
                ctl_error(-e, _(MSG_CTL_WRITE_FAILED), strerror(e));
                if (r >= 0)
                        r = -EIO;
        }
        return ctl_exit_status(r);
}
