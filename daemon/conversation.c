/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "conversation.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "bus-names.h"
#include "clock.h"
#include "l10n.h"
#include "macro.h"
#include "messages.h"
#include "support.h"

#define MAX_CONVERSATIONS         1024
#define MAX_CONVERSATIONS_PER_UID 16
#define MAX_ANSWER_BYTES          4096
#define MAX_LOGIN_BYTES           256

Conversation *conversation_ref(Conversation *c)
{
        c->n_ref++;
        return c;
}

Conversation *conversation_unref(Conversation *c)
{
        if (!c || --c->n_ref > 0)
                return NULL;
        sd_event_source_disable_unref(c->idle_timer);
        sd_bus_message_unref(c->pending);
        free(c->path);
        free(c->owner_name);
        free(c->login);
        free(c->user);
        free(c->service);
        free(c->locale);
        erase_and_free(c->new_password);
        recovery_free(c->recovery);
        free(c);
        return NULL;
}

/* Ends the conversation: its object goes away, pending work is dropped when it returns. */
static void conversation_finish(Conversation *c)
{
        if (c->finished)
                return;
        c->finished = true;
        Daemon *d = c->d;
        if (c->prev)
                c->prev->next = c->next;
        else
                d->conversations = c->next;
        if (c->next)
                c->next->prev = c->prev;
        d->n_conversations--;
        c->idle_timer = sd_event_source_disable_unref(c->idle_timer);
        c->new_password = erase_and_free(c->new_password);
        /* A Step still waiting for its hash gets an answer now, not a timeout. */
        if (c->pending) {
                (void)sd_bus_reply_method_errorf(c->pending, PG_ERROR_CANCELLED, "%s",
                                                 l10n_gettext(c->locale, MSG_CANCELLED));
                c->pending = sd_bus_message_unref(c->pending);
        }
        conversation_unref(c);
}

/* A login that has not got to its password yet names its account only by what was typed. */
static bool conversation_about(Conversation *c, const char *user)
{
        _cleanup_free_ char *resolved = NULL;

        if (streq_ptr(c->user, user) || (c->recovery && streq_ptr(c->recovery->matched, user)))
                return true;
        return !c->user && streq(c->flow, PG_FLOW_LOGIN) && !isempty(c->login) &&
               resolve_login(c->d, c->login, &resolved) >= 0 && streq(resolved, user);
}

void conversations_cancel_user(Daemon *d, const char *user)
{
        for (Conversation *c = d->conversations, *n; c; c = n) {
                n = c->next;
                if (conversation_about(c, user))
                        conversation_finish(c);
        }
}

void conversations_free_all(Daemon *d)
{
        while (d->conversations)
                conversation_finish(d->conversations);
}

static int append_choices(Conversation *c, sd_bus_message *r, const StepReply *s)
{
        int k;
        if ((k = sd_bus_message_open_container(r, 'e', "sv")) < 0 ||
            (k = sd_bus_message_append(r, "s", "Choices")) < 0 ||
            (k = sd_bus_message_open_container(r, 'v', "a(ss)")) < 0 ||
            (k = sd_bus_message_open_container(r, 'a', "(ss)")) < 0)
                return k;
        for (size_t i = 0; i < s->n_choices; i++)
                if ((k = sd_bus_message_append(r, "(ss)", s->choices[i].id,
                                               l10n_gettext(c->locale, s->choices[i].label))) < 0)
                        return k;
        if ((k = sd_bus_message_close_container(r)) < 0 ||
            (k = sd_bus_message_close_container(r)) < 0)
                return k;
        return sd_bus_message_close_container(r);
}

static int append_sv(sd_bus_message *r, const char *key, const char *type, const void *v)
{
        int k = sd_bus_message_open_container(r, 'e', "sv");
        if (k < 0)
                return k;
        if ((k = sd_bus_message_append(r, "s", key)) < 0 ||
            (k = sd_bus_message_open_container(r, 'v', type)) < 0)
                return k;
        if (type[0] == 'b')
                k = sd_bus_message_append(r, type, *(const bool *)v);
        else
                k = sd_bus_message_append(r, type, (const char *)v);
        if (k < 0 || (k = sd_bus_message_close_container(r)) < 0)
                return k;
        return sd_bus_message_close_container(r);
}

/* The same for every account, known or not: it depends only on the configuration. */
static int append_support(Conversation *c, char **message)
{
        _cleanup_free_ char *line = NULL;
        char *joined;
        int r = support_line(c->d->config, c->locale, &line);
        if (r < 0 || !line)
                return r;
        if (asprintf(&joined, "%s\n%s", *message, line) < 0)
                return -ENOMEM;
        free(*message);
        *message = joined;
        return 0;
}

int conversation_reply(Conversation *c, sd_bus_message *m, const StepReply *s)
{
        sd_bus_message *reply = NULL;
        _cleanup_free_ char *message = NULL, *notice = NULL;
        int r;

        /* In the client's language: the process locale is nobody's in particular. */
        if (asprintf(&message, l10n_gettext(c->locale, s->message), s->arg ? s->arg : "") < 0)
                return -ENOMEM;
        if (s->offer_support && (r = append_support(c, &message)) < 0)
                return r;
        if (s->notice && asprintf(&notice, l10n_gettext(c->locale, s->notice), s->notice_arg) < 0)
                return -ENOMEM;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        if (s->password)
                sd_bus_message_sensitive(reply);
        if ((r = sd_bus_message_append(reply, "s", s->kind)) < 0 ||
            (r = sd_bus_message_open_container(reply, 'a', "{sv}")) < 0 ||
            (r = append_sv(reply, "Id", "s", s->id)) < 0 ||
            (r = append_sv(reply, "Message", "s", message)) < 0 ||
            (notice && (r = append_sv(reply, "Notice", "s", notice)) < 0) ||
            (s->user && (r = append_sv(reply, "User", "s", s->user)) < 0) ||
            (streq(s->kind, PG_STEP_DONE) &&
             (r = append_sv(reply, "PasswordChangeRequired", "b", &s->change_required)) < 0) ||
            (s->error && (r = append_sv(reply, "Error", "s", s->error)) < 0) ||
            (s->password && (r = append_sv(reply, "Password", "s", s->password)) < 0) ||
            (s->n_choices && (r = append_choices(c, reply, s)) < 0) ||
            (r = sd_bus_message_close_container(reply)) < 0)
                goto out;
        r = sd_bus_send(NULL, reply, NULL);
        if (streq(s->kind, PG_STEP_DONE) || streq(s->kind, PG_STEP_FAILED))
                conversation_finish(c);
out:
        sd_bus_message_unref(reply);
        /* The generated password was formatted into the message: wipe it. */
        if (message)
                sodium_memzero(message, strlen(message));
        return r;
}

int conversation_fail(Conversation *c, sd_bus_message *m, const char *error, const char *message)
{
        return conversation_reply(c, m,
                                  &(StepReply){ .kind = PG_STEP_FAILED,
                                                .id = "failed",
                                                .message = message,
                                                .error = error });
}

void conversation_park(Conversation *c, sd_bus_message *m)
{
        conversation_ref(c);
        c->pending = sd_bus_message_ref(m);
}

sd_bus_message *conversation_unpark(Conversation *c)
{
        return TAKE_PTR(c->pending);
}

void conversation_unpark_failed(Conversation *c)
{
        sd_bus_message *m = conversation_unpark(c);
        if (m)
                (void)conversation_fail(c, m, PG_ERROR_STORE, MSG_INTERNAL);
        sd_bus_message_unref(m);
        conversation_unref(c);
}

typedef struct Pending {
        Conversation *c;
        conversation_hashed_t done;
} Pending;

static void on_hashed(HashJob *job, void *userdata)
{
        Pending *p = userdata;
        Conversation *c = p->c;
        sd_bus_message *m = conversation_unpark(c);

        if (m)
                p->done(c, m, job);
        sd_bus_message_unref(m);
        conversation_unref(c);
        free(p);
}

int conversation_submit(Conversation *c, sd_bus_message *m, HashJob *job,
                        conversation_hashed_t done)
{
        Pending *p = malloc(sizeof(Pending));
        if (!p) {
                hash_job_free(job);
                return -ENOMEM;
        }
        *p = (Pending){ .c = c, .done = done };
        job->done = on_hashed;
        job->userdata = p;
        conversation_park(c, m);
        int r = hash_job_submit(c->d->hashers, job);
        if (r < 0) {
                sd_bus_message_unref(conversation_unpark(c));
                conversation_unref(c);
                free(p);
                hash_job_free(job);
                return r;
        }
        return 1;
}

static int on_idle(sd_event_source *s, uint64_t usec, void *userdata)
{
        conversation_finish(userdata);
        return 0;
}

static void touch(Conversation *c)
{
        uint64_t idle = c->d->config->conversation_idle_usec;
        c->expires_usec = now_usec() + idle;
        sd_event_source_set_time_relative(c->idle_timer, idle);
        sd_event_source_set_enabled(c->idle_timer, SD_EVENT_ONESHOT);
}

/* Only known keys with the right types: a typo must not silently change behaviour. */
static int read_client(Conversation *c, sd_bus_message *m, sd_bus_error *error)
{
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key, *s;
                int b;
                if ((r = sd_bus_message_read(m, "s", &key)) < 0)
                        return r;
                if (streq(key, "Service") || streq(key, "Renderer") || streq(key, "Locale")) {
                        if ((r = sd_bus_message_read(m, "v", "s", &s)) < 0)
                                return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS,
                                                         "Client key %s must be a string.", key);
                        if (strlen(s) > 256)
                                return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS,
                                                         "Client key %s is too long.", key);
                        /* A garbled LANG must not stop a login: its user just reads English. */
                        bool garbled = !conversation_text_valid(s, 256);
                        if (garbled && !streq(key, "Locale"))
                                return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS,
                                                         "Client key %s has control characters.",
                                                         key);
                        if (garbled)
                                s = "C";
                        char **field = streq(key, "Service")  ? &c->service
                                       : streq(key, "Locale") ? &c->locale
                                                              : NULL;
                        if (field && !(*field = strdup(s)))
                                return -ENOMEM;
                } else if (streq(key, "Remote") || streq(key, "AdminReset")) {
                        if ((r = sd_bus_message_read(m, "v", "b", &b)) < 0)
                                return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS,
                                                         "Client key %s must be a boolean.", key);
                        if (streq(key, "Remote"))
                                c->remote = b;
                        else
                                c->admin_reset = b;
                } else
                        return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS,
                                                 "Unknown client key %s.", key);
                if ((r = sd_bus_message_exit_container(m)) < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

bool conversation_text_valid(const char *s, size_t max)
{
        size_t n = strnlen(s, max + 1);
        if (n > max || u8_check((const uint8_t *)s, n))
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

static unsigned count_for_uid(Daemon *d, uid_t uid)
{
        unsigned n = 0;
        for (Conversation *c = d->conversations; c; c = c->next)
                n += c->owner == uid;
        return n;
}

static int begin_conversation(sd_bus_message *m, Daemon *d, uid_t uid, sd_bus_error *error)
{
        const char *flow, *login;
        int r;

        if ((r = sd_bus_message_read(m, "ss", &flow, &login)) < 0)
                return r;
        if (!conversation_text_valid(login, MAX_LOGIN_BYTES))
                return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                        "The login is too long or contains control characters.");
        /* Root runs every login of sshd, login and su: only the global bound applies to it. */
        if (d->n_conversations >= MAX_CONVERSATIONS ||
            (uid != 0 && count_for_uid(d, uid) >= MAX_CONVERSATIONS_PER_UID))
                return sd_bus_error_set(error, PG_ERROR_RATE_LIMITED,
                                        "Too many open conversations. Try again later.");

        Conversation *c = calloc(1, sizeof(Conversation));
        if (!c)
                return -ENOMEM;
        c->n_ref = 1;
        c->d = d;
        c->owner = uid;
        if (!(c->login = strdup(login)) ||
            !(c->owner_name = strdup(sd_bus_message_get_sender(m)))) {
                conversation_unref(c);
                return -ENOMEM;
        }
        if ((r = read_client(c, m, error)) < 0 || sd_bus_error_is_set(error)) {
                conversation_unref(c);
                return r;
        }
        if (c->admin_reset && uid != 0) {
                conversation_unref(c);
                return sd_bus_error_set(error, PG_ERROR_ACCESS_DENIED,
                                        "Only root may reset another user's password.");
        }

        if (streq(flow, PG_FLOW_LOGIN)) {
                c->flow = PG_FLOW_LOGIN;
                r = login_begin(c, error);
        } else if (streq(flow, PG_FLOW_CHANGE_PASSWORD)) {
                c->flow = PG_FLOW_CHANGE_PASSWORD;
                r = change_begin(c, error);
        } else if (streq(flow, PG_FLOW_RECOVERY)) {
                c->flow = PG_FLOW_RECOVERY;
                r = recovery_begin(c, error);
        } else
                r = sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS, "Unknown flow.");
        if (r < 0 || sd_bus_error_is_set(error)) {
                conversation_unref(c);
                return r;
        }

        uint8_t raw[16];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2hex(c->id, sizeof c->id, raw, sizeof raw);
        if (asprintf(&c->path, PG_CONVERSATION_PREFIX "/%s", c->id) < 0) {
                conversation_unref(c);
                return -ENOMEM;
        }
        r = sd_event_add_time_relative(d->event, &c->idle_timer, CLOCK_MONOTONIC,
                                       d->config->conversation_idle_usec, 0, on_idle, c);
        if (r < 0) {
                conversation_unref(c);
                return r;
        }
        touch(c);
        c->next = d->conversations;
        if (c->next)
                c->next->prev = c;
        d->conversations = c;
        d->n_conversations++;
        return sd_bus_reply_method_return(m, "o", c->path);
}

int method_begin_conversation(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_begin_conversation(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return with_caller(userdata, m, begin_conversation, error);
}

static int read_answer(sd_bus_message *m, char **ret, sd_bus_error *error)
{
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        *ret = NULL;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key, *v;
                if ((r = sd_bus_message_read(m, "s", &key)) < 0)
                        return r;
                if (!streq(key, "Value") || *ret)
                        return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS,
                                                 "Unknown or repeated answer key.");
                if (sd_bus_message_read(m, "v", "s", &v) < 0)
                        return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                                "The answer Value must be a string.");
                if (strlen(v) > MAX_ANSWER_BYTES)
                        return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                                "The answer is too long.");
                if (!(*ret = strdup(v)))
                        return -ENOMEM;
                if ((r = sd_bus_message_exit_container(m)) < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int method_step(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Conversation *c = userdata;
        _cleanup_erase_ char *value = NULL;

        sd_bus_message_sensitive(m);
        int r = read_answer(m, &value, error);
        if (r < 0 || sd_bus_error_is_set(error))
                return r;
        if (c->pending)
                return sd_bus_error_set(error, "org.passgate1.Error.Busy",
                                        "The previous step is still being processed.");
        conversation_ref(c);
        /* The idle timer runs on the monotonic clock; this catches wall-clock jumps too. */
        if (now_usec() >= c->expires_usec)
                r = conversation_fail(c, m, PG_ERROR_EXPIRED, MSG_EXPIRED);
        else {
                touch(c);
                r = c->step(c, m, value);
        }
        conversation_unref(c);
        return r;
}

static int method_cancel(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Conversation *c = userdata;
        conversation_ref(c);
        conversation_finish(c);
        conversation_unref(c);
        return sd_bus_reply_method_return(m, NULL);
}

static int property_flow(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        Conversation *c = userdata;
        return sd_bus_message_append(reply, "s", c->flow);
}

static int property_expires(sd_bus *bus, const char *path, const char *interface,
                            const char *property, sd_bus_message *reply, void *userdata,
                            sd_bus_error *error)
{
        Conversation *c = userdata;
        return sd_bus_message_append(reply, "t", c->expires_usec);
}

/*
 * Only the uid that began a conversation can see it at all. The connection that began it is known
 * without asking the bus driver; another connection (rare) is asked for its uid.
 */
static int find_conversation(sd_bus *bus, const char *path, const char *interface, void *userdata,
                             void **found, sd_bus_error *error)
{
        Daemon *d = userdata;
        sd_bus_message *m = sd_bus_get_current_message(bus);
        uid_t uid;

        for (Conversation *c = d->conversations; c; c = c->next) {
                if (!streq(c->path, path))
                        continue;
                if (!m || (!streq_ptr(sd_bus_message_get_sender(m), c->owner_name) &&
                           (caller_uid(m, &uid) < 0 || uid != c->owner)))
                        return sd_bus_error_set(error, PG_ERROR_ACCESS_DENIED,
                                                "This conversation belongs to another user.");
                *found = c;
                return 1;
        }
        return 0;
}

static const sd_bus_vtable conversation_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Flow", "s", property_flow, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ExpiresUSec", "t", property_expires, 0, 0),
        SD_BUS_METHOD_WITH_ARGS("Step", SD_BUS_ARGS("a{sv}", answer),
                                SD_BUS_RESULT("s", kind, "a{sv}", prompt), method_step,
                                SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD("Cancel", NULL, NULL, method_cancel, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
                     sd_bus_error *error)
{
        *nodes = NULL;
        return 0;
}

int bus_conversation_register(Daemon *d)
{
        int r = sd_bus_add_fallback_vtable(d->bus, NULL, PG_CONVERSATION_PREFIX,
                                           PG_IFACE_CONVERSATION, conversation_vtable,
                                           find_conversation, d);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(d->bus, NULL, PG_CONVERSATION_PREFIX, enumerate, d);
}
