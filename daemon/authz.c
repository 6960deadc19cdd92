/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>

#include "bus-names.h"
#include "daemon.h"
#include "macro.h"

int caller_uid(sd_bus_message *m, uid_t *ret)
{
        sd_bus_creds *creds = NULL;
        uint64_t augmented;
        int r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
        if (r < 0)
                return r;
        /* An EUID read from /proc could belong to a recycled PID: only the bus's word counts. */
        augmented = sd_bus_creds_get_augmented_mask(creds);
        if (augmented & SD_BUS_CREDS_EUID)
                r = -EPERM;
        else
                r = sd_bus_creds_get_euid(creds, ret);
        sd_bus_creds_unref(creds);
        return r;
}

int unix_user_uid(const char *user, uid_t *ret)
{
        struct passwd pw, *result = NULL;
        char buf[4096];
        int r = getpwnam_r(user, &pw, buf, sizeof buf, &result);
        if (r != 0)
                return -r;
        if (!result)
                return -ENOENT;
        *ret = pw.pw_uid;
        return 0;
}

/* One authorization on its way: the caller's uid from the bus driver, then polkit if needed. */
typedef struct Query {
        Daemon *d;
        sd_bus_message *m;
        authorized_t fn;
        const char *action;   /* NULL: any caller, fn decides */
        const char *fallback; /* asked when polkit says no to action */
        uid_t caller;
} Query;

static void query_free(Query *q)
{
        sd_bus_message_unref(q->m);
        free(q);
}

static void finish(Query *q, bool allowed)
{
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (!allowed)
                r = sd_bus_reply_method_errorf(q->m, PG_ERROR_ACCESS_DENIED,
                                               "Not authorized for this action.");
        else {
                r = q->fn(q->m, q->d, q->caller, &error);
                if (sd_bus_error_is_set(&error))
                        r = sd_bus_reply_method_error(q->m, &error);
                else if (r < 0)
                        r = bus_reply_failure(q->m, r);
        }
        (void)r;
        sd_bus_error_free(&error);
        query_free(q);
}

/* Asked again with the fallback action when polkit says no. */
static int ask_polkit(Query *q);

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        Query *q = userdata;
        int authorized = 0, challenge = 0;

        /* An error, including "no polkit on this bus", means no: only root passes then. */
        if (!sd_bus_message_is_method_error(reply, NULL) &&
            sd_bus_message_enter_container(reply, 'r', "bba{ss}") >= 0)
                if (sd_bus_message_read(reply, "bb", &authorized, &challenge) < 0)
                        authorized = 0;
        if (!authorized && q->fallback) {
                q->action = TAKE_PTR(q->fallback);
                if (ask_polkit(q) >= 0)
                        return 0;
        }
        finish(q, authorized);
        return 0;
}

static int ask_polkit(Query *q)
{
        uint32_t flags = sd_bus_message_get_allow_interactive_authorization(q->m) ? 1 : 0;
        return sd_bus_call_method_async(
                q->d->bus, NULL, "org.freedesktop.PolicyKit1",
                "/org/freedesktop/PolicyKit1/Authority", "org.freedesktop.PolicyKit1.Authority",
                "CheckAuthorization", on_polkit_reply, q, "(sa{sv})sa{ss}us", "system-bus-name", 1,
                "name", "s", sd_bus_message_get_sender(q->m), q->action, 0, flags, "");
}

static int on_caller_uid(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
        Query *q = userdata;
        uint32_t uid;

        /* The caller may be gone already; whoever it was, it gets no further. */
        if (sd_bus_message_is_method_error(reply, NULL) ||
            sd_bus_message_read(reply, "u", &uid) < 0) {
                finish(q, false);
                return 0;
        }
        q->caller = uid;
        if (!q->action || uid == 0) {
                finish(q, true);
                return 0;
        }
        if (ask_polkit(q) < 0)
                finish(q, false);
        return 0;
}

/*
 * The uid comes from the bus driver, which took it from the socket when the caller connected:
 * asked asynchronously, so a slow driver never holds the bus loop.
 */
static int query_start(Daemon *d, sd_bus_message *m, const char *action, const char *fallback,
                       authorized_t fn)
{
        const char *sender = sd_bus_message_get_sender(m);
        if (!sender)
                return -EPERM;
        Query *q = calloc(1, sizeof(Query));
        if (!q)
                return -ENOMEM;
        *q = (Query){
                .d = d, .m = sd_bus_message_ref(m), .fn = fn, .action = action, .fallback = fallback
        };
        int r = sd_bus_call_method_async(d->bus, NULL, "org.freedesktop.DBus",
                                         "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                         "GetConnectionUnixUser", on_caller_uid, q, "s", sender);
        if (r < 0) {
                query_free(q);
                return r;
        }
        return 1;
}

int with_caller(Daemon *d, sd_bus_message *m, authorized_t fn, sd_bus_error *error)
{
        return query_start(d, m, NULL, NULL, fn);
}

int authz_admin(Daemon *d, sd_bus_message *m, const char *action, authorized_t fn,
                sd_bus_error *error)
{
        return query_start(d, m, action, NULL, fn);
}

int authz_either(Daemon *d, sd_bus_message *m, const char *action, const char *fallback,
                 authorized_t fn, sd_bus_error *error)
{
        return query_start(d, m, action, fallback, fn);
}
