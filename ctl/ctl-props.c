/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>

#include "ctl-error.h"
#include "ctl-output.h"
#include "ctl-props.h"
#include "messages.h"

typedef struct Property {
        char *key;
        char *text; /* the value, already rendered for the chosen output */
        size_t rank;
} Property;

typedef struct Renderer {
        FILE *f;
        bool json;
} Renderer;

static int render_value(sd_bus_message *m, const Renderer *out, bool is_time);

static bool key_is_time(const char *key)
{
        size_t n = strlen(key);
        return n >= 4 && streq(key + n - 4, "USec");
}

static void render_text(const Renderer *out, const char *s)
{
        if (out->json)
                json_string(out->f, s);
        else
                fputs_printable(s, out->f);
}

static int render_basic(sd_bus_message *m, char type, const Renderer *out, bool is_time)
{
        union {
                uint8_t u8;
                int b;
                int16_t i16;
                uint16_t u16;
                int32_t i32;
                uint32_t u32;
                int64_t i64;
                uint64_t u64;
                double d;
                const char *s;
        } v;
        char ts[TIMESTAMP_MAX];
        int r;

        r = sd_bus_message_read_basic(m, type, &v);
        if (r < 0)
                return r;

        switch (type) {
        case SD_BUS_TYPE_BOOLEAN:
                if (out->json)
                        fputs(v.b ? "true" : "false", out->f);
                else
                        fputs(v.b ? _(MSG_CTL_YES) : _(MSG_CTL_NO), out->f);
                break;
        case SD_BUS_TYPE_BYTE:
                fprintf(out->f, "%" PRIu8, v.u8);
                break;
        case SD_BUS_TYPE_INT16:
                fprintf(out->f, "%" PRIi16, v.i16);
                break;
        case SD_BUS_TYPE_UINT16:
                fprintf(out->f, "%" PRIu16, v.u16);
                break;
        case SD_BUS_TYPE_INT32:
        case SD_BUS_TYPE_UNIX_FD:
                fprintf(out->f, "%" PRIi32, v.i32);
                break;
        case SD_BUS_TYPE_UINT32:
                fprintf(out->f, "%" PRIu32, v.u32);
                break;
        case SD_BUS_TYPE_INT64:
                fprintf(out->f, "%" PRIi64, v.i64);
                break;
        case SD_BUS_TYPE_UINT64:
                if (is_time && !out->json) {
                        format_timestamp(v.u64, ts, sizeof(ts));
                        fputs(ts, out->f);
                } else
                        fprintf(out->f, "%" PRIu64, v.u64);
                break;
        case SD_BUS_TYPE_DOUBLE:
                /* JSON has no NaN or infinity. */
                if (out->json && !isfinite(v.d))
                        fputs("null", out->f);
                else
                        fprintf(out->f, "%.17g", v.d);
                break;
        default: /* string, object path, signature */
                render_text(out, v.s);
        }
        return 0;
}

/* A dictionary key is text in JSON whatever its D-Bus type. */
static int render_key(sd_bus_message *m, char type, const Renderer *out)
{
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        int r;

        if (!out->json || type == SD_BUS_TYPE_STRING)
                return render_basic(m, type, out, false);

        {
                _cleanup_fclose_ FILE *f = open_memstream(&text, &size);
                const Renderer plain = { .f = f, .json = false };

                if (!f)
                        return -ENOMEM;
                r = render_basic(m, type, &plain, false);
                if (r < 0)
                        return r;
        }
        json_string(out->f, text);
        return 0;
}

static int render_dict_entry(sd_bus_message *m, const char *contents, const Renderer *out)
{
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, contents);
        if (r < 0)
                return r;
        r = render_key(m, contents[0], out);
        if (r < 0)
                return r;
        fputs(out->json ? ":" : ": ", out->f);
        r = render_value(m, out, false);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int render_container(sd_bus_message *m, char type, const char *contents, const Renderer *out)
{
        bool dict = type == SD_BUS_TYPE_ARRAY && contents[0] == SD_BUS_TYPE_DICT_ENTRY_BEGIN;
        const char *open = !out->json ? (type == SD_BUS_TYPE_STRUCT ? "(" : "") : dict ? "{" : "[";
        const char *close = !out->json ? (type == SD_BUS_TYPE_STRUCT ? ")" : "") : dict ? "}" : "]";
        bool first = true;
        int r;

        r = sd_bus_message_enter_container(m, type, contents);
        if (r < 0)
                return r;

        fputs(open, out->f);
        while ((r = sd_bus_message_at_end(m, false)) == 0) {
                char t;
                const char *c;

                fputs(first ? "" : out->json ? "," : ", ", out->f);
                first = false;

                r = sd_bus_message_peek_type(m, &t, &c);
                if (r < 0)
                        return r;
                r = t == SD_BUS_TYPE_DICT_ENTRY ? render_dict_entry(m, c, out)
                                                : render_value(m, out, false);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        fputs(close, out->f);

        return sd_bus_message_exit_container(m);
}

static int render_value(sd_bus_message *m, const Renderer *out, bool is_time)
{
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (r == 0)
                return -EBADMSG;

        switch (type) {
        case SD_BUS_TYPE_VARIANT:
                r = sd_bus_message_enter_container(m, type, contents);
                if (r < 0)
                        return r;
                r = render_value(m, out, is_time);
                if (r < 0)
                        return r;
                return sd_bus_message_exit_container(m);
        case SD_BUS_TYPE_ARRAY:
        case SD_BUS_TYPE_STRUCT:
                return render_container(m, type, contents, out);
        default:
                return render_basic(m, type, out, is_time);
        }
}

static int read_property(sd_bus_message *m, bool json, Property *p)
{
        _cleanup_free_ char *key = NULL, *text = NULL;
        const char *k;
        size_t size = 0;
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_read_basic(m, SD_BUS_TYPE_STRING, &k);
        if (r < 0)
                return r;
        key = strdup(k);
        if (!key)
                return -ENOMEM;

        {
                _cleanup_fclose_ FILE *f = open_memstream(&text, &size);
                const Renderer out = { .f = f, .json = json };

                if (!f)
                        return -ENOMEM;
                r = render_value(m, &out, key_is_time(key));
                if (r < 0)
                        return r;
        }

        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        p->key = TAKE_PTR(key);
        p->text = TAKE_PTR(text);
        return 0;
}

static int property_compare(const void *a, const void *b)
{
        const Property *x = a, *y = b;

        if (x->rank != y->rank)
                return x->rank < y->rank ? -1 : 1;
        return strcmp(x->key, y->key);
}

typedef struct Properties {
        Property *items;
        size_t n;
} Properties;

static void properties_clear(Properties *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].key);
                free(l->items[i].text);
        }
        free(l->items);
}

static size_t rank_of(const char *key, const char *const *order)
{
        size_t i = 0;

        for (; order && order[i]; i++)
                if (streq(order[i], key))
                        return i;
        return i; /* unknown keys share the last rank and sort by name */
}

static int read_properties(sd_bus_message *m, const char *const *order, bool json, Properties *l)
{
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_at_end(m, false)) == 0) {
                Property *items = reallocarray(l->items, l->n + 1, sizeof(Property));

                if (!items)
                        return -ENOMEM;
                l->items = items;
                r = read_property(m, json, &l->items[l->n]);
                if (r < 0)
                        return r;
                l->items[l->n].rank = rank_of(l->items[l->n].key, order);
                l->n++;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int print_properties(sd_bus_message *m, const char *const *order, bool json)
{
        _cleanup_(properties_clear) Properties l = { 0 };
        int r;

        r = read_properties(m, order, json, &l);
        if (r < 0)
                return ctl_parse_error(r);
        qsort(l.items, l.n, sizeof(Property), property_compare);

        if (json)
                fputc('{', stdout);
        for (size_t i = 0; i < l.n; i++)
                if (json) {
                        fputs(i > 0 ? "," : "", stdout);
                        json_string(stdout, l.items[i].key);
                        printf(":%s", l.items[i].text);
                } else {
                        fputs_printable(l.items[i].key, stdout);
                        printf(": %s\n", l.items[i].text);
                }
        if (json)
                fputs("}\n", stdout);
        return 0;
}
