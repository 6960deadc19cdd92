/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target of identifier normalisation (common/identifier.h): every reading of a typed
 * login, phone numbers under several national rules, e-mail addresses and unix names. Besides
 * memory errors it checks that what normalised is stable: normalising it again gives it back.
 */
#include <errno.h>
#include <stdbool.h>

#include "document.h"
#include "fuzz.h"
#include "identifier.h"
#include "macro.h"

/* Rules of real numbering plans, odd but valid ones, and invalid ones (which must act as none). */
static const PhoneRules rules[] = {
        { 7, "8" },     { 7, NULL }, { 371, "" },  { 44, "0" }, { 1, "1" },    { 998, "8" },
        { 999, "000" }, { 0, "8" },  { 1000, "" }, { 7, "8a" }, { 7, "8888" },
};

static bool is_e164(const char *s)
{
        size_t n;

        if (s[0] != '+' || s[1] == '0')
                return false;
        n = strspn(s + 1, "0123456789");
        return s[1 + n] == '\0' && n >= 7 && n <= 15;
}

/* A phone number that normalised is E.164, and E.164 normalises to itself whatever the rules. */
static void check_phone(const char *in, const PhoneRules *r)
{
        _cleanup_erase_ char *e164 = NULL, *again = NULL, *plain = NULL;
        int k, k_plain;

        k = phone_normalize(in, r, &e164);
        FUZZ_CHECK(k == 0 || k == -EINVAL);
        if (r && !phone_rules_valid(r)) {
                /* Rules that cannot be used give only the international form, as no rules do. */
                k_plain = phone_normalize(in, NULL, &plain);
                FUZZ_CHECK(k == k_plain);
                FUZZ_CHECK(k < 0 || streq(e164, plain));
        }
        if (k < 0)
                return;
        FUZZ_CHECK(is_e164(e164));
        FUZZ_CHECK(phone_normalize(e164, NULL, &again) == 0);
        FUZZ_CHECK(streq(again, e164));
}

static void check_email(const char *in)
{
        _cleanup_free_ char *e = NULL, *again = NULL;
        int k;

        k = email_normalize(in, &e);
        FUZZ_CHECK(k == 0 || k == -EINVAL);
        if (k < 0)
                return;
        FUZZ_CHECK(strlen(e) <= 254 && strlen(e) <= strlen(in));
        FUZZ_CHECK(strchr(e, '@'));
        FUZZ_CHECK(email_normalize(e, &again) == 0);
        FUZZ_CHECK(streq(again, e));
}

static void check_candidate(const char *typed, const PhoneRules *r, const IdCandidate *c)
{
        _cleanup_erase_ char *again = NULL, *phone = NULL;

        FUZZ_CHECK(c->value);
        FUZZ_CHECK(id_kind_to_string(c->kind));
        switch (c->kind) {
        case ID_UNIX_NAME:
                FUZZ_CHECK(unix_name_valid(c->value) && streq(c->value, typed));
                break;
        case ID_PHONE:
                /* The same reading phone_normalize() gives on its own. */
                FUZZ_CHECK(phone_normalize(typed, r, &phone) == 0 && streq(phone, c->value));
                FUZZ_CHECK(phone_normalize(c->value, NULL, &again) == 0);
                FUZZ_CHECK(streq(again, c->value));
                break;
        case ID_EMAIL:
                FUZZ_CHECK(email_normalize(c->value, &again) == 0 && streq(again, c->value));
                break;
        case ID_SNILS:
                FUZZ_CHECK(strlen(c->value) == 11 && strspn(c->value, "0123456789") == 11);
                FUZZ_CHECK(snils_normalize(c->value, &again) == 0 && streq(again, c->value));
                break;
        default:
                FUZZ_CHECK(!"unknown kind");
        }
}

static void check_candidates(const char *typed, const PhoneRules *r)
{
        IdCandidate c[ID_CANDIDATES_MAX];
        size_t n = SIZE_MAX;

        FUZZ_CHECK(identifier_candidates(typed, r, c, &n) == 0);
        FUZZ_CHECK(n <= ID_CANDIDATES_MAX);
        for (size_t i = 0; i < n; i++)
                check_candidate(typed, r, &c[i]);
        id_candidates_free(c, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *s = fuzz_string(data, size);

        check_candidates(s, NULL);
        check_phone(s, NULL);
        for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
                check_candidates(s, &rules[i]);
                check_phone(s, &rules[i]);
        }
        check_email(s);
        if (unix_name_valid(s))
                FUZZ_CHECK(strlen(s) <= 31);
        return 0;
}
