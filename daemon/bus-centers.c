/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * org.passgate1.ServiceCenters, the public and the admins' part: centers, their schedules and
 * appointments. Every write, with every check it depends on (free places, a contact's bookings,
 * rate limits), runs in one transaction on the writer thread: LMDB has one writer at a time, so of
 * two callers taking the last place one finds it taken. Nothing is checked on the bus loop and
 * then written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account-props.h"
#include "bus-names.h"
#include "center-records.h"
#include "clock.h"
#include "coupon.h"
#include "daemon.h"
#include "identifier.h"
#include "l10n.h"
#include "macro.h"
#include "messages.h"

#define MAX_NAME_BYTES      128
#define MAX_ADDRESS_BYTES   256
#define MAX_HOURS_BYTES     256
#define MAX_PHONE_BYTES     64
#define MAX_FULL_NAME_BYTES 256
#define MAX_CONTACT_BYTES   256
#define MAX_PLACES          1000
#define MAX_SCHEDULE_SLOTS  1000
#define USEC_PER_MINUTE     (60 * USEC_PER_SEC)
#define TIME_TEXT_MAX       64

typedef struct ScheduleSlot {
        uint64_t start_usec;
        uint32_t places;
} ScheduleSlot;

/* Someone whose future booking went with its center. */
typedef struct Notice {
        Channel channel;
        char *to;
        uint64_t slot_usec;
} Notice;

typedef struct CenterWrite CenterWrite;
struct CenterWrite {
        Daemon *d;
        sd_bus_message *m;
        sd_bus_error error;
        uid_t caller;
        char id[CENTER_ID_MAX + 1];
        Center center; /* AddCenter: the new one; the others read it in the transaction */
        /* Runs on the event loop after a successful write: the reply, then what goes out. */
        int (*reply)(CenterWrite *w);

        /* SetSchedule */
        ScheduleSlot *slots;
        size_t n_slots;

        /* BookAppointment and CancelAppointment */
        uint64_t slot_usec;
        char *full_name;
        char *contact; /* E.164 or e-mail */
        Channel channel;
        uint8_t limit_key[PEPPER_HASH_BYTES];
        char coupon[COUPON_TEXT_MAX];
        uint8_t coupon_key[PEPPER_HASH_BYTES];
        bool send; /* the host's message budget allowed the coupon's message */

        /* RemoveCenter */
        Notice *notices;
        size_t n_notices;
        size_t n_unsent; /* over the host's message budget */
};

static void notices_clear(CenterWrite *w)
{
        for (size_t i = 0; i < w->n_notices; i++)
                erase_and_free(w->notices[i].to);
        free(w->notices);
        w->notices = NULL;
        w->n_notices = w->n_unsent = 0;
}

static void center_write_free(CenterWrite *w)
{
        sd_bus_message_unref(w->m);
        sd_bus_error_free(&w->error);
        center_clear(&w->center);
        free(w->slots);
        erase_and_free(w->full_name);
        erase_and_free(w->contact);
        notices_clear(w);
        sodium_memzero(w, sizeof *w);
        free(w);
}

/* A transaction may run again after the map grew: each run starts from what the method gave. */
static void center_write_reset(CenterWrite *w, bool keep_center)
{
        sd_bus_error_free(&w->error);
        w->error = SD_BUS_ERROR_NULL;
        if (!keep_center)
                center_clear(&w->center);
        notices_clear(w);
        w->send = false;
}

static void center_written(Daemon *d, int r, void *userdata)
{
        CenterWrite *w = userdata;

        if (sd_bus_error_is_set(&w->error))
                (void)sd_bus_reply_method_error(w->m, &w->error);
        else if (r < 0)
                (void)bus_reply_failure(w->m, r);
        else if ((r = w->reply(w)) < 0)
                (void)bus_reply_failure(w->m, r);
        center_write_free(w);
}

static CenterWrite *center_write_new(sd_bus_message *m, Daemon *d, uid_t caller)
{
        CenterWrite *w = calloc(1, sizeof(CenterWrite));
        if (w)
                *w = (CenterWrite){ .d = d,
                                    .m = sd_bus_message_ref(m),
                                    .error = SD_BUS_ERROR_NULL,
                                    .caller = caller };
        return w;
}

/* The reply comes once the write is done: 1 tells sd-bus not to answer now. */
static int center_write_submit(CenterWrite *w, store_write_fn fn)
{
        int r = daemon_write(w->d, fn, w, center_written);
        if (r < 0) {
                center_write_free(w);
                return r;
        }
        return 1;
}

static int reply_empty(CenterWrite *w)
{
        return sd_bus_reply_method_return(w->m, NULL);
}

/* A slot time as the people at the center read it: local time of the host. */
static void format_local(uint64_t usec, char buf[static TIME_TEXT_MAX])
{
        time_t t = (time_t)(usec / USEC_PER_SEC);
        struct tm tm;
        if (!localtime_r(&t, &tm) || strftime(buf, TIME_TEXT_MAX, "%Y-%m-%d %H:%M", &tm) == 0)
                snprintf(buf, TIME_TEXT_MAX, "@%llu", (unsigned long long)usec);
}

/* A slot time in the audit log: UTC, whatever the host's zone. */
static void format_utc(uint64_t usec, char buf[static TIME_TEXT_MAX])
{
        time_t t = (time_t)(usec / USEC_PER_SEC);
        struct tm tm;
        if (!gmtime_r(&t, &tm) || strftime(buf, TIME_TEXT_MAX, "%Y-%m-%dT%H:%MZ", &tm) == 0)
                snprintf(buf, TIME_TEXT_MAX, "@%llu", (unsigned long long)usec);
}

static int audit_center(CenterWrite *w, MDB_txn *txn, const char *event, const char *more)
{
        char detail[256];
        snprintf(detail, sizeof detail, "center=%s%s%s", w->id, *more ? " " : "", more);
        return audit_event(w->d, txn, "", event, w->caller, detail);
}

static int audit_slot(CenterWrite *w, MDB_txn *txn, const char *event)
{
        char when[TIME_TEXT_MAX], more[TIME_TEXT_MAX + 8];
        format_utc(w->slot_usec, when);
        snprintf(more, sizeof more, "slot=%s", when);
        return audit_center(w, txn, event, more);
}

static int read_center_id(sd_bus_message *m, char id[static CENTER_ID_MAX + 1], sd_bus_error *error)
{
        const char *s;
        int r = sd_bus_message_read(m, "s", &s);
        if (r < 0)
                return r;
        if (!center_id_valid(s))
                return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                        "A center id is 1 to 32 of a-z, 0-9 and '-'.");
        strcpy(id, s);
        return 0;
}

static int no_such_center(sd_bus_error *error, int r)
{
        if (r == -ENOENT)
                return sd_bus_error_set(error, PG_ERROR_NO_SUCH_CENTER,
                                        "There is no such service center.");
        return r;
}

/* Text of 1..max bytes, valid UTF-8 without control characters, not only spaces. */
static bool field_ok(const char *s, size_t max)
{
        return text_ok(s, max) && s[strspn(s, " ")] != '\0';
}

static int dup_field(const char *s, size_t max, const char *what, char **ret, sd_bus_error *error)
{
        if (!field_ok(s, max))
                return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS,
                                         "The %s must be 1 to %zu bytes of text without control "
                                         "characters.",
                                         what, max);
        return (*ret = strdup(s)) ? 0 : -ENOMEM;
}

/* ---------------------------------------------------------------- AddCenter */

static int add_txn(Store *s, MDB_txn *txn, void *userdata)
{
        CenterWrite *w = userdata;
        Center old = {};

        center_write_reset(w, true);
        int r = center_get(s, txn, w->id, &old);
        center_clear(&old);
        if (r == 0)
                return sd_bus_error_set(&w->error, PG_ERROR_CENTER_EXISTS,
                                        "A service center with this id exists already.");
        if (r != -ENOENT)
                return r;
        if ((r = center_put(s, txn, w->id, &w->center)) < 0)
                return r;
        return audit_center(w, txn, "center-added", "");
}

static int do_add_center(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        PhoneRules rules = { d->config->country_code, d->config->trunk_prefix };
        const char *name, *address, *hours, *phone;
        _cleanup_free_ char *normalized = NULL;
        CenterWrite *w = center_write_new(m, d, caller);
        int r;

        if (!w)
                return -ENOMEM;
        w->reply = reply_empty;
        if ((r = read_center_id(m, w->id, error)) < 0 ||
            (r = sd_bus_message_read(m, "ssss", &name, &address, &hours, &phone)) < 0 ||
            (r = dup_field(name, MAX_NAME_BYTES, "name", &w->center.name, error)) < 0 ||
            (r = dup_field(address, MAX_ADDRESS_BYTES, "address", &w->center.address, error)) < 0 ||
            (r = dup_field(hours, MAX_HOURS_BYTES, "opening hours", &w->center.hours, error)) < 0)
                goto fail;
        /* Kept as the admin wrote it, for display; it must be a number all the same. */
        if (!field_ok(phone, MAX_PHONE_BYTES) || phone_normalize(phone, &rules, &normalized) < 0) {
                r = sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                     "The phone must be a phone number, like +7 495 123-45-67.");
                goto fail;
        }
        if (!(w->center.phone = strdup(phone))) {
                r = -ENOMEM;
                goto fail;
        }
        return center_write_submit(w, add_txn);
fail:
        center_write_free(w);
        return r;
}

/* ---------------------------------------------------------------- RemoveCenter */

typedef struct Collected {
        uint64_t *starts; /* every slot */
        size_t n_starts;
        ContactBookings booked; /* every booking: its slot and coupon key */
} Collected;

static void collected_clear(Collected *c)
{
        free(c->starts);
        contact_bookings_clear(&c->booked);
}

static int collect_slot(uint64_t start_usec, const Slot *slot, void *userdata)
{
        Collected *c = userdata;
        uint64_t *starts = reallocarray(c->starts, c->n_starts + 1, sizeof *starts);
        if (!starts)
                return -ENOMEM;
        c->starts = starts;
        c->starts[c->n_starts++] = start_usec;
        for (size_t i = 0; i < slot->n_booked; i++) {
                int r = contact_bookings_add(&c->booked, start_usec, slot->booked[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_notice(CenterWrite *w, const Booking *b)
{
        Notice *n = reallocarray(w->notices, w->n_notices + 1, sizeof *n);
        if (!n)
                return -ENOMEM;
        w->notices = n;
        n += w->n_notices;
        *n = (Notice){ .channel = strchr(b->contact, '@') ? CHANNEL_EMAIL : CHANNEL_SMS,
                       .to = strdup(b->contact),
                       .slot_usec = b->slot_usec };
        if (!n->to)
                return -ENOMEM;
        w->n_notices++;
        return 0;
}

/* Deletes one booking of a center going away and its place in its contact's list. */
static int drop_booking(CenterWrite *w, Store *s, MDB_txn *txn, const uint8_t *coupon_key,
                        uint64_t now)
{
        Booking b = {};
        ContactBookings cb = {};
        uint8_t ck[PEPPER_HASH_BYTES];

        int r = booking_get(s, txn, coupon_key, &b);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        contact_key(&w->d->pepper, b.contact, ck);
        if (b.slot_usec > now)
                r = add_notice(w, &b);
        if (r >= 0)
                r = booking_delete(s, txn, coupon_key);
        if (r >= 0)
                r = contact_bookings_get(s, txn, ck, &cb);
        if (r >= 0) {
                contact_bookings_remove(&cb, coupon_key);
                r = contact_bookings_put(s, txn, ck, &cb, now);
        }
        contact_bookings_clear(&cb);
        booking_clear(&b);
        return r;
}

static int remove_txn(Store *s, MDB_txn *txn, void *userdata)
{
        CenterWrite *w = userdata;
        _cleanup_(collected_clear) Collected c = {};
        uint64_t now = now_usec();
        char more[64];

        center_write_reset(w, false);
        int r = center_get(s, txn, w->id, &w->center);
        if (r < 0)
                return no_such_center(&w->error, r);
        /* Collected first: the cursor of the walk must not see its own deletions. */
        if ((r = slot_foreach(s, txn, w->id, collect_slot, &c)) < 0)
                return r;
        for (size_t i = 0; i < c.booked.n; i++)
                if ((r = drop_booking(w, s, txn, c.booked.items[i].coupon_key, now)) < 0)
                        return r;
        for (size_t i = 0; i < c.n_starts; i++)
                if ((r = slot_delete(s, txn, w->id, c.starts[i])) < 0)
                        return r;
        if ((r = center_delete(s, txn, w->id)) < 0)
                return r;
        for (size_t i = 0; i < w->n_notices; i++) {
                r = notice_budget_take(w->d, txn, 1);
                if (r == -EDQUOT) {
                        w->n_unsent = w->n_notices - i;
                        break;
                }
                if (r < 0)
                        return r;
        }
        snprintf(more, sizeof more, "slots=%zu bookings=%zu", c.n_starts, c.booked.n);
        return audit_center(w, txn, "center-removed", more);
}

static void on_notice_sent(int r, void *userdata)
{
        if (r < 0)
                fprintf(stderr,
                        "passgated: a notice of a cancelled appointment could not be sent: "
                        "%s\n",
                        strerror(-r));
}

static int reply_removed(CenterWrite *w)
{
        const char *subject = l10n_gettext(NULL, MSG_MAIL_BOOKING_GONE_SUBJECT);
        size_t n = w->n_notices - w->n_unsent;

        int r = sd_bus_reply_method_return(w->m, NULL);
        if (w->n_unsent > 0)
                fprintf(stderr,
                        "passgated: %zu notices of cancelled appointments were not sent: the "
                        "host's message budget is spent\n",
                        w->n_unsent);
        for (size_t i = 0; i < n; i++) {
                char when[TIME_TEXT_MAX];
                _cleanup_free_ char *text = NULL;
                format_local(w->notices[i].slot_usec, when);
                if (asprintf(&text, l10n_gettext(NULL, MSG_MAIL_BOOKING_GONE), w->center.name,
                             when) < 0) {
                        on_notice_sent(-ENOMEM, NULL);
                        continue;
                }
                Message *msg = message_new(w->notices[i].channel, w->notices[i].to, subject, text);
                if (!msg || delivery_send(w->d->delivery, msg, on_notice_sent, NULL) < 0)
                        on_notice_sent(-ENOMEM, NULL);
        }
        return r;
}

static int do_remove_center(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        CenterWrite *w = center_write_new(m, d, caller);
        if (!w)
                return -ENOMEM;
        w->reply = reply_removed;
        int r = read_center_id(m, w->id, error);
        if (r < 0) {
                center_write_free(w);
                return r;
        }
        return center_write_submit(w, remove_txn);
}

/* ---------------------------------------------------------------- SetSchedule */

static int compare_slots(const void *a, const void *b)
{
        uint64_t x = ((const ScheduleSlot *)a)->start_usec,
                 y = ((const ScheduleSlot *)b)->start_usec;
        return x < y ? -1 : x > y;
}

static int schedule_txn(Store *s, MDB_txn *txn, void *userdata)
{
        CenterWrite *w = userdata;
        char more[64];

        center_write_reset(w, false);
        int r = center_get(s, txn, w->id, &w->center);
        if (r < 0)
                return no_such_center(&w->error, r);
        for (size_t i = 0; i < w->n_slots; i++) {
                const ScheduleSlot *want = &w->slots[i];
                Slot slot = {};
                r = slot_get(s, txn, w->id, want->start_usec, &slot);
                if (r == -ENOENT && want->places == 0)
                        continue;
                if (r < 0 && r != -ENOENT)
                        return r;
                if (want->places < slot.n_booked) {
                        char when[TIME_TEXT_MAX];
                        format_utc(want->start_usec, when);
                        r = sd_bus_error_setf(&w->error, PG_ERROR_SLOT_FULL,
                                              "The slot at %s has %zu bookings: it needs at least "
                                              "as many places.",
                                              when, slot.n_booked);
                } else if (want->places == 0)
                        r = slot_delete(s, txn, w->id, want->start_usec);
                else {
                        slot.places = want->places;
                        r = slot_put(s, txn, w->id, want->start_usec, &slot);
                }
                slot_clear(&slot);
                if (r < 0)
                        return r;
        }
        snprintf(more, sizeof more, "slots=%zu", w->n_slots);
        return audit_center(w, txn, "center-schedule-set", more);
}

static int read_schedule(sd_bus_message *m, CenterWrite *w, sd_bus_error *error)
{
        uint64_t start;
        uint32_t places;
        int r = sd_bus_message_enter_container(m, 'a', "(tu)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(tu)", &start, &places)) > 0) {
                if (w->n_slots >= MAX_SCHEDULE_SLOTS)
                        return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS,
                                                 "At most %d slots at once.", MAX_SCHEDULE_SLOTS);
                if (start == 0 || start % USEC_PER_MINUTE != 0)
                        return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                                "A slot starts on a whole minute (µs since the "
                                                "epoch).");
                if (places > MAX_PLACES)
                        return sd_bus_error_setf(error, PG_ERROR_INVALID_ARGS,
                                                 "A slot has at most %d places.", MAX_PLACES);
                ScheduleSlot *slots = reallocarray(w->slots, w->n_slots + 1, sizeof *slots);
                if (!slots)
                        return -ENOMEM;
                w->slots = slots;
                w->slots[w->n_slots++] = (ScheduleSlot){ start, places };
        }
        if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0)
                return r;
        if (w->n_slots == 0)
                return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS, "No slots given.");
        qsort(w->slots, w->n_slots, sizeof *w->slots, compare_slots);
        for (size_t i = 1; i < w->n_slots; i++)
                if (w->slots[i].start_usec == w->slots[i - 1].start_usec)
                        return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                                "A slot is given twice.");
        return 0;
}

static int do_set_schedule(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        CenterWrite *w = center_write_new(m, d, caller);
        if (!w)
                return -ENOMEM;
        w->reply = reply_empty;
        int r = read_center_id(m, w->id, error);
        if (r >= 0)
                r = read_schedule(m, w, error);
        if (r < 0) {
                center_write_free(w);
                return r;
        }
        return center_write_submit(w, schedule_txn);
}

/* ---------------------------------------------------------------- BookAppointment */

static void limit_key(Daemon *d, const char *kind, uid_t caller,
                      uint8_t out[static PEPPER_HASH_BYTES])
{
        char uid[16];
        snprintf(uid, sizeof uid, "%u", (unsigned)caller);
        pepper_hash(d->pepper.index_key, kind, uid, out);
}

/* A coupon no booking has yet: a clash of 50 random bits is unlikely, not impossible. */
static int new_coupon(CenterWrite *w, Store *s, MDB_txn *txn)
{
        for (int tries = 0; tries < 8; tries++) {
                Booking b = {};
                coupon_generate(w->coupon);
                coupon_key(&w->d->pepper, w->coupon, w->coupon_key);
                int r = booking_get(s, txn, w->coupon_key, &b);
                booking_clear(&b);
                if (r == -ENOENT)
                        return 0;
                if (r < 0)
                        return r;
        }
        return -EEXIST;
}

static int book_txn(Store *s, MDB_txn *txn, void *userdata)
{
        CenterWrite *w = userdata;
        Daemon *d = w->d;
        uint64_t now = now_usec();
        uint8_t ck[PEPPER_HASH_BYTES];
        Slot slot = {};
        ContactBookings cb = {};

        center_write_reset(w, false);
        int r = store_limit_take(s, txn, w->limit_key, d->config->bookings_per_hour, USEC_PER_HOUR,
                                 now, true);
        if (r == -EDQUOT)
                return sd_bus_error_set(&w->error, PG_ERROR_RATE_LIMITED,
                                        "Too many appointments booked from this user: try again "
                                        "later.");
        if (r < 0)
                return r;
        if ((r = center_get(s, txn, w->id, &w->center)) < 0)
                return no_such_center(&w->error, r);
        r = slot_get(s, txn, w->id, w->slot_usec, &slot);
        if (r == -ENOENT || (r >= 0 && w->slot_usec <= now))
                r = sd_bus_error_set(&w->error, PG_ERROR_NO_SUCH_SLOT,
                                     "The center has no such slot ahead.");
        else if (r >= 0 && slot.n_booked >= slot.places)
                r = sd_bus_error_set(&w->error, PG_ERROR_SLOT_FULL, "This slot is fully booked.");
        contact_key(&d->pepper, w->contact, ck);
        if (r >= 0)
                r = contact_bookings_get(s, txn, ck, &cb);
        if (r >= 0 && contact_bookings_future(&cb, now) >= d->config->max_bookings)
                r = sd_bus_error_setf(&w->error, PG_ERROR_TOO_MANY_BOOKINGS,
                                      "This contact holds %u appointments ahead already: cancel "
                                      "one first.",
                                      d->config->max_bookings);
        if (r >= 0)
                r = new_coupon(w, s, txn);
        if (r >= 0)
                r = slot_add_booking(&slot, w->coupon_key);
        if (r >= 0)
                r = slot_put(s, txn, w->id, w->slot_usec, &slot);
        if (r >= 0)
                r = contact_bookings_add(&cb, w->slot_usec, w->coupon_key);
        if (r >= 0)
                r = contact_bookings_put(s, txn, ck, &cb, now);
        if (r >= 0) {
                Booking b = { .center = w->id,
                              .slot_usec = w->slot_usec,
                              .full_name = w->full_name,
                              .contact = w->contact,
                              .created_usec = now };
                r = booking_put(s, txn, w->coupon_key, &b);
        }
        /* The booking stands without its message: the caller has the coupon in the reply. */
        if (r >= 0) {
                r = notice_budget_take(d, txn, 1);
                w->send = r >= 0;
                if (r == -EDQUOT)
                        r = 0;
        }
        if (r >= 0)
                r = audit_slot(w, txn, "appointment-booked");
        slot_clear(&slot);
        contact_bookings_clear(&cb);
        sodium_memzero(ck, sizeof ck);
        return r;
}

static void on_coupon_sent(int r, void *userdata)
{
        if (r < 0)
                fprintf(stderr, "passgated: the coupon of an appointment could not be sent: %s\n",
                        strerror(-r));
}

static void send_coupon(CenterWrite *w)
{
        char when[TIME_TEXT_MAX];
        char *text = NULL;

        if (!w->send) {
                fprintf(stderr, "passgated: the coupon of an appointment was not sent: the host's "
                                "message budget is spent\n");
                return;
        }
        format_local(w->slot_usec, when);
        if (asprintf(&text, l10n_gettext(NULL, MSG_MAIL_BOOKING), w->center.name, w->center.address,
                     when, w->coupon) < 0) {
                on_coupon_sent(-ENOMEM, NULL);
                return;
        }
        Message *msg = message_new(w->channel, w->contact,
                                   l10n_gettext(NULL, MSG_MAIL_BOOKING_SUBJECT), text);
        erase_and_free(text);
        if (!msg)
                on_coupon_sent(-ENOMEM, NULL);
        else if (delivery_send(w->d->delivery, msg, on_coupon_sent, NULL) < 0)
                on_coupon_sent(-EINVAL, NULL);
}

static int reply_coupon(CenterWrite *w)
{
        sd_bus_message *reply = NULL;

        int r = sd_bus_message_new_method_return(w->m, &reply);
        if (r < 0)
                return r;
        sd_bus_message_sensitive(reply);
        r = sd_bus_message_append(reply, "s", w->coupon);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        sd_bus_message_unref(reply);
        if (r >= 0)
                send_coupon(w);
        return r;
}

/* A phone (international or national form) or an e-mail address, normalised. */
static int read_contact(Daemon *d, const char *typed, CenterWrite *w, sd_bus_error *error)
{
        PhoneRules rules = { d->config->country_code, d->config->trunk_prefix };
        int r = -EINVAL;

        if (text_ok(typed, MAX_CONTACT_BYTES)) {
                w->channel = strchr(typed, '@') ? CHANNEL_EMAIL : CHANNEL_SMS;
                r = w->channel == CHANNEL_EMAIL ? email_normalize(typed, &w->contact)
                                                : phone_normalize(typed, &rules, &w->contact);
        }
        if (r == -EINVAL)
                return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                        "The contact must be a phone number or an e-mail "
                                        "address.");
        return r;
}

static int do_book(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        const char *full_name, *contact;
        CenterWrite *w = center_write_new(m, d, caller);
        int r;

        if (!w)
                return -ENOMEM;
        w->reply = reply_coupon;
        if ((r = read_center_id(m, w->id, error)) < 0 ||
            (r = sd_bus_message_read(m, "tss", &w->slot_usec, &full_name, &contact)) < 0 ||
            (r = dup_field(full_name, MAX_FULL_NAME_BYTES, "full name", &w->full_name, error)) <
                    0 ||
            (r = read_contact(d, contact, w, error)) < 0) {
                center_write_free(w);
                return r;
        }
        limit_key(d, "limit-booking", caller, w->limit_key);
        return center_write_submit(w, book_txn);
}

/* ---------------------------------------------------------------- CancelAppointment */

static int cancel_txn(Store *s, MDB_txn *txn, void *userdata)
{
        CenterWrite *w = userdata;
        uint64_t now = now_usec();
        uint8_t ck[PEPPER_HASH_BYTES];
        Booking b = {};
        Slot slot = {};
        ContactBookings cb = {};

        center_write_reset(w, false);
        /* Unknown coupons count against the caller: guessing one takes a lifetime. */
        int r = store_limit_take(s, txn, w->limit_key, w->d->config->bookings_per_hour,
                                 USEC_PER_HOUR, now, false);
        if (r == -EDQUOT)
                return sd_bus_error_set(&w->error, PG_ERROR_RATE_LIMITED,
                                        "Too many unknown coupons from this user: try again "
                                        "later.");
        if (r < 0)
                return r;
        r = booking_get(s, txn, w->coupon_key, &b);
        if (r == -ENOENT) {
                /* Committed with the error: the miss must count. */
                r = store_limit_take(s, txn, w->limit_key, w->d->config->bookings_per_hour,
                                     USEC_PER_HOUR, now, true);
                if (r < 0)
                        return r;
                (void)sd_bus_error_set(&w->error, PG_ERROR_NO_SUCH_COUPON,
                                       "No appointment has this coupon.");
                return 0;
        }
        if (r < 0)
                return r;
        snprintf(w->id, sizeof w->id, "%s", b.center);
        w->slot_usec = b.slot_usec;
        contact_key(&w->d->pepper, b.contact, ck);
        r = slot_get(s, txn, b.center, b.slot_usec, &slot);
        if (r >= 0) {
                slot_remove_booking(&slot, w->coupon_key);
                r = slot_put(s, txn, b.center, b.slot_usec, &slot);
        } else if (r == -ENOENT)
                r = 0;
        if (r >= 0)
                r = contact_bookings_get(s, txn, ck, &cb);
        if (r >= 0) {
                contact_bookings_remove(&cb, w->coupon_key);
                r = contact_bookings_put(s, txn, ck, &cb, now);
        }
        if (r >= 0)
                r = booking_delete(s, txn, w->coupon_key);
        if (r >= 0)
                r = audit_slot(w, txn, "appointment-cancelled");
        booking_clear(&b);
        slot_clear(&slot);
        contact_bookings_clear(&cb);
        sodium_memzero(ck, sizeof ck);
        return r;
}

static int do_cancel(sd_bus_message *m, Daemon *d, uid_t caller, sd_bus_error *error)
{
        const char *typed;
        CenterWrite *w;

        int r = sd_bus_message_read(m, "s", &typed);
        if (r < 0)
                return r;
        if (!(w = center_write_new(m, d, caller)))
                return -ENOMEM;
        w->reply = reply_empty;
        if (strlen(typed) > 64 || coupon_normalize(typed, w->coupon) < 0) {
                center_write_free(w);
                return sd_bus_error_set(error, PG_ERROR_INVALID_ARGS,
                                        "A coupon is 10 letters and digits, like K7QX-M2PD-9R.");
        }
        coupon_key(&d->pepper, w->coupon, w->coupon_key);
        sodium_memzero(w->coupon, sizeof w->coupon);
        limit_key(d, "limit-coupon-miss", caller, w->limit_key);
        return center_write_submit(w, cancel_txn);
}

/* ---------------------------------------------------------------- ListCenters, ListSlots */

static int append_center(const char *id, const Center *c, void *userdata)
{
        return sd_bus_message_append(userdata, "(sssss)", id, c->name, c->address, c->hours,
                                     c->phone);
}

static int method_list_centers(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        StoreRead rd;

        int r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0 || (r = sd_bus_message_open_container(reply, 'a', "(sssss)")) < 0)
                return r;
        if ((r = store_read_begin(d->store, &rd)) < 0)
                return r;
        r = center_foreach(d->store, rd.txn, append_center, reply);
        store_read_end(&rd);
        if (r < 0 || (r = sd_bus_message_close_container(reply)) < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

typedef struct SlotRange {
        sd_bus_message *reply;
        uint64_t from, to;
} SlotRange;

static int append_slot(uint64_t start_usec, const Slot *slot, void *userdata)
{
        SlotRange *sr = userdata;
        if (start_usec >= sr->to)
                return 1;
        if (start_usec < sr->from)
                return 0;
        uint32_t free_places = slot->places > slot->n_booked ? slot->places - slot->n_booked : 0;
        int r = sd_bus_message_append(sr->reply, "(tu)", start_usec, free_places);
        return r < 0 ? r : 0;
}

static int method_list_slots(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        Daemon *d = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char id[CENTER_ID_MAX + 1];
        SlotRange sr;
        StoreRead rd;
        Center c = {};

        int r = read_center_id(m, id, error);
        if (r < 0 || (r = sd_bus_message_read(m, "tt", &sr.from, &sr.to)) < 0)
                return r;
        if ((r = sd_bus_message_new_method_return(m, &reply)) < 0 ||
            (r = sd_bus_message_open_container(reply, 'a', "(tu)")) < 0)
                return r;
        sr.reply = reply;
        if ((r = store_read_begin(d->store, &rd)) < 0)
                return r;
        r = center_get(d->store, rd.txn, id, &c);
        center_clear(&c);
        if (r >= 0)
                r = slot_foreach(d->store, rd.txn, id, append_slot, &sr);
        store_read_end(&rd);
        if (r < 0)
                return no_such_center(error, r);
        if ((r = sd_bus_message_close_container(reply)) < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* ---------------------------------------------------------------- the vtable */

static int method_book(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        sd_bus_message_sensitive(m);
        return with_caller(userdata, m, do_book, error);
}

static int method_cancel(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        sd_bus_message_sensitive(m);
        return with_caller(userdata, m, do_cancel, error);
}

static int method_add_center(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return authz_admin(userdata, m, PG_POLKIT_MANAGE, do_add_center, error);
}

static int method_remove_center(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return authz_admin(userdata, m, PG_POLKIT_MANAGE, do_remove_center, error);
}

static int method_set_schedule(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
        return authz_admin(userdata, m, PG_POLKIT_MANAGE, do_set_schedule, error);
}

#define U SD_BUS_VTABLE_UNPRIVILEGED
static const sd_bus_vtable centers_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("ListCenters", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssss)", centers),
                                method_list_centers, U),
        SD_BUS_METHOD_WITH_ARGS("ListSlots", SD_BUS_ARGS("s", center, "t", from_usec, "t", to_usec),
                                SD_BUS_RESULT("a(tu)", slots), method_list_slots, U),
        SD_BUS_METHOD_WITH_ARGS(
                "BookAppointment",
                SD_BUS_ARGS("s", center, "t", slot_usec, "s", full_name, "s", contact),
                SD_BUS_RESULT("s", coupon), method_book, U | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("CancelAppointment", SD_BUS_ARGS("s", coupon), SD_BUS_NO_RESULT,
                                method_cancel, U | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS(
                "AddCenter", SD_BUS_ARGS("s", id, "s", name, "s", address, "s", hours, "s", phone),
                SD_BUS_NO_RESULT, method_add_center, U),
        SD_BUS_METHOD_WITH_ARGS("RemoveCenter", SD_BUS_ARGS("s", id), SD_BUS_NO_RESULT,
                                method_remove_center, U),
        SD_BUS_METHOD_WITH_ARGS("SetSchedule", SD_BUS_ARGS("s", center, "a(tu)", slots),
                                SD_BUS_NO_RESULT, method_set_schedule, U),
        SD_BUS_VTABLE_END,
};

int bus_centers_register(Daemon *d)
{
        return sd_bus_add_object_vtable(d->bus, NULL, PG_OBJECT_PATH, PG_IFACE_SERVICECENTERS,
                                        centers_vtable, d);
}
