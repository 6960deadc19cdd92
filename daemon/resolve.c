/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <string.h>

#include "daemon.h"
#include "identifier.h"
#include "macro.h"

static PhoneRules phone_rules(Daemon *d)
{
        return (PhoneRules){ .country_code = d->config->country_code,
                             .trunk_prefix = d->config->trunk_prefix };
}

int resolve_login_txn(Daemon *d, MDB_txn *txn, const char *typed, char **ret_user)
{
        IdCandidate c[ID_CANDIDATES_MAX];
        size_t n = 0;
        PhoneRules rules = phone_rules(d);
        int r = identifier_candidates(typed, &rules, c, &n);
        if (r < 0)
                return r;

        r = -ENOENT;
        for (size_t i = 0; i < n && r == -ENOENT; i++) {
                if (c[i].kind == ID_UNIX_NAME) {
                        r = store_has_account(d->store, txn, c[i].value);
                        if (r == 0) {
                                *ret_user = strdup(c[i].value);
                                r = *ret_user ? 0 : -ENOMEM;
                        }
                        continue;
                }
                /* A SNILS is indexed by its document hash: the number itself is never kept. */
                uint8_t key[PEPPER_HASH_BYTES];
                pepper_hash(c[i].kind == ID_SNILS ? d->pepper.document_key : d->pepper.index_key,
                            id_kind_to_string(c[i].kind), c[i].value, key);
                r = store_index_lookup(d->store, txn, key, ret_user);
        }
        id_candidates_free(c, n);
        return r;
}

int resolve_login(Daemon *d, const char *typed, char **ret_user)
{
        StoreRead rd;
        int r = store_read_begin(d->store, &rd);
        if (r < 0)
                return r;
        r = resolve_login_txn(d, rd.txn, typed, ret_user);
        store_read_end(&rd);
        return r;
}

size_t account_index_keys(Daemon *d, const Account *a, IndexKey keys[static INDEX_KEYS_MAX])
{
        size_t n = 0;
        if (a->phone) {
                keys[n].kind = "phone";
                pepper_hash(d->pepper.index_key, "phone", a->phone, keys[n++].key);
        }
        if (a->email) {
                keys[n].kind = "email";
                pepper_hash(d->pepper.index_key, "email", a->email, keys[n++].key);
        }
        if (a->documents[DOC_SNILS].set) {
                keys[n].kind = "snils";
                memcpy(keys[n++].key, a->documents[DOC_SNILS].hash, PEPPER_HASH_BYTES);
        }
        return n;
}
