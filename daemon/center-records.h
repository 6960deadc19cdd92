/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pepper.h"
#include "store.h"

/*
 * How service centers, their slots and bookings are kept in the store's sealed tables. Every value
 * starts with a format version byte, then tlv.h fields.
 *
 *   centers:  the center id -> Center
 *   slots:    the center id, a NUL, the start (8 bytes big-endian) -> Slot; a center's slots are
 *             one range of keys, in time order
 *   bookings: 'b' and a coupon's keyed hash -> Booking;
 *             'c' and a contact's keyed hash -> ContactBookings, what counts against
 *             [centers] max_bookings
 *
 * No key holds a name, contact or coupon in clear.
 */
#define CENTER_ID_MAX 32
#define SLOT_KEY_MAX  (CENTER_ID_MAX + 1 + 8)
#define BOOKING_KEY   (1 + PEPPER_HASH_BYTES)

/* 1 to 32 of [a-z0-9-]. */
bool center_id_valid(const char *id);

typedef struct Center {
        char *name, *address, *hours, *phone;
} Center;

void center_clear(Center *c);
/* -ENOENT when there is no such center. */
int center_get(Store *s, MDB_txn *txn, const char *id, Center *ret);
int center_put(Store *s, MDB_txn *txn, const char *id, const Center *c);
int center_delete(Store *s, MDB_txn *txn, const char *id);
/* fn with each center, by id. */
typedef int (*center_fn)(const char *id, const Center *c, void *userdata);
int center_foreach(Store *s, MDB_txn *txn, center_fn fn, void *userdata);

typedef struct Slot {
        uint32_t places;
        size_t n_booked;
        uint8_t (*booked)[PEPPER_HASH_BYTES]; /* the coupon keys of its bookings */
} Slot;

void slot_clear(Slot *s);
size_t slot_key(const char *center, uint64_t start_usec, uint8_t key[static SLOT_KEY_MAX]);
/* -ENOENT when the center has no slot starting then. */
int slot_get(Store *s, MDB_txn *txn, const char *center, uint64_t start_usec, Slot *ret);
int slot_put(Store *s, MDB_txn *txn, const char *center, uint64_t start_usec, const Slot *slot);
int slot_delete(Store *s, MDB_txn *txn, const char *center, uint64_t start_usec);
int slot_add_booking(Slot *s, const uint8_t coupon_key[static PEPPER_HASH_BYTES]);
void slot_remove_booking(Slot *s, const uint8_t coupon_key[static PEPPER_HASH_BYTES]);
/* fn with each slot of a center, in time order; a positive return stops early. */
typedef int (*slot_fn)(uint64_t start_usec, const Slot *slot, void *userdata);
int slot_foreach(Store *s, MDB_txn *txn, const char *center, slot_fn fn, void *userdata);

typedef struct Booking {
        char *center;
        uint64_t slot_usec;
        char *full_name;
        char *contact; /* E.164 phone or e-mail address */
        uint64_t created_usec;
} Booking;

/* Wipes the name and the contact. */
void booking_clear(Booking *b);
/* -ENOENT when no booking has this coupon. */
int booking_get(Store *s, MDB_txn *txn, const uint8_t coupon_key[static PEPPER_HASH_BYTES],
                Booking *ret);
int booking_put(Store *s, MDB_txn *txn, const uint8_t coupon_key[static PEPPER_HASH_BYTES],
                const Booking *b);
int booking_delete(Store *s, MDB_txn *txn, const uint8_t coupon_key[static PEPPER_HASH_BYTES]);

/* The bookings of one contact: when they start, and their coupon keys. */
typedef struct ContactBooking {
        uint64_t slot_usec;
        uint8_t coupon_key[PEPPER_HASH_BYTES];
} ContactBooking;

typedef struct ContactBookings {
        size_t n;
        ContactBooking *items;
} ContactBookings;

void contact_bookings_clear(ContactBookings *c);
/* None is an empty list. */
int contact_bookings_get(Store *s, MDB_txn *txn,
                         const uint8_t contact_key[static PEPPER_HASH_BYTES], ContactBookings *ret);
/* Forgets bookings that started before now, and deletes an empty list. */
int contact_bookings_put(Store *s, MDB_txn *txn,
                         const uint8_t contact_key[static PEPPER_HASH_BYTES], ContactBookings *c,
                         uint64_t now);
int contact_bookings_add(ContactBookings *c, uint64_t slot_usec,
                         const uint8_t coupon_key[static PEPPER_HASH_BYTES]);
void contact_bookings_remove(ContactBookings *c,
                             const uint8_t coupon_key[static PEPPER_HASH_BYTES]);
/* Bookings starting after now. */
size_t contact_bookings_future(const ContactBookings *c, uint64_t now);

/* The key of a contact's list: a keyed hash of its normalised form (E.164 or e-mail). */
void contact_key(const Pepper *p, const char *contact, uint8_t out[static PEPPER_HASH_BYTES]);
