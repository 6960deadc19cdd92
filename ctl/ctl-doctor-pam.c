/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "ctl-doctor-pam.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <security/_pam_types.h>

#include "config.h"
#include "ctl-output.h"
#include "macro.h"
#include "messages.h"

/* Deeper includes are a loop, or more than libpam would load either. */
#define PAM_INCLUDE_DEPTH_MAX 16

typedef enum PamType {
        PAM_TYPE_AUTH,
        PAM_TYPE_ACCOUNT,
        PAM_TYPE_PASSWORD,
        PAM_TYPE_SESSION,
        _PAM_TYPE_MAX,
} PamType;

static const char *const pam_type_names[_PAM_TYPE_MAX] = { "auth", "account", "password",
                                                           "session" };

/* Modules whose answers the stack simulation knows; every other one is taken to answer PAM_IGNORE.
 */
typedef enum ModuleKind {
        MODULE_OTHER,
        MODULE_PASSGATE,
        MODULE_UNIX,
        MODULE_DENY,
        MODULE_PERMIT,
        MODULE_BROKEN, /* what libpam puts for a file it cannot include: it always fails */
} ModuleKind;

/* libpam's own encoding of actions: jumps are positive, the rest are these. */
enum {
        ACTION_IGNORE = 0,
        ACTION_OK = -1,
        ACTION_DONE = -2,
        ACTION_BAD = -3,
        ACTION_DIE = -4,
        ACTION_RESET = -5,
        ACTION_UNDEF = -6,
};

/* The return code names of bracketed controls, as libpam spells them, indexed by code. */
static const char *const pam_code_names[_PAM_RETURN_VALUES] = {
        [PAM_SUCCESS] = "success",
        [PAM_OPEN_ERR] = "open_err",
        [PAM_SYMBOL_ERR] = "symbol_err",
        [PAM_SERVICE_ERR] = "service_err",
        [PAM_SYSTEM_ERR] = "system_err",
        [PAM_BUF_ERR] = "buf_err",
        [PAM_PERM_DENIED] = "perm_denied",
        [PAM_AUTH_ERR] = "auth_err",
        [PAM_CRED_INSUFFICIENT] = "cred_insufficient",
        [PAM_AUTHINFO_UNAVAIL] = "authinfo_unavail",
        [PAM_USER_UNKNOWN] = "user_unknown",
        [PAM_MAXTRIES] = "maxtries",
        [PAM_NEW_AUTHTOK_REQD] = "new_authtok_reqd",
        [PAM_ACCT_EXPIRED] = "acct_expired",
        [PAM_SESSION_ERR] = "session_err",
        [PAM_CRED_UNAVAIL] = "cred_unavail",
        [PAM_CRED_EXPIRED] = "cred_expired",
        [PAM_CRED_ERR] = "cred_err",
        [PAM_NO_MODULE_DATA] = "no_module_data",
        [PAM_CONV_ERR] = "conv_err",
        [PAM_AUTHTOK_ERR] = "authtok_err",
        [PAM_AUTHTOK_RECOVERY_ERR] = "authtok_recover_err",
        [PAM_AUTHTOK_LOCK_BUSY] = "authtok_lock_busy",
        [PAM_AUTHTOK_DISABLE_AGING] = "authtok_disable_aging",
        [PAM_TRY_AGAIN] = "try_again",
        [PAM_IGNORE] = "ignore",
        [PAM_ABORT] = "abort",
        [PAM_AUTHTOK_EXPIRED] = "authtok_expired",
        [PAM_MODULE_UNKNOWN] = "module_unknown",
        [PAM_BAD_ITEM] = "bad_item",
        [PAM_CONV_AGAIN] = "conv_again",
        [PAM_INCOMPLETE] = "incomplete",
};

/* One module line of a stack, its includes already spliced in. */
typedef struct PamEntry {
        char *file; /* name in pam.d, for messages */
        unsigned line;
        PamType type;
        unsigned level;     /* substack depth */
        bool substack_mark; /* the "substack" line itself: libpam skips it when running */
        ModuleKind kind;
        char *module; /* as written */
        char *args;   /* as written, NULL when none */
        int actions[_PAM_RETURN_VALUES];
} PamEntry;

typedef struct PamStack {
        PamEntry *entries;
        size_t n;
} PamStack;

/* The reading of one ROOT/etc/pam.d. */
typedef struct PamCheck {
        const char *root;
        PamReport *report;
} PamCheck;

static void pam_stack_clear(PamStack *s)
{
        for (size_t i = 0; i < s->n; i++) {
                free(s->entries[i].file);
                free(s->entries[i].module);
                free(s->entries[i].args);
        }
        free(s->entries);
        *s = (PamStack){};
}

static PamEntry *pam_stack_add(PamStack *s)
{
        PamEntry *e = realloc(s->entries, (s->n + 1) * sizeof(PamEntry));
        if (!e)
                return NULL;
        s->entries = e;
        e = &s->entries[s->n++];
        *e = (PamEntry){};
        for (size_t i = 0; i < _PAM_RETURN_VALUES; i++)
                e->actions[i] = ACTION_UNDEF;
        return e;
}

static void set_default_action(int *actions, int action)
{
        for (size_t i = 0; i < _PAM_RETURN_VALUES; i++)
                if (actions[i] == ACTION_UNDEF)
                        actions[i] = action;
}

static int parse_action(const char *s)
{
        static const struct {
                const char *name;
                int action;
        } names[] = {
                { "ignore", ACTION_IGNORE }, { "ok", ACTION_OK },   { "done", ACTION_DONE },
                { "bad", ACTION_BAD },       { "die", ACTION_DIE }, { "reset", ACTION_RESET },
        };
        char *end;

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(s, names[i].name))
                        return names[i].action;
        errno = 0;
        long n = strtol(s, &end, 10);
        /* libpam reads anything else as bad. */
        return errno == 0 && end != s && *end == '\0' && n > 0 && n < 1000 ? (int)n : ACTION_BAD;
}

/* "[code=action ...]", as libpam's _pam_parse_control reads it. */
static void parse_bracket(char *control, int *actions)
{
        char *save = NULL;

        for (char *tok = strtok_r(control + 1, " \t]", &save); tok;
             tok = strtok_r(NULL, " \t]", &save)) {
                char *eq = strchr(tok, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                int action = parse_action(eq + 1);
                if (streq(tok, "default")) {
                        set_default_action(actions, action);
                        continue;
                }
                for (size_t i = 0; i < _PAM_RETURN_VALUES; i++)
                        if (pam_code_names[i] && streq(tok, pam_code_names[i]))
                                actions[i] = action;
        }
        set_default_action(actions, ACTION_BAD);
}

static void parse_keyword(const char *control, int *actions)
{
        if (strcasecmp(control, "sufficient") == 0) {
                actions[PAM_SUCCESS] = actions[PAM_NEW_AUTHTOK_REQD] = ACTION_DONE;
                set_default_action(actions, ACTION_IGNORE);
                return;
        }
        actions[PAM_SUCCESS] = actions[PAM_NEW_AUTHTOK_REQD] = ACTION_OK;
        if (strcasecmp(control, "optional") == 0) {
                set_default_action(actions, ACTION_IGNORE);
                return;
        }
        actions[PAM_IGNORE] = ACTION_IGNORE;
        set_default_action(actions,
                           strcasecmp(control, "requisite") == 0 ? ACTION_DIE : ACTION_BAD);
}

static ModuleKind module_kind(const char *module)
{
        const char *base = strrchr(module, '/');

        base = base ? base + 1 : module;
        if (streq(base, "pam_passgate.so"))
                return MODULE_PASSGATE;
        if (streq(base, "pam_unix.so"))
                return MODULE_UNIX;
        if (streq(base, "pam_deny.so"))
                return MODULE_DENY;
        if (streq(base, "pam_permit.so"))
                return MODULE_PERMIT;
        return MODULE_OTHER;
}

static int pam_type_from_name(const char *s)
{
        if (*s == '-') /* a module that may be missing */
                s++;
        for (size_t i = 0; i < _PAM_TYPE_MAX; i++)
                if (strcasecmp(s, pam_type_names[i]) == 0)
                        return (int)i;
        return -1;
}

/* One line, its continuations joined and comments dropped, as libpam assembles them, into *buf:
 * 1, or 0 at the end of the file. */
static int read_pam_line(FILE *f, char **buf, size_t *size, unsigned *line_no, unsigned *first_line)
{
        _cleanup_free_ char *joined = NULL;
        size_t len = 0;

        for (;;) {
                ssize_t n = getline(buf, size, f);
                if (n < 0) {
                        if (!joined)
                                return 0;
                        break;
                }
                (*line_no)++;
                if (!joined)
                        *first_line = *line_no;
                char *hash = strchr(*buf, '#');
                if (hash)
                        *hash = '\0';
                n = (ssize_t)strlen(*buf);
                while (n > 0 && strchr(" \t\n", (*buf)[n - 1]))
                        n--;
                bool more = !hash && n > 0 && (*buf)[n - 1] == '\\';
                if (more)
                        (*buf)[--n] = ' ';
                char *j = realloc(joined, len + (size_t)n + 2);
                if (!j)
                        return -ENOMEM;
                joined = j;
                memcpy(joined + len, *buf, (size_t)n);
                len += (size_t)n;
                joined[len++] = ' ';
                joined[len] = '\0';
                if (!more)
                        break;
        }
        free(*buf);
        *size = len + 1;
        *buf = TAKE_PTR(joined);
        return 1;
}

static int pam_load(PamCheck *c, const char *name, int only_type, unsigned level, unsigned depth,
                    PamStack *s);

/* Another file's lines, or for each type one that always fails when it cannot be read. */
static int pam_include(PamCheck *c, const char *file, unsigned line_no, const char *name,
                       int only_type, unsigned level, unsigned depth, PamStack *s)
{
        int r = pam_load(c, name, only_type, level, depth + 1, s);
        if (r != -ENOENT && r != -EACCES)
                return r;
        for (int t = 0; t < _PAM_TYPE_MAX; t++) {
                if (only_type >= 0 && t != only_type)
                        continue;
                PamEntry *e = pam_stack_add(s);
                if (!e || !(e->file = strdup(file)) || !(e->module = strdup(name)))
                        return -ENOMEM;
                e->line = line_no;
                e->type = (PamType)t;
                e->level = level;
                e->kind = MODULE_BROKEN;
                set_default_action(e->actions, ACTION_BAD);
        }
        return 0;
}

/* One assembled line: TYPE CONTROL MODULE [ARGS], or @include NAME. */
static int pam_parse_line(PamCheck *c, const char *file, unsigned line_no, char *text,
                          int only_type, unsigned level, unsigned depth, PamStack *s)
{
        char *p = text + strspn(text, " \t");
        char *type_word = p;
        p += strcspn(p, " \t");
        if (*p)
                *p++ = '\0';
        p += strspn(p, " \t");

        if (streq(type_word, "@include")) {
                p[strcspn(p, " \t")] = '\0';
                return pam_include(c, file, line_no, p, only_type, level, depth, s);
        }
        int type = pam_type_from_name(type_word);
        if (type < 0 || (only_type >= 0 && type != only_type) || !*p)
                return 0;

        char *control = p;
        if (*p == '[') {
                char *close = strchr(p, ']');
                p = close ? close + 1 : p + strlen(p);
        } else
                p += strcspn(p, " \t");
        if (*p)
                *p++ = '\0';
        p += strspn(p, " \t");
        char *module = p;
        p += strcspn(p, " \t");
        if (*p)
                *p++ = '\0';
        p += strspn(p, " \t");
        size_t args_len = strlen(p);
        while (args_len > 0 && strchr(" \t", p[args_len - 1]))
                p[--args_len] = '\0';
        if (!*module)
                return 0;

        bool substack = strcasecmp(control, "substack") == 0;
        if (substack || strcasecmp(control, "include") == 0) {
                if (substack) {
                        PamEntry *mark = pam_stack_add(s);
                        if (!mark || !(mark->file = strdup(file)) ||
                            !(mark->module = strdup(module)))
                                return -ENOMEM;
                        mark->line = line_no;
                        mark->type = (PamType)type;
                        mark->level = level;
                        mark->substack_mark = true;
                }
                return pam_include(c, file, line_no, module, type, level + substack, depth, s);
        }

        PamEntry *e = pam_stack_add(s);
        if (!e || !(e->file = strdup(file)) || !(e->module = strdup(module)) ||
            (*p && !(e->args = strdup(p))))
                return -ENOMEM;
        e->line = line_no;
        e->type = (PamType)type;
        e->level = level;
        e->kind = module_kind(module);
        if (*control == '[')
                parse_bracket(control, e->actions);
        else
                parse_keyword(control, e->actions);
        return 0;
}

static int pam_load(PamCheck *c, const char *name, int only_type, unsigned level, unsigned depth,
                    PamStack *s)
{
        _cleanup_free_ char *path = NULL, *buf = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        unsigned line_no = 0, first_line = 0;
        size_t size = 0;
        int r;

        if (depth > PAM_INCLUDE_DEPTH_MAX)
                return 0;
        if (asprintf(&path, "%s%s%s", c->root, name[0] == '/' ? "" : "/etc/pam.d/", name) < 0)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while ((r = read_pam_line(f, &buf, &size, &line_no, &first_line)) > 0) {
                r = pam_parse_line(c, name, first_line, buf, only_type, level, depth, s);
                if (r < 0)
                        return r;
        }
        return r;
}

/* What each module answers in one scenario. */
typedef struct Answers {
        int passgate;
        int unix_;
} Answers;

static int module_answer(const PamEntry *e, const Answers *a)
{
        switch (e->kind) {
        case MODULE_PASSGATE:
                return a->passgate;
        case MODULE_UNIX:
                return a->unix_;
        case MODULE_PERMIT:
                return PAM_SUCCESS;
        case MODULE_BROKEN:
                return PAM_PERM_DENIED;
        case MODULE_DENY: {
                static const int deny[_PAM_TYPE_MAX] = { PAM_AUTH_ERR, PAM_ACCT_EXPIRED,
                                                         PAM_AUTHTOK_ERR, PAM_SESSION_ERR };
                return deny[e->type];
        }
        default:
                return PAM_IGNORE;
        }
}

/* libpam's _pam_dispatch_aux() for a fresh (not frozen) chain: the code the stack ends with. */
static int pam_run(const PamEntry *const *h, size_t n, const Answers *a, bool *ret_unix_reached)
{
        enum { UNDEF, POSITIVE, NEGATIVE };
        struct {
                int impression, status;
        } sub[PAM_INCLUDE_DEPTH_MAX + 2] = {};
        int impression = UNDEF, status = PAM_PERM_DENIED;
        unsigned prev_level = 0;

        *ret_unix_reached = false;
        for (size_t i = 0; i < n; i++) {
                unsigned acting = h[i]->level;
                unsigned level = MIN(acting, (unsigned)PAM_INCLUDE_DEPTH_MAX + 1);

                if (prev_level < level) {
                        sub[level].impression = impression;
                        sub[level].status = status;
                }
                prev_level = level;
                if (h[i]->substack_mark)
                        continue;
                int ret = module_answer(h[i], a);
                int action = h[i]->actions[ret];
                bool decided = false;
                if (h[i]->kind == MODULE_UNIX)
                        *ret_unix_reached = true;

                if (action == ACTION_RESET) {
                        impression = sub[level].impression;
                        status = sub[level].status;
                } else if (action == ACTION_OK || action == ACTION_DONE) {
                        if (impression == UNDEF ||
                            (impression == POSITIVE && status == PAM_SUCCESS)) {
                                impression = POSITIVE;
                                status = ret;
                        }
                        decided = impression == POSITIVE && action == ACTION_DONE;
                } else if (action == ACTION_BAD || action == ACTION_DIE) {
                        if (impression != NEGATIVE) {
                                impression = NEGATIVE;
                                status = ret == PAM_IGNORE ? PAM_PERM_DENIED : ret;
                        }
                        decided = action == ACTION_DIE;
                } else if (action > 0) {
                        /* Skips that many modules of this level, with the substacks in them. */
                        while (i + 1 < n && h[i + 1]->level >= acting && action > 0) {
                                do
                                        i++;
                                while (i + 1 < n && h[i + 1]->level > acting);
                                action--;
                        }
                        if (action > 0) {
                                impression = NEGATIVE;
                                status = PAM_PERM_DENIED;
                        }
                }
                if (decided)
                        while (i + 1 < n && h[i + 1]->level >= acting)
                                i++;
        }
        return status == PAM_SUCCESS && impression != POSITIVE ? PAM_PERM_DENIED : status;
}

typedef enum Want {
        WANT_SUCCESS,
        WANT_FAILURE,
        WANT_CHANGE, /* PAM_NEW_AUTHTOK_REQD */
} Want;

typedef struct Scenario {
        PamType type;
        Answers answers;
        bool needs_unix; /* only for stacks that go on to pam_unix */
        Want want;
        int unix_reach; /* 1: pam_unix must run, -1: must not, 0: either */
        const char *message;
} Scenario;

/* How passgate users, other users and a stopped daemon must come through each stack. */
static const Scenario scenarios[] = {
        { PAM_TYPE_AUTH,
          { PAM_SUCCESS, PAM_AUTH_ERR },
          false,
          WANT_SUCCESS,
          0,
          MSG_DOC_PAM_AUTH_PASSGATE },
        { PAM_TYPE_AUTH,
          { PAM_AUTH_ERR, PAM_AUTH_ERR },
          false,
          WANT_FAILURE,
          0,
          MSG_DOC_PAM_AUTH_WRONG },
        { PAM_TYPE_AUTH,
          { PAM_AUTH_ERR, PAM_SUCCESS },
          true,
          WANT_SUCCESS,
          1,
          MSG_DOC_PAM_AUTH_UNKNOWN },
        { PAM_TYPE_AUTH,
          { PAM_AUTHINFO_UNAVAIL, PAM_SUCCESS },
          true,
          WANT_SUCCESS,
          1,
          MSG_DOC_PAM_AUTH_DOWN },
        { PAM_TYPE_ACCOUNT,
          { PAM_SUCCESS, PAM_SUCCESS },
          false,
          WANT_SUCCESS,
          0,
          MSG_DOC_PAM_ACCOUNT_PASSGATE },
        { PAM_TYPE_ACCOUNT,
          { PAM_NEW_AUTHTOK_REQD, PAM_SUCCESS },
          false,
          WANT_CHANGE,
          0,
          MSG_DOC_PAM_ACCOUNT_CHANGE },
        { PAM_TYPE_ACCOUNT,
          { PAM_PERM_DENIED, PAM_SUCCESS },
          false,
          WANT_FAILURE,
          0,
          MSG_DOC_PAM_ACCOUNT_LOCKED },
        { PAM_TYPE_ACCOUNT,
          { PAM_USER_UNKNOWN, PAM_SUCCESS },
          true,
          WANT_SUCCESS,
          1,
          MSG_DOC_PAM_ACCOUNT_UNKNOWN },
        { PAM_TYPE_ACCOUNT,
          { PAM_AUTHINFO_UNAVAIL, PAM_SUCCESS },
          true,
          WANT_SUCCESS,
          1,
          MSG_DOC_PAM_ACCOUNT_DOWN },
        { PAM_TYPE_PASSWORD,
          { PAM_SUCCESS, PAM_SUCCESS },
          false,
          WANT_SUCCESS,
          0,
          MSG_DOC_PAM_PASSWORD_PASSGATE },
        { PAM_TYPE_PASSWORD,
          { PAM_SUCCESS, PAM_SUCCESS },
          false,
          WANT_SUCCESS,
          -1,
          MSG_DOC_PAM_PASSWORD_UNIX_TOO },
        { PAM_TYPE_PASSWORD,
          { PAM_AUTHTOK_ERR, PAM_SUCCESS },
          false,
          WANT_FAILURE,
          0,
          MSG_DOC_PAM_PASSWORD_REFUSED },
        { PAM_TYPE_PASSWORD,
          { PAM_USER_UNKNOWN, PAM_SUCCESS },
          true,
          WANT_SUCCESS,
          1,
          MSG_DOC_PAM_PASSWORD_UNKNOWN },
        /* The preliminary check answers PAM_TRY_AGAIN when passgated is down, the update
         * PAM_AUTHINFO_UNAVAIL. */
        { PAM_TYPE_PASSWORD,
          { PAM_TRY_AGAIN, PAM_SUCCESS },
          true,
          WANT_SUCCESS,
          1,
          MSG_DOC_PAM_PASSWORD_DOWN },
        { PAM_TYPE_PASSWORD,
          { PAM_AUTHINFO_UNAVAIL, PAM_SUCCESS },
          true,
          WANT_SUCCESS,
          1,
          MSG_DOC_PAM_PASSWORD_DOWN },
};

/* The controls that pass each scenario, for the fix. */
static const char *const recommended[_PAM_TYPE_MAX] = {
        [PAM_TYPE_AUTH] = "[success=N user_unknown=ignore authinfo_unavail=ignore default=ignore]",
        [PAM_TYPE_ACCOUNT] = "[success=N new_authtok_reqd=done user_unknown=ignore "
                             "authinfo_unavail=ignore default=die]",
        [PAM_TYPE_PASSWORD] = "[success=N user_unknown=ignore authinfo_unavail=ignore "
                              "try_again=ignore default=die]",
};

/* Whether a ", "-separated list has word. */
static bool list_has(const char *list, const char *word)
{
        size_t len = strlen(word);

        for (const char *p = list; p; p = strstr(p, ", "), p = p ? p + 2 : NULL)
                if (strncmp(p, word, len) == 0 && (p[len] == ',' || p[len] == '\0'))
                        return true;
        return false;
}

/* The finding of a message on a line, made once and then only told of more services. */
static int add_finding(PamCheck *c, bool note, const PamEntry *e, const char *message,
                       const char *detail, const char *fix_text, const char *controls,
                       const char *service)
{
        PamReport *report = c->report;
        _cleanup_free_ char *where = NULL;
        PamFinding *f = NULL;
        char *services;

        if (asprintf(&where, "%s:%u", e->file, e->line) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < report->n_findings && !f; i++)
                if (streq(report->findings[i].message, message) &&
                    streq(report->findings[i].where, where) &&
                    (report->findings[i].detail ? streq_ptr(report->findings[i].detail, detail)
                                                : !detail))
                        f = &report->findings[i];
        if (!f) {
                f = realloc(report->findings, (report->n_findings + 1) * sizeof(PamFinding));
                if (!f)
                        return -ENOMEM;
                report->findings = f;
                f = &report->findings[report->n_findings++];
                *f = (PamFinding){ .note = note,
                                   .where = TAKE_PTR(where),
                                   .message = message,
                                   .fix = fix_text,
                                   .controls = controls };
                if (detail && !(f->detail = strdup(detail)))
                        return -ENOMEM;
        } else if (list_has(f->services, service))
                return 0;

        if (asprintf(&services, "%s%s%s", f->services ? f->services : "", f->services ? ", " : "",
                     service) < 0)
                return -ENOMEM;
        free(f->services);
        f->services = services;
        return 0;
}

static bool scenario_passes(const Scenario *sc, const PamEntry *const *h, size_t n)
{
        bool unix_reached;
        int r = pam_run(h, n, &sc->answers, &unix_reached);

        if (sc->unix_reach > 0 && !unix_reached)
                return false;
        if (sc->unix_reach < 0 && unix_reached)
                return false;
        switch (sc->want) {
        case WANT_SUCCESS:
                return r == PAM_SUCCESS;
        case WANT_CHANGE:
                return r == PAM_NEW_AUTHTOK_REQD;
        default:
                return r != PAM_SUCCESS;
        }
}

/* pam_passgate.so's options, as pam_module/module-options.c reads them. */
static bool known_module_option(const char *arg)
{
        static const char *const flags[] = { "debug", "use_first_pass", "try_first_pass",
                                             "use_authtok" };
        char *end;

        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (streq(arg, flags[i]))
                        return true;
        if (strncmp(arg, "timeout=", 8) != 0 || !isdigit((unsigned char)arg[8]))
                return false;
        errno = 0;
        unsigned long v = strtoul(arg + 8, &end, 10);
        return errno == 0 && *end == '\0' && v >= 1 && v <= 600;
}

static int check_module_line(PamCheck *c, const PamEntry *e, const char *service)
{
        _cleanup_free_ char *path = NULL, *args = NULL;
        char *save = NULL;
        int r;

        if (e->module[0] == '/')
                r = asprintf(&path, "%s%s", c->root, e->module);
        else
                r = asprintf(&path, "%s%s/%s", c->root, PAMLIBDIR, e->module);
        if (r < 0)
                return -ENOMEM;
        if (access(path, F_OK) < 0) {
                r = add_finding(c, false, e, MSG_DOC_PAM_NO_MODULE, path + strlen(c->root),
                                MSG_DOC_FIX_INSTALL, NULL, service);
                if (r < 0)
                        return r;
        }
        if (e->type == PAM_TYPE_SESSION)
                return add_finding(c, false, e, MSG_DOC_PAM_SESSION, NULL, MSG_DOC_FIX_PAM_SESSION,
                                   NULL, service);

        if (e->args && !(args = strdup(e->args)))
                return -ENOMEM;
        for (char *a = args ? strtok_r(args, " \t", &save) : NULL; a;
             a = strtok_r(NULL, " \t", &save))
                if (!known_module_option(a)) {
                        r = add_finding(c, false, e, MSG_DOC_PAM_OPTION, a, MSG_DOC_FIX_PAM_OPTION,
                                        NULL, service);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* One service's stack of one type; *ret_uses: whether pam_passgate.so is in it. */
static int check_pam_stack(PamCheck *c, const char *service, PamType type, const PamStack *all,
                           bool *ret_uses)
{
        _cleanup_free_ const PamEntry **h = calloc(all->n + 1, sizeof(PamEntry *));
        const PamEntry *first = NULL;
        bool unix_after = false;
        size_t n = 0;
        int r;

        if (!h)
                return -ENOMEM;
        for (size_t i = 0; i < all->n; i++)
                if (all->entries[i].type == type)
                        h[n++] = &all->entries[i];
        for (size_t i = 0; i < n; i++) {
                if (h[i]->kind == MODULE_PASSGATE && !h[i]->substack_mark) {
                        if (!first)
                                first = h[i];
                        r = check_module_line(c, h[i], service);
                        if (r < 0)
                                return r;
                } else if (first && h[i]->kind == MODULE_UNIX)
                        unix_after = true;
        }
        *ret_uses = first != NULL;
        if (!first || type == PAM_TYPE_SESSION)
                return 0;
        if (type == PAM_TYPE_AUTH && unix_after)
                c->report->falls_to_unix = true;
        if (!unix_after) {
                r = add_finding(c, true, first, MSG_DOC_PAM_NO_FALLBACK, NULL, NULL, NULL, service);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(scenarios); i++) {
                const Scenario *sc = &scenarios[i];
                if (sc->type != type || (sc->needs_unix && !unix_after) ||
                    scenario_passes(sc, h, n))
                        continue;
                r = add_finding(c, false, first, sc->message, NULL, NULL, recommended[type],
                                service);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool is_backup_name(const char *name)
{
        size_t len = strlen(name);
        return name[0] == '.' || strstr(name, ".dpkg-") || strstr(name, ".ucf-") ||
               (len > 0 && name[len - 1] == '~');
}

/* Every stack of one service file. */
static int check_service(PamCheck *c, const char *service)
{
        _cleanup_(pam_stack_clear) PamStack stack = {};
        _cleanup_free_ char *types = NULL;
        int r;

        r = pam_load(c, service, -1, 0, 0, &stack);
        if (r == -ENOMEM)
                return r;
        for (int t = 0; t < _PAM_TYPE_MAX; t++) {
                bool uses;
                char *s;

                r = check_pam_stack(c, service, (PamType)t, &stack, &uses);
                if (r < 0)
                        return r;
                if (!uses)
                        continue;
                if (asprintf(&s, "%s%s%s", types ? types : "", types ? ", " : "",
                             pam_type_names[t]) < 0)
                        return -ENOMEM;
                free(types);
                types = s;
        }
        if (!types)
                return 0;

        PamUse *u = realloc(c->report->uses, (c->report->n_uses + 1) * sizeof(PamUse));
        if (!u)
                return -ENOMEM;
        c->report->uses = u;
        u = &c->report->uses[c->report->n_uses];
        *u = (PamUse){ .service = strdup(service), .types = TAKE_PTR(types) };
        c->report->n_uses++;
        return u->service ? 0 : -ENOMEM;
}

void pam_report_clear(PamReport *r)
{
        for (size_t i = 0; i < r->n_uses; i++) {
                free(r->uses[i].service);
                free(r->uses[i].types);
        }
        free(r->uses);
        for (size_t i = 0; i < r->n_findings; i++) {
                free(r->findings[i].where);
                free(r->findings[i].detail);
                free(r->findings[i].services);
        }
        free(r->findings);
        *r = (PamReport){};
}

int pam_report_load(const char *root, PamReport *ret)
{
        _cleanup_(pam_report_clear) PamReport report = {};
        PamCheck c = { .root = root, .report = &report };
        _cleanup_free_ char *dir = NULL;
        struct dirent **names = NULL;
        int n, r = 0;

        if (asprintf(&dir, "%s/etc/pam.d", root) < 0)
                return -ENOMEM;
        n = scandir(dir, &names, NULL, alphasort);
        if (n < 0)
                return -errno;
        for (int i = 0; i < n; i++) {
                if (r >= 0 && !is_backup_name(names[i]->d_name) && names[i]->d_type != DT_DIR)
                        r = check_service(&c, names[i]->d_name);
                free(names[i]);
        }
        free(names);
        if (r < 0)
                return r;
        *ret = report;
        report = (PamReport){};
        return 0;
}
