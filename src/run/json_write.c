/* repscope - MIT licence, see COPYING.
 *
 * json_write.c: the JSON writer (json.h): string literals that are valid
 * UTF-8 JSON whatever the input bytes (an invalid byte becomes U+FFFD),
 * numbers that read back exactly and never depend on LC_NUMERIC, a
 * growable buffer, and a parsed tree written back. Any thread.
 */
#include "config.h"

#include "run/json.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "run/json_impl.h"

/* Length of the valid UTF-8 sequence at s (1-4) within n > 0 bytes, or 0
 * if s starts an invalid one (overlong, surrogate, beyond U+10FFFF, cut
 * short). */
static int
utf8_valid_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    int len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4;
    else
        return 0;
    if ((size_t)len > n)
        return 0;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (int i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

bool
rs_json_utf8_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        int k = utf8_valid_len(p, (size_t)(end - p));
        if (k == 0)
            return false;
        p += k;
    }
    return true;
}

/* rs_json_escape over n bytes (a NUL among them is \u0000). */
static size_t
escape_n(char *dst, size_t cap, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    static const char from[] = "\"\\\b\f\n\r\t";
    static const char *const to[] = {"\\\"", "\\\\", "\\b", "\\f",
                                     "\\n",  "\\r",  "\\t"};
    size_t n = 0;
#define PUT(ch)                                                                \
    do {                                                                       \
        if (n < cap)                                                           \
            dst[n] = (ch);                                                     \
        n++;                                                                   \
    } while (0)
    PUT('"');
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + len;
    while (p < end) {
        unsigned c = *p;
        const char *hit = c != 0 ? strchr(from, (int)c) : NULL;
        if (hit != NULL) {
            PUT(to[hit - from][0]);
            PUT(to[hit - from][1]);
            p++;
        } else if (c < 0x20) {
            PUT('\\');
            PUT('u');
            PUT('0');
            PUT('0');
            PUT(hex[c >> 4]);
            PUT(hex[c & 15]);
            p++;
        } else {
            int k = utf8_valid_len(p, (size_t)(end - p));
            if (k == 0) {
                for (const char *r = "\\ufffd"; *r != '\0'; r++)
                    PUT(*r);
                p++;
            } else {
                for (int i = 0; i < k; i++)
                    PUT((char)p[i]);
                p += k;
            }
        }
    }
    PUT('"');
#undef PUT
    return n;
}

size_t
rs_json_escape(char *dst, size_t cap, const char *s)
{
    return escape_n(dst, cap, s, strlen(s));
}

bool
rs_json_append_string(char *buf, size_t len, size_t *off, const char *s)
{
    RS_ASSERT(*off < len);
    size_t need = rs_json_escape(NULL, 0, s);
    if (need + 1 > len - *off) {
        buf[*off] = '\0';
        return false;
    }
    rs_json_escape(buf + *off, need, s);
    *off += need;
    buf[*off] = '\0';
    return true;
}

int
rs_json_number(char *buf, size_t len, double v)
{
    RS_ASSERT(len >= 32);
    if (!isfinite(v))
        return snprintf(buf, len, "null");
    locale_t old = rs_json_locale_begin();
    int n = snprintf(buf, len, "%.9g", v);
    rs_json_locale_end(old);
    rs_json_fix_point(buf, n);
    return n;
}

/* Room for extra more bytes and the NUL. */
static void
buf_reserve(struct rs_json_buf *b, size_t extra)
{
    size_t need = b->n + extra + 1;
    if (need <= b->cap)
        return;
    size_t c = b->cap ? b->cap : 64;
    while (c < need)
        c *= 2;
    b->p = rs_xreallocarray(b->p, c, 1);
    b->cap = c;
}

void
rs_json_buf_fini(struct rs_json_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

char *
rs_json_buf_take(struct rs_json_buf *b)
{
    char *t = b->p != NULL ? b->p : rs_xstrdup("");
    memset(b, 0, sizeof *b);
    return t;
}

void
rs_json_buf_raw(struct rs_json_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void
rs_json_buf_string(struct rs_json_buf *b, const char *s, size_t n)
{
    size_t need = escape_n(NULL, 0, s, n);
    buf_reserve(b, need);
    escape_n(b->p + b->n, need, s, n);
    b->n += need;
    b->p[b->n] = '\0';
}

void
rs_json_buf_double(struct rs_json_buf *b, double v)
{
    if (!isfinite(v)) {
        rs_json_buf_raw(b, "null", 4);
        return;
    }
    char t[48];
    int n = 0;
    locale_t old = rs_json_locale_begin();
    for (int digits = 15; digits <= 17; digits++) {
        n = snprintf(t, sizeof t - 2, "%.*g", digits, v);
        if (strtod(t, NULL) == v)
            break;
    }
    rs_json_locale_end(old);
    rs_json_fix_point(t, n);
    if (strpbrk(t, ".eE") == NULL) {
        memcpy(t + n, ".0", 3); /* an integral double stays a double */
        n += 2;
    }
    rs_json_buf_raw(b, t, (size_t)n);
}

void
rs_json_buf_integer(struct rs_json_buf *b, long long v)
{
    char t[32];
    int n = snprintf(t, sizeof t, "%lld", v);
    rs_json_buf_raw(b, t, (size_t)n);
}

static void
encode_value(struct rs_json_buf *b, const rs_json *v)
{
    switch (rs_json_typeof(v)) {
    case RS_JSON_NULL:
        rs_json_buf_raw(b, "null", 4);
        break;
    case RS_JSON_BOOL:
        rs_json_buf_raw(b, v->b ? "true" : "false", v->b ? 4 : 5);
        break;
    case RS_JSON_NUMBER:
        if (v->is_int)
            rs_json_buf_integer(b, v->i);
        else
            rs_json_buf_double(b, v->num);
        break;
    case RS_JSON_STRING:
        rs_json_buf_string(b, v->str, v->slen);
        break;
    case RS_JSON_ARRAY:
    case RS_JSON_OBJECT: {
        bool obj = v->type == RS_JSON_OBJECT;
        rs_json_buf_raw(b, obj ? "{" : "[", 1);
        for (int i = 0; i < v->n; i++) {
            if (i > 0)
                rs_json_buf_raw(b, ",", 1);
            if (obj) {
                rs_json_buf_string(b, v->keys[i], v->klen[i]);
                rs_json_buf_raw(b, ":", 1);
            }
            encode_value(b, &v->items[i]);
        }
        rs_json_buf_raw(b, obj ? "}" : "]", 1);
        break;
    }
    }
}

char *
rs_json_encode(const rs_json *v)
{
    struct rs_json_buf b = {0};
    encode_value(&b, v);
    return rs_json_buf_take(&b);
}
