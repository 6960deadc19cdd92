/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "center-records.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "tlv.h"

#define FORMAT_VERSION 1

enum {
        TAG_NAME = 1,
        TAG_ADDRESS = 2,
        TAG_HOURS = 3,
        TAG_PHONE = 4,
        TAG_PLACES = 10,
        TAG_BOOKED = 11, /* a coupon key; one per booking */
        TAG_CENTER = 20,
        TAG_SLOT = 21,
        TAG_FULL_NAME = 22,
        TAG_CONTACT = 23,
        TAG_CREATED = 24,
        TAG_CONTACT_BOOKING = 30, /* slot start and coupon key */
};

enum {
        PREFIX_BOOKING = 'b',
        PREFIX_CONTACT = 'c',
};

bool center_id_valid(const char *id)
{
        size_t n = strlen(id);
        return n >= 1 && n <= CENTER_ID_MAX &&
               strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static int buf_start(TlvBuf *b)
{
        int r = tlv_buf_reserve(b, 1);
        if (r < 0)
                return r;
        b->data[b->size++] = FORMAT_VERSION;
        return 0;
}

/* A reader past the version byte; -EBADMSG for a format this code does not know. */
static int reader_start(const uint8_t *data, size_t size, TlvReader *ret)
{
        if (size < 1 || data[0] != FORMAT_VERSION)
                return -EBADMSG;
        *ret = (TlvReader){ .data = data + 1, .size = size - 1 };
        return 0;
}

static int get_u64(const uint8_t *v, size_t n, uint64_t *ret)
{
        if (n != 8)
                return -EBADMSG;
        *ret = tlv_be_get(v, n);
        return 0;
}

void center_clear(Center *c)
{
        free(c->name);
        free(c->address);
        free(c->hours);
        free(c->phone);
        *c = (Center){};
}

static int center_decode(const uint8_t *data, size_t size, Center *ret)
{
        Center c = {};
        TlvReader rd;
        const uint8_t *v;
        uint8_t tag;
        size_t n;
        int k, r = reader_start(data, size, &rd);

        while (r >= 0 && (k = tlv_next(&rd, &tag, &v, &n)) != 0) {
                if (k < 0)
                        r = k;
                else if (tag == TAG_NAME)
                        r = tlv_dup_str(&c.name, v, n);
                else if (tag == TAG_ADDRESS)
                        r = tlv_dup_str(&c.address, v, n);
                else if (tag == TAG_HOURS)
                        r = tlv_dup_str(&c.hours, v, n);
                else if (tag == TAG_PHONE)
                        r = tlv_dup_str(&c.phone, v, n);
        }
        if (r >= 0 && (!c.name || !c.address || !c.hours || !c.phone))
                r = -EBADMSG;
        if (r < 0) {
                center_clear(&c);
                return r;
        }
        *ret = c;
        return 0;
}

int center_get(Store *s, MDB_txn *txn, const char *id, Center *ret)
{
        _cleanup_free_ uint8_t *v = NULL;
        size_t n;
        int r = store_table_get(s, txn, TABLE_CENTERS, id, strlen(id), &v, &n);
        if (r < 0)
                return r;
        return center_decode(v, n, ret);
}

int center_put(Store *s, MDB_txn *txn, const char *id, const Center *c)
{
        _cleanup_(tlv_buf_wipe) TlvBuf b = {};
        int r;
        if ((r = buf_start(&b)) < 0 || (r = tlv_put_str(&b, TAG_NAME, c->name)) < 0 ||
            (r = tlv_put_str(&b, TAG_ADDRESS, c->address)) < 0 ||
            (r = tlv_put_str(&b, TAG_HOURS, c->hours)) < 0 ||
            (r = tlv_put_str(&b, TAG_PHONE, c->phone)) < 0)
                return r;
        return store_table_put(s, txn, TABLE_CENTERS, id, strlen(id), b.data, b.size);
}

int center_delete(Store *s, MDB_txn *txn, const char *id)
{
        return store_table_delete(s, txn, TABLE_CENTERS, id, strlen(id));
}

typedef struct CenterVisit {
        center_fn fn;
        void *userdata;
} CenterVisit;

static int visit_center(const uint8_t *key, size_t key_size, const uint8_t *value, size_t size,
                        void *userdata)
{
        CenterVisit *cv = userdata;
        char id[CENTER_ID_MAX + 1];
        Center c;

        if (key_size > CENTER_ID_MAX)
                return -EBADMSG;
        memcpy(id, key, key_size);
        id[key_size] = '\0';
        int r = center_decode(value, size, &c);
        if (r < 0)
                return r;
        r = cv->fn(id, &c, cv->userdata);
        center_clear(&c);
        return r;
}

int center_foreach(Store *s, MDB_txn *txn, center_fn fn, void *userdata)
{
        CenterVisit cv = { fn, userdata };
        return store_table_foreach(s, txn, TABLE_CENTERS, NULL, 0, visit_center, &cv);
}

void slot_clear(Slot *s)
{
        free(s->booked);
        *s = (Slot){};
}

/* The key without the start: the prefix of all the center's slots. */
static size_t slot_prefix(const char *center, uint8_t key[static SLOT_KEY_MAX])
{
        size_t n = strlen(center);
        memcpy(key, center, n + 1);
        return n + 1;
}

size_t slot_key(const char *center, uint64_t start_usec, uint8_t key[static SLOT_KEY_MAX])
{
        size_t n = slot_prefix(center, key);
        tlv_be_put(key + n, start_usec, 8);
        return n + 8;
}

static int slot_decode(const uint8_t *data, size_t size, Slot *ret)
{
        Slot s = {};
        TlvReader rd;
        const uint8_t *v;
        uint8_t tag;
        size_t n;
        uint64_t places = UINT64_MAX;
        int k, r = reader_start(data, size, &rd);

        while (r >= 0 && (k = tlv_next(&rd, &tag, &v, &n)) != 0) {
                if (k < 0)
                        r = k;
                else if (tag == TAG_PLACES)
                        r = get_u64(v, n, &places);
                else if (tag == TAG_BOOKED) {
                        if (n != PEPPER_HASH_BYTES)
                                r = -EBADMSG;
                        else
                                r = slot_add_booking(&s, v);
                }
        }
        if (r >= 0 && places > UINT32_MAX)
                r = -EBADMSG;
        if (r < 0) {
                slot_clear(&s);
                return r;
        }
        s.places = (uint32_t)places;
        *ret = s;
        return 0;
}

int slot_get(Store *s, MDB_txn *txn, const char *center, uint64_t start_usec, Slot *ret)
{
        uint8_t key[SLOT_KEY_MAX];
        _cleanup_free_ uint8_t *v = NULL;
        size_t n;
        int r = store_table_get(s, txn, TABLE_SLOTS, key, slot_key(center, start_usec, key), &v,
                                &n);
        if (r < 0)
                return r;
        return slot_decode(v, n, ret);
}

int slot_put(Store *s, MDB_txn *txn, const char *center, uint64_t start_usec, const Slot *slot)
{
        _cleanup_(tlv_buf_wipe) TlvBuf b = {};
        uint8_t key[SLOT_KEY_MAX];
        int r;

        if ((r = buf_start(&b)) < 0 || (r = tlv_put_u64(&b, TAG_PLACES, slot->places)) < 0)
                return r;
        for (size_t i = 0; i < slot->n_booked; i++)
                if ((r = tlv_put(&b, TAG_BOOKED, slot->booked[i], PEPPER_HASH_BYTES)) < 0)
                        return r;
        return store_table_put(s, txn, TABLE_SLOTS, key, slot_key(center, start_usec, key), b.data,
                               b.size);
}

int slot_delete(Store *s, MDB_txn *txn, const char *center, uint64_t start_usec)
{
        uint8_t key[SLOT_KEY_MAX];
        return store_table_delete(s, txn, TABLE_SLOTS, key, slot_key(center, start_usec, key));
}

int slot_add_booking(Slot *s, const uint8_t coupon_key[static PEPPER_HASH_BYTES])
{
        uint8_t(*b)[PEPPER_HASH_BYTES] = reallocarray(s->booked, s->n_booked + 1, sizeof *b);
        if (!b)
                return -ENOMEM;
        memcpy(b[s->n_booked++], coupon_key, PEPPER_HASH_BYTES);
        s->booked = b;
        return 0;
}

void slot_remove_booking(Slot *s, const uint8_t coupon_key[static PEPPER_HASH_BYTES])
{
        for (size_t i = 0; i < s->n_booked; i++)
                if (!memcmp(s->booked[i], coupon_key, PEPPER_HASH_BYTES)) {
                        memmove(s->booked[i], s->booked[i + 1],
                                (s->n_booked - i - 1) * PEPPER_HASH_BYTES);
                        s->n_booked--;
                        return;
                }
}

typedef struct SlotVisit {
        slot_fn fn;
        void *userdata;
        bool stopped;
} SlotVisit;

static int visit_slot(const uint8_t *key, size_t key_size, const uint8_t *value, size_t size,
                      void *userdata)
{
        SlotVisit *sv = userdata;
        Slot slot;

        if (key_size < 8)
                return -EBADMSG;
        int r = slot_decode(value, size, &slot);
        if (r < 0)
                return r;
        r = sv->fn(tlv_be_get(key + key_size - 8, 8), &slot, sv->userdata);
        slot_clear(&slot);
        if (r > 0) {
                /* store_table_foreach() stops only on an error: this one is ours. */
                sv->stopped = true;
                return -ECANCELED;
        }
        return r;
}

int slot_foreach(Store *s, MDB_txn *txn, const char *center, slot_fn fn, void *userdata)
{
        SlotVisit sv = { fn, userdata, false };
        uint8_t prefix[SLOT_KEY_MAX];
        int r = store_table_foreach(s, txn, TABLE_SLOTS, prefix, slot_prefix(center, prefix),
                                    visit_slot, &sv);
        return sv.stopped ? 0 : r;
}

void booking_clear(Booking *b)
{
        free(b->center);
        erase_and_free(b->full_name);
        erase_and_free(b->contact);
        *b = (Booking){};
}

static void booking_key(const uint8_t coupon_key[static PEPPER_HASH_BYTES],
                        uint8_t key[static BOOKING_KEY])
{
        key[0] = PREFIX_BOOKING;
        memcpy(key + 1, coupon_key, PEPPER_HASH_BYTES);
}

static int booking_decode(const uint8_t *data, size_t size, Booking *ret)
{
        Booking b = {};
        TlvReader rd;
        const uint8_t *v;
        uint8_t tag;
        size_t n;
        int k, r = reader_start(data, size, &rd);

        while (r >= 0 && (k = tlv_next(&rd, &tag, &v, &n)) != 0) {
                if (k < 0)
                        r = k;
                else if (tag == TAG_CENTER)
                        r = tlv_dup_str(&b.center, v, n);
                else if (tag == TAG_SLOT)
                        r = get_u64(v, n, &b.slot_usec);
                else if (tag == TAG_FULL_NAME)
                        r = tlv_dup_str(&b.full_name, v, n);
                else if (tag == TAG_CONTACT)
                        r = tlv_dup_str(&b.contact, v, n);
                else if (tag == TAG_CREATED)
                        r = get_u64(v, n, &b.created_usec);
        }
        if (r >= 0 && (!b.center || !b.full_name || !b.contact))
                r = -EBADMSG;
        if (r < 0) {
                booking_clear(&b);
                return r;
        }
        *ret = b;
        return 0;
}

int booking_get(Store *s, MDB_txn *txn, const uint8_t coupon_key[static PEPPER_HASH_BYTES],
                Booking *ret)
{
        uint8_t key[BOOKING_KEY];
        uint8_t *v = NULL;
        size_t n;

        booking_key(coupon_key, key);
        int r = store_table_get(s, txn, TABLE_BOOKINGS, key, sizeof key, &v, &n);
        if (r < 0)
                return r;
        r = booking_decode(v, n, ret);
        sodium_memzero(v, n);
        free(v);
        return r;
}

int booking_put(Store *s, MDB_txn *txn, const uint8_t coupon_key[static PEPPER_HASH_BYTES],
                const Booking *b)
{
        _cleanup_(tlv_buf_wipe) TlvBuf buf = {};
        uint8_t key[BOOKING_KEY];
        int r;

        if ((r = buf_start(&buf)) < 0 || (r = tlv_put_str(&buf, TAG_CENTER, b->center)) < 0 ||
            (r = tlv_put_u64(&buf, TAG_SLOT, b->slot_usec)) < 0 ||
            (r = tlv_put_str(&buf, TAG_FULL_NAME, b->full_name)) < 0 ||
            (r = tlv_put_str(&buf, TAG_CONTACT, b->contact)) < 0 ||
            (r = tlv_put_u64(&buf, TAG_CREATED, b->created_usec)) < 0)
                return r;
        booking_key(coupon_key, key);
        return store_table_put(s, txn, TABLE_BOOKINGS, key, sizeof key, buf.data, buf.size);
}

int booking_delete(Store *s, MDB_txn *txn, const uint8_t coupon_key[static PEPPER_HASH_BYTES])
{
        uint8_t key[BOOKING_KEY];
        booking_key(coupon_key, key);
        return store_table_delete(s, txn, TABLE_BOOKINGS, key, sizeof key);
}

void contact_key(const Pepper *p, const char *contact, uint8_t out[static PEPPER_HASH_BYTES])
{
        pepper_hash(p->index_key, "booking-contact", contact, out);
}

static void contact_list_key(const uint8_t contact_key[static PEPPER_HASH_BYTES],
                             uint8_t key[static BOOKING_KEY])
{
        key[0] = PREFIX_CONTACT;
        memcpy(key + 1, contact_key, PEPPER_HASH_BYTES);
}

void contact_bookings_clear(ContactBookings *c)
{
        free(c->items);
        *c = (ContactBookings){};
}

int contact_bookings_add(ContactBookings *c, uint64_t slot_usec,
                         const uint8_t coupon_key[static PEPPER_HASH_BYTES])
{
        ContactBooking *items = reallocarray(c->items, c->n + 1, sizeof *items);
        if (!items)
                return -ENOMEM;
        items[c->n].slot_usec = slot_usec;
        memcpy(items[c->n].coupon_key, coupon_key, PEPPER_HASH_BYTES);
        c->items = items;
        c->n++;
        return 0;
}

void contact_bookings_remove(ContactBookings *c, const uint8_t coupon_key[static PEPPER_HASH_BYTES])
{
        for (size_t i = 0; i < c->n; i++)
                if (!memcmp(c->items[i].coupon_key, coupon_key, PEPPER_HASH_BYTES)) {
                        memmove(c->items + i, c->items + i + 1, (c->n - i - 1) * sizeof *c->items);
                        c->n--;
                        return;
                }
}

size_t contact_bookings_future(const ContactBookings *c, uint64_t now)
{
        size_t n = 0;
        for (size_t i = 0; i < c->n; i++)
                n += c->items[i].slot_usec > now;
        return n;
}

int contact_bookings_get(Store *s, MDB_txn *txn,
                         const uint8_t contact_key[static PEPPER_HASH_BYTES], ContactBookings *ret)
{
        ContactBookings c = {};
        uint8_t key[BOOKING_KEY];
        _cleanup_free_ uint8_t *data = NULL;
        TlvReader rd;
        const uint8_t *v;
        uint8_t tag;
        size_t size, n;
        int k;

        contact_list_key(contact_key, key);
        int r = store_table_get(s, txn, TABLE_BOOKINGS, key, sizeof key, &data, &size);
        if (r == -ENOENT) {
                *ret = c;
                return 0;
        }
        if (r >= 0)
                r = reader_start(data, size, &rd);
        while (r >= 0 && (k = tlv_next(&rd, &tag, &v, &n)) != 0) {
                if (k < 0)
                        r = k;
                else if (tag == TAG_CONTACT_BOOKING) {
                        if (n != 8 + PEPPER_HASH_BYTES)
                                r = -EBADMSG;
                        else
                                r = contact_bookings_add(&c, tlv_be_get(v, 8), v + 8);
                }
        }
        if (r < 0) {
                contact_bookings_clear(&c);
                return r;
        }
        *ret = c;
        return 0;
}

int contact_bookings_put(Store *s, MDB_txn *txn,
                         const uint8_t contact_key[static PEPPER_HASH_BYTES], ContactBookings *c,
                         uint64_t now)
{
        _cleanup_(tlv_buf_wipe) TlvBuf b = {};
        uint8_t key[BOOKING_KEY];
        size_t kept = 0;
        int r;

        /* Past bookings no longer count against the limit: nothing needs them here. */
        for (size_t i = 0; i < c->n; i++)
                if (c->items[i].slot_usec > now)
                        c->items[kept++] = c->items[i];
        c->n = kept;

        contact_list_key(contact_key, key);
        if (c->n == 0) {
                r = store_table_delete(s, txn, TABLE_BOOKINGS, key, sizeof key);
                return r == -ENOENT ? 0 : r;
        }
        if ((r = buf_start(&b)) < 0)
                return r;
        for (size_t i = 0; i < c->n; i++) {
                uint8_t v[8 + PEPPER_HASH_BYTES];
                tlv_be_put(v, c->items[i].slot_usec, 8);
                memcpy(v + 8, c->items[i].coupon_key, PEPPER_HASH_BYTES);
                if ((r = tlv_put(&b, TAG_CONTACT_BOOKING, v, sizeof v)) < 0)
                        return r;
        }
        return store_table_put(s, txn, TABLE_BOOKINGS, key, sizeof key, b.data, b.size);
}
