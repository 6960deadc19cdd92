/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "conf.h"
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "document.h"
#include "macro.h"

#define USEC_PER_SEC 1000000ULL

typedef struct Parse {
        Config *c;
        const char *path;
        FILE *file;
        FILE *err;
        unsigned line;
        int r;
} Parse;

typedef int (*setter_t)(Config *c, const char *value);

static int parse_uint(const char *v, unsigned long long min, unsigned long long max,
                      unsigned long long *ret)
{
        char *end;

        if (!isdigit((unsigned char)*v))
                return -EINVAL;
        errno = 0;
        unsigned long long u = strtoull(v, &end, 10);
        if (errno || *end || u < min || u > max)
                return -ERANGE;
        *ret = u;
        return 0;
}

static int set_string(char **field, const char *v)
{
        char *s = strdup(v);
        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

#define UINT_SETTER(name, field, min, max, scale)                                                  \
        static int name(Config *c, const char *v)                                                  \
        {                                                                                          \
                unsigned long long u;                                                              \
                int r = parse_uint(v, min, max, &u);                                               \
                if (r < 0)                                                                         \
                        return r;                                                                  \
                c->field = u * (scale);                                                            \
                return 0;                                                                          \
        }

UINT_SETTER(set_min_length, min_length, 15, 64, 1)
UINT_SETTER(set_max_length, max_length, 64, 1024, 1)
UINT_SETTER(set_history, history, 0, 24, 1)
UINT_SETTER(set_lockout_after, lockout_after, 3, 20, 1)
UINT_SETTER(set_disable_after, disable_after, 20, 1000, 1)
UINT_SETTER(set_lockout_base, lockout_base_usec, 1, 600, USEC_PER_SEC)
UINT_SETTER(set_lockout_max, lockout_max_usec, 60, 3600, USEC_PER_SEC)
UINT_SETTER(set_country_code, country_code, 1, 999, 1)
UINT_SETTER(set_idle_timeout, conversation_idle_usec, 60, 3600, USEC_PER_SEC)
UINT_SETTER(set_hash_workers, hash_workers, 0, 64, 1)
UINT_SETTER(set_delivery_timeout, delivery_timeout_usec, 1, 120, USEC_PER_SEC)
UINT_SETTER(set_code_lifetime, code_lifetime_usec, 60, 30 * 60, USEC_PER_SEC)
UINT_SETTER(set_code_resend, code_resend_usec, 30, 600, USEC_PER_SEC)
UINT_SETTER(set_code_tries, code_tries, 1, 5, 1)
UINT_SETTER(set_codes_per_hour, codes_per_hour, 1, 10, 1)
UINT_SETTER(set_attempts_per_hour, attempts_per_hour, 1, 20, 1)
UINT_SETTER(set_caller_attempts, caller_attempts_per_hour, 1, 1000, 1)
UINT_SETTER(set_messages_per_hour, messages_per_hour, 1, 100000, 1)
UINT_SETTER(set_max_bookings, max_bookings, 1, 20, 1)
UINT_SETTER(set_bookings_per_hour, bookings_per_hour, 1, 1000, 1)
UINT_SETTER(set_request_hold, request_hold_usec, 60, 24 * 3600, USEC_PER_SEC)
UINT_SETTER(set_verify_per_hour, verify_per_hour, 1, 1000, 1)
UINT_SETTER(set_verify_account_per_hour, verify_account_per_hour, 1, 100, 1)
UINT_SETTER(set_temporary_lifetime, temporary_lifetime_usec, 3600, 7 * 24 * 3600, USEC_PER_SEC)

static int parse_bool(const char *v, bool *ret)
{
        if (streq(v, "yes") || streq(v, "true") || streq(v, "1"))
                *ret = true;
        else if (streq(v, "no") || streq(v, "false") || streq(v, "0"))
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

/* Shown to anyone who asks: printable text of a sane length. */
static int set_contact_text(char **field, const char *v)
{
        if (strlen(v) > 256)
                return -EINVAL;
        for (const char *p = v; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        return -EINVAL;
        return set_string(field, v);
}

static int set_hotline(Config *c, const char *v)
{
        return set_contact_text(&c->support_hotline, v);
}

static int set_abroad(Config *c, const char *v)
{
        return set_contact_text(&c->support_abroad, v);
}

static int set_chat(Config *c, const char *v)
{
        return set_contact_text(&c->support_chat, v);
}

static int set_login_after(Config *c, const char *v)
{
        return parse_bool(v, &c->login_after_recovery);
}

static int set_terminate_sessions(Config *c, const char *v)
{
        return parse_bool(v, &c->terminate_sessions_on_recovery);
}

/* A comma-separated list of document types, at least one. */
static int set_recovery_documents(Config *c, const char *v)
{
        _cleanup_free_ char *copy = strdup(v);
        unsigned set = 0;
        char *save = NULL;
        DocType t;

        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
                if (doc_type_from_string(w, &t) < 0)
                        return -EINVAL;
                set |= 1u << t;
        }
        if (!set)
                return -EINVAL;
        c->recovery_documents = set;
        return 0;
}

static int set_abs_path(char **field, const char *v)
{
        if (v[0] != '/')
                return -EINVAL;
        return set_string(field, v);
}

static int set_pepper(Config *c, const char *v)
{
        return set_abs_path(&c->pepper_path, v);
}

static int set_blocklist(Config *c, const char *v)
{
        return set_abs_path(&c->blocklist_path, v);
}

static int set_hash_cost(Config *c, const char *v)
{
        static const struct {
                const char *name;
                unsigned long long ops;
                size_t mem;
        } costs[] = {
                { "min", crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN },
                { "interactive", crypto_pwhash_OPSLIMIT_INTERACTIVE,
                  crypto_pwhash_MEMLIMIT_INTERACTIVE },
                { "moderate", crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE },
                { "sensitive", crypto_pwhash_OPSLIMIT_SENSITIVE, crypto_pwhash_MEMLIMIT_SENSITIVE },
        };
        for (size_t i = 0; i < ELEMENTSOF(costs); i++)
                if (streq(v, costs[i].name)) {
                        c->opslimit = costs[i].ops;
                        c->memlimit = costs[i].mem;
                        return set_string(&c->hash_cost, v);
                }
        return -EINVAL;
}

static int set_trunk_prefix(Config *c, const char *v)
{
        if (strlen(v) > 3 || strspn(v, "0123456789") != strlen(v))
                return -EINVAL;
        return set_string(&c->trunk_prefix, v);
}

/* spool:/DIR, sendmail, sendmail:/PATH or command:/PATH. */
static int check_delivery(const char *v)
{
        if (streq(v, "sendmail"))
                return 0;
        const char *colon = strchr(v, ':');
        if (!colon || colon[1] != '/')
                return -EINVAL;
        size_t n = (size_t)(colon - v);
        if ((n == 5 && !strncmp(v, "spool", 5)) || (n == 8 && !strncmp(v, "sendmail", 8)) ||
            (n == 7 && !strncmp(v, "command", 7)))
                return 0;
        return -EINVAL;
}

static int set_sms(Config *c, const char *v)
{
        return check_delivery(v) < 0 ? -EINVAL : set_string(&c->delivery_sms, v);
}

static int set_email(Config *c, const char *v)
{
        return check_delivery(v) < 0 ? -EINVAL : set_string(&c->delivery_email, v);
}

static const struct {
        const char *section;
        const char *key;
        setter_t set;
        const char *expect;
} keys[] = {
        { "store", "pepper", set_pepper, "an absolute path" },
        { "password", "hash_cost", set_hash_cost, "min, interactive, moderate or sensitive" },
        { "password", "min_length", set_min_length, "a number from 15 to 64" },
        { "password", "max_length", set_max_length, "a number from 64 to 1024" },
        { "password", "history", set_history, "a number from 0 to 24" },
        { "password", "blocklist", set_blocklist, "an absolute path" },
        { "lockout", "delay_after", set_lockout_after, "a number from 3 to 20" },
        { "lockout", "disable_after", set_disable_after, "a number from 20 to 1000" },
        { "lockout", "first_delay", set_lockout_base, "seconds, from 1 to 600" },
        { "lockout", "max_delay", set_lockout_max, "seconds, from 60 to 3600" },
        { "phone", "country_code", set_country_code, "a number from 1 to 999" },
        { "phone", "trunk_prefix", set_trunk_prefix, "up to 3 digits, or empty" },
        { "delivery", "sms", set_sms, "spool:/DIR, sendmail[:/PATH] or command:/PATH" },
        { "delivery", "email", set_email, "spool:/DIR, sendmail[:/PATH] or command:/PATH" },
        { "delivery", "timeout", set_delivery_timeout, "seconds, from 1 to 120" },
        { "delivery", "messages_per_hour", set_messages_per_hour, "a number from 1 to 100000" },
        { "recovery", "documents", set_recovery_documents,
          "a list of passport, snils and inn, separated by commas" },
        { "recovery", "code_lifetime", set_code_lifetime, "seconds, from 60 to 1800" },
        { "recovery", "code_resend", set_code_resend, "seconds, from 30 to 600" },
        { "recovery", "code_tries", set_code_tries, "a number from 1 to 5" },
        { "recovery", "codes_per_hour", set_codes_per_hour, "a number from 1 to 10" },
        { "recovery", "attempts_per_hour", set_attempts_per_hour, "a number from 1 to 20" },
        { "recovery", "caller_attempts_per_hour", set_caller_attempts, "a number from 1 to 1000" },
        { "recovery", "login_after_recovery", set_login_after, "yes or no" },
        { "recovery", "terminate_sessions_on_recovery", set_terminate_sessions, "yes or no" },
        { "recovery", "temporary_password_lifetime", set_temporary_lifetime,
          "seconds, from 3600 to 604800" },
        { "centers", "max_bookings", set_max_bookings, "a number from 1 to 20" },
        { "centers", "bookings_per_hour", set_bookings_per_hour, "a number from 1 to 1000" },
        { "centers", "request_hold", set_request_hold, "seconds, from 60 to 86400" },
        { "support", "hotline", set_hotline, "text of at most 256 bytes" },
        { "support", "abroad", set_abroad, "text of at most 256 bytes" },
        { "support", "chat", set_chat, "text of at most 256 bytes" },
        { "support", "verify_per_hour", set_verify_per_hour, "a number from 1 to 1000" },
        { "support", "verify_account_per_hour", set_verify_account_per_hour,
          "a number from 1 to 100" },
        { "conversation", "idle_timeout", set_idle_timeout, "seconds, from 60 to 3600" },
        { "daemon", "hash_workers", set_hash_workers, "a number from 0 (one per core) to 64" },
};

static int handler(void *userdata, const char *section, const char *name, const char *value)
{
        Parse *p = userdata;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                if (!streq(section, keys[i].section) || !streq(name, keys[i].key))
                        continue;
                int r = keys[i].set(p->c, value);
                if (r == -ENOMEM) {
                        p->r = r;
                        return 0;
                }
                if (r < 0) {
                        fprintf(p->err, "%s:%u: [%s] %s: bad value, expected %s\n", p->path,
                                p->line, section, name, keys[i].expect);
                        p->r = -EINVAL;
                        return 0;
                }
                return 1;
        }
        fprintf(p->err, "%s:%u: warning: unknown key [%s] %s, ignored\n", p->path, p->line, section,
                name);
        return 1;
}

/* inih gives no line numbers to the handler, so the reader counts them. A line longer than
 * inih's buffer would be split in two: it is refused instead, at its own line. */
static char *reader(char *str, int num, void *stream)
{
        Parse *p = stream;
        /* What fgets() read, NUL bytes included: the file is a regular one, so ftell() works. */
        long before = ftell(p->file);
        char *s = fgets(str, num, p->file);
        if (!s)
                return NULL;
        size_t got = before < 0 ? strlen(s) : (size_t)(ftell(p->file) - before);
        p->line++;
        bool ended = got > 0 && s[got - 1] == '\n';
        const char *why = memchr(s, 0, got)          ? "contains a NUL byte"
                          : !ended && !feof(p->file) ? "too long"
                                                     : NULL;
        if (why) {
                fprintf(p->err, "%s:%u: line %s\n", p->path, p->line, why);
                p->r = -EINVAL;
                int ch;
                while (!ended && (ch = fgetc(p->file)) != EOF && ch != '\n')
                        ;
                /* Go on as if the line were empty, so later errors are reported too. */
                str[0] = '\n';
                str[1] = 0;
        }
        return s;
}

static int config_defaults(Config *c)
{
        c->min_length = 15;
        c->max_length = 256;
        c->history = 5;
        c->lockout_after = 5;
        c->disable_after = 100;
        c->lockout_base_usec = 60 * USEC_PER_SEC;
        c->lockout_max_usec = 15 * 60 * USEC_PER_SEC;
        c->country_code = 7;
        c->conversation_idle_usec = 15 * 60 * USEC_PER_SEC;
        c->delivery_timeout_usec = 30 * USEC_PER_SEC;
        c->messages_per_hour = 1000;
        c->recovery_documents = 1u << DOC_PASSPORT | 1u << DOC_SNILS | 1u << DOC_INN;
        c->code_lifetime_usec = 10 * 60 * USEC_PER_SEC;
        c->code_resend_usec = 60 * USEC_PER_SEC;
        c->code_tries = 3;
        c->codes_per_hour = 5;
        c->attempts_per_hour = 10;
        c->caller_attempts_per_hour = 30;
        c->temporary_lifetime_usec = 24 * 3600 * USEC_PER_SEC;
        c->max_bookings = 3;
        c->bookings_per_hour = 20;
        c->request_hold_usec = 3600 * USEC_PER_SEC;
        c->verify_per_hour = 60;
        c->verify_account_per_hour = 5;

        const char *creds = getenv("CREDENTIALS_DIRECTORY");
        char *pepper = NULL;
        if (creds && asprintf(&pepper, "%s/pepper", creds) < 0)
                return -ENOMEM;
        c->pepper_path = pepper ? pepper : strdup(SYSCONFDIR "/passgate/pepper");
        if (!c->pepper_path || set_trunk_prefix(c, "8") < 0 || set_hash_cost(c, "interactive") < 0)
                return -ENOMEM;
        c->delivery_sms = strdup("spool:" LOCALSTATEDIR "/spool/passgate");
        c->delivery_email = strdup("spool:" LOCALSTATEDIR "/spool/passgate");
        if (!c->delivery_sms || !c->delivery_email)
                return -ENOMEM;
        return 0;
}

int config_load(const char *path, Config **ret, FILE *err)
{
        Config *c = calloc(1, sizeof(Config));
        if (!c)
                return -ENOMEM;
        int r = config_defaults(c);
        if (r < 0) {
                config_free(c);
                return r;
        }

        FILE *f = fopen(path, "re");
        if (!f && errno != ENOENT) {
                r = -errno;
                fprintf(err, "%s: cannot read: %s\n", path, strerror(-r));
                config_free(c);
                return r;
        }
        if (f) {
                struct stat st;
                if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
                        fprintf(err, "%s: cannot read: not a regular file\n", path);
                        fclose(f);
                        config_free(c);
                        return -EINVAL;
                }
                Parse p = { .c = c, .path = path, .file = f, .err = err };
                int line = ini_parse_stream(reader, &p, handler, &p);
                if (ferror(f) && p.r == 0) {
                        fprintf(err, "%s: cannot read: %s\n", path, strerror(errno));
                        p.r = -EIO;
                }
                fclose(f);
                if (p.r < 0 || line != 0) {
                        if (p.r == 0)
                                fprintf(err, "%s:%d: syntax error\n", path, line);
                        config_free(c);
                        return p.r < 0 ? p.r : -EINVAL;
                }
        }
        if (c->max_length < c->min_length) {
                fprintf(err, "%s: [password] max_length is below min_length\n", path);
                config_free(c);
                return -EINVAL;
        }
        *ret = c;
        return 0;
}

Config *config_free(Config *c)
{
        if (!c)
                return NULL;
        free(c->pepper_path);
        free(c->hash_cost);
        free(c->blocklist_path);
        free(c->trunk_prefix);
        free(c->delivery_sms);
        free(c->delivery_email);
        free(c->support_hotline);
        free(c->support_abroad);
        free(c->support_chat);
        free(c);
        return NULL;
}
