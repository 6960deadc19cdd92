/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "recovery.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "l10n.h"
#include "macro.h"
#include "messages.h"
#include "record.h"

/* The code's hash is bound to the account and the moment it was issued: no replay elsewhere. */
static void code_hash(Daemon *d, const char *user, uint64_t issued, const char *code,
                      uint8_t out[PEPPER_HASH_BYTES])
{
        char buf[256 + 2 * 21 + CODE_DIGITS];
        snprintf(buf, sizeof buf, "%s\n%llu\n%s", user, (unsigned long long)issued, code);
        pepper_hash(d->pepper.code_key, "code", buf, out);
        sodium_memzero(buf, sizeof buf);
}

static void limit_key(Daemon *d, const char *kind, const char *value,
                      uint8_t out[PEPPER_HASH_BYTES])
{
        pepper_hash(d->pepper.index_key, kind, value, out);
}

/*
 * The per-identifier and per-caller budgets, counted for every request, known or not; and the
 * host's message budget, checked for every request too, so that a spent budget does not tell a
 * matching document from a wrong one.
 */
static int take_request_limits(CodeRequest *q, MDB_txn *txn, uint64_t now)
{
        Daemon *d = q->d;
        uint8_t id_key[PEPPER_HASH_BYTES], uid_key[PEPPER_HASH_BYTES], global[PEPPER_HASH_BYTES];
        char uid[16];

        limit_key(d, "limit-identifier", q->identifier, id_key);
        snprintf(uid, sizeof uid, "%u", (unsigned)q->caller);
        limit_key(d, "limit-uid", uid, uid_key);
        message_budget_key(d, global);
        int r = store_limit_take(d->store, txn, global, d->config->messages_per_hour, USEC_PER_HOUR,
                                 now, false);
        if (r < 0)
                return r;
        const StoreLimit limits[] = { { id_key, d->config->attempts_per_hour },
                                      { uid_key, d->config->caller_attempts_per_hour } };
        /* Root runs every login program: the host's message budget bounds it instead. */
        return store_limits_take(d->store, txn, limits, q->caller != 0 ? 2 : 1, USEC_PER_HOUR, now);
}

/* The account the identifier names, if its document matches and it may recover at all. */
static int match_account(CodeRequest *q, MDB_txn *txn, Account *a)
{
        Daemon *d = q->d;
        uint8_t key[PEPPER_HASH_BYTES];
        _cleanup_free_ char *user = NULL;

        if (q->resend || q->support) {
                if (!q->user)
                        return -ENOENT;
                user = strdup(q->user);
                if (!user)
                        return -ENOMEM;
        } else {
                pepper_hash(d->pepper.index_key, q->channel == CHANNEL_SMS ? "phone" : "email",
                            q->identifier, key);
                int r = store_index_lookup(d->store, txn, key, &user);
                if (r < 0)
                        return r;
        }
        int r = store_get_account(d->store, txn, user, a);
        if (r < 0)
                return r;
        const AccountDocument *doc = &a->documents[q->doc_type];
        /* An admin lock is not something a code may lift. */
        if (a->locked)
                return -ENOENT;
        if (q->support) {
                /* The agent confirmed the caller already: the code goes where the account says. */
                if (!a->phone && !a->email)
                        return -ENOENT;
                q->channel = a->phone ? CHANNEL_SMS : CHANNEL_EMAIL;
                return 0;
        }
        if (!q->resend &&
            (!doc->set || sodium_memcmp(doc->hash, q->doc_hash, PEPPER_HASH_BYTES) != 0))
                return -ENOENT;
        return 0;
}

static void prune_sent(Account *a, uint64_t now)
{
        unsigned n = 0;
        for (unsigned i = 0; i < a->n_codes_sent; i++)
                if (a->codes_sent[i] + USEC_PER_HOUR > now)
                        a->codes_sent[n++] = a->codes_sent[i];
        a->n_codes_sent = n;
}

static int new_code_message(CodeRequest *q, const Account *a, const char *code)
{
        _cleanup_free_ char *text = NULL;
        const char *to = q->channel == CHANNEL_SMS ? a->phone : a->email;
        unsigned minutes = (unsigned)(q->d->config->code_lifetime_usec / (60 * USEC_PER_SEC));

        if (!to)
                return -ENOENT;
        if (asprintf(&text, l10n_gettext(q->locale, MSG_MAIL_CODE), code, minutes) < 0)
                return -ENOMEM;
        q->msg = message_new(q->channel, to, l10n_gettext(q->locale, MSG_MAIL_CODE_SUBJECT), text);
        sodium_memzero(text, strlen(text));
        return q->msg ? 0 : -ENOMEM;
}

static int issue(CodeRequest *q, MDB_txn *txn, Account *a, uint64_t now)
{
        Daemon *d = q->d;
        const Config *cf = d->config;
        char code[CODE_DIGITS + 1];

        if (a->code_tries && a->code_last_failure_usec + USEC_PER_HOUR <= now)
                a->code_tries = 0;
        prune_sent(a, now);
        if (a->code_tries >= cf->code_tries ||
            a->n_codes_sent >= MIN(cf->codes_per_hour, CODES_SENT_MAX)) {
                q->outcome = CODE_LIMITED;
                return audit_event(d, txn, a->user, "recovery-limited", q->caller,
                                   "account hourly limit");
        }
        /* Asked again moments later (a second start): the code already sent stands; one the
         * support desk sent stands as long as it lives, as the user was told to enter it. */
        uint64_t stands = a->code_support ? cf->code_lifetime_usec : cf->code_resend_usec;
        if (!q->resend && !q->support && a->code_set && now < a->code_issued_usec + stands) {
                q->outcome = CODE_QUIET;
                return audit_event(d, txn, a->user, "recovery-code-kept", q->caller, "");
        }
        int r = notice_budget_take(d, txn, 1);
        if (r == -EDQUOT) {
                q->outcome = CODE_LIMITED;
                return audit_event(d, txn, a->user, "recovery-limited", q->caller,
                                   "host message budget");
        }
        if (r < 0)
                return r;

        snprintf(code, sizeof code, "%0*u", CODE_DIGITS, randombytes_uniform(1000000));
        a->code_set = true;
        a->code_support = q->support;
        a->code_issued_usec = now;
        code_hash(d, a->user, now, code, a->code_hash);
        a->codes_sent[a->n_codes_sent++] = now;
        r = new_code_message(q, a, code);
        sodium_memzero(code, sizeof code);
        if (r < 0 || (r = store_put_account(d->store, txn, a)) < 0)
                return r;
        q->outcome = CODE_SENT;
        return audit_event(d, txn, a->user,
                           q->resend ? "recovery-code-resent" : "recovery-code-sent", q->caller,
                           q->support                  ? "support"
                           : q->channel == CHANNEL_SMS ? "sms"
                                                       : "email");
}

/*
 * A match seals and writes its account and composes the code's message: no match does the same
 * work for nothing, so that the time of the answer does not tell a matching document.
 */
static int pad_no_match(CodeRequest *q, MDB_txn *txn, const Account *a)
{
        Daemon *d = q->d;
        /* Support asks by login: it typed no contact. */
        char *id = q->identifier ? q->identifier : (char *)"";
        Account pad = { .user = a->user ? a->user : id, .phone = id };
        _cleanup_free_ char *text = NULL;
        uint8_t *rec;
        size_t n;

        if (a->user)
                pad = *a;
        int r = record_encode(&pad, &d->pepper, &rec, &n);
        if (r < 0)
                return r;
        r = store_pad(d->store, txn, rec, n);
        sodium_memzero(rec, n);
        free(rec);
        /* A code takes one from the host's message budget; no match only writes it back. */
        uint8_t budget[PEPPER_HASH_BYTES];
        message_budget_key(d, budget);
        if (r >= 0)
                r = store_limit_touch(d->store, txn, budget);
        if (r < 0)
                return r;
        if (asprintf(&text, l10n_gettext(q->locale, MSG_MAIL_CODE), "000000", 10u) < 0)
                return -ENOMEM;
        message_free(
                message_new(q->channel, id, l10n_gettext(q->locale, MSG_MAIL_CODE_SUBJECT), text));
        return 0;
}

int code_request_txn(Store *s, MDB_txn *txn, void *userdata)
{
        CodeRequest *q = userdata;
        Account a = {};
        uint64_t now = now_usec();

        /* The transaction may run again after the map grew: start from nothing each time. */
        q->msg = message_free(q->msg);
        free(q->matched);
        q->matched = NULL;
        q->outcome = CODE_QUIET;

        int r = q->resend || q->support ? 0 : take_request_limits(q, txn, now);
        if (r == -EDQUOT) {
                q->outcome = CODE_LIMITED;
                return audit_event(q->d, txn, NULL, "recovery-limited", q->caller,
                                   "identifier or caller limit");
        }
        if (r < 0)
                return r;
        r = match_account(q, txn, &a);
        if (r == -ENOENT) {
                r = pad_no_match(q, txn, &a);
                account_clear(&a);
                return r < 0 ? r
                             : audit_event(q->d, txn, NULL, "recovery-no-match", q->caller,
                                           q->support ? "support" : "");
        }
        if (r >= 0 && !(q->matched = strdup(a.user)))
                r = -ENOMEM;
        if (r >= 0)
                r = issue(q, txn, &a, now);
        account_clear(&a);
        return r;
}

void code_request_clear(CodeRequest *q)
{
        erase_and_free(q->identifier);
        free(q->user);
        free(q->matched);
        message_free(q->msg);
        sodium_memzero(q, sizeof *q);
}

int code_check_txn(Store *s, MDB_txn *txn, void *userdata)
{
        CodeCheck *k = userdata;
        Daemon *d = k->d;
        Account a = {};
        uint8_t h[PEPPER_HASH_BYTES];
        uint64_t now = now_usec();

        k->verdict = CODE_BAD;
        if (!k->user)
                return audit_event(d, txn, NULL, "recovery-code-wrong", k->caller, "");
        int r = store_get_account(d->store, txn, k->user, &a);
        if (r == -ENOENT)
                return audit_event(d, txn, NULL, "recovery-code-wrong", k->caller, "");
        if (r < 0)
                return r;

        bool live = a.code_set && now < a.code_issued_usec + d->config->code_lifetime_usec &&
                    a.code_tries < d->config->code_tries;
        if (a.code_set)
                code_hash(d, a.user, a.code_issued_usec, k->code, h);
        if (live && sodium_memcmp(h, a.code_hash, sizeof h) == 0) {
                /* Spent before anyone hears it was good: a crash now cannot make it reusable. */
                a.code_set = false;
                a.code_tries = 0;
                k->verdict = CODE_GOOD;
        } else {
                a.code_tries++;
                a.code_last_failure_usec = now;
                if (a.code_tries >= d->config->code_tries) {
                        a.code_set = false;
                        k->verdict = CODE_BURNED;
                }
        }
        sodium_memzero(h, sizeof h);
        if (!a.code_set)
                sodium_memzero(a.code_hash, sizeof a.code_hash);
        r = store_put_account(d->store, txn, &a);
        if (r >= 0)
                r = audit_event(d, txn, a.user,
                                k->verdict == CODE_GOOD     ? "recovery-code-accepted"
                                : k->verdict == CODE_BURNED ? "recovery-code-burned"
                                                            : "recovery-code-wrong",
                                k->caller, "");
        account_clear(&a);
        return r;
}

void code_check_clear(CodeCheck *k)
{
        free(k->user);
        sodium_memzero(k, sizeof *k);
}
