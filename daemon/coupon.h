/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

#include "pepper.h"

/*
 * Appointment coupons: 10 symbols of a 32-letter alphabet without look-alikes (no 0/O, 1/I), 50
 * random bits, shown as "K7QX-M2PD-9R". The store keeps only a keyed hash of a coupon.
 */
#define COUPON_SYMBOLS  10
#define COUPON_TEXT_MAX (COUPON_SYMBOLS + 3) /* two dashes and the NUL */

/* A fresh coupon in its grouped form. */
void coupon_generate(char out[static COUPON_TEXT_MAX]);

/* What a person typed (any case, dashes and spaces anywhere) as the grouped form; -EINVAL when it
 * cannot be a coupon. */
int coupon_normalize(const char *typed, char out[static COUPON_TEXT_MAX]);

/* The store's key of a coupon in its grouped form. */
void coupon_key(const Pepper *p, const char *coupon, uint8_t out[static PEPPER_HASH_BYTES]);
