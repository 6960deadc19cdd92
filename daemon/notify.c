/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Notices to every registered contact that a password changed: no secret in them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "daemon.h"
#include "l10n.h"
#include "macro.h"
#include "messages.h"

static const char *notice_text(const char *how)
{
        if (streq(how, "recovery"))
                return MSG_MAIL_NOTICE_RECOVERY;
        if (streq(how, "reset"))
                return MSG_MAIL_NOTICE_RESET;
        if (streq(how, "temporary"))
                return MSG_MAIL_NOTICE_TEMPORARY;
        if (streq(how, "service-center"))
                return MSG_MAIL_NOTICE_CENTER;
        return MSG_MAIL_NOTICE_CHANGE;
}

void message_budget_key(Daemon *d, uint8_t out[static PEPPER_HASH_BYTES])
{
        pepper_hash(d->pepper.index_key, "limit-messages", "", out);
}

int notice_budget_take(Daemon *d, MDB_txn *txn, unsigned n)
{
        uint8_t key[PEPPER_HASH_BYTES];
        uint64_t now = now_usec();
        int r = 0;

        message_budget_key(d, key);
        for (unsigned i = 0; i < n && r >= 0; i++)
                r = store_limit_take(d->store, txn, key, d->config->messages_per_hour,
                                     USEC_PER_HOUR, now, true);
        return r;
}

static void on_sent(int r, void *userdata)
{
        if (r < 0)
                fprintf(stderr, "passgated: a password change notice could not be sent: %s\n",
                        strerror(-r));
}

static void send_one(Daemon *d, Channel ch, const char *to, const char *subject, const char *text)
{
        Message *m = message_new(ch, to, subject, text);
        if (!m || delivery_send(d->delivery, m, on_sent, NULL) < 0)
                fprintf(stderr, "passgated: a password change notice could not be queued\n");
}

void notify_password_changed(Daemon *d, const char *user, const char *phone, const char *email,
                             const char *how, const char *locale)
{
        _cleanup_free_ char *text = NULL;

        if (asprintf(&text, "%s %s", l10n_gettext(locale, notice_text(how)),
                     l10n_gettext(locale, MSG_MAIL_NOTICE_FOOTER)) < 0)
                return;
        _cleanup_free_ char *body = NULL;
        if (asprintf(&body, text, user) < 0)
                return;
        const char *subject = l10n_gettext(locale, MSG_MAIL_NOTICE_SUBJECT);
        if (phone)
                send_one(d, CHANNEL_SMS, phone, subject, body);
        if (email)
                send_one(d, CHANNEL_EMAIL, email, subject, body);
}
