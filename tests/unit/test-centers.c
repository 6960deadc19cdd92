/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of appointment coupons and of how centers, slots and bookings are stored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "center-records.h"
#include "coupon.h"
#include "macro.h"
#include "pepper.h"
#include "scratch.h"
#include "store.h"

#define ALPHABET "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
#define SLOT     1900000000000000ULL

static char tmpdir[] = "/tmp/pg-test-centers-XXXXXX";
static Pepper pepper;
static Store *store;

static int setup(void **state)
{
        char path[256];
        uint8_t key[32];

        if (!mkdtemp(tmpdir))
                return -1;
        for (size_t i = 0; i < sizeof key; i++)
                key[i] = (uint8_t)(i * 5 + 3);
        if (scratch_pepper(tmpdir, "pepper", key, &pepper) < 0)
                return -1;
        snprintf(path, sizeof path, "%s/store", tmpdir);
        if (mkdir(path, 0700) < 0)
                return -1;
        return store_open(path, &pepper, &store) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
        store = store_close(store);
        pepper_wipe(&pepper);
        return scratch_remove(tmpdir);
}

static void test_coupon_form(void **state)
{
        unsigned seen[COUPON_SYMBOLS][sizeof ALPHABET - 1] = { 0 };
        char c[COUPON_TEXT_MAX], again[COUPON_TEXT_MAX], normalized[COUPON_TEXT_MAX];

        /* Every symbol shows at every place: randombytes_uniform over the whole alphabet. */
        for (int n = 0; n < 4000; n++) {
                coupon_generate(c);
                assert_int_equal(strlen(c), 12);
                assert_int_equal(c[4], '-');
                assert_int_equal(c[9], '-');
                for (size_t i = 0, k = 0; i < 12; i++) {
                        if (i == 4 || i == 9)
                                continue;
                        const char *p = strchr(ALPHABET, c[i]);
                        assert_non_null(p);
                        seen[k++][p - ALPHABET]++;
                }
                assert_int_equal(coupon_normalize(c, normalized), 0);
                assert_string_equal(normalized, c);
        }
        for (size_t i = 0; i < COUPON_SYMBOLS; i++)
                for (size_t s = 0; s < sizeof ALPHABET - 1; s++)
                        assert_true(seen[i][s] > 0);
        coupon_generate(again);
        assert_string_not_equal(again, c);
}

static void test_coupon_normalize(void **state)
{
        static const char *const same[] = { "K7QX-M2PD-9R", "k7qxm2pd9r", " K7QX M2PD 9R ",
                                            "k7-qx-m2-pd-9r" };
        static const char *const bad[] = { "",
                                           "K7QX-M2PD-9",
                                           "K7QX-M2PD-9RR",
                                           "K0QX-M2PD-9R",
                                           "KOQX-M2PD-9R",
                                           "K1QX-M2PD-9R",
                                           "KIQX-M2PD-9R",
                                           "K7QX_M2PD_9R",
                                           "K7QX-M2PD-9R\n",
                                           "К7QX-M2PD-9R" /* a Cyrillic К */ };
        char out[COUPON_TEXT_MAX];
        uint8_t k1[PEPPER_HASH_BYTES], k2[PEPPER_HASH_BYTES];

        for (size_t i = 0; i < ELEMENTSOF(same); i++) {
                assert_int_equal(coupon_normalize(same[i], out), 0);
                assert_string_equal(out, "K7QX-M2PD-9R");
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                assert_int_equal(coupon_normalize(bad[i], out), -EINVAL);

        coupon_key(&pepper, "K7QX-M2PD-9R", k1);
        coupon_key(&pepper, "K7QX-M2PD-9S", k2);
        assert_memory_not_equal(k1, k2, sizeof k1);
        coupon_key(&pepper, "K7QX-M2PD-9R", k2);
        assert_memory_equal(k1, k2, sizeof k1);
}

static void test_center_ids(void **state)
{
        assert_true(center_id_valid("a"));
        assert_true(center_id_valid("center-1"));
        assert_true(center_id_valid("abcdefghijklmnopqrstuvwxyz012345"));
        assert_false(center_id_valid(""));
        assert_false(center_id_valid("abcdefghijklmnopqrstuvwxyz0123456"));
        assert_false(center_id_valid("Center"));
        assert_false(center_id_valid("a_b"));
        assert_false(center_id_valid("a b"));
        assert_false(center_id_valid("центр"));
}

static int write_records(Store *s, MDB_txn *txn, void *userdata)
{
        const Center c = {
                .name = "Центр", .address = "Москва", .hours = "9-18", .phone = "+7 495"
        };
        uint8_t coupon[PEPPER_HASH_BYTES], other[PEPPER_HASH_BYTES], ck[PEPPER_HASH_BYTES];
        Slot slot = { .places = 3 };
        ContactBookings cb = {};
        const Booking b = { .center = "c1",
                            .slot_usec = SLOT,
                            .full_name = "Иван Петров",
                            .contact = "+79123456789",
                            .created_usec = 7 };
        int r;

        coupon_key(&pepper, "K7QX-M2PD-9R", coupon);
        coupon_key(&pepper, "K7QX-M2PD-9S", other);
        contact_key(&pepper, b.contact, ck);
        assert_int_equal(center_put(s, txn, "c1", &c), 0);
        assert_int_equal(center_put(s, txn, "c10", &c), 0);
        assert_int_equal(slot_add_booking(&slot, coupon), 0);
        assert_int_equal(slot_add_booking(&slot, other), 0);
        assert_int_equal(slot_put(s, txn, "c1", SLOT, &slot), 0);
        slot_clear(&slot);
        slot.places = 1;
        assert_int_equal(slot_put(s, txn, "c1", SLOT - 60000000, &slot), 0);
        /* Another center's slots, whose id starts like c1's: never c1's. */
        assert_int_equal(slot_put(s, txn, "c10", SLOT, &slot), 0);
        assert_int_equal(booking_put(s, txn, coupon, &b), 0);
        /* One past booking and one ahead: only the one ahead is kept. */
        assert_int_equal(contact_bookings_add(&cb, 100, other), 0);
        assert_int_equal(contact_bookings_add(&cb, SLOT, coupon), 0);
        r = contact_bookings_put(s, txn, ck, &cb, 1000);
        contact_bookings_clear(&cb);
        return r;
}

static int count_slot(uint64_t start_usec, const Slot *slot, void *userdata)
{
        uint64_t *starts = userdata;
        starts[starts[0]++ + 1] = start_usec;
        return 0;
}

static void test_records(void **state)
{
        StoreRead rd;
        Center c = {};
        Slot slot = {};
        Booking b = {};
        ContactBookings cb = {};
        uint8_t coupon[PEPPER_HASH_BYTES], other[PEPPER_HASH_BYTES], ck[PEPPER_HASH_BYTES];
        uint64_t starts[8] = { 0 };

        assert_int_equal(store_write(store, write_records, NULL), 0);
        coupon_key(&pepper, "K7QX-M2PD-9R", coupon);
        coupon_key(&pepper, "K7QX-M2PD-9S", other);
        contact_key(&pepper, "+79123456789", ck);

        assert_int_equal(store_read_begin(store, &rd), 0);
        assert_int_equal(center_get(store, rd.txn, "c1", &c), 0);
        assert_string_equal(c.name, "Центр");
        assert_string_equal(c.phone, "+7 495");
        center_clear(&c);
        assert_int_equal(center_get(store, rd.txn, "c2", &c), -ENOENT);

        assert_int_equal(slot_get(store, rd.txn, "c1", SLOT, &slot), 0);
        assert_int_equal(slot.places, 3);
        assert_int_equal(slot.n_booked, 2);
        slot_remove_booking(&slot, coupon);
        assert_int_equal(slot.n_booked, 1);
        assert_memory_equal(slot.booked[0], other, PEPPER_HASH_BYTES);
        slot_clear(&slot);
        assert_int_equal(slot_get(store, rd.txn, "c1", SLOT + 60000000, &slot), -ENOENT);

        assert_int_equal(slot_foreach(store, rd.txn, "c1", count_slot, starts), 0);
        assert_int_equal(starts[0], 2);
        assert_true(starts[1] == SLOT - 60000000 && starts[2] == SLOT);

        assert_int_equal(booking_get(store, rd.txn, coupon, &b), 0);
        assert_string_equal(b.full_name, "Иван Петров");
        assert_string_equal(b.contact, "+79123456789");
        assert_true(b.slot_usec == SLOT && b.created_usec == 7);
        booking_clear(&b);
        assert_int_equal(booking_get(store, rd.txn, other, &b), -ENOENT);

        assert_int_equal(contact_bookings_get(store, rd.txn, ck, &cb), 0);
        assert_int_equal(cb.n, 1);
        assert_int_equal(contact_bookings_future(&cb, 1000), 1);
        assert_int_equal(contact_bookings_future(&cb, SLOT), 0);
        contact_bookings_clear(&cb);
        /* A contact without bookings has an empty list. */
        assert_int_equal(contact_bookings_get(store, rd.txn, coupon, &cb), 0);
        assert_int_equal(cb.n, 0);
        store_read_end(&rd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_coupon_form),
                cmocka_unit_test(test_coupon_normalize),
                cmocka_unit_test(test_center_ids),
                cmocka_unit_test(test_records),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
