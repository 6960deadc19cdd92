/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <time.h>
#include <wchar.h>

#include "ctl-output.h"
#include "messages.h"

void json_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                switch (*p) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\b':
                        fputs("\\b", f);
                        break;
                case '\f':
                        fputs("\\f", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\r':
                        fputs("\\r", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                default:
                        /* D-Bus strings are valid UTF-8, which JSON takes as it is. */
                        if (*p < 0x20)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
        fputc('"', f);
}

/* Bytes of the C0 or C1 control character (UTF-8 U+0080..U+009F) s starts with, else 0. */
static size_t control_length(const char *s)
{
        const unsigned char *p = (const unsigned char *)s;

        if (*p < 0x20 || *p == 0x7f)
                return 1;
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
                return 2;
        return 0;
}

void fputs_printable(const char *s, FILE *f)
{
        while (*s) {
                size_t n = control_length(s);

                if (n > 0) {
                        fputc('?', f);
                        s += n;
                } else
                        fputc(*s++, f);
        }
}

void format_timestamp(uint64_t usec, char *buf, size_t size)
{
        time_t t = (time_t)(usec / 1000000);
        struct tm tm;

        if (usec == 0 || usec == UINT64_MAX || !localtime_r(&t, &tm) ||
            strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                snprintf(buf, size, "%s", _(MSG_CTL_NEVER));
}

struct Table {
        size_t n_columns;
        size_t n_cells;
        size_t allocated;
        char **cells; /* row by row, the header first */
};

Table *table_free(Table *t)
{
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
        return NULL;
}

Table *table_new(size_t n_columns, const char *const *headers)
{
        _cleanup_(table_freep) Table *t = calloc(1, sizeof(Table));

        if (!t)
                return NULL;
        t->n_columns = n_columns;
        if (table_add_row(t, headers) < 0)
                return NULL;
        return TAKE_PTR(t);
}

/* A copy safe to show on a terminal, of the same length. */
static char *printable_dup(const char *s)
{
        char *d = strdup(s);

        if (!d)
                return NULL;
        for (char *p = d; *p;) {
                size_t n = control_length(p);

                if (n > 0)
                        memset(p, '?', n);
                p += n > 0 ? n : 1;
        }
        return d;
}

int table_add_row(Table *t, const char *const *cells)
{
        if (t->n_cells + t->n_columns > t->allocated) {
                size_t n = (t->allocated + t->n_columns) * 2;
                char **c = reallocarray(t->cells, n, sizeof(char *));

                if (!c)
                        return -ENOMEM;
                t->cells = c;
                t->allocated = n;
        }
        for (size_t i = 0; i < t->n_columns; i++) {
                char *c = printable_dup(cells[i] ? cells[i] : "");

                if (!c)
                        return -ENOMEM;
                t->cells[t->n_cells++] = c;
        }
        return 0;
}

/* Terminal columns s takes: names and details may be Cyrillic. */
static size_t display_width(const char *s)
{
        mbstate_t st = { 0 };
        size_t width = 0, left = strlen(s);

        while (left > 0) {
                wchar_t wc;
                size_t n = mbrtowc(&wc, s, left, &st);
                int w;

                if (n == (size_t)-1 || n == (size_t)-2) {
                        /* Not text in this locale: count bytes, as the terminal will show some. */
                        memset(&st, 0, sizeof(st));
                        n = 1;
                        w = 1;
                } else
                        w = wcwidth(wc);
                width += w > 0 ? (size_t)w : 0;
                s += n;
                left -= n;
        }
        return width;
}

int table_print(const Table *t, FILE *f)
{
        _cleanup_free_ size_t *widths = calloc(t->n_columns, sizeof(size_t));

        if (!widths)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_cells; i++) {
                size_t w = display_width(t->cells[i]);

                if (w > widths[i % t->n_columns])
                        widths[i % t->n_columns] = w;
        }

        for (size_t i = 0; i < t->n_cells; i++) {
                size_t column = i % t->n_columns;

                fputs(t->cells[i], f);
                if (column + 1 == t->n_columns)
                        fputc('\n', f);
                else
                        fprintf(f, "%*s", (int)(widths[column] - display_width(t->cells[i]) + 2),
                                "");
        }
        return 0;
}

int listing_open(Listing *l, bool json, size_t n_columns, const char *const *headers)
{
        *l = (Listing){ .json = json, .first = true };
        if (json) {
                fputc('[', stdout);
                return 0;
        }
        l->table = table_new(n_columns, headers);
        return l->table ? 0 : -ENOMEM;
}

bool listing_json_object(Listing *l)
{
        if (!l->json)
                return false;
        fputs(l->first ? "{" : ",{", stdout);
        l->first = false;
        return true;
}

int listing_row(Listing *l, const char *const *cells)
{
        return table_add_row(l->table, cells);
}

int listing_close(Listing *l)
{
        int r = 0;
        if (l->json)
                fputs("]\n", stdout);
        else
                r = table_print(l->table, stdout);
        listing_free(l);
        return r;
}

void listing_free(Listing *l)
{
        l->table = table_free(l->table);
}
