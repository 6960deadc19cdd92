/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * passgatectl doctor. Each check reports findings (ok, note, problem) with a fix; only problems
 * change the exit status. The daemon is asked public questions only, the store stays its own.
 */
#include "ctl-doctor.h"
#include "ctl-doctor-pam.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <pwd.h>
#include <shadow.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bus-names.h"
#include "config.h"
#include "conv-client.h"
#include "ctl-error.h"
#include "ctl-output.h"
#include "macro.h"
#include "messages.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

/* A hung daemon is a finding, not a reason to wait as long as other verbs do. */
#define DOCTOR_TIMEOUT_USEC (10ULL * 1000000ULL)
/* What daemon/pepper.c reads: crypto_kdf_KEYBYTES. */
#define PEPPER_BYTES 32

typedef enum Level {
        LEVEL_OK,
        LEVEL_NOTE,
        LEVEL_PROBLEM,
} Level;

typedef struct Doctor {
        const char *root; /* "" or a directory without a trailing slash */
        bool json;
        bool json_first;
        bool json_open; /* a JSON object waits for its fix or its end */
        unsigned problems;

        bool have_user;
        uid_t uid;
        gid_t gid;

        char *pepper;
        char *sms;
        char *email;
        bool conf_oom; /* inih stops at the line it could not keep: not a syntax error */

        char **accounts; /* NULL when passgated could not list them */
        size_t n_accounts;
        bool falls_to_unix; /* some auth stack goes on to pam_unix after pam_passgate.so */
} Doctor;

static void report_end(Doctor *d)
{
        if (d->json && d->json_open)
                fputc('}', stdout);
        d->json_open = false;
}

static void report(Doctor *d, Level level, const char *format, ...)
        __attribute__((format(printf, 3, 4)));
static void report(Doctor *d, Level level, const char *format, ...)
{
        static const char *const json_levels[] = { "ok", "note", "problem" };
        const char *const labels[] = { _(MSG_DOC_OK), _(MSG_DOC_NOTE), _(MSG_DOC_PROBLEM) };
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&text, format, ap);
        va_end(ap);
        if (r < 0)
                text = NULL;

        if (level == LEVEL_PROBLEM)
                d->problems++;
        report_end(d);
        if (d->json) {
                printf("%s{\"Status\":\"%s\",\"Text\":", d->json_first ? "" : ",",
                       json_levels[level]);
                json_string(stdout, text ? text : strerror(ENOMEM));
                d->json_first = false;
                d->json_open = true;
                return;
        }
        printf("%-8s ", labels[level]);
        fputs_printable(text ? text : strerror(ENOMEM), stdout);
        fputc('\n', stdout);
}

/* How to fix what the last report() said. */
static void fix(Doctor *d, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void fix(Doctor *d, const char *format, ...)
{
        _cleanup_free_ char *text = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&text, format, ap);
        va_end(ap);
        if (r < 0)
                text = NULL;

        if (d->json) {
                fputs(",\"Fix\":", stdout);
                json_string(stdout, text ? text : strerror(ENOMEM));
                return;
        }
        printf("%-8s %s ", "", _(MSG_DOC_FIX));
        fputs_printable(text ? text : strerror(ENOMEM), stdout);
        fputc('\n', stdout);
}

static char *at_root(const Doctor *d, const char *path)
{
        char *p;
        return asprintf(&p, "%s%s", d->root, path) < 0 ? NULL : p;
}

/* ------------------------------------------------------------------ the daemon */

static int read_policy(sd_bus_message *m, uint32_t *ret_min, uint32_t *ret_max)
{
        const char *key, *contents;
        int r;

        *ret_min = *ret_max = 0;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, NULL, &contents);
                if (r < 0)
                        return r;
                if (streq(contents, "u") && streq(key, "MinLength"))
                        r = sd_bus_message_read(m, "v", "u", ret_min);
                else if (streq(contents, "u") && streq(key, "MaxLength"))
                        r = sd_bus_message_read(m, "v", "u", ret_max);
                else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_accounts(Doctor *d, sd_bus_message *m)
{
        const char *user;
        int r;

        d->accounts = calloc(1, sizeof(char *));
        if (!d->accounts)
                return -ENOMEM;
        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read_basic(m, 's', &user)) > 0) {
                char **l = realloc(d->accounts, (d->n_accounts + 2) * sizeof(char *));
                if (!l)
                        return -ENOMEM;
                d->accounts = l;
                d->accounts[d->n_accounts] = strdup(user);
                if (!d->accounts[d->n_accounts])
                        return -ENOMEM;
                d->accounts[++d->n_accounts] = NULL;
        }
        return r;
}

static const char *bus_error_text(const sd_bus_error *e, int r)
{
        if (e && !isempty(e->message))
                return e->message;
        if (e && e->name)
                return e->name;
        return strerror(-r);
}

static int check_daemon(Doctor *d)
{
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *policy = NULL, *accounts = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        uint32_t min, max;
        int r;

        r = conv_bus_open(DOCTOR_TIMEOUT_USEC, &bus);
        if (r < 0) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_NO_BUS), strerror(-r));
                fix(d, "%s", _(MSG_DOC_FIX_NO_BUS));
                return 0;
        }
        /* Peer.Ping starts passgated by D-Bus activation when it is not running yet. */
        r = conv_call_method(bus, "org.freedesktop.DBus.Peer", "Ping", DOCTOR_TIMEOUT_USEC, &error,
                             NULL, NULL);
        if (r < 0) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_DAEMON_DOWN), bus_error_text(&error, r));
                fix(d, "%s", _(MSG_DOC_FIX_DAEMON));
                return 0;
        }
        /* The daemon takes its name only after it opened the store and migrated its schema. */
        report(d, LEVEL_OK, "%s", _(MSG_DOC_DAEMON_OK));

        r = conv_call_method(bus, PG_IFACE_MANAGER, "GetPasswordPolicy", DOCTOR_TIMEOUT_USEC,
                             &error, &policy, NULL);
        if (r >= 0)
                r = read_policy(policy, &min, &max);
        if (r < 0) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_POLICY_FAILED), bus_error_text(&error, r));
                fix(d, "%s", _(MSG_DOC_FIX_JOURNAL));
        } else
                report(d, LEVEL_OK, _(MSG_DOC_POLICY_OK), min, max);
        sd_bus_error_free(&error);

        /* Listing the accounts reads the store: a live test of it, where the caller may. */
        r = conv_call_method(bus, PG_IFACE_ACCOUNTS, "ListAccounts", DOCTOR_TIMEOUT_USEC, &error,
                             &accounts, NULL);
        if (r >= 0)
                r = read_accounts(d, accounts);
        if (r == -ENOMEM)
                return r;
        if (r >= 0)
                report(d, LEVEL_OK, _(MSG_DOC_STORE_OK), d->n_accounts);
        else if (sd_bus_error_has_names(&error, PG_ERROR_ACCESS_DENIED,
                                        PG_ERROR_PERMISSION_DENIED)) {
                report(d, LEVEL_NOTE, "%s", _(MSG_DOC_STORE_NOT_ASKED));
                fix(d, "%s", _(MSG_DOC_FIX_RUN_AS_ROOT));
        } else {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_STORE_FAILED), bus_error_text(&error, r));
                fix(d, "%s", _(MSG_DOC_FIX_JOURNAL));
        }
        if (r < 0) {
                strv_freep(&d->accounts);
                d->n_accounts = 0;
        }
        return 0;
}

/* ------------------------------------------------------------------ files */

static int check_user(Doctor *d)
{
        _cleanup_free_ char *path = at_root(d, "/etc/passwd");
        _cleanup_fclose_ FILE *f = NULL;
        struct passwd *pw;

        if (!path)
                return -ENOMEM;
        f = fopen(path, "re");
        while (f && (pw = fgetpwent(f)))
                if (streq(pw->pw_name, "passgate")) {
                        d->have_user = true;
                        d->uid = pw->pw_uid;
                        d->gid = pw->pw_gid;
                        return 0;
                }
        report(d, LEVEL_PROBLEM, _(MSG_DOC_NO_USER), path);
        if (isempty(d->root))
                fix(d, "systemd-sysusers");
        else
                fix(d, "systemd-sysusers --root=%s", d->root);
        return 0;
}

static int on_conf_key(void *userdata, const char *section, const char *name, const char *value)
{
        Doctor *d = userdata;
        char **field = NULL;

        if (streq(section, "store") && streq(name, "pepper"))
                field = &d->pepper;
        else if (streq(section, "delivery") && streq(name, "sms"))
                field = &d->sms;
        else if (streq(section, "delivery") && streq(name, "email"))
                field = &d->email;
        if (!field)
                return 1;
        free(*field);
        *field = strdup(value);
        d->conf_oom = !*field;
        return *field ? 1 : 0;
}

static int check_config(Doctor *d)
{
        _cleanup_free_ char *path = at_root(d, SYSCONFDIR "/passgate/passgate.conf");
        _cleanup_fclose_ FILE *f = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f && errno == ENOENT)
                report(d, LEVEL_NOTE, _(MSG_DOC_CONF_MISSING), path);
        else if (!f) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_CANNOT_READ), path, strerror(errno));
                fix(d, "chmod 0644 %s", path);
        } else if ((r = ini_parse_file(f, on_conf_key, d)) != 0) {
                if (r == -2 || d->conf_oom)
                        return -ENOMEM;
                report(d, LEVEL_PROBLEM, _(MSG_DOC_CONF_SYNTAX), path, r);
                fix(d, "%s", _(MSG_DOC_FIX_CONF));
        } else
                report(d, LEVEL_OK, _(MSG_DOC_CONF_OK), path);

        /* The defaults of daemon/conf.c, as the unit runs it. */
        if (!d->pepper && !(d->pepper = strdup(SYSCONFDIR "/passgate/pepper")))
                return -ENOMEM;
        if (!d->sms && !(d->sms = strdup("spool:" LOCALSTATEDIR "/spool/passgate")))
                return -ENOMEM;
        if (!d->email && !(d->email = strdup("spool:" LOCALSTATEDIR "/spool/passgate")))
                return -ENOMEM;
        return 0;
}

static bool owned_by_passgate(const Doctor *d, const struct stat *st)
{
        return d->have_user && st->st_uid == d->uid;
}

static int check_state_files(Doctor *d, const char *dir)
{
        _cleanup_(closedirp) DIR *dp = opendir(dir);
        struct dirent *de;

        if (!dp)
                return 0;
        while ((de = readdir(dp))) {
                _cleanup_free_ char *p = NULL;
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
                        return -ENOMEM;
                if (lstat(p, &st) < 0 || !(st.st_mode & (S_IRWXG | S_IRWXO)))
                        continue;
                report(d, LEVEL_PROBLEM, _(MSG_DOC_STATE_FILE_OPEN), p,
                       (unsigned)(st.st_mode & 07777));
                fix(d, "chmod go= %s", p);
        }
        return 0;
}

static int check_state(Doctor *d, char **ret_dir)
{
        const char *env = getenv("STATE_DIRECTORY");
        _cleanup_free_ char *state = strndup(env ? env : LOCALSTATEDIR "/lib/passgate",
                                             env ? strcspn(env, ":") : SIZE_MAX);
        _cleanup_free_ char *dir = NULL;
        struct stat st;

        if (!state || !(dir = at_root(d, state)))
                return -ENOMEM;
        if (stat(dir, &st) < 0) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_STATE_MISSING), dir, strerror(errno));
                fix(d, "%s", _(MSG_DOC_FIX_STATE_MISSING));
        } else if (!S_ISDIR(st.st_mode)) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_NOT_DIR), dir);
                fix(d, "%s", _(MSG_DOC_FIX_STATE_MISSING));
        } else {
                bool good = true;

                if (st.st_mode & (S_IRWXG | S_IRWXO)) {
                        report(d, LEVEL_PROBLEM, _(MSG_DOC_STATE_OPEN), dir,
                               (unsigned)(st.st_mode & 07777));
                        fix(d, "chmod 0700 %s", dir);
                        good = false;
                }
                if (d->have_user && !owned_by_passgate(d, &st)) {
                        report(d, LEVEL_PROBLEM, _(MSG_DOC_STATE_OWNER), dir, (unsigned)st.st_uid);
                        fix(d, "chown -R passgate:passgate %s", dir);
                        good = false;
                }
                if (good)
                        report(d, LEVEL_OK, _(MSG_DOC_STATE_OK), dir);
                int r = check_state_files(d, dir);
                if (r < 0)
                        return r;
        }
        *ret_dir = TAKE_PTR(dir);
        return 0;
}

static bool store_exists(const char *state_dir)
{
        _cleanup_free_ char *p = NULL;

        return asprintf(&p, "%s/data.mdb", state_dir) >= 0 && access(p, F_OK) == 0;
}

static int check_pepper(Doctor *d, const char *state_dir)
{
        _cleanup_free_ char *path = at_root(d, d->pepper);
        struct stat st;

        if (!path)
                return -ENOMEM;
        /* Not followed: passgated opens it with O_NOFOLLOW. */
        if (lstat(path, &st) < 0) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_PEPPER_MISSING), path, strerror(errno));
                if (store_exists(state_dir))
                        fix(d, _(MSG_DOC_FIX_PEPPER_RESTORE), path);
                else
                        fix(d, "(umask 0277; head -c %d /dev/urandom > %s)", PEPPER_BYTES, path);
                return 0;
        }
        if (!S_ISREG(st.st_mode)) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_PEPPER_NOT_FILE), path);
                fix(d, _(MSG_DOC_FIX_PEPPER_RESTORE), path);
                return 0;
        }
        bool good = true;
        if (st.st_mode & (S_IRWXG | S_IRWXO)) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_PEPPER_OPEN), path,
                       (unsigned)(st.st_mode & 07777));
                fix(d, "chmod 0400 %s", path);
                good = false;
        }
        if (st.st_uid != 0 && !owned_by_passgate(d, &st)) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_PEPPER_OWNER), path, (unsigned)st.st_uid);
                fix(d, "chown root:root %s", path);
                good = false;
        }
        if (st.st_size != PEPPER_BYTES) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_PEPPER_SIZE), path, (long long)st.st_size,
                       PEPPER_BYTES);
                fix(d, _(MSG_DOC_FIX_PEPPER_RESTORE), path);
                good = false;
        }
        if (good)
                report(d, LEVEL_OK, _(MSG_DOC_PEPPER_OK), path);
        return 0;
}

static bool writable_by(const struct stat *st, uid_t uid, gid_t gid)
{
        mode_t need;

        if (st->st_uid == uid)
                need = S_IWUSR | S_IXUSR;
        else if (st->st_gid == gid)
                need = S_IWGRP | S_IXGRP;
        else
                need = S_IWOTH | S_IXOTH;
        return (st->st_mode & need) == need;
}

static int check_spool(Doctor *d, const char *label, const char *dir_on_host)
{
        _cleanup_free_ char *dir = at_root(d, dir_on_host);
        struct stat st;

        if (!dir)
                return -ENOMEM;
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_SPOOL_MISSING), label, dir);
                fix(d, "install -d -m 0700 -o passgate -g passgate %s", dir);
                return 0;
        }
        bool good = true;
        if (d->have_user && !writable_by(&st, d->uid, d->gid)) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_SPOOL_NOT_WRITABLE), label, dir,
                       (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
                fix(d, "chown passgate:passgate %s && chmod 0700 %s", dir, dir);
                good = false;
        }
        if (st.st_mode & S_IRWXO) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_SPOOL_OPEN), label, dir,
                       (unsigned)(st.st_mode & 07777));
                fix(d, "chmod o= %s", dir);
                good = false;
        }
        /* passgated.service may write only there (ProtectSystem=strict, ReadWritePaths=). */
        if (!streq(dir_on_host, LOCALSTATEDIR "/spool/passgate")) {
                report(d, LEVEL_NOTE, _(MSG_DOC_SPOOL_SANDBOX), label, dir_on_host);
                fix(d, _(MSG_DOC_FIX_SPOOL_SANDBOX), dir_on_host);
        }
        if (good)
                report(d, LEVEL_OK, _(MSG_DOC_SPOOL_OK), label, dir);
        return 0;
}

static int check_program(Doctor *d, const char *label, const char *program_on_host)
{
        _cleanup_free_ char *path = at_root(d, program_on_host);
        struct stat st;

        if (!path)
                return -ENOMEM;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_PROGRAM_MISSING), label, path);
                fix(d, "%s", _(MSG_DOC_FIX_PROGRAM));
                return 0;
        }
        bool good = true;
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_PROGRAM_WRITABLE), label, path,
                       (unsigned)(st.st_mode & 07777));
                fix(d, "chmod go-w %s", path);
                good = false;
        }
        /* NoNewPrivileges=yes in passgated.service: the set-ID bits would not apply. */
        if (st.st_mode & (S_ISUID | S_ISGID)) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_PROGRAM_SETID), label, path);
                fix(d, "%s", _(MSG_DOC_FIX_PROGRAM_SETID));
                good = false;
        }
        if (good)
                report(d, LEVEL_OK, _(MSG_DOC_PROGRAM_OK), label, path);
        return 0;
}

/* The backends of daemon/conf.c: spool:/DIR, sendmail, sendmail:/PATH, command:/PATH. */
static int check_delivery(Doctor *d, const char *label, const char *value)
{
        if (strncmp(value, "spool:/", 7) == 0)
                return check_spool(d, label, value + 6);
        if (streq(value, "sendmail"))
                return check_program(d, label, "/usr/sbin/sendmail");
        if (strncmp(value, "sendmail:/", 10) == 0)
                return check_program(d, label, value + 9);
        if (strncmp(value, "command:/", 9) == 0)
                return check_program(d, label, value + 8);
        report(d, LEVEL_PROBLEM, _(MSG_DOC_DELIVERY_BAD), label, value);
        fix(d, "%s", _(MSG_DOC_FIX_CONF));
        return 0;
}

static int check_install(Doctor *d)
{
        _cleanup_free_ char *policy = at_root(d, DBUSPOLICYDIR "/org.passgate1.conf");

        if (!policy)
                return -ENOMEM;
        if (access(policy, F_OK) < 0) {
                report(d, LEVEL_PROBLEM, _(MSG_DOC_NO_BUS_POLICY), policy);
                fix(d, "%s", _(MSG_DOC_FIX_INSTALL));
        }
        return 0;
}

static int check_pam(Doctor *d)
{
        _cleanup_(pam_report_clear) PamReport pam = {};
        _cleanup_free_ char *dir = at_root(d, "/etc/pam.d");
        int r;

        if (!dir)
                return -ENOMEM;
        r = pam_report_load(d->root, &pam);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                report(d, LEVEL_NOTE, _(MSG_DOC_CANNOT_READ), dir, strerror(-r));
                return 0;
        }
        for (size_t i = 0; i < pam.n_uses; i++)
                report(d, LEVEL_OK, _(MSG_DOC_PAM_USES), pam.uses[i].service, pam.uses[i].types);
        if (pam.n_uses == 0) {
                report(d, LEVEL_NOTE, _(MSG_DOC_PAM_UNUSED), dir);
                fix(d, "%s", _(MSG_DOC_FIX_PAM_UNUSED));
        }
        for (size_t i = 0; i < pam.n_findings; i++) {
                const PamFinding *f = &pam.findings[i];
                _cleanup_free_ char *text = NULL;

                if (asprintf(&text, _(f->message), f->detail) < 0)
                        return -ENOMEM;
                report(d, f->note ? LEVEL_NOTE : LEVEL_PROBLEM, _(MSG_DOC_PAM_WHERE), f->where,
                       f->services, text);
                if (f->controls)
                        fix(d, _(MSG_DOC_FIX_PAM_CONTROLS), f->controls);
                else if (f->fix)
                        fix(d, "%s", _(f->fix));
        }
        d->falls_to_unix = pam.falls_to_unix;
        return 0;
}

/* Where a stack falls through to pam_unix, a usable unix password would get past passgate. */
static int check_unix_passwords(Doctor *d)
{
        _cleanup_free_ char *path = at_root(d, "/etc/shadow");
        _cleanup_fclose_ FILE *f = NULL;
        struct spwd *sp;

        if (!path)
                return -ENOMEM;
        if (!d->accounts || d->n_accounts == 0 || !d->falls_to_unix)
                return 0;
        f = fopen(path, "re");
        if (!f) {
                report(d, LEVEL_NOTE, _(MSG_DOC_CANNOT_READ), path, strerror(errno));
                fix(d, "%s", _(MSG_DOC_FIX_RUN_AS_ROOT));
                return 0;
        }
        while ((sp = fgetspent(f))) {
                bool account = false;
                for (size_t i = 0; i < d->n_accounts && !account; i++)
                        account = streq(d->accounts[i], sp->sp_namp);
                if (!account || (sp->sp_pwdp && (sp->sp_pwdp[0] == '!' || sp->sp_pwdp[0] == '*')))
                        continue;
                report(d, LEVEL_PROBLEM, _(MSG_DOC_UNIX_PASSWORD), sp->sp_namp);
                if (isempty(d->root))
                        fix(d, "usermod -L %s", sp->sp_namp);
                else
                        fix(d, "usermod -R %s -L %s", d->root, sp->sp_namp);
        }
        return 0;
}

static void doctor_clear(Doctor *d)
{
        free(d->pepper);
        free(d->sms);
        free(d->email);
        strv_freep(&d->accounts);
}

int verb_doctor(const char *root, const CtlArgs *args)
{
        _cleanup_(doctor_clear) Doctor d = { .json = args->json, .json_first = true };
        _cleanup_free_ char *state_dir = NULL, *root_copy = NULL;
        struct stat st;
        int r;

        if (!isempty(root)) {
                if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
                        return ctl_error(-EINVAL, _(MSG_DOC_BAD_ROOT), root);
                root_copy = strdup(root);
                if (!root_copy)
                        return -ENOMEM;
                /* "/" and "/x/" are "" and "/x": paths are appended as they are. */
                for (size_t n = strlen(root_copy); n > 0 && root_copy[n - 1] == '/'; n--)
                        root_copy[n - 1] = '\0';
        }
        d.root = root_copy ? root_copy : "";

        if (d.json)
                fputc('[', stdout);
        if ((r = check_daemon(&d)) < 0 || (r = check_install(&d)) < 0 || (r = check_user(&d)) < 0 ||
            (r = check_config(&d)) < 0 || (r = check_state(&d, &state_dir)) < 0 ||
            (r = check_pepper(&d, state_dir)) < 0 ||
            (r = check_delivery(&d, "[delivery] sms", d.sms)) < 0)
                return r;
        if (!streq(d.sms, d.email) && (r = check_delivery(&d, "[delivery] email", d.email)) < 0)
                return r;
        if ((r = check_pam(&d)) < 0 || (r = check_unix_passwords(&d)) < 0)
                return r;
        report_end(&d);

        if (d.json)
                fputs("]\n", stdout);
        else if (d.problems == 0)
                printf("%s\n", _(MSG_DOC_NO_PROBLEMS));
        else
                printf(_(MSG_DOC_PROBLEMS), d.problems);
        return d.problems == 0 ? 0 : -EUCLEAN;
}
