/* repscope - MIT licence, see COPYING.
 *
 * json.c: the JSON reader (json.h). A recursive descent over a private
 * copy of the text (so every value can hand back the text it was parsed
 * from), depth bounded by RS_JSON_DEPTH_MAX; the first error stops it
 * and names its offset. Numbers are read with the thread switched to the
 * "C" numeric locale (uselocale), so a decimal comma in LC_NUMERIC never
 * changes what a JSON text means. Any thread: the one shared thing, the
 * "C" locale object, is made once under pthread_once and never changed.
 */
#include "config.h"

#include "run/json.h"

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "run/json_impl.h"

/* ---- the "C" numeric locale ---------------------------------------------- */

static pthread_once_t c_once = PTHREAD_ONCE_INIT;
static locale_t c_loc;

static void
c_init(void)
{
    c_loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

locale_t
rs_json_locale_begin(void)
{
    pthread_once(&c_once, c_init);
    return c_loc != (locale_t)0 ? uselocale(c_loc) : (locale_t)0;
}

void
rs_json_locale_end(locale_t old)
{
    if (old != (locale_t)0)
        uselocale(old);
}

void
rs_json_fix_point(char *t, int n)
{
    for (int i = 0; i < n; i++)
        if (strchr("0123456789+-eE", t[i]) == NULL)
            t[i] = '.';
}

/* ---- reading ------------------------------------------------------------- */

struct parser {
    const char *s, *p, *end;
    int depth;
    struct rs_error *err;
    bool failed;
};

/* What the text holds at p, for an error message: "the end of the
 * text", a character code, or up to 12 bytes quoted (never cutting a
 * UTF-8 sequence). */
static void
found_at(const char *p, const char *end, char *out, size_t cap)
{
    if (p >= end) {
        snprintf(out, cap, "the end of the text");
        return;
    }
    unsigned char c = (unsigned char)*p;
    if (c < 0x20 || c == 0x7f) {
        snprintf(out, cap, "%s (U+%04X)",
                 c == 0 ? "a NUL byte" : "a control character", c);
        return;
    }
    size_t n = 0;
    while (p + n < end && n < 12 && (unsigned char)p[n] >= 0x20 && p[n] != 0x7f)
        n++;
    /* back off to the start of the last sequence if it is cut short */
    size_t k = n;
    while (k > 0 && ((unsigned char)p[k - 1] & 0xC0) == 0x80)
        k--;
    if (k > 0 && (unsigned char)p[k - 1] >= 0xC0) {
        unsigned lead = (unsigned char)p[k - 1];
        size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        if (n - (k - 1) < want)
            n = k - 1;
    }
    if (n == 0)
        snprintf(out, cap, "byte 0x%02X", c);
    else
        snprintf(out, cap, "'%.*s'", (int)n, p);
}

/* Record the first error: "JSON offset N: <what>, found <...>". */
static bool fail(struct parser *j, const char *at, const char *fmt, ...)
    RS_PRINTF(3, 4);

static bool
fail(struct parser *j, const char *at, const char *fmt, ...)
{
    if (j->failed)
        return false;
    j->failed = true;
    char what[256], found[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    found_at(at, j->end, found, sizeof found);
    rs_error_set(j->err, RS_EFORMAT, "JSON offset %zu: %s, found %s",
                 (size_t)(at - j->s), what, found);
    return false;
}

static void
skip_ws(struct parser *j)
{
    while (j->p < j->end &&
           (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int
hex4(const char *p, const char *end)
{
    if (end - p < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t
put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The string literal at j->p (on its quote), unescaped into a new
 * string (*out, *len); false after fail(). The output is never longer
 * than the literal: an escape shrinks or keeps its length. */
static bool
parse_string(struct parser *j, char **out, size_t *len)
{
    const char *open = j->p, *q = open + 1;
    while (q < j->end && *q != '"')
        q += *q == '\\' && q + 1 < j->end ? 2 : 1;
    if (q >= j->end)
        return fail(j, open, "a string that is not closed");
    char *s = rs_xmalloc((size_t)(q - open));
    size_t n = 0;
    const char *p = open + 1;
    while (p < q) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20) {
            free(s);
            return fail(j, p, "a control character inside a string");
        }
        if (c != '\\') {
            s[n++] = (char)c;
            p++;
            continue;
        }
        static const char esc_in[] = "\"\\/bfnrt";
        static const char esc_out[] = "\"\\/\b\f\n\r\t";
        const char *e = p[1] != '\0' ? strchr(esc_in, p[1]) : NULL;
        if (e != NULL) {
            s[n++] = esc_out[e - esc_in];
            p += 2;
            continue;
        }
        if (p[1] != 'u') {
            free(s);
            return fail(j, p,
                        "an escape expected (\\\" \\\\ \\/ \\b \\f "
                        "\\n \\r \\t or \\uXXXX)");
        }
        int cp = hex4(p + 2, q);
        if (cp < 0) {
            free(s);
            return fail(j, p, "four hex digits expected after \\u");
        }
        const char *esc = p;
        p += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            int lo =
                q - p >= 6 && p[0] == '\\' && p[1] == 'u' ? hex4(p + 2, q) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF) {
                free(s);
                return fail(j, esc, "a high surrogate without its low half");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            free(s);
            return fail(j, esc, "a low surrogate without its high half");
        }
        n += put_utf8(s + n, (unsigned)cp);
    }
    s[n] = '\0';
    j->p = q + 1;
    *out = s;
    *len = n;
    return true;
}

static bool
is_digit(const char *p, const char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

static bool
parse_number(struct parser *j, rs_json *v)
{
    const char *p = j->p, *q = p, *end = j->end;
    bool integer = true;
    if (q < end && *q == '-')
        q++;
    if (!is_digit(q, end))
        return fail(j, p, "a number expected");
    if (*q == '0' && is_digit(q + 1, end))
        return fail(j, p, "a number without leading zeros expected");
    while (is_digit(q, end))
        q++;
    if (q < end && *q == '.') {
        integer = false;
        if (!is_digit(++q, end))
            return fail(j, q, "a digit after the decimal point expected");
        while (is_digit(q, end))
            q++;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        integer = false;
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        if (!is_digit(q, end))
            return fail(j, q, "a digit in the exponent expected");
        while (is_digit(q, end))
            q++;
    }
    size_t n = (size_t)(q - p);
    char small[64];
    char *t = n < sizeof small ? small : rs_xmalloc(n + 1);
    memcpy(t, p, n);
    t[n] = '\0';
    v->type = RS_JSON_NUMBER;
    v->num = strtod(t, NULL); /* the "C" numeric locale: rs_json_parse */
    if (integer) {
        /* exact as an integer when it fits (strtoll saturates) */
        char *e;
        errno = 0;
        long long i = strtoll(t, &e, 10);
        v->is_int = *e == '\0' && errno != ERANGE;
        v->i = i;
    }
    if (t != small)
        free(t);
    j->p = q;
    return true;
}

static bool parse_value(struct parser *j, rs_json *v);

static bool
parse_container(struct parser *j, rs_json *v, bool obj)
{
    char close = obj ? '}' : ']';
    if (j->depth == RS_JSON_DEPTH_MAX)
        return fail(j, j->p, "arrays and objects nested deeper than %d",
                    RS_JSON_DEPTH_MAX);
    j->depth++;
    v->type = obj ? RS_JSON_OBJECT : RS_JSON_ARRAY;
    j->p++;
    skip_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return true;
    }
    int cap = 0;
    for (;;) {
        skip_ws(j);
        char *key = NULL;
        size_t klen = 0;
        if (obj) {
            if (j->p >= j->end || *j->p != '"')
                return fail(j, j->p, "a member name (a string) expected");
            if (!parse_string(j, &key, &klen))
                return false;
            skip_ws(j);
            if (j->p >= j->end || *j->p != ':') {
                free(key);
                return fail(j, j->p, "':' after the member name expected");
            }
            j->p++;
        }
        if (v->n == cap) {
            cap = cap ? 2 * cap : 4;
            v->items =
                rs_xreallocarray(v->items, (size_t)cap, sizeof *v->items);
            if (obj) {
                v->keys =
                    rs_xreallocarray(v->keys, (size_t)cap, sizeof *v->keys);
                v->klen =
                    rs_xreallocarray(v->klen, (size_t)cap, sizeof *v->klen);
            }
        }
        rs_json *it = &v->items[v->n];
        memset(it, 0, sizeof *it);
        if (obj) {
            v->keys[v->n] = key;
            v->klen[v->n] = klen;
        }
        v->n++;
        if (!parse_value(j, it))
            return false;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            j->depth--;
            return true;
        }
        return fail(j, j->p,
                    obj ? "',' or '}' expected" : "',' or ']' expected");
    }
}

static bool
literal(struct parser *j, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return false;
    j->p += n;
    return true;
}

static bool
parse_value(struct parser *j, rs_json *v)
{
    skip_ws(j);
    const char *start = j->p;
    bool ok = true;
    char c = j->p < j->end ? *j->p : '\0';
    if (c == '{' || c == '[') {
        ok = parse_container(j, v, c == '{');
    } else if (c == '"') {
        v->type = RS_JSON_STRING;
        ok = parse_string(j, &v->str, &v->slen);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        ok = parse_number(j, v);
    } else if (literal(j, "true") || literal(j, "false")) {
        v->type = RS_JSON_BOOL;
        v->b = c == 't';
    } else if (literal(j, "null")) {
        v->type = RS_JSON_NULL;
    } else {
        return fail(j, j->p, "a value expected");
    }
    v->src = start;
    v->srclen = (size_t)(j->p - start);
    return ok;
}

static void
free_value(rs_json *v)
{
    free(v->str);
    for (int i = 0; i < v->n; i++) {
        free_value(&v->items[i]);
        if (v->keys != NULL)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->klen);
}

rs_json *
rs_json_parse(const char *text, size_t len, struct rs_error *err)
{
    rs_json *root = rs_xcalloc(1, sizeof *root);
    root->own = rs_xmalloc(len + 1);
    memcpy(root->own, text, len);
    root->own[len] = '\0';
    struct parser j = {
        .s = root->own, .p = root->own, .end = root->own + len, .err = err};
    locale_t old = rs_json_locale_begin();
    bool ok = parse_value(&j, root);
    rs_json_locale_end(old);
    if (ok) {
        skip_ws(&j);
        if (j.p < j.end)
            ok = fail(&j, j.p, "nothing after the value expected");
    }
    if (!ok) {
        rs_json_free(root);
        return NULL;
    }
    return root;
}

void
rs_json_free(rs_json *v)
{
    if (v == NULL)
        return;
    free_value(v);
    free(v->own);
    free(v);
}

/* ---- accessors ----------------------------------------------------------- */

enum rs_json_type
rs_json_typeof(const rs_json *v)
{
    return v != NULL ? v->type : RS_JSON_NULL;
}

int
rs_json_len(const rs_json *v)
{
    return v != NULL && (v->type == RS_JSON_ARRAY || v->type == RS_JSON_OBJECT)
               ? v->n
               : 0;
}

const rs_json *
rs_json_at(const rs_json *v, int i)
{
    return i >= 0 && i < rs_json_len(v) ? &v->items[i] : NULL;
}

const char *
rs_json_key(const rs_json *v, int i, size_t *len)
{
    if (rs_json_typeof(v) != RS_JSON_OBJECT || i < 0 || i >= v->n)
        return NULL;
    if (len != NULL)
        *len = v->klen[i];
    return v->keys[i];
}

const rs_json *
rs_json_get(const rs_json *v, const char *key)
{
    if (rs_json_typeof(v) != RS_JSON_OBJECT)
        return NULL;
    size_t n = strlen(key);
    for (int i = v->n - 1; i >= 0; i--)
        if (v->klen[i] == n && memcmp(v->keys[i], key, n) == 0)
            return &v->items[i];
    return NULL;
}

const char *
rs_json_str(const rs_json *v, size_t *len)
{
    if (rs_json_typeof(v) != RS_JSON_STRING)
        return NULL;
    if (len != NULL)
        *len = v->slen;
    return v->str;
}

double
rs_json_num(const rs_json *v, double def)
{
    return rs_json_typeof(v) == RS_JSON_NUMBER ? v->num : def;
}

bool
rs_json_integer(const rs_json *v, long long *out)
{
    if (rs_json_typeof(v) != RS_JSON_NUMBER || !v->is_int)
        return false;
    *out = v->i;
    return true;
}

bool
rs_json_bool(const rs_json *v, bool def)
{
    return rs_json_typeof(v) == RS_JSON_BOOL ? v->b : def;
}

const char *
rs_json_text(const rs_json *v, size_t *len)
{
    if (v == NULL) {
        *len = 4;
        return "null";
    }
    *len = v->srclen;
    return v->src;
}

/* ---- the member walk ----------------------------------------------------- */

int
rs_json_object_each(const char *json,
                    int (*fn)(const char *key, const char *value,
                              bool is_string, void *ud),
                    void *ud, struct rs_error *err)
{
    rs_json *root = rs_json_parse(json, strlen(json), err);
    if (root == NULL)
        return RS_EFORMAT;
    int rc = RS_OK;
    if (root->type != RS_JSON_OBJECT) {
        struct parser j = {
            .s = json, .p = json, .end = json + strlen(json), .err = err};
        skip_ws(&j);
        fail(&j, j.p, "an object expected");
        rc = RS_EFORMAT;
        goto out;
    }
    struct rs_json_buf text = {0};
    for (int i = 0; i < root->n && rc == 0; i++) {
        const rs_json *m = &root->items[i];
        if (m->type == RS_JSON_STRING) {
            rc = fn(root->keys[i], m->str, true, ud);
            continue;
        }
        text.n = 0;
        rs_json_buf_raw(&text, m->src, m->srclen);
        rc = fn(root->keys[i], text.p, false, ud);
    }
    rs_json_buf_fini(&text);
out:
    rs_json_free(root);
    return rc;
}
