/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

#include "bus-names.h"
#include "conv-client.h"
#include "macro.h"

#define DEFAULT_SYSTEM_BUS_ADDRESS "unix:path=/run/dbus/system_bus_socket"

/* One Step reply; every string points into the reply message. */
typedef struct Step {
        sd_bus_message *reply;
        ConvPrompt prompt;
        ConvChoice *choices;
        const char *user;
        const char *error;
        bool change_required;
} Step;

static void step_clear(Step *s)
{
        free(s->choices);
        sd_bus_message_unref(s->reply);
        *s = (Step){};
}

void conv_result_clear(ConvResult *r)
{
        free(r->user);
        free(r->error);
        free(r->message);
        *r = (ConvResult){};
}

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * UINT64_C(1000000) + (uint64_t)ts.tv_nsec / 1000;
}

int conv_bus_open(uint64_t timeout_usec, sd_bus **ret)
{
        /* Not flushed on failure: a bus that never finished its handshake would hold us 90 s. */
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        const char *address;
        uint64_t deadline;
        int r;

        /* As sd_bus_open_system(), which would wait for the bus handshake without a bound. */
        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        address = secure_getenv("DBUS_SYSTEM_BUS_ADDRESS");
        r = sd_bus_set_address(bus, isempty(address) ? DEFAULT_SYSTEM_BUS_ADDRESS : address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(bus, true);
        if (r < 0)
                return r;
        /* Set before starting: the Hello call is queued by sd_bus_start() with this timeout. */
        r = sd_bus_set_method_call_timeout(bus, timeout_usec);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;

        deadline = now_usec() + timeout_usec;
        for (;;) {
                uint64_t n;

                r = sd_bus_is_ready(bus);
                if (r < 0)
                        return r;
                if (r > 0)
                        break;
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                n = now_usec();
                if (n >= deadline)
                        return -ETIMEDOUT;
                r = sd_bus_wait(bus, deadline - n);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(bus);
        return 0;
}

int conv_call_method(sd_bus *bus, const char *interface, const char *member, uint64_t timeout_usec,
                     sd_bus_error *error, sd_bus_message **ret_reply, const char *types, ...)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, PG_BUS_NAME, PG_OBJECT_PATH, interface, member);
        if (r < 0)
                return r;
        if (!isempty(types)) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return r;
        }
        r = sd_bus_call(bus, m, timeout_usec, error, ret_reply);
        return r < 0 ? r : 0;
}

static int begin_conversation(sd_bus *bus, const char *flow, const char *login,
                              const ConvClientInfo *client, uint64_t timeout_usec,
                              sd_bus_error *error, char **ret_path)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *path;
        char *p;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, PG_BUS_NAME, PG_OBJECT_PATH, PG_IFACE_MANAGER,
                                           "BeginConversation");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", flow, login ? login : "");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        if (!isempty(client->service)) {
                r = sd_bus_message_append(m, "{sv}", "Service", "s", client->service);
                if (r < 0)
                        return r;
        }
        if (client->remote) {
                r = sd_bus_message_append(m, "{sv}", "Remote", "b", 1);
                if (r < 0)
                        return r;
        }
        if (!isempty(client->renderer)) {
                r = sd_bus_message_append(m, "{sv}", "Renderer", "s", client->renderer);
                if (r < 0)
                        return r;
        }
        if (!isempty(client->locale)) {
                r = sd_bus_message_append(m, "{sv}", "Locale", "s", client->locale);
                if (r < 0)
                        return r;
        }
        if (client->admin_reset) {
                r = sd_bus_message_append(m, "{sv}", "AdminReset", "b", 1);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;

        r = sd_bus_call(bus, m, timeout_usec, error, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return -EPROTO;

        p = strdup(path);
        if (!p)
                return -ENOMEM;
        *ret_path = p;
        return 0;
}

static int step_call(sd_bus *bus, const char *path, const char *answer, uint64_t timeout_usec,
                     sd_bus_error *error, sd_bus_message **ret_reply)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, PG_BUS_NAME, path, PG_IFACE_CONVERSATION,
                                           "Step");
        if (r < 0)
                return r;
        /* The answer may be a password: sd-bus wipes a sensitive message when freeing it. */
        r = sd_bus_message_sensitive(m);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        if (answer) {
                r = sd_bus_message_append(m, "{sv}", "Value", "s", answer);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;

        r = sd_bus_call(bus, m, timeout_usec, error, ret_reply);
        if (r < 0)
                return r;
        /* The reply may carry a generated password. */
        return sd_bus_message_sensitive(*ret_reply);
}

static int read_string_variant(sd_bus_message *m, const char *contents, const char **ret)
{
        if (!streq(contents, "s"))
                return -EPROTO;
        return sd_bus_message_read(m, "v", "s", ret);
}

static int read_bool_variant(sd_bus_message *m, const char *contents, bool *ret)
{
        int b, r;

        if (!streq(contents, "b"))
                return -EPROTO;
        r = sd_bus_message_read(m, "v", "b", &b);
        if (r < 0)
                return r;
        *ret = b;
        return 0;
}

static int read_choices_variant(sd_bus_message *m, const char *contents, ConvChoice **ret,
                                size_t *ret_n)
{
        _cleanup_free_ ConvChoice *choices = NULL;
        size_t n = 0;
        int r;

        if (!streq(contents, "a(ss)"))
                return -EPROTO;
        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "(ss)");
        if (r < 0)
                return r;
        for (;;) {
                const char *id, *label;
                ConvChoice *c;

                r = sd_bus_message_read(m, "(ss)", &id, &label);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                c = reallocarray(choices, n + 1, sizeof(*c));
                if (!c)
                        return -ENOMEM;
                choices = c;
                choices[n++] = (ConvChoice){ .id = id, .label = label };
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        free(*ret);
        *ret = TAKE_PTR(choices);
        *ret_n = n;
        return 0;
}

static int step_parse_entry(Step *s)
{
        const struct {
                const char *key;
                const char **value;
        } strings[] = {
                { "Id", &s->prompt.id },
                { "Message", &s->prompt.message },
                { "Notice", &s->prompt.notice },
                { "Password", &s->prompt.password },
                { "User", &s->user },
                { "Error", &s->error },
        };
        sd_bus_message *m = s->reply;
        const char *key, *contents;
        int r;

        r = sd_bus_message_read(m, "s", &key);
        if (r < 0)
                return r;
        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;

        for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                if (streq(key, strings[i].key))
                        return read_string_variant(m, contents, strings[i].value);
        if (streq(key, "Choices"))
                return read_choices_variant(m, contents, &s->choices, &s->prompt.n_choices);
        if (streq(key, "PasswordChangeRequired"))
                return read_bool_variant(m, contents, &s->change_required);
        /* Keys added by later versions of the daemon. */
        return sd_bus_message_skip(m, "v");
}

static bool step_kind_valid(const char *kind)
{
        static const char *const kinds[] = {
                PG_STEP_SECRET, PG_STEP_TEXT, PG_STEP_CHOICE,
                PG_STEP_INFO,   PG_STEP_DONE, PG_STEP_FAILED,
        };

        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (streq(kind, kinds[i]))
                        return true;
        return false;
}

static int step_parse(Step *s)
{
        sd_bus_message *m = s->reply;
        int r;

        r = sd_bus_message_read(m, "s", &s->prompt.kind);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        for (;;) {
                r = sd_bus_message_enter_container(m, 'e', "sv");
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = step_parse_entry(s);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        s->prompt.choices = s->choices;
        if (!s->prompt.id)
                s->prompt.id = "";
        if (!s->prompt.message)
                s->prompt.message = "";

        if (!step_kind_valid(s->prompt.kind))
                return -EPROTO;
        if (streq(s->prompt.kind, PG_STEP_CHOICE) && s->prompt.n_choices == 0)
                return -EPROTO;
        if (streq(s->prompt.kind, PG_STEP_DONE) && isempty(s->user))
                return -EPROTO;
        if (streq(s->prompt.kind, PG_STEP_FAILED) && isempty(s->error))
                return -EPROTO;
        return 0;
}

static int result_from_step(const Step *s, ConvResult *ret)
{
        ConvResult res = { .change_required = s->change_required };
        bool done = streq(s->prompt.kind, PG_STEP_DONE);

        res.message = strdup(s->prompt.message);
        if (done)
                res.user = strdup(s->user);
        else
                res.error = strdup(s->error);
        if (!res.message || (done ? !res.user : !res.error)) {
                conv_result_clear(&res);
                return -ENOMEM;
        }
        *ret = res;
        return 0;
}

bool conv_error_is_answer(const sd_bus_error *error)
{
        return sd_bus_error_is_set(error) &&
               (strncmp(error->name, PG_ERROR_PREFIX, strlen(PG_ERROR_PREFIX)) == 0 ||
                sd_bus_error_has_names(error, PG_ERROR_ACCESS_DENIED, PG_ERROR_INVALID_ARGS));
}

/* A refusal ends the flow like a "failed" step; other errors mean no service. */
static int result_from_error(const sd_bus_error *error, int r, ConvResult *ret)
{
        ConvResult res = {};

        if (!conv_error_is_answer(error))
                return r;

        res.error = strdup(error->name);
        res.message = strdup(error->message ? error->message : "");
        if (!res.error || !res.message) {
                conv_result_clear(&res);
                return -ENOMEM;
        }
        *ret = res;
        return 0;
}

static void cancel_conversation(sd_bus *bus, const char *path)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

        /* No waiting for a reply: an unresponsive daemon may be why we give up. */
        if (sd_bus_message_new_method_call(bus, &m, PG_BUS_NAME, path, PG_IFACE_CONVERSATION,
                                           "Cancel") < 0)
                return;
        if (sd_bus_message_set_expect_reply(m, false) < 0)
                return;
        if (sd_bus_send(bus, m, NULL) < 0)
                return;
        (void)sd_bus_flush(bus);
}

/* Returns 0 once a done or failed step arrived; anything else leaves the conversation open. */
static int converse(sd_bus *bus, const char *path, uint64_t timeout_usec, conv_ask_t ask,
                    void *userdata, sd_bus_error *error, ConvResult *ret)
{
        _cleanup_erase_ char *answer = NULL;
        int r;

        for (unsigned i = 0; i < CONV_STEPS_MAX; i++) {
                _cleanup_(step_clear) Step s = {};
                bool info;

                r = step_call(bus, path, answer, timeout_usec, error, &s.reply);
                answer = erase_and_free(answer);
                if (r < 0)
                        return r;
                r = step_parse(&s);
                if (r < 0)
                        return r == -ENOMEM ? r : -EPROTO;

                if (streq(s.prompt.kind, PG_STEP_DONE) || streq(s.prompt.kind, PG_STEP_FAILED))
                        return result_from_step(&s, ret);

                info = streq(s.prompt.kind, PG_STEP_INFO);
                r = ask(&s.prompt, info ? NULL : &answer, userdata);
                if (r < 0)
                        return r;
                if (!info && !answer)
                        return -EINVAL;
        }
        return -EPROTO;
}

int conv_run(sd_bus *bus, const char *flow, const char *login, const ConvClientInfo *client,
             uint64_t timeout_usec, conv_ask_t ask, void *userdata, ConvResult *ret)
{
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = begin_conversation(bus, flow, login, client, timeout_usec, &error, &path);
        if (r >= 0) {
                r = converse(bus, path, timeout_usec, ask, userdata, &error, ret);
                if (r < 0)
                        cancel_conversation(bus, path);
        }
        if (r < 0)
                return result_from_error(&error, r, ret);
        return 0;
}
