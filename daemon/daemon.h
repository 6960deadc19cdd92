/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "delivery.h"
#include "hasher.h"
#include "pepper.h"
#include "policy.h"
#include "store.h"

typedef struct Conversation Conversation;
typedef struct Requests Requests;

typedef struct Daemon {
        Config *config;
        sd_event *event;
        sd_bus *bus;
        Store *store;
        Pepper pepper;
        WorkQueue *hashers; /* Argon2id, one thread per core at most */
        WorkQueue *writer;  /* one thread: store writes and their fsync, in submission order */
        WorkQueue *senders; /* delivery of codes and notices: child processes, waits */
        Delivery *delivery;
        Policy *policy;
        char *dummy_hash; /* verified against for unknown or blocked accounts: same cost, same time
                           */
        Conversation *conversations;
        unsigned n_conversations;
        Requests *requests; /* reset requests being applied, and their timer */
} Daemon;

/* sd-bus method implementations run once the caller is authorized, maybe after polkit answered. */
typedef int (*authorized_t)(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error);

/* authz.c */
int caller_uid(sd_bus_message *m, uid_t *ret);
/* Runs fn with the caller's uid once the bus driver has told it. */
int with_caller(Daemon *d, sd_bus_message *m, authorized_t fn, sd_bus_error *error);
/* The same, then fn for root, after polkit says yes for others; no polkit on the bus: root only. */
int authz_admin(Daemon *d, sd_bus_message *m, const char *action, authorized_t fn,
                sd_bus_error *error);
/* The same for callers that polkit allows either of two actions (a clerk's or an admin's). */
int authz_either(Daemon *d, sd_bus_message *m, const char *action, const char *fallback,
                 authorized_t fn, sd_bus_error *error);
/* The uid owning a unix account name, or -ENOENT. */
int unix_user_uid(const char *user, uid_t *ret);

/* writer.c: fn runs in a write transaction on the writer thread, never on the bus loop; done
 * (optional) runs on the event loop afterwards with fn's result, also at shutdown (-ECANCELED). */
typedef void (*write_done_t)(Daemon *d, int r, void *userdata);
int daemon_write(Daemon *d, store_write_fn fn, void *userdata, write_done_t done);

/* audit.c: to the journal (structured, with a MESSAGE_ID) and to the store, inside txn. */
int audit_event(Daemon *d, MDB_txn *txn, const char *user, const char *event, uid_t caller,
                const char *detail);

/* Brackets each try of a write transaction: its events reach the journal only once committed. */
void audit_txn_begin(void);
void audit_txn_end(bool committed);

/* The same, in a write transaction of its own; done as for daemon_write(). */
int audit_write(Daemon *d, const char *user, const char *event, uid_t caller, const char *detail,
                write_done_t done, void *userdata);

/* resolve.c: what a user typed at a login prompt to a canonical account name; -ENOENT if none. */
int resolve_login(Daemon *d, const char *typed, char **ret_user);
/* The same inside a transaction the caller holds (a write one included). */
int resolve_login_txn(Daemon *d, MDB_txn *txn, const char *typed, char **ret_user);
/* The index keys (identifiers other than the unix name) of an account: phone, e-mail, SNILS. */
#define INDEX_KEYS_MAX 3
typedef struct IndexKey {
        const char *kind;
        uint8_t key[PEPPER_HASH_BYTES];
} IndexKey;
size_t account_index_keys(Daemon *d, const Account *a, IndexKey keys[static INDEX_KEYS_MAX]);

/* generate.c */
int password_generate(const Policy *p, char **ret);

/* Saving a new password: shared by the change conversation and Accounts.SetPassword. The
 * PasswordChanged signal goes out once it is stored, before done runs. */
typedef struct PasswordSave {
        const char *user;
        const char *hash;
        bool must_change;
        uint64_t expires_usec; /* a temporary password: when it stops working; 0: never */
        const char *locale;    /* of the notices to the contacts; NULL: the daemon's */
        const char *how;       /* PasswordChanged "how" */
        uid_t caller;
        /* Optional: more changes that land with the password or not at all. Runs in the write
         * transaction, on the writer thread, with the account before it is stored. */
        int (*hook)(Daemon *d, MDB_txn *txn, Account *a, void *userdata);
        void *hook_userdata;
} PasswordSave;
int password_save(Daemon *d, const PasswordSave *s, write_done_t done, void *userdata);

/*
 * temporary-password.c: a generated password sent to `to`, saved once the backend has taken the
 * message (so a failed delivery changes nothing: done gets -ECOMM), then to be changed at the next
 * login and working for [password] temporary_lifetime. Shared by Accounts.IssueTemporaryPassword
 * and the reset requests of service centers.
 */
typedef struct TemporaryIssue {
        const char *user;
        Channel channel;
        const char *to;
        const char *how; /* PasswordChanged "how" */
        uid_t caller;
        int (*hook)(Daemon *d, MDB_txn *txn, Account *a, void *userdata); /* as in PasswordSave */
        void *hook_userdata;
} TemporaryIssue;
/* 0 and done runs later; or a negative errno and done never runs. */
int temporary_issue(Daemon *d, const TemporaryIssue *t, write_done_t done, void *userdata);
/* Accounts.IssueTemporaryPassword, once authorized. */
int do_issue_temporary(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error);

/* notify.c: the host's message budget, n messages at once (-EDQUOT when spent), and the notices. */
int notice_budget_take(Daemon *d, MDB_txn *txn, unsigned n);
/* The store key of that budget, for those who only look at it. */
void message_budget_key(Daemon *d, uint8_t out[static PEPPER_HASH_BYTES]);
void notify_password_changed(Daemon *d, const char *user, const char *phone, const char *email,
                             const char *how, const char *locale);

/* bus-*.c */
int bus_manager_register(Daemon *d);
int bus_accounts_register(Daemon *d);
int bus_conversation_register(Daemon *d);
/* org.passgate1.ServiceCenters: centers, slots and bookings (bus-centers.c) and clerks' reset
 * requests (bus-requests.c), two vtables of one interface. */
int bus_centers_register(Daemon *d);
int bus_requests_register(Daemon *d);
/* org.passgate1.Support (bus-support.c). */
int bus_support_register(Daemon *d);
/* Applies reset requests when due, also those that fell due while the daemon was stopped. */
int requests_start(Daemon *d);
/* -ENOENT from the store as NoSuchAccount; a store that cannot be written as StoreFailure; other
 * errors as they are. */
int bus_account_error(sd_bus_error *error, int r);
/* Replies to m with a failure: store failures as StoreFailure, others as their errno. */
int bus_reply_failure(sd_bus_message *m, int r);
/* Ends every conversation about user, also recoveries that matched it and not yet said so. */
void conversations_cancel_user(Daemon *d, const char *user);
void conversations_free_all(Daemon *d);
