/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "daemon.h"
#include "delivery.h"
#include "document.h"

#define CODE_DIGITS 6

/*
 * Asking for a recovery code: runs in one write transaction, the same for every identifier,
 * document and account state, so that the answer (and its time) tells nothing. Rate limits per
 * identifier and per calling uid are taken first; only a known, unlocked account whose document
 * matches gets a code, within its hourly cap and the host's message budget.
 */
typedef enum CodeOutcome {
        CODE_SENT,    /* a new code is in msg */
        CODE_QUIET,   /* nothing sent: no match, or a code sent moments ago still stands */
        CODE_LIMITED, /* a limit was hit: "try again later" */
} CodeOutcome;

typedef struct CodeRequest {
        Daemon *d;
        uid_t caller;
        Channel channel;
        char *identifier; /* normalised phone (E.164) or e-mail */
        DocType doc_type;
        uint8_t doc_hash[PEPPER_HASH_BYTES];
        char *user; /* a resend: the account already matched, or NULL */
        bool resend;
        /* The support desk: user is the account (NULL: none), no request limits, no document, the
         * channel its phone, else its e-mail; a recovery start keeps this code while it lives. */
        bool support;
        /* out */
        CodeOutcome outcome;
        char *matched; /* the account, when the document matched */
        Message *msg;  /* the code to send, when CODE_SENT */
        const char *locale;
} CodeRequest;

int code_request_txn(Store *s, MDB_txn *txn, void *userdata);
void code_request_clear(CodeRequest *q);

typedef enum CodeVerdict {
        CODE_GOOD,
        CODE_BAD,
        CODE_BURNED, /* wrong too often: no code works until the hour is over */
} CodeVerdict;

typedef struct CodeCheck {
        Daemon *d;
        uid_t caller;
        char *user; /* NULL: nothing matched, the code is wrong whatever it is */
        char code[CODE_DIGITS + 1];
        CodeVerdict verdict;
} CodeCheck;

/* Spends a good code, counts a bad one: committed before anyone is told. */
int code_check_txn(Store *s, MDB_txn *txn, void *userdata);
void code_check_clear(CodeCheck *k);
