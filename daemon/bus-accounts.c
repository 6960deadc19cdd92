/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "account-props.h"
#include "bus-names.h"
#include "clock.h"
#include "daemon.h"
#include "document.h"
#include "identifier.h"
#include "lockout.h"
#include "macro.h"
#include "mask.h"
#include "messages.h"

#define MAX_REASON_BYTES  256
#define AUDIT_DEFAULT_MAX 1000
#define AUDIT_LIMIT       10000

/*
 * One admin write to one account. It runs on the writer thread; the method's reply, and what must
 * follow a success (signals, ending conversations), come back on the event loop.
 */
typedef struct AccountWrite AccountWrite;
struct AccountWrite {
        Daemon *d;
        sd_bus_message *m;
        sd_bus_error error;
        uid_t caller;
        char *user;
        const char *event;
        char *detail;
        /* CreateAccount, UpdateAccount */
        Props props;
        bool create;
        /* the other methods */
        int (*edit)(Store *s, MDB_txn *txn, Account *a, AccountWrite *w);
        void (*after)(AccountWrite *w);
};

static void account_write_free(AccountWrite *w)
{
        sd_bus_message_unref(w->m);
        sd_bus_error_free(&w->error);
        free(w->user);
        free(w->detail);
        props_clear(&w->props);
        free(w);
}

static void account_written(Daemon *d, int r, void *userdata)
{
        AccountWrite *w = userdata;

        if (sd_bus_error_is_set(&w->error))
                (void)sd_bus_reply_method_error(w->m, &w->error);
        else if (r < 0)
                (void)bus_reply_failure(w->m, r);
        else {
                if (w->after)
                        w->after(w);
                (void)sd_bus_reply_method_return(w->m, NULL);
        }
        account_write_free(w);
}

static int account_write_new(sd_bus_message *m, Daemon *d, uid_t caller, const char *event,
                             AccountWrite **ret)
{
        const char *user;
        int r = sd_bus_message_read(m, "s", &user);
        if (r < 0)
                return r;
        AccountWrite *w = calloc(1, sizeof(AccountWrite));
        if (!w)
                return -ENOMEM;
        *w = (AccountWrite){ .d = d,
                             .m = sd_bus_message_ref(m),
                             .error = SD_BUS_ERROR_NULL,
                             .caller = caller,
                             .user = strdup(user),
                             .event = event };
        if (!w->user) {
                account_write_free(w);
                return -ENOMEM;
        }
        *ret = w;
        return 0;
}

/* The reply comes once the write is done: 1 tells sd-bus not to answer now. */
static int account_write_submit(AccountWrite *w, store_write_fn fn)
{
        int r = daemon_write(w->d, fn, w, account_written);
        if (r < 0) {
                account_write_free(w);
                return r;
        }
        return 1;
}

/* Replaces an account's index entries; a clash aborts the whole write, so nothing changes. */
static int write_account(Store *s, MDB_txn *txn, void *userdata)
{
        AccountWrite *w = userdata;
        Account a = {};
        IndexKey old_keys[INDEX_KEYS_MAX], new_keys[INDEX_KEYS_MAX];
        size_t n_old, n_new = 0;

        int r = store_get_account(s, txn, w->user, &a);
        if (r == 0 && w->create) {
                account_clear(&a);
                return sd_bus_error_set(&w->error, PG_ERROR_ACCOUNT_EXISTS,
                                        "This user already has a passgate account.");
        }
        if (r < 0 && !(r == -ENOENT && w->create))
                return bus_account_error(&w->error, r);
        if (w->create) {
                if (!(a.user = strdup(w->user)))
                        return -ENOMEM;
                a.created_usec = now_usec();
        }
        n_old = account_index_keys(w->d, &a, old_keys);
        r = 0;
        for (size_t i = 0; i < n_old && r >= 0; i++)
                r = store_index_delete(s, txn, old_keys[i].key);
        if (r >= 0)
                r = apply_props(w->d, &a, &w->props);
        if (r >= 0)
                n_new = account_index_keys(w->d, &a, new_keys);
        for (size_t i = 0; i < n_new && r >= 0; i++) {
                r = store_index_put(s, txn, new_keys[i].key, w->user);
                if (r == -EEXIST)
                        r = sd_bus_error_setf(&w->error, PG_ERROR_IDENTIFIER_IN_USE,
                                              "This %s already belongs to another account.",
                                              new_keys[i].kind);
        }
        if (r >= 0)
                r = store_put_account(s, txn, &a);
        if (r >= 0)
                r = audit_event(w->d, txn, w->user, w->event, w->caller, "");
        account_clear(&a);
        return r;
}

static int create_or_update(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error,
                            bool create)
{
        AccountWrite *w;
        uid_t uid;
        int r = account_write_new(m, d, caller, create ? "account-created" : "account-updated", &w);
        if (r < 0)
                return r;
        w->create = create;
        if (!unix_name_valid(w->user) || unix_user_uid(w->user, &uid) < 0)
                r = sd_bus_error_set(error, PG_ERROR_NO_SUCH_UNIX_USER,
                                     "There is no such unix user.");
        else
                r = read_props(d, m, &w->props, error);
        if (r < 0 || sd_bus_error_is_set(error)) {
                account_write_free(w);
                return r;
        }
        return account_write_submit(w, write_account);
}

static int do_create(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        return create_or_update(m, d, caller, error, true);
}

static int do_update(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        return create_or_update(m, d, caller, error, false);
}

/* A change to one existing account: the edit callback changes it, the audit records it. */
static int edit_txn(Store *s, MDB_txn *txn, void *userdata)
{
        AccountWrite *w = userdata;
        Account a = {};
        int r = store_get_account(s, txn, w->user, &a);
        if (r < 0)
                return bus_account_error(&w->error, r);
        r = w->edit(s, txn, &a, w);
        if (r >= 0)
                r = audit_event(w->d, txn, w->user, w->event, w->caller, w->detail);
        account_clear(&a);
        return r;
}

static int edit_delete(Store *s, MDB_txn *txn, Account *a, AccountWrite *w)
{
        IndexKey keys[INDEX_KEYS_MAX];
        size_t n = account_index_keys(w->d, a, keys);
        for (size_t i = 0; i < n; i++) {
                int r = store_index_delete(s, txn, keys[i].key);
                if (r < 0)
                        return r;
        }
        return store_delete_account(s, txn, a->user);
}

static int edit_expire(Store *s, MDB_txn *txn, Account *a, AccountWrite *w)
{
        a->must_change = true;
        return store_put_account(s, txn, a);
}

static int edit_lock(Store *s, MDB_txn *txn, Account *a, AccountWrite *w)
{
        char *reason = strdup(w->detail);
        if (!reason)
                return -ENOMEM;
        free(a->lock_reason);
        a->lock_reason = reason;
        a->locked = true;
        return store_put_account(s, txn, a);
}

/* Unlocking also forgets the failure counters, like `faillock --reset`. */
static int edit_unlock(Store *s, MDB_txn *txn, Account *a, AccountWrite *w)
{
        a->locked = false;
        a->disabled = false;
        a->lock_reason = erase_and_free(a->lock_reason);
        lockout_record_success(a);
        return store_put_account(s, txn, a);
}

static void after_delete(AccountWrite *w)
{
        conversations_cancel_user(w->d, w->user);
}

static void after_lock(AccountWrite *w)
{
        (void)sd_bus_emit_signal(w->d->bus, PG_OBJECT_PATH, PG_IFACE_MANAGER, "AccountLocked", "s",
                                 w->user);
}

static int edit(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error, const char *event,
                int (*fn)(Store *, MDB_txn *, Account *, AccountWrite *),
                void (*after)(AccountWrite *))
{
        AccountWrite *w;
        int r = account_write_new(m, d, caller, event, &w);
        if (r < 0)
                return r;
        w->edit = fn;
        w->after = after;
        w->detail = strdup("");
        if (fn == edit_lock) {
                const char *reason;
                r = sd_bus_message_read(m, "s", &reason);
                if (r >= 0 && !text_ok(reason, MAX_REASON_BYTES))
                        r = sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                             "The reason is too long or not valid text.");
                if (r < 0) {
                        account_write_free(w);
                        return r;
                }
                free(w->detail);
                w->detail = strdup(reason);
        }
        if (!w->detail) {
                account_write_free(w);
                return -ENOMEM;
        }
        return account_write_submit(w, edit_txn);
}

static int do_delete(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        return edit(m, d, caller, error, "account-deleted", edit_delete, after_delete);
}

static int do_expire(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        return edit(m, d, caller, error, "password-expired", edit_expire, NULL);
}

static int do_unlock(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        return edit(m, d, caller, error, "account-unlocked", edit_unlock, NULL);
}

static int do_lock(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        return edit(m, d, caller, error, "account-locked", edit_lock, after_lock);
}

static int append_masked_documents(sd_bus_message *reply, const Account *a)
{
        static const size_t full_length[_DOC_MAX] = {
                [DOC_PASSPORT] = 10, [DOC_SNILS] = 11, [DOC_INN] = 12
        };
        int r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r < 0 || (r = sd_bus_message_append(reply, "s", "Documents")) < 0 ||
            (r = sd_bus_message_open_container(reply, 'v', "a{ss}")) < 0 ||
            (r = sd_bus_message_open_container(reply, 'a', "{ss}")) < 0)
                return r;
        for (int t = 0; t < _DOC_MAX; t++) {
                if (!a->documents[t].set)
                        continue;
                /* Only the last digits are kept: mask a stand-in of the right length. */
                char stand_in[16];
                size_t last = strlen(a->documents[t].last);
                memset(stand_in, '0', full_length[t] - last);
                memcpy(stand_in + full_length[t] - last, a->documents[t].last, last + 1);
                _cleanup_free_ char *masked = NULL;
                if ((r = mask_document((DocType)t, stand_in, &masked)) < 0)
                        return r;
                if ((r = sd_bus_message_append(reply, "{ss}", doc_type_to_string((DocType)t),
                                               masked)) < 0)
                        return r;
        }
        if ((r = sd_bus_message_close_container(reply)) < 0 ||
            (r = sd_bus_message_close_container(reply)) < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

/* "argon2id m=65536,t=2,p=1": the public part of a hash, so an admin can see which accounts still
 * carry an old cost (they are rehashed at their next login). */
static const char *hash_params(const char *hash, char *buf, size_t size)
{
        const char *algo, *params;
        size_t n_algo, n_params;

        buf[0] = 0;
        if (!hash || hash[0] != '$')
                return buf;
        algo = hash + 1;
        n_algo = strcspn(algo, "$");
        const char *version = algo + n_algo;
        if (*version != '$')
                return buf;
        params = version + 1 + strcspn(version + 1, "$");
        if (*params != '$')
                return buf;
        params++;
        n_params = strcspn(params, "$");
        snprintf(buf, size, "%.*s %.*s", (int)n_algo, algo, (int)n_params, params);
        return buf;
}

static int do_get(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        char params[64];
        const char *user;
        Account a = {};
        sd_bus_message *reply = NULL;
        _cleanup_free_ char *phone = NULL, *email = NULL;
        uid_t uid = (uid_t)-1;
        int r = sd_bus_message_read(m, "s", &user);
        if (r < 0)
                return r;
        if ((r = store_read_account(d->store, user, &a)) < 0)
                return bus_account_error(error, r);
        (void)unix_user_uid(user, &uid);
        if ((a.phone && (r = mask_phone(a.phone, &phone)) < 0) ||
            (a.email && (r = mask_email(a.email, &email)) < 0))
                goto out;
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                goto out;
        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(
                        reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}", "User", "s", user,
                        "Uid", "u", (uint32_t)uid, "FullName", "s", a.full_name ? a.full_name : "",
                        "Phone", "s", phone ? phone : "", "Email", "s", email ? email : "",
                        "PasswordSet", "b", a.password_hash != NULL, "PasswordChangeRequired", "b",
                        a.must_change, "Locked", "b", a.locked, "LockReason", "s",
                        a.lock_reason ? a.lock_reason : "", "Disabled", "b", a.disabled, "Failures",
                        "u", a.failures);
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}", "PasswordChangedUSec", "t",
                                          a.password_changed_usec, "CreatedUSec", "t",
                                          a.created_usec, "DelayedUntilUSec", "t",
                                          lockout_until(&a, d->config));
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}", "PasswordHashParams", "s",
                                          hash_params(a.password_hash, params, sizeof params));
        if (r >= 0)
                r = append_masked_documents(reply, &a);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
out:
        sd_bus_message_unref(reply);
        account_clear(&a);
        return r;
}

static int do_list(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        _cleanup_strv_free_ char **users = NULL;
        sd_bus_message *reply = NULL;
        int r = store_read_list_accounts(d->store, &users);
        if (r < 0)
                return r;
        if ((r = sd_bus_message_new_method_return(m, &reply)) < 0)
                return r;
        r = sd_bus_message_append_strv(reply, users);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static int append_audit(uint64_t usec, const char *user, const char *event, const char *detail,
                        void *userdata)
{
        return sd_bus_message_append(userdata, "(tsss)", usec, user, event, detail);
}

static int do_list_audit(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        uint64_t since;
        uint32_t max;
        sd_bus_message *reply = NULL;
        int r = sd_bus_message_read(m, "tu", &since, &max);
        if (r < 0)
                return r;
        max = max == 0 ? AUDIT_DEFAULT_MAX : MIN(max, AUDIT_LIMIT);
        if ((r = sd_bus_message_new_method_return(m, &reply)) < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(tsss)");
        if (r >= 0)
                r = store_audit_list(d->store, since, max, append_audit, reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        return r;
}

static bool store_failure(int r)
{
        return r == -ENOSPC || r == -EIO || r == -EUCLEAN || r == -EBUSY || r == -EROFS;
}

#define STORE_FAILURE_TEXT "The store cannot be written now; nothing was changed."

int bus_account_error(sd_bus_error *error, int r)
{
        if (r == -ENOENT)
                return sd_bus_error_set(error, PG_ERROR_NO_SUCH_ACCOUNT,
                                        "No such passgate account.");
        if (store_failure(r))
                return sd_bus_error_set(error, PG_ERROR_STORE, STORE_FAILURE_TEXT);
        return r;
}

int bus_reply_failure(sd_bus_message *m, int r)
{
        if (store_failure(r))
                return sd_bus_reply_method_errorf(m, PG_ERROR_STORE, STORE_FAILURE_TEXT);
        return sd_bus_reply_method_errno(m, r, NULL);
}

static int bus_reply_policy_error(sd_bus_message *m, const PolicyVerdict *v)
{
        _cleanup_free_ char *text = NULL;
        if (asprintf(&text, _(v->message), v->arg) < 0)
                return -ENOMEM;
        return sd_bus_reply_method_errorf(m, PG_ERROR_PASSWORD_REJECTED, "%s", text);
}

typedef struct SetPassword {
        Daemon *d;
        sd_bus_message *m;
        char *user;
        bool must_change;
        uid_t caller;
} SetPassword;

static void set_password_free(SetPassword *sp)
{
        sd_bus_message_unref(sp->m);
        free(sp->user);
        free(sp);
}

static void on_set_saved(Daemon *d, int r, void *userdata)
{
        SetPassword *sp = userdata;
        if (r == -ENOENT)
                (void)sd_bus_reply_method_errorf(sp->m, PG_ERROR_NO_SUCH_ACCOUNT,
                                                 "No such passgate account.");
        else if (r < 0)
                (void)bus_reply_failure(sp->m, r);
        else
                (void)sd_bus_reply_method_return(sp->m, NULL);
        set_password_free(sp);
}

static void on_set_hashed(HashJob *job, void *userdata)
{
        SetPassword *sp = userdata;
        int r = job->error;
        if (r >= 0) {
                PasswordSave s = { .user = sp->user,
                                   .hash = job->new_hash,
                                   .must_change = sp->must_change,
                                   .how = "reset",
                                   .caller = sp->caller };
                r = password_save(sp->d, &s, on_set_saved, sp);
        }
        if (r < 0)
                on_set_saved(sp->d, r, sp);
}

static int do_set_password(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        const char *user, *password;
        int must_change;
        Account a = {};
        PolicyVerdict v;
        _cleanup_erase_ char *normalized = NULL;

        int r = sd_bus_message_read(m, "ssb", &user, &password, &must_change);
        if (r < 0)
                return r;
        if (strlen(password) > policy_max_bytes(d->policy)) {
                v = (PolicyVerdict){ MSG_PW_TOO_LONG, d->policy->max_length };
                return bus_reply_policy_error(m, &v);
        }
        if (password_normalize(password, &normalized) < 0) {
                v = (PolicyVerdict){ MSG_PW_NOT_UTF8, 0 };
                return bus_reply_policy_error(m, &v);
        }
        if ((r = store_read_account(d->store, user, &a)) < 0)
                return bus_account_error(error, r);
        r = policy_check(d->policy, normalized, &a, &d->pepper, &v);
        account_clear(&a);
        if (r < 0)
                return bus_reply_policy_error(m, &v);

        SetPassword *sp = calloc(1, sizeof(SetPassword));
        HashJob *job = hash_job_new(normalized, d->config->opslimit, d->config->memlimit);
        if (!sp || !job || !(sp->user = strdup(user))) {
                free(sp);
                hash_job_free(job);
                return -ENOMEM;
        }
        sp->d = d;
        sp->m = sd_bus_message_ref(m);
        sp->must_change = must_change;
        sp->caller = caller;
        job->hash_new = true;
        job->done = on_set_hashed;
        job->userdata = sp;
        r = hash_job_submit(d->hashers, job);
        if (r < 0) {
                set_password_free(sp);
                hash_job_free(job);
                return r;
        }
        return 1;
}

#define ADMIN_METHOD(name, fn)                                                                     \
        static int name(sd_bus_message *m, void *userdata, sd_bus_error *error)                    \
        {                                                                                          \
                return authz_admin(userdata, m, PG_POLKIT_MANAGE, fn, error);                      \
        }

/*
 * Only a valid unix name can have an account (CreateAccount refuses others): any other first
 * argument, the empty string included (LMDB refuses an empty key with an I/O error), is "no such
 * account" before the store is asked.
 */
static int check_user_arg(sd_bus_message *m, sd_bus_error *error)
{
        const char *user;
        int r = sd_bus_message_read(m, "s", &user);
        if (r < 0)
                return r;
        if (!unix_name_valid(user))
                return bus_account_error(error, -ENOENT);
        return sd_bus_message_rewind(m, true);
}

#define WITH_VALID_USER(fn)                                                                        \
        static int fn##_valid_user(sd_bus_message *m, Daemon *d, uid_t caller,                     \
                                   sd_bus_error *error)                                            \
        {                                                                                          \
                int r = check_user_arg(m, error);                                                  \
                return r < 0 || sd_bus_error_is_set(error) ? r : fn(m, d, caller, error);          \
        }

WITH_VALID_USER(do_delete)
WITH_VALID_USER(do_get)
WITH_VALID_USER(do_expire)
WITH_VALID_USER(do_lock)
WITH_VALID_USER(do_unlock)
WITH_VALID_USER(do_issue_temporary)
WITH_VALID_USER(do_set_password)

ADMIN_METHOD(method_create, do_create)
ADMIN_METHOD(method_update, do_update)
ADMIN_METHOD(method_delete, do_delete_valid_user)
ADMIN_METHOD(method_get, do_get_valid_user)
ADMIN_METHOD(method_list, do_list)
ADMIN_METHOD(method_expire, do_expire_valid_user)
ADMIN_METHOD(method_lock, do_lock_valid_user)
ADMIN_METHOD(method_unlock, do_unlock_valid_user)
ADMIN_METHOD(method_list_audit, do_list_audit)
ADMIN_METHOD(method_issue_temporary, do_issue_temporary_valid_user)

static int method_set_password(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        sd_bus_message_sensitive(m);
        return authz_admin(userdata, m, PG_POLKIT_MANAGE, do_set_password_valid_user, error);
}

#define U SD_BUS_VTABLE_UNPRIVILEGED
static const sd_bus_vtable accounts_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("CreateAccount", SD_BUS_ARGS("s", user, "a{sv}", props),
                                SD_BUS_NO_RESULT, method_create, U | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("UpdateAccount", SD_BUS_ARGS("s", user, "a{sv}", props),
                                SD_BUS_NO_RESULT, method_update, U | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("DeleteAccount", SD_BUS_ARGS("s", user), SD_BUS_NO_RESULT,
                                method_delete, U),
        SD_BUS_METHOD_WITH_ARGS("GetAccount", SD_BUS_ARGS("s", user),
                                SD_BUS_RESULT("a{sv}", account), method_get, U),
        SD_BUS_METHOD_WITH_ARGS("ListAccounts", SD_BUS_NO_ARGS, SD_BUS_RESULT("as", users),
                                method_list, U),
        SD_BUS_METHOD_WITH_ARGS("SetPassword",
                                SD_BUS_ARGS("s", user, "s", password, "b", must_change),
                                SD_BUS_NO_RESULT, method_set_password, U | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("ExpirePassword", SD_BUS_ARGS("s", user), SD_BUS_NO_RESULT,
                                method_expire, U),
        SD_BUS_METHOD_WITH_ARGS("LockAccount", SD_BUS_ARGS("s", user, "s", reason),
                                SD_BUS_NO_RESULT, method_lock, U),
        SD_BUS_METHOD_WITH_ARGS("UnlockAccount", SD_BUS_ARGS("s", user), SD_BUS_NO_RESULT,
                                method_unlock, U),
        SD_BUS_METHOD_WITH_ARGS("IssueTemporaryPassword", SD_BUS_ARGS("s", user), SD_BUS_NO_RESULT,
                                method_issue_temporary, U),
        SD_BUS_METHOD_WITH_ARGS("ListAudit", SD_BUS_ARGS("t", since_usec, "u", max),
                                SD_BUS_RESULT("a(tsss)", entries), method_list_audit, U),
        SD_BUS_VTABLE_END,
};

int bus_accounts_register(Daemon *d)
{
        return sd_bus_add_object_vtable(d->bus, NULL, PG_OBJECT_PATH, PG_IFACE_ACCOUNTS,
                                        accounts_vtable, d);
}
