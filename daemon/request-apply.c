/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Applying reset requests once their hold is over: a temporary password, by the same path as
 * Accounts.IssueTemporaryPassword, goes to the contact given at the desk (which then replaces the
 * registered one of its kind) or else to the registered contact. One timer, for the earliest
 * request due, is armed again after every change; requests are in the store, so those that fell
 * due while the daemon was stopped are applied when it starts ("late" in the audit when past their
 * deadline). A failed delivery is tried again every RETRY_USEC until the deadline; a delivery
 * that fails after it ends the request ("reset-request-failed"): the clerk files it again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "macro.h"
#include "request.h"

#define RETRY_USEC (15ULL * 60ULL * USEC_PER_SEC)
/* Test builds move the wall clock through a file that no timer watches: look this often too. */
#define TEST_RECHECK_USEC (200ULL * USEC_PER_MSEC)

struct Requests {
        Daemon *d;
        sd_event_source *timer;             /* floating: the event loop owns it, and this with it */
        char (*busy)[REQUEST_ID_CHARS + 1]; /* being applied: never started twice */
        size_t n_busy;
};

typedef struct Apply {
        Requests *rq;
        Request req;
        bool contact_in_use; /* the desk contact belongs to another account: not registered */
} Apply;

static bool busy_has(Requests *rq, const char *id)
{
        for (size_t i = 0; i < rq->n_busy; i++)
                if (streq(rq->busy[i], id))
                        return true;
        return false;
}

static int busy_add(Requests *rq, const char *id)
{
        void *p = reallocarray(rq->busy, rq->n_busy + 1, sizeof *rq->busy);
        if (!p)
                return -ENOMEM;
        rq->busy = p;
        memcpy(rq->busy[rq->n_busy++], id, REQUEST_ID_CHARS + 1);
        return 0;
}

static void busy_remove(Requests *rq, const char *id)
{
        for (size_t i = 0; i < rq->n_busy; i++)
                if (streq(rq->busy[i], id)) {
                        memmove(rq->busy[i], rq->busy[i + 1],
                                (rq->n_busy - i - 1) * sizeof *rq->busy);
                        rq->n_busy--;
                        return;
                }
}

void requests_changed(Daemon *d)
{
        Requests *rq = d->requests;
        /* Due at once: the timer looks at the store and arms itself for the next one. */
        if (rq && sd_event_source_set_time(rq->timer, 1) >= 0)
                (void)sd_event_source_set_enabled(rq->timer, SD_EVENT_ONESHOT);
}

static void apply_free(Apply *a)
{
        request_clear(&a->req);
        free(a);
}

/* The request is settled (or left for later): another scan may pick it up again. */
static void apply_done(Daemon *d, Apply *a)
{
        busy_remove(a->rq, a->req.id);
        requests_changed(d);
        apply_free(a);
}

static const char *why(int r)
{
        switch (r) {
        case -ECOMM:
                return "delivery failed";
        case -ENOENT:
                return "no such account";
        case -ENOMSG:
                return "no phone or e-mail to send to";
        default:
                return strerror(-r);
        }
}

/* After a failure: give up (past the deadline, or no account or contact), else try again later. */
typedef struct Settle {
        Apply *a;
        int error;
} Settle;

static int settle_txn(Store *s, MDB_txn *txn, void *userdata)
{
        Settle *st = userdata;
        Apply *a = st->a;
        Daemon *d = a->rq->d;
        Request cur;
        char detail[256];
        uint64_t now = now_usec();

        int r = request_get(s, txn, a->req.id, &cur);
        if (r == -ENOENT)
                return 0; /* cancelled meanwhile */
        if (r < 0)
                return r;
        bool give_up = now >= cur.deadline_usec || st->error == -ENOENT || st->error == -ENOMSG;
        if (give_up) {
                snprintf(detail, sizeof detail, "request %s at %s: %s%s", cur.id, cur.center,
                         why(st->error), now >= cur.deadline_usec ? ", past the deadline" : "");
                r = request_delete(s, txn, cur.id);
                if (r >= 0)
                        r = audit_event(d, txn, cur.user, "reset-request-failed", cur.clerk,
                                        detail);
        } else {
                cur.next_try_usec = MIN(now + RETRY_USEC, cur.deadline_usec);
                snprintf(detail, sizeof detail, "request %s at %s: %s, tried again in %llu min",
                         cur.id, cur.center, why(st->error),
                         (unsigned long long)((cur.next_try_usec - now) / (60 * USEC_PER_SEC)));
                r = request_put(s, txn, &cur);
                if (r >= 0)
                        r = audit_event(d, txn, cur.user, "reset-request-retry", cur.clerk, detail);
        }
        request_clear(&cur);
        return r;
}

static void settled(Daemon *d, int r, void *userdata)
{
        Settle *st = userdata;
        if (r < 0 && r != -ECANCELED)
                fprintf(stderr, "passgated: reset request %s: cannot record a failure: %s\n",
                        st->a->req.id, strerror(-r));
        apply_done(d, st->a);
        free(st);
}

static void settle(Daemon *d, Apply *a, int error)
{
        Settle *st = malloc(sizeof(Settle));
        int r = st ? 0 : -ENOMEM;
        if (st) {
                *st = (Settle){ .a = a, .error = error };
                r = daemon_write(d, settle_txn, st, settled);
        }
        if (r < 0) {
                free(st);
                apply_done(d, a);
        }
}

/* The desk contact replaces the registered one of its kind, index entries included. */
static int replace_contact(Daemon *d, MDB_txn *txn, Account *acc, Apply *a)
{
        const char *contact = a->req.contact;
        const char *kind = strchr(contact, '@') ? "email" : "phone";
        char **field = streq(kind, "email") ? &acc->email : &acc->phone;
        uint8_t key[PEPPER_HASH_BYTES];

        if (streq_ptr(*field, contact))
                return 0;
        pepper_hash(d->pepper.index_key, kind, contact, key);
        int r = store_index_put(d->store, txn, key, acc->user);
        if (r == -EEXIST) {
                /* Taken since the filing checked it: the password went there, the account
                 * keeps its contact. */
                a->contact_in_use = true;
                return 0;
        }
        if (r < 0)
                return r;
        if (*field) {
                pepper_hash(d->pepper.index_key, kind, *field, key);
                if ((r = store_index_delete(d->store, txn, key)) < 0)
                        return r;
        }
        char *copy = strdup(contact);
        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

/* Inside password_save()'s transaction: the request ends with the password it brought. */
static int apply_hook(Daemon *d, MDB_txn *txn, Account *acc, void *userdata)
{
        Apply *a = userdata;
        Request cur;
        char detail[256];

        int r = request_get(d->store, txn, a->req.id, &cur);
        if (r == -ENOENT)
                /* Cancelled while the password was on its way: it never works. */
                return -ECANCELED;
        if (r < 0)
                return r;
        request_clear(&cur);
        a->contact_in_use = false; /* the transaction may run again */
        if (a->req.contact && (r = replace_contact(d, txn, acc, a)) < 0)
                return r;
        if ((r = request_delete(d->store, txn, a->req.id)) < 0)
                return r;
        snprintf(detail, sizeof detail, "request %s at %s%s%s", a->req.id, a->req.center,
                 now_usec() > a->req.deadline_usec ? ", late" : "",
                 !a->req.contact     ? ", to the registered contact"
                 : a->contact_in_use ? ", to the desk contact (another account's: not registered)"
                                     : ", to the desk contact, now registered");
        return audit_event(d, txn, acc->user, "reset-request-applied", a->req.clerk, detail);
}

static void on_applied(Daemon *d, int r, void *userdata)
{
        Apply *a = userdata;

        if (r >= 0)
                /* Whoever was mid-way with the old password starts again. */
                conversations_cancel_user(d, a->req.user);
        /* -ECANCELED: cancelled meanwhile, or shutting down (then it stays for the next start). */
        if (r >= 0 || r == -ECANCELED)
                apply_done(d, a);
        else
                settle(d, a, r);
}

static int destination(const Request *q, const Account *acc, Channel *ret_channel,
                       const char **ret_to)
{
        if (q->contact) {
                *ret_channel = strchr(q->contact, '@') ? CHANNEL_EMAIL : CHANNEL_SMS;
                *ret_to = q->contact;
                return 0;
        }
        /* E-mail first, as for IssueTemporaryPassword: an SMS lingers on a lock screen. */
        if (!acc->email && !acc->phone)
                return -ENOMSG;
        *ret_channel = acc->email ? CHANNEL_EMAIL : CHANNEL_SMS;
        *ret_to = acc->email ? acc->email : acc->phone;
        return 0;
}

/* 0 also when the request is gone meanwhile; an error leaves it for a later scan. */
static int start_apply(Requests *rq, const char *id)
{
        Daemon *d = rq->d;
        Account acc = {};
        StoreRead rd;
        const char *to = NULL;
        Channel channel = CHANNEL_EMAIL;

        Apply *a = calloc(1, sizeof(Apply));
        if (!a)
                return -ENOMEM;
        a->rq = rq;
        int r = store_read_begin(d->store, &rd);
        if (r >= 0) {
                r = request_get(d->store, rd.txn, id, &a->req);
                if (r >= 0)
                        r = store_get_account(d->store, rd.txn, a->req.user, &acc);
                store_read_end(&rd);
        }
        if (!a->req.user) {
                /* Gone meanwhile (cancelled), or the store could not be read. */
                apply_free(a);
                return r == -ENOENT ? 0 : r;
        }
        int b = busy_add(rq, id);
        if (b < 0) {
                account_clear(&acc);
                apply_free(a);
                return b;
        }
        /* An error so far is about the account (-ENOENT: deleted): settled below. */
        if (r >= 0)
                r = destination(&a->req, &acc, &channel, &to);
        if (r >= 0) {
                TemporaryIssue t = { .user = a->req.user,
                                     .channel = channel,
                                     .to = to,
                                     .how = "service-center",
                                     .caller = a->req.clerk,
                                     .hook = apply_hook,
                                     .hook_userdata = a };
                r = temporary_issue(d, &t, on_applied, a);
        }
        account_clear(&acc);
        if (r < 0)
                settle(d, a, r);
        return 0;
}

typedef struct Scan {
        Requests *rq;
        uint64_t now;
        uint64_t next; /* the earliest not due yet; UINT64_MAX: none */
        char (*due)[REQUEST_ID_CHARS + 1];
        size_t n_due;
} Scan;

static int scan_one(const Request *q, void *userdata)
{
        Scan *sc = userdata;
        if (busy_has(sc->rq, q->id))
                return 0;
        if (q->next_try_usec > sc->now) {
                sc->next = MIN(sc->next, q->next_try_usec);
                return 0;
        }
        void *p = reallocarray(sc->due, sc->n_due + 1, sizeof *sc->due);
        if (!p)
                return -ENOMEM;
        sc->due = p;
        memcpy(sc->due[sc->n_due++], q->id, REQUEST_ID_CHARS + 1);
        return 0;
}

static int arm(Requests *rq, uint64_t next, uint64_t now)
{
        uint64_t base, left = next > now ? next - now : 0;
        int r;

        if (next == UINT64_MAX)
                return sd_event_source_set_enabled(rq->timer, SD_EVENT_OFF);
        if (PASSGATE_TEST_HOOKS)
                left = MIN(left, TEST_RECHECK_USEC);
        /* now_usec() may run ahead of the event loop's clock (tests): the time left counts. */
        if ((r = sd_event_now(rq->d->event, CLOCK_REALTIME, &base)) < 0 ||
            (r = sd_event_source_set_time(rq->timer, base + left)) < 0)
                return r;
        return sd_event_source_set_enabled(rq->timer, SD_EVENT_ONESHOT);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        Requests *rq = userdata;
        Scan sc = { .rq = rq, .now = now_usec(), .next = UINT64_MAX };
        StoreRead rd;

        int r = store_read_begin(rq->d->store, &rd);
        if (r >= 0) {
                r = request_foreach(rq->d->store, rd.txn, scan_one, &sc);
                store_read_end(&rd);
        }
        for (size_t i = 0; i < sc.n_due && r >= 0; i++)
                r = start_apply(rq, sc.due[i]);
        free(sc.due);
        if (r < 0) {
                fprintf(stderr, "passgated: cannot apply the reset requests: %s\n", strerror(-r));
                /* Looked at again later rather than never. */
                sc.next = MIN(sc.next, sc.now + RETRY_USEC);
        }
        if ((r = arm(rq, sc.next, sc.now)) < 0)
                fprintf(stderr, "passgated: cannot arm the reset request timer: %s\n",
                        strerror(-r));
        return 0;
}

static void requests_free(void *userdata)
{
        Requests *rq = userdata;
        rq->d->requests = NULL;
        free(rq->busy);
        free(rq);
}

int requests_start(Daemon *d)
{
        Requests *rq = calloc(1, sizeof(Requests));
        if (!rq)
                return -ENOMEM;
        rq->d = d;
        /* Due at once: what fell due while the daemon was stopped is applied now. */
        int r = sd_event_add_time(d->event, &rq->timer, CLOCK_REALTIME, 1, 10 * USEC_PER_MSEC,
                                  on_timer, rq);
        if (r < 0) {
                free(rq);
                return r;
        }
        if ((r = sd_event_source_set_destroy_callback(rq->timer, requests_free)) < 0 ||
            (r = sd_event_source_set_floating(rq->timer, true)) < 0) {
                sd_event_source_unref(rq->timer);
                return r;
        }
        /* Only the loop's reference is left; ours is a borrowed pointer from now on. */
        sd_event_source_unref(rq->timer);
        d->requests = rq;
        return 0;
}
