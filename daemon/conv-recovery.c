/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * "I don't know the password": phone or e-mail, a document, a one-time code, a new password.
 * Whether the account exists, the document matches or the account is locked, every answer and
 * error is the same and takes one store write; only the code that arrives (or not) differs.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bus-names.h"
#include "clock.h"
#include "conversation.h"
#include "identifier.h"
#include "l10n.h"
#include "macro.h"
#include "mask.h"
#include "messages.h"
#include "recovery.h"

#define MAX_MALFORMED 3

enum {
        REC_START,
        REC_ASK_CONTACT,
        REC_ASK_DOC_TYPE,
        REC_ASK_DOC_NUMBER,
        REC_ASK_CODE,
};

static const struct {
        const char *label, *ask, *bad;
} doc_texts[_DOC_MAX] = {
        [DOC_PASSPORT] = { MSG_DOC_PASSPORT, MSG_ASK_PASSPORT, MSG_PASSPORT_BAD },
        [DOC_SNILS] = { MSG_DOC_SNILS, MSG_ASK_SNILS, MSG_SNILS_BAD },
        [DOC_INN] = { MSG_DOC_INN, MSG_ASK_INN, MSG_INN_BAD },
};

void recovery_free(Recovery *r)
{
        if (!r)
                return;
        erase_and_free(r->identifier);
        free(r->masked);
        free(r->matched);
        free(r);
}

int recovery_begin(Conversation *c, sd_bus_error *error)
{
        if (!(c->recovery = calloc(1, sizeof(Recovery))))
                return -ENOMEM;
        c->step = recovery_step;
        return 0;
}

int recovery_enter(Conversation *c, sd_bus_message *m)
{
        int r = recovery_begin(c, NULL);
        if (r < 0)
                return r;
        return recovery_step(c, m, NULL);
}

static int fail(Conversation *c, sd_bus_message *m, const char *error, const char *message)
{
        return conversation_fail(c, m, error, message);
}

/* The recovery cannot go on (limits, wrong codes, delivery): the support desk can still help. */
static int fail_support(Conversation *c, sd_bus_message *m, const char *error, const char *message)
{
        return conversation_reply(c, m,
                                  &(StepReply){ .kind = PG_STEP_FAILED,
                                                .id = "failed",
                                                .message = message,
                                                .error = error,
                                                .offer_support = true });
}

/* Malformed input is asked again with the reason, a few times. */
static int again(Conversation *c, sd_bus_message *m, const StepReply *ask, const char *notice)
{
        if (++c->recovery->malformed > MAX_MALFORMED)
                return fail(c, m, PG_ERROR_TOO_MANY_ATTEMPTS, MSG_TOO_MANY_TRIES);
        StepReply r = *ask;
        r.notice = notice;
        return conversation_reply(c, m, &r);
}

static const StepReply ask_contact = { .kind = PG_STEP_TEXT,
                                       .id = "identifier",
                                       .message = MSG_ASK_CONTACT };

/* A phone or an e-mail address, the channel the code will take. */
static int take_contact(Conversation *c, const char *typed)
{
        Recovery *rc = c->recovery;
        PhoneRules rules = { .country_code = c->d->config->country_code,
                             .trunk_prefix = c->d->config->trunk_prefix };
        char *norm = NULL;
        int r;

        if (isempty(typed))
                return -EINVAL;
        if (strchr(typed, '@')) {
                if ((r = email_normalize(typed, &norm)) < 0)
                        return r;
                rc->channel = CHANNEL_EMAIL;
                r = mask_email(norm, &rc->masked);
        } else {
                if ((r = phone_normalize(typed, &rules, &norm)) < 0)
                        return r;
                rc->channel = CHANNEL_SMS;
                r = mask_phone(norm, &rc->masked);
        }
        if (r < 0) {
                erase_and_free(norm);
                return r;
        }
        rc->identifier = norm;
        return 0;
}

static int ask_doc_type(Conversation *c, sd_bus_message *m, const char *notice)
{
        StepChoice choices[_DOC_MAX];
        size_t n = 0;

        for (DocType t = 0; t < _DOC_MAX; t++)
                if (c->d->config->recovery_documents & (1u << t))
                        choices[n++] = (StepChoice){ doc_type_to_string(t), doc_texts[t].label };
        c->recovery->state = REC_ASK_DOC_TYPE;
        StepReply ask = { .kind = PG_STEP_CHOICE,
                          .id = "document-type",
                          .message = MSG_ASK_DOCUMENT_TYPE,
                          .choices = choices,
                          .n_choices = n };
        return notice ? again(c, m, &ask, notice) : conversation_reply(c, m, &ask);
}

static StepReply ask_number(Conversation *c)
{
        return (StepReply){ .kind = PG_STEP_TEXT,
                            .id = "document-number",
                            .message = doc_texts[c->recovery->doc_type].ask };
}

static StepReply ask_code(Conversation *c)
{
        return (StepReply){ .kind = PG_STEP_SECRET,
                            .id = "code",
                            .message = MSG_ASK_CODE,
                            .arg = c->recovery->masked };
}

static void on_delivered(int r, void *userdata)
{
        Conversation *c = userdata;
        /* Told at the next step: answering now would wait for a gateway, and only known accounts
         * would wait. */
        if (r < 0 && c->recovery)
                c->recovery->delivery_failed = true;
        conversation_unref(c);
}

typedef struct Request {
        CodeRequest q;
        Conversation *c;
} Request;

static void request_free(Request *rq)
{
        code_request_clear(&rq->q);
        free(rq);
}

static void on_requested(Daemon *d, int r, void *userdata)
{
        Request *rq = userdata;
        Conversation *c = rq->c;
        Recovery *rc = c->recovery;
        sd_bus_message *m = conversation_unpark(c);

        if (!m)
                ;
        else if (r < 0)
                (void)fail(c, m, PG_ERROR_STORE, MSG_INTERNAL);
        else if (rq->q.outcome == CODE_LIMITED)
                (void)fail_support(c, m, PG_ERROR_RATE_LIMITED, MSG_TRY_LATER);
        else {
                if (rq->q.matched && !rc->matched)
                        rc->matched = TAKE_PTR(rq->q.matched);
                if (rq->q.msg) {
                        rc->delivery_failed = false;
                        if (delivery_send(d->delivery, TAKE_PTR(rq->q.msg), on_delivered,
                                          conversation_ref(c)) < 0) {
                                rc->delivery_failed = true;
                                conversation_unref(c);
                        }
                }
                bool resend = rq->q.resend;
                rc->code_sent_usec = now_usec();
                rc->state = REC_ASK_CODE;
                StepReply ask = ask_code(c);
                ask.notice = resend ? MSG_CODE_RESENT : NULL;
                (void)conversation_reply(c, m, &ask);
        }
        sd_bus_message_unref(m);
        conversation_unref(c);
        request_free(rq);
}

static int request_code(Conversation *c, sd_bus_message *m, const uint8_t *doc_hash, bool resend)
{
        Recovery *rc = c->recovery;
        Request *rq = calloc(1, sizeof(Request));
        if (!rq)
                return -ENOMEM;
        rq->c = c;
        rq->q = (CodeRequest){ .d = c->d,
                               .caller = c->owner,
                               .channel = rc->channel,
                               .doc_type = rc->doc_type,
                               .resend = resend,
                               .locale = c->locale };
        if (doc_hash)
                memcpy(rq->q.doc_hash, doc_hash, PEPPER_HASH_BYTES);
        if (!(rq->q.identifier = strdup(rc->identifier)) ||
            (rc->matched && !(rq->q.user = strdup(rc->matched)))) {
                request_free(rq);
                return -ENOMEM;
        }
        conversation_park(c, m);
        int r = daemon_write(c->d, code_request_txn, &rq->q, on_requested);
        if (r < 0) {
                request_free(rq);
                conversation_unpark_failed(c);
        }
        /* Answered later (or just now, with the error): sd-bus must not answer it too. */
        return 1;
}

static int take_number(Conversation *c, sd_bus_message *m, const char *value)
{
        Recovery *rc = c->recovery;
        _cleanup_erase_ char *norm = NULL;
        uint8_t h[PEPPER_HASH_BYTES];

        int r = document_normalize(rc->doc_type, value ? value : "", &norm);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                StepReply ask = ask_number(c);
                return again(c, m, &ask, doc_texts[rc->doc_type].bad);
        }
        pepper_hash(c->d->pepper.document_key, doc_type_to_string(rc->doc_type), norm, h);
        r = request_code(c, m, h, false);
        sodium_memzero(h, sizeof h);
        return r;
}

static bool is_resend(Conversation *c, const char *value)
{
        return strcasecmp(value, MSG_RECOVERY_WORD) == 0 ||
               strcasecmp(value, l10n_gettext(c->locale, MSG_RECOVERY_WORD)) == 0;
}

static int resend(Conversation *c, sd_bus_message *m)
{
        Recovery *rc = c->recovery;
        uint64_t now = now_usec(), ready = rc->code_sent_usec + c->d->config->code_resend_usec;

        if (now < ready) {
                StepReply ask = ask_code(c);
                ask.notice = MSG_CODE_WAIT;
                ask.notice_arg = (unsigned)((ready - now + USEC_PER_SEC - 1) / USEC_PER_SEC);
                return conversation_reply(c, m, &ask);
        }
        return request_code(c, m, NULL, true);
}

typedef struct Check {
        CodeCheck k;
        Conversation *c;
} Check;

static void on_checked(Daemon *d, int r, void *userdata)
{
        Check *ck = userdata;
        Conversation *c = ck->c;
        Recovery *rc = c->recovery;
        sd_bus_message *m = conversation_unpark(c);

        if (!m)
                ;
        else if (r < 0)
                (void)fail(c, m, PG_ERROR_STORE, MSG_INTERNAL);
        else if (ck->k.verdict == CODE_GOOD && rc->matched) {
                free(c->user);
                if (!(c->user = strdup(rc->matched)))
                        (void)fail(c, m, PG_ERROR_STORE, MSG_INTERNAL);
                else {
                        c->how = "recovery";
                        c->step = change_step;
                        (void)change_ask_new(c, m, NULL, 0);
                }
        } else if (ck->k.verdict == CODE_BURNED || ++rc->code_tries >= d->config->code_tries)
                (void)fail_support(c, m, PG_ERROR_TOO_MANY_ATTEMPTS, MSG_CODE_BURNED);
        else {
                StepReply ask = ask_code(c);
                ask.notice = MSG_CODE_WRONG;
                (void)conversation_reply(c, m, &ask);
        }
        sd_bus_message_unref(m);
        conversation_unref(c);
        code_check_clear(&ck->k);
        free(ck);
}

/* Six digits, spaces and dashes ignored; anything else is no code at all. */
static bool code_normalize(const char *value, char out[static CODE_DIGITS + 1])
{
        size_t n = 0;
        for (const char *p = value; *p; p++) {
                if (*p == ' ' || *p == '-')
                        continue;
                if (!isdigit((unsigned char)*p) || n >= CODE_DIGITS)
                        return false;
                out[n++] = *p;
        }
        out[n] = 0;
        return n == CODE_DIGITS;
}

static int take_code(Conversation *c, sd_bus_message *m, const char *value)
{
        Recovery *rc = c->recovery;

        if (rc->delivery_failed)
                return fail_support(c, m, PG_ERROR_DELIVERY_FAILED, MSG_NOT_SENT);
        if (is_resend(c, value))
                return resend(c, m);
        if (now_usec() >= rc->code_sent_usec + c->d->config->code_lifetime_usec) {
                StepReply ask = ask_code(c);
                ask.notice = MSG_CODE_EXPIRED;
                return conversation_reply(c, m, &ask);
        }

        Check *ck = calloc(1, sizeof(Check));
        if (!ck)
                return -ENOMEM;
        ck->c = c;
        ck->k = (CodeCheck){ .d = c->d, .caller = c->owner };
        /* A malformed code goes the same way as a wrong one: it is one. */
        if (!code_normalize(value, ck->k.code))
                memset(ck->k.code, 'x', CODE_DIGITS);
        if (rc->matched && !(ck->k.user = strdup(rc->matched))) {
                free(ck);
                return -ENOMEM;
        }
        conversation_park(c, m);
        int r = daemon_write(c->d, code_check_txn, &ck->k, on_checked);
        if (r < 0) {
                code_check_clear(&ck->k);
                free(ck);
                conversation_unpark_failed(c);
        }
        return 1;
}

int recovery_step(Conversation *c, sd_bus_message *m, const char *value)
{
        Recovery *rc = c->recovery;
        DocType t;
        int r;

        switch (rc->state) {
        case REC_START:
                /* What was typed at the login prompt, if it is a phone or an e-mail. */
                if (take_contact(c, c->login) >= 0)
                        return ask_doc_type(c, m, NULL);
                rc->state = REC_ASK_CONTACT;
                return conversation_reply(c, m, &ask_contact);
        case REC_ASK_CONTACT:
                r = value && strlen(value) <= 256 ? take_contact(c, value) : -EINVAL;
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return again(c, m, &ask_contact, MSG_CONTACT_MALFORMED);
                return ask_doc_type(c, m, NULL);
        case REC_ASK_DOC_TYPE:
                if (!value || doc_type_from_string(value, &t) < 0 ||
                    !(c->d->config->recovery_documents & (1u << t)))
                        return ask_doc_type(c, m, MSG_DOCUMENT_TYPE_BAD);
                rc->doc_type = t;
                rc->state = REC_ASK_DOC_NUMBER;
                StepReply ask = ask_number(c);
                return conversation_reply(c, m, &ask);
        case REC_ASK_DOC_NUMBER:
                return take_number(c, m, value);
        case REC_ASK_CODE:
                return take_code(c, m, value ? value : "");
        default:
                return -EINVAL;
        }
}

/* Logind ends the user's sessions: whoever was in with the old password is out. */
static void terminate_sessions(Daemon *d, const char *user)
{
        uid_t uid;
        if (unix_user_uid(user, &uid) < 0)
                return;
        int r = sd_bus_call_method_async(
                d->bus, NULL, "org.freedesktop.login1", "/org/freedesktop/login1",
                "org.freedesktop.login1.Manager", "TerminateUser", NULL, NULL, "u", (uint32_t)uid);
        if (r < 0)
                fprintf(stderr, "passgated: cannot ask logind to end the sessions of %s: %s\n",
                        user, strerror(-r));
}

int recovery_finish(Conversation *c, sd_bus_message *m)
{
        Daemon *d = c->d;
        _cleanup_free_ char *user = strdup(c->user);
        int r;

        if (!user)
                return -ENOMEM;
        if (streq(c->flow, PG_FLOW_LOGIN) && !d->config->login_after_recovery)
                r = fail(c, m, PG_ERROR_PASSWORD_RECOVERED, MSG_RECOVERED);
        else
                r = conversation_reply(c, m,
                                       &(StepReply){ .kind = PG_STEP_DONE,
                                                     .id = "done",
                                                     .message = streq(c->flow, PG_FLOW_LOGIN)
                                                                        ? MSG_LOGGED_IN
                                                                        : MSG_RECOVERED,
                                                     .user = user });
        /* This one has ended with its reply; every other one about the account ends now. */
        conversations_cancel_user(d, user);
        if (d->config->terminate_sessions_on_recovery)
                terminate_sessions(d, user);
        return r;
}
