/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * org.passgate1.Support, the support desk. Its contacts are public. Agents (root, or polkit
 * org.passgate1.support) confirm a caller's identity by full name and one document, learning match
 * or no match only, and may then have a recovery code sent to the account's registered contact.
 * An unknown account takes the same way as a known one: one write transaction, the same answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account-props.h"
#include "bus-names.h"
#include "clock.h"
#include "daemon.h"
#include "document.h"
#include "fullname.h"
#include "macro.h"
#include "recovery.h"
#include "support.h"

#define MAX_LOGIN_BYTES  256
#define MAX_NAME_BYTES   1024 /* stored names are shorter: room for the spaces typed around them */
#define MAX_NUMBER_BYTES 64

static int method_get_contacts(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Daemon *d = userdata;
        SupportContact c[SUPPORT_CONTACTS_MAX];
        size_t n = support_contacts(d->config, c);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

        int r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0 || (r = sd_bus_message_open_container(reply, 'a', "{ss}")) < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if ((r = sd_bus_message_append(reply, "{ss}", c[i].key, c[i].value)) < 0)
                        return r;
        if ((r = sd_bus_message_close_container(reply)) < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static bool login_ok(const char *login)
{
        return !isempty(login) && text_ok(login, MAX_LOGIN_BYTES);
}

/* One VerifyIdentity: what was typed, prepared on the bus loop; the answer, from the writer. */
typedef struct Verify {
        Daemon *d;
        sd_bus_message *m;
        uid_t caller;
        char *login;
        char *name; /* folded */
        DocType type;
        bool number_ok; /* well formed; doc_hash is its keyed hash */
        uint8_t doc_hash[PEPPER_HASH_BYTES];
        bool limited;
        bool match;
} Verify;

static void verify_free(Verify *v)
{
        sd_bus_message_unref(v->m);
        erase_and_free(v->login);
        erase_and_free(v->name);
        sodium_memzero(v, sizeof *v);
        free(v);
}

/*
 * Per agent, and per account: by its name when known, else by what was typed, so that an unknown
 * login runs out as a known one does. Both are checked before either is counted.
 */
static int take_limits(Verify *v, MDB_txn *txn, const char *user, uint64_t now)
{
        Daemon *d = v->d;
        uint8_t agent[PEPPER_HASH_BYTES], account[PEPPER_HASH_BYTES];
        char uid[16];

        snprintf(uid, sizeof uid, "%u", (unsigned)v->caller);
        pepper_hash(d->pepper.index_key, "limit-verify-agent", uid, agent);
        pepper_hash(d->pepper.index_key, "limit-verify-account", user ? user : v->login, account);
        const StoreLimit limits[] = { { agent, d->config->verify_per_hour },
                                      { account, d->config->verify_account_per_hour } };
        return store_limits_take(d->store, txn, limits, ELEMENTSOF(limits), USEC_PER_HOUR, now);
}

/*
 * Name and document are both compared, whatever the other gave, as digests in constant time. An
 * unknown account, or one without a name or that document, is compared with a stand-in at the same
 * cost and never matches.
 */
static int compare(Verify *v, const Account *a, bool *ret)
{
        static const uint8_t none[PEPPER_HASH_BYTES];
        uint8_t typed[crypto_generichash_BYTES], kept[crypto_generichash_BYTES];
        _cleanup_erase_ char *stored = NULL;
        bool known = a && a->full_name && a->documents[v->type].set;

        int r = full_name_fold(known ? a->full_name : v->name, &stored);
        if (r < 0)
                return r;
        crypto_generichash(typed, sizeof typed, (const uint8_t *)v->name, strlen(v->name), NULL, 0);
        crypto_generichash(kept, sizeof kept, (const uint8_t *)stored, strlen(stored), NULL, 0);
        bool name = sodium_memcmp(typed, kept, sizeof typed) == 0;
        bool document = sodium_memcmp(v->doc_hash, known ? a->documents[v->type].hash : none,
                                      PEPPER_HASH_BYTES) == 0;
        *ret = known && v->number_ok && name && document;
        return 0;
}

static int verify_txn(Store *s, MDB_txn *txn, void *userdata)
{
        Verify *v = userdata;
        Account a = {};
        _cleanup_free_ char *user = NULL;
        char detail[64];
        const char *type = doc_type_to_string(v->type);

        /* The transaction may run again after the map grew: start from nothing each time. */
        v->limited = v->match = false;
        int r = resolve_login_txn(v->d, txn, v->login, &user);
        if (r >= 0)
                r = store_get_account(s, txn, user, &a);
        if (r == -ENOENT) {
                free(TAKE_PTR(user));
                r = 0;
        }
        if (r >= 0)
                r = take_limits(v, txn, user, now_usec());
        if (r == -EDQUOT) {
                v->limited = true;
                r = audit_event(v->d, txn, user, "support-verify-limited", v->caller, type);
        } else if (r >= 0 && (r = compare(v, user ? &a : NULL, &v->match)) >= 0) {
                /* Which document, and the answer: never the number or the name. */
                snprintf(detail, sizeof detail, "%s %s", type, v->match ? "match" : "no match");
                r = audit_event(v->d, txn, user, "support-verify", v->caller, detail);
        }
        account_clear(&a);
        return r;
}

static void verify_done(Daemon *d, int r, void *userdata)
{
        Verify *v = userdata;

        if (r < 0)
                (void)bus_reply_failure(v->m, r);
        else if (v->limited)
                (void)sd_bus_reply_method_errorf(v->m, PG_ERROR_RATE_LIMITED,
                                                 "Too many identity checks: try again later.");
        else
                (void)sd_bus_reply_method_return(v->m, "b", (int)v->match);
        verify_free(v);
}

/* The number, normalised and hashed as the account keeps it; a malformed one matches nothing. */
static int hash_number(Verify *v, const char *number)
{
        _cleanup_erase_ char *norm = NULL;
        int r = document_normalize(v->type, number, &norm);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        pepper_hash(v->d->pepper.document_key, doc_type_to_string(v->type), norm, v->doc_hash);
        v->number_ok = true;
        return 0;
}

static int do_verify(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        const char *login, *name, *type, *number;
        DocType t;
        int r = sd_bus_message_read(m, "ssss", &login, &name, &type, &number);
        if (r < 0)
                return r;
        /* Refused before anything is looked up: these tell nothing about any account. */
        if (!login_ok(login))
                return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                        "The login is empty, too long or not valid text.");
        if (!text_ok(name, MAX_NAME_BYTES))
                return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                        "The full name is too long or not valid text.");
        if (doc_type_from_string(type, &t) < 0)
                return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                        "Unknown document type (use passport, snils or inn).");
        /* Text that no document number is anywhere near: a mistake of the caller's program. A
         * number that merely does not check out is answered, with false. */
        if (!text_ok(number, MAX_NUMBER_BYTES))
                return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                        "The document number is too long or not valid text.");

        Verify *v = calloc(1, sizeof(Verify));
        if (!v)
                return -ENOMEM;
        *v = (Verify){ .d = d, .m = sd_bus_message_ref(m), .caller = caller, .type = t };
        if (!(v->login = strdup(login)))
                r = -ENOMEM;
        else if ((r = full_name_fold(name, &v->name)) >= 0 && (r = hash_number(v, number)) >= 0)
                r = daemon_write(d, verify_txn, v, verify_done);
        if (r < 0) {
                verify_free(v);
                return r;
        }
        /* Answered once the audit entry is stored. */
        return 1;
}

static int method_verify(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        sd_bus_message_sensitive(m);
        return authz_admin(userdata, m, PG_POLKIT_SUPPORT, do_verify, error);
}

/* One SendRecoveryCode, through the recovery's code machinery with the support desk's rules. */
typedef struct SupportCode {
        CodeRequest q;
        sd_bus_message *m;
        char *login;
} SupportCode;

static void support_code_free(SupportCode *sc)
{
        code_request_clear(&sc->q);
        sd_bus_message_unref(sc->m);
        erase_and_free(sc->login);
        free(sc);
}

static int send_code_txn(Store *s, MDB_txn *txn, void *userdata)
{
        SupportCode *sc = userdata;

        free(TAKE_PTR(sc->q.user));
        int r = resolve_login_txn(sc->q.d, txn, sc->login, &sc->q.user);
        if (r < 0 && r != -ENOENT)
                return r;
        /* No account: the request finds no match and says so in the audit, sending nothing. */
        return code_request_txn(s, txn, &sc->q);
}

typedef struct Sent {
        Daemon *d;
        char *user;
        uid_t caller;
} Sent;

static void on_delivered(int r, void *userdata)
{
        Sent *sent = userdata;
        /* The agent was answered already: the audit tells whoever looks into it later. */
        if (r < 0)
                (void)audit_write(sent->d, sent->user, "recovery-code-failed", sent->caller,
                                  "support", NULL, NULL);
        free(sent->user);
        free(sent);
}

static int deliver(Daemon *d, SupportCode *sc)
{
        Sent *sent = calloc(1, sizeof(Sent));
        if (!sent || !(sent->user = strdup(sc->q.matched))) {
                free(sent);
                message_free(TAKE_PTR(sc->q.msg));
                return -ENOMEM;
        }
        sent->d = d;
        sent->caller = sc->q.caller;
        int r = delivery_send(d->delivery, TAKE_PTR(sc->q.msg), on_delivered, sent);
        if (r < 0)
                on_delivered(r, sent);
        return 0;
}

/*
 * Answered once the code is stored, before it is delivered: waiting for the gateway would tell a
 * known account from an unknown one, and so would an error of the delivery.
 */
static void on_code_requested(Daemon *d, int r, void *userdata)
{
        SupportCode *sc = userdata;

        if (r >= 0 && sc->q.msg)
                r = deliver(d, sc);
        if (r < 0)
                (void)bus_reply_failure(sc->m, r);
        else
                (void)sd_bus_reply_method_return(sc->m, NULL);
        support_code_free(sc);
}

static int do_send_code(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        const char *login;
        int r = sd_bus_message_read(m, "s", &login);
        if (r < 0)
                return r;
        if (!login_ok(login))
                return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                        "The login is empty, too long or not valid text.");
        SupportCode *sc = calloc(1, sizeof(SupportCode));
        if (!sc)
                return -ENOMEM;
        sc->q = (CodeRequest){ .d = d, .caller = caller, .support = true };
        sc->m = sd_bus_message_ref(m);
        if (!(sc->login = strdup(login)))
                r = -ENOMEM;
        else
                r = daemon_write(d, send_code_txn, sc, on_code_requested);
        if (r < 0) {
                support_code_free(sc);
                return r;
        }
        return 1;
}

static int method_send_code(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        sd_bus_message_sensitive(m);
        return authz_admin(userdata, m, PG_POLKIT_SUPPORT, do_send_code, error);
}

#define U SD_BUS_VTABLE_UNPRIVILEGED
static const sd_bus_vtable support_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("GetContacts", SD_BUS_NO_ARGS, SD_BUS_RESULT("a{ss}", contacts),
                                method_get_contacts, U),
        /* A login may be a phone or SNILS, and names and numbers are personal: all sensitive. */
        SD_BUS_METHOD_WITH_ARGS(
                "VerifyIdentity",
                SD_BUS_ARGS("s", login, "s", full_name, "s", document_type, "s", document_number),
                SD_BUS_RESULT("b", match), method_verify, U | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("SendRecoveryCode", SD_BUS_ARGS("s", login), SD_BUS_NO_RESULT,
                                method_send_code, U | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_VTABLE_END,
};

int bus_support_register(Daemon *d)
{
        return sd_bus_add_object_vtable(d->bus, NULL, PG_OBJECT_PATH, PG_IFACE_SUPPORT,
                                        support_vtable, d);
}
