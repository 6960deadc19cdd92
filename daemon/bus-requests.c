/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * org.passgate1.ServiceCenters, the clerks' part: FileResetRequest, ListResetRequests and
 * CancelResetRequest. The other methods of the interface are in bus-centers.c, a second vtable of
 * the same interface on the same object. Applying a request when it is due: request-apply.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-names.h"
#include "center-records.h"
#include "clock.h"
#include "identifier.h"
#include "l10n.h"
#include "macro.h"
#include "mask.h"
#include "messages.h"
#include "request.h"

/* FileResetRequest: everything is checked and stored in one write, off the bus loop. */
typedef struct Filing {
        Daemon *d;
        sd_bus_message *m;
        sd_bus_error error;
        uid_t caller;
        char *center;
        char *login;    /* as typed: may be a phone, e-mail or SNILS */
        char *passport; /* normalised; NULL when missing or malformed: no match */
        char *snils;
        char *contact; /* given at the desk, normalised */
        /* out */
        bool refused; /* the documents did not match: only the refusal was written */
        Request req;
        char *center_name;
        char *phone, *email; /* the registered contacts, to be told */
} Filing;

static void filing_free(Filing *f)
{
        sd_bus_message_unref(f->m);
        sd_bus_error_free(&f->error);
        free(f->center);
        erase_and_free(f->login);
        erase_and_free(f->passport);
        erase_and_free(f->snils);
        erase_and_free(f->contact);
        request_clear(&f->req);
        free(f->center_name);
        erase_and_free(f->phone);
        erase_and_free(f->email);
        free(f);
}

/* Both documents, each compared in constant time, and both compared whatever the first gave. */
static bool documents_match(Daemon *d, const Account *a, const Filing *f)
{
        const char *numbers[] = { [DOC_PASSPORT] = f->passport, [DOC_SNILS] = f->snils };
        uint8_t h[PEPPER_HASH_BYTES];
        bool match = true;

        for (DocType t = DOC_PASSPORT; t <= DOC_SNILS; t++) {
                pepper_hash(d->pepper.document_key, doc_type_to_string(t),
                            numbers[t] ? numbers[t] : "", h);
                match &= numbers[t] && a->documents[t].set &&
                         sodium_memcmp(h, a->documents[t].hash, PEPPER_HASH_BYTES) == 0;
        }
        sodium_memzero(h, sizeof h);
        return match;
}

static int refuse(Daemon *d, MDB_txn *txn, Filing *f, const char *user)
{
        char detail[128];
        snprintf(detail, sizeof detail, "at %s: documents do not match", f->center);
        f->refused = true;
        return audit_event(d, txn, user, "reset-request-refused", f->caller, detail);
}

static int file_txn(Store *s, MDB_txn *txn, void *userdata)
{
        Filing *f = userdata;
        Daemon *d = f->d;
        _cleanup_free_ char *user = NULL;
        Center center = {};
        Account a = {};
        char detail[128];

        /* The transaction may run again after the map grew: start from nothing each time. */
        sd_bus_error_free(&f->error);
        f->refused = false;
        request_clear(&f->req);
        free(f->center_name);
        f->center_name = NULL;
        f->phone = erase_and_free(f->phone);
        f->email = erase_and_free(f->email);

        int r = center_get(s, txn, f->center, &center);
        if (r == -ENOENT)
                return sd_bus_error_set(&f->error, PG_ERROR_NO_SUCH_CENTER,
                                        "There is no such service center.");
        if (r < 0)
                return r;
        f->center_name = TAKE_PTR(center.name);
        center_clear(&center);

        r = resolve_login_txn(d, txn, f->login, &user);
        if (r == -ENOENT)
                return refuse(d, txn, f, NULL);
        if (r < 0)
                return r;
        if ((r = store_get_account(s, txn, user, &a)) < 0)
                return r == -ENOENT ? refuse(d, txn, f, NULL) : r;
        if (!documents_match(d, &a, f)) {
                account_clear(&a);
                return refuse(d, txn, f, user);
        }

        if (f->contact) {
                uint8_t key[PEPPER_HASH_BYTES];
                _cleanup_free_ char *owner = NULL;
                pepper_hash(d->pepper.index_key, strchr(f->contact, '@') ? "email" : "phone",
                            f->contact, key);
                r = store_index_lookup(s, txn, key, &owner);
                if (r == 0 && !streq(owner, user))
                        r = sd_bus_error_set(&f->error, PG_ERROR_IDENTIFIER_IN_USE,
                                             "This contact belongs to another account.");
                else if (r == -ENOENT || r == 0)
                        r = 0;
        } else if (!a.phone && !a.email)
                r = sd_bus_error_set(&f->error, PG_ERROR_NO_CONTACT,
                                     "The account has no phone or e-mail: give one at the desk.");
        /* One pending request per account: a new one replaces the earlier ones. */
        if (r >= 0)
                r = requests_cancel_user(d, txn, user, f->caller, "replaced by a new one");
        if (r < 0) {
                account_clear(&a);
                return r;
        }

        uint64_t now = now_usec();
        f->req = (Request){ .center = strdup(f->center),
                            .user = TAKE_PTR(user),
                            .contact = f->contact ? strdup(f->contact) : NULL,
                            .filed_usec = now,
                            .apply_usec = now + d->config->request_hold_usec,
                            .deadline_usec = now + REQUEST_DEADLINE_USEC,
                            .next_try_usec = now + d->config->request_hold_usec,
                            .clerk = f->caller };
        request_id_new(f->req.id);
        if (!f->req.center || (f->contact && !f->req.contact))
                r = -ENOMEM;
        if (r >= 0)
                r = request_put(s, txn, &f->req);
        /* The notices count against the host's budget; none when it is spent. */
        unsigned n = !!a.phone + !!a.email;
        if (r >= 0 && n > 0) {
                int b = notice_budget_take(d, txn, n);
                if (b >= 0) {
                        f->phone = TAKE_PTR(a.phone);
                        f->email = TAKE_PTR(a.email);
                } else if (b != -EDQUOT)
                        r = b;
                else
                        fprintf(stderr, "passgated: message budget spent: no notice to %s\n",
                                f->req.user);
        }
        if (r >= 0) {
                snprintf(detail, sizeof detail, "request %s at %s%s", f->req.id, f->center,
                         f->contact ? ", to a contact given at the desk" : "");
                r = audit_event(d, txn, f->req.user, "reset-request-filed", f->caller, detail);
        }
        account_clear(&a);
        return r;
}

static void on_notice_sent(int r, void *userdata)
{
        if (r < 0)
                fprintf(stderr, "passgated: a reset request notice could not be sent: %s\n",
                        strerror(-r));
}

/* No secret in it: who asked where, and how to stop it. */
static void notify_filed(Daemon *d, const Filing *f)
{
        _cleanup_free_ char *text = NULL;
        const struct {
                Channel channel;
                const char *to;
        } to[] = { { CHANNEL_SMS, f->phone }, { CHANNEL_EMAIL, f->email } };

        if (asprintf(&text, l10n_gettext(NULL, MSG_MAIL_REQUEST_FILED), f->req.user,
                     f->center_name ? f->center_name : f->center, f->req.id) < 0)
                return;
        for (size_t i = 0; i < ELEMENTSOF(to); i++) {
                if (!to[i].to)
                        continue;
                Message *msg = message_new(to[i].channel, to[i].to,
                                           l10n_gettext(NULL, MSG_MAIL_REQUEST_SUBJECT), text);
                if (!msg || delivery_send(d->delivery, msg, on_notice_sent, NULL) < 0)
                        fprintf(stderr, "passgated: a reset request notice could not be queued\n");
        }
}

static void filed(Daemon *d, int r, void *userdata)
{
        Filing *f = userdata;

        if (sd_bus_error_is_set(&f->error))
                (void)sd_bus_reply_method_error(f->m, &f->error);
        else if (r < 0)
                (void)bus_reply_failure(f->m, r);
        else if (f->refused)
                /* Which document, or whether the account exists: not said. */
                (void)sd_bus_reply_method_errorf(f->m, PG_ERROR_DOCUMENTS_MISMATCH,
                                                 "The documents do not match.");
        else {
                notify_filed(d, f);
                requests_changed(d);
                (void)sd_bus_reply_method_return(f->m, "st", f->req.id, f->req.deadline_usec);
        }
        filing_free(f);
}

/* documents: passport and snils (malformed ones simply do not match), and an optional contact. */
static int read_documents(Daemon *d, sd_bus_message *m, Filing *f, sd_bus_error *error)
{
        static const char *const keys[] = { "passport", "snils", "contact" };
        PhoneRules rules = { d->config->country_code, d->config->trunk_prefix };
        char **fields[] = { &f->passport, &f->snils, &f->contact };
        const char *key, *value;
        unsigned seen = 0;
        size_t i;
        int r = sd_bus_message_enter_container(m, 'a', "{ss}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "{ss}", &key, &value)) > 0) {
                for (i = 0; i < ELEMENTSOF(keys) && !streq(key, keys[i]); i++)
                        ;
                if (i == ELEMENTSOF(keys))
                        return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                                "Unknown key in documents (use passport, snils "
                                                "and contact).");
                if (seen & (1u << i))
                        return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                                "A key is given twice in documents.");
                seen |= 1u << i;
                if (fields[i] != &f->contact) {
                        DocType t = fields[i] == &f->passport ? DOC_PASSPORT : DOC_SNILS;
                        if (strlen(value) <= 64 &&
                            document_normalize(t, value, fields[i]) == -ENOMEM)
                                return -ENOMEM;
                        continue;
                }
                r = strchr(value, '@') ? email_normalize(value, fields[i])
                                       : phone_normalize(value, &rules, fields[i]);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                                "The contact is not a phone number or an e-mail "
                                                "address.");
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int do_file(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        const char *center, *login;
        int r = sd_bus_message_read(m, "ss", &center, &login);
        if (r < 0)
                return r;
        if (!center_id_valid(center))
                return sd_bus_error_set(error, PG_ERROR_NO_SUCH_CENTER,
                                        "There is no such service center.");
        Filing *f = calloc(1, sizeof(Filing));
        if (!f)
                return -ENOMEM;
        *f = (Filing){ .d = d,
                       .m = sd_bus_message_ref(m),
                       .error = SD_BUS_ERROR_NULL,
                       .caller = caller,
                       .center = strdup(center),
                       .login = strdup(login) };
        r = f->center && f->login ? read_documents(d, m, f, error) : -ENOMEM;
        if (r >= 0 && !sd_bus_error_is_set(error))
                r = daemon_write(d, file_txn, f, filed);
        if (r < 0 || sd_bus_error_is_set(error)) {
                filing_free(f);
                return r;
        }
        return 1;
}

static int method_file(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return authz_admin(userdata, m, PG_POLKIT_SERVICE_CENTER, do_file, error);
}

/* ListResetRequests */
typedef struct Listed {
        Request req;
        char *contact; /* masked */
} Listed;

typedef struct Listing {
        Daemon *d;
        MDB_txn *txn;
        Listed *items;
        size_t n;
} Listing;

static int masked_contact(const Request *q, const Account *a, char **ret)
{
        const char *c = q->contact ? q->contact : a->email ? a->email : a->phone;
        if (!c)
                return (*ret = strdup("")) ? 0 : -ENOMEM;
        return strchr(c, '@') ? mask_email(c, ret) : mask_phone(c, ret);
}

static int list_one(const Request *q, void *userdata)
{
        Listing *l = userdata;
        Account a = {};
        int r = store_get_account(l->d->store, l->txn, q->user, &a);
        if (r < 0 && r != -ENOENT)
                return r;
        void *p = reallocarray(l->items, l->n + 1, sizeof *l->items);
        if (!p) {
                account_clear(&a);
                return -ENOMEM;
        }
        l->items = p;
        Listed *it = &l->items[l->n];
        *it = (Listed){ .req = { .center = strdup(q->center),
                                 .user = strdup(q->user),
                                 .filed_usec = q->filed_usec,
                                 .next_try_usec = q->next_try_usec } };
        memcpy(it->req.id, q->id, sizeof q->id);
        l->n++;
        r = masked_contact(q, &a, &it->contact);
        account_clear(&a);
        if (r >= 0 && (!it->req.center || !it->req.user))
                r = -ENOMEM;
        return r;
}

static int by_next_try(const void *a, const void *b)
{
        const Listed *x = a, *y = b;
        return x->req.next_try_usec < y->req.next_try_usec   ? -1
               : x->req.next_try_usec > y->req.next_try_usec ? 1
                                                             : strcmp(x->req.id, y->req.id);
}

static int reply_listing(sd_bus_message *m, Listing *l)
{
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        if (l->n > 0)
                qsort(l->items, l->n, sizeof *l->items, by_next_try);
        if ((r = sd_bus_message_open_container(reply, 'a', "(sssttss)")) < 0)
                return r;
        for (size_t i = 0; i < l->n; i++) {
                const Listed *it = &l->items[i];
                /* The order of the signature (the XML's comment lists the state earlier). */
                r = sd_bus_message_append(reply, "(sssttss)", it->req.id, it->req.center,
                                          it->req.user, it->req.filed_usec, it->req.next_try_usec,
                                          "pending", it->contact);
                if (r < 0)
                        return r;
        }
        if ((r = sd_bus_message_close_container(reply)) < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int do_list(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        Listing l = { .d = d };
        StoreRead rd;
        int r = store_read_begin(d->store, &rd);
        if (r >= 0) {
                l.txn = rd.txn;
                r = request_foreach(d->store, rd.txn, list_one, &l);
                store_read_end(&rd);
        }
        if (r >= 0)
                r = reply_listing(m, &l);
        for (size_t i = 0; i < l.n; i++) {
                request_clear(&l.items[i].req);
                free(l.items[i].contact);
        }
        free(l.items);
        return r;
}

static int method_list(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return authz_either(userdata, m, PG_POLKIT_SERVICE_CENTER, PG_POLKIT_MANAGE, do_list,
                            error);
}

/*
 * CancelResetRequest: the account's owner, root, a clerk or an admin. Anyone else gets
 * AccessDenied whether the request exists or not, so a stranger learns nothing from an id; only
 * those allowed to cancel any request hear NoSuchRequest.
 */
typedef struct Cancel {
        Daemon *d;
        sd_bus_message *m;
        sd_bus_error error;
        uid_t caller;
        char id[REQUEST_ID_CHARS + 1];
        const char *by;
} Cancel;

static int no_such_request(sd_bus_error *error)
{
        return sd_bus_error_set(error, PG_ERROR_NO_SUCH_REQUEST,
                                "There is no such pending request.");
}

static int cancel_txn(Store *s, MDB_txn *txn, void *userdata)
{
        Cancel *c = userdata;
        Request q;
        char detail[128];
        int r = request_get(s, txn, c->id, &q);
        if (r == -ENOENT)
                return no_such_request(&c->error);
        if (r < 0)
                return r;
        snprintf(detail, sizeof detail, "request %s at %s: %s", q.id, q.center, c->by);
        r = request_delete(s, txn, q.id);
        if (r >= 0)
                r = audit_event(c->d, txn, q.user, "reset-request-cancelled", c->caller, detail);
        request_clear(&q);
        return r;
}

static void cancelled(Daemon *d, int r, void *userdata)
{
        Cancel *c = userdata;
        if (sd_bus_error_is_set(&c->error))
                (void)sd_bus_reply_method_error(c->m, &c->error);
        else if (r < 0)
                (void)bus_reply_failure(c->m, r);
        else
                (void)sd_bus_reply_method_return(c->m, NULL);
        sd_bus_message_unref(c->m);
        sd_bus_error_free(&c->error);
        free(c);
}

static int cancel_submit(sd_bus_message *m, Daemon *d, uid_t caller, const char *id, const char *by)
{
        Cancel *c = calloc(1, sizeof(Cancel));
        if (!c)
                return -ENOMEM;
        *c = (Cancel){ .d = d,
                       .m = sd_bus_message_ref(m),
                       .error = SD_BUS_ERROR_NULL,
                       .caller = caller,
                       .by = by };
        memcpy(c->id, id, REQUEST_ID_CHARS);
        int r = daemon_write(d, cancel_txn, c, cancelled);
        if (r < 0) {
                sd_bus_message_unref(c->m);
                free(c);
                return r;
        }
        return 1;
}

/* Once polkit said this is a clerk or an admin. */
static int do_cancel_any(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        const char *id;
        int r = sd_bus_message_read(m, "s", &id);
        if (r < 0)
                return r;
        if (!request_id_valid(id))
                return no_such_request(error);
        return cancel_submit(m, d, caller, id,
                             caller == 0 ? "cancelled by root"
                                         : "cancelled by a clerk or an admin");
}

static bool is_owner(Daemon *d, const char *id, uid_t caller)
{
        Request q = {};
        StoreRead rd;
        uid_t uid;
        bool owner = false;

        if (!request_id_valid(id) || store_read_begin(d->store, &rd) < 0)
                return false;
        if (request_get(d->store, rd.txn, id, &q) >= 0)
                owner = unix_user_uid(q.user, &uid) >= 0 && uid == caller;
        store_read_end(&rd);
        request_clear(&q);
        return owner;
}

static int do_cancel(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        const char *id;
        int r = sd_bus_message_read(m, "s", &id);
        if (r < 0)
                return r;
        if (caller != 0 && is_owner(d, id, caller))
                return cancel_submit(m, d, caller, id, "cancelled by the owner");
        if ((r = sd_bus_message_rewind(m, true)) < 0)
                return r;
        /* Root passes at once; others need polkit, whether or not the request exists. */
        return authz_either(d, m, PG_POLKIT_SERVICE_CENTER, PG_POLKIT_MANAGE, do_cancel_any, error);
}

static int method_cancel(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return with_caller(userdata, m, do_cancel, error);
}

#define U SD_BUS_VTABLE_UNPRIVILEGED
static const sd_bus_vtable requests_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("FileResetRequest",
                                SD_BUS_ARGS("s", center, "s", login, "a{ss}", documents),
                                SD_BUS_RESULT("s", request, "t", deadline_usec), method_file,
                                U | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("ListResetRequests", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(sssttss)", requests), method_list, U),
        SD_BUS_METHOD_WITH_ARGS("CancelResetRequest", SD_BUS_ARGS("s", request), SD_BUS_NO_RESULT,
                                method_cancel, U),
        SD_BUS_VTABLE_END,
};

int bus_requests_register(Daemon *d)
{
        return sd_bus_add_object_vtable(d->bus, NULL, PG_OBJECT_PATH, PG_IFACE_SERVICECENTERS,
                                        requests_vtable, d);
}
