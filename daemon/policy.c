/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uninorm.h>
#include <unistr.h>
#include <zxcvbn.h>

#include "document.h"
#include "macro.h"
#include "messages.h"

/* zxcvbn's "very unguessable" (score 4): at least 10^10 guesses. */
#define MIN_ENTROPY_BITS  33.2
#define MAX_CONTEXT_WORDS 32

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void ascii_lower(char *s)
{
        for (; *s; s++)
                *s = (char)tolower((unsigned char)*s);
}

static int load_blocklist(Policy *p, const char *path)
{
        FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        char *line = NULL;
        size_t cap = 0, allocated = 0;
        ssize_t n;
        int r = 0;
        while ((n = getline(&line, &cap, f)) >= 0) {
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                        line[--n] = 0;
                if (n == 0)
                        continue;
                if (p->n_blocklist == allocated) {
                        allocated = MAX(allocated * 2, 256);
                        char **l = realloc(p->blocklist, allocated * sizeof(char *));
                        if (!l) {
                                r = -ENOMEM;
                                break;
                        }
                        p->blocklist = l;
                }
                ascii_lower(line);
                if (!(p->blocklist[p->n_blocklist] = strdup(line))) {
                        r = -ENOMEM;
                        break;
                }
                p->n_blocklist++;
        }
        free(line);
        fclose(f);
        if (p->n_blocklist)
                qsort(p->blocklist, p->n_blocklist, sizeof(char *), cmp_str);
        return r;
}

int policy_new(const Config *c, Policy **ret)
{
        Policy *p = calloc(1, sizeof(Policy));
        if (!p)
                return -ENOMEM;
        p->min_length = c->min_length;
        p->max_length = c->max_length;
        if (c->blocklist_path) {
                int r = load_blocklist(p, c->blocklist_path);
                if (r < 0) {
                        policy_free(p);
                        return r;
                }
        }
        *ret = p;
        return 0;
}

Policy *policy_free(Policy *p)
{
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_blocklist; i++)
                free(p->blocklist[i]);
        free(p->blocklist);
        free(p);
        return NULL;
}

size_t policy_max_bytes(const Policy *p)
{
        return (size_t)p->max_length * 4;
}

int password_normalize(const char *in, char **ret)
{
        size_t n = strlen(in);
        if (u8_check((const uint8_t *)in, n))
                return -EILSEQ;
        size_t len = 0;
        uint8_t *out = u8_normalize(UNINORM_NFKC, (const uint8_t *)in, n, NULL, &len);
        if (!out)
                return -errno;
        char *s = malloc(len + 1);
        if (!s) {
                sodium_memzero(out, len);
                free(out);
                return -ENOMEM;
        }
        memcpy(s, out, len);
        s[len] = 0;
        sodium_memzero(out, len);
        free(out);
        *ret = s;
        return 0;
}

static bool blocked(const Policy *p, const char *password)
{
        if (!p->n_blocklist)
                return false;
        _cleanup_erase_ char *low = strdup(password);
        if (!low)
                return true;
        ascii_lower(low);
        const char *key = low;
        return bsearch(&key, p->blocklist, p->n_blocklist, sizeof(char *), cmp_str) != NULL;
}

/* Words of the account's own details that a password must not be built on. */
static size_t context_words(const Account *a, char *words[MAX_CONTEXT_WORDS])
{
        size_t n = 0;
        const char *sources[] = { a->user, a->full_name, a->email, a->phone };
        for (size_t i = 0; i < ELEMENTSOF(sources); i++) {
                if (!sources[i])
                        continue;
                _cleanup_free_ char *copy = strdup(sources[i]);
                if (!copy)
                        break;
                char *save = NULL;
                for (char *w = strtok_r(copy, " @.+-_", &save); w && n < MAX_CONTEXT_WORDS - 1;
                     w = strtok_r(NULL, " @.+-_", &save))
                        if (strlen(w) >= 3 && (words[n] = strdup(w)))
                                n++;
        }
        /* The national part of the phone, as people type it. */
        if (a->phone && strlen(a->phone) > 10 && n < MAX_CONTEXT_WORDS - 1 &&
            (words[n] = strdup(a->phone + strlen(a->phone) - 10)))
                n++;
        words[n] = NULL;
        return n;
}

/* A password made of a document number: compare keyed hashes, the numbers are not kept. */
static bool is_document(const Account *a, const Pepper *pepper, const char *password)
{
        char digits[64];
        size_t n = 0;
        for (const char *c = password; *c && n < sizeof digits - 1; c++)
                if (isdigit((unsigned char)*c))
                        digits[n++] = *c;
        digits[n] = 0;
        bool found = false;
        for (int t = 0; t < _DOC_MAX && !found; t++) {
                _cleanup_erase_ char *norm = NULL;
                uint8_t h[PEPPER_HASH_BYTES];
                if (!a->documents[t].set || document_normalize((DocType)t, digits, &norm) < 0)
                        continue;
                pepper_hash(pepper->document_key, doc_type_to_string((DocType)t), norm, h);
                found = sodium_memcmp(h, a->documents[t].hash, sizeof h) == 0;
        }
        sodium_memzero(digits, sizeof digits);
        return found;
}

static void strength_verdict(const char *password, char **words, PolicyVerdict *v)
{
        ZxcMatch_t *info = NULL;
        double bits = ZxcvbnMatch(password, (const char **)words, &info);

        if (bits >= MIN_ENTROPY_BITS) {
                ZxcvbnFreeInfo(info);
                return;
        }
        int user = 0, dict = 0;
        for (ZxcMatch_t *m = info; m; m = m->Next) {
                int type = m->Type & ~MULTIPLE_MATCH;
                if (type == USER_MATCH || type == USER_LEET_MATCH)
                        user += m->Length;
                else if (type == DICTIONARY_MATCH || type == DICT_LEET_MATCH)
                        dict += m->Length;
        }
        ZxcvbnFreeInfo(info);
        v->message = user > 0 && user >= dict ? MSG_PW_CONTEXT
                     : dict > 0               ? MSG_PW_COMMON
                                              : MSG_PW_PREDICTABLE;
}

int policy_check(const Policy *p, const char *password, const Account *a, const Pepper *pepper,
                 PolicyVerdict *v)
{
        size_t bytes = strlen(password);
        *v = (PolicyVerdict){};

        if (bytes > policy_max_bytes(p)) {
                *v = (PolicyVerdict){ MSG_PW_TOO_LONG, p->max_length };
                return -EINVAL;
        }
        if (u8_check((const uint8_t *)password, bytes)) {
                v->message = MSG_PW_NOT_UTF8;
                return -EINVAL;
        }
        for (const char *c = password; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                        v->message = MSG_PW_NOT_UTF8;
                        return -EINVAL;
                }
        size_t chars = u8_mbsnlen((const uint8_t *)password, bytes);
        if (chars < p->min_length)
                *v = (PolicyVerdict){ MSG_PW_TOO_SHORT, p->min_length };
        else if (chars > p->max_length)
                *v = (PolicyVerdict){ MSG_PW_TOO_LONG, p->max_length };
        else if (blocked(p, password))
                v->message = MSG_PW_BLOCKED;
        else if (a && pepper && is_document(a, pepper, password))
                v->message = MSG_PW_CONTEXT;
        else {
                char *words[MAX_CONTEXT_WORDS] = {};
                if (a)
                        context_words(a, words);
                strength_verdict(password, words, v);
                for (char **w = words; *w; w++)
                        free(*w);
        }
        return v->message ? -EINVAL : 0;
}
