/* repscope - MIT licence, see COPYING.
 *
 * json.c: the little JSON the run directory needs (json.h). Escaping
 * writes valid UTF-8 JSON whatever the input bytes (an invalid byte
 * becomes U+FFFD), numbers never depend on LC_NUMERIC, and the object
 * walker reads what the session itself wrote (params, run.jsonl lines).
 * Pure functions: any thread.
 */
#include "config.h"

#include "run/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"

/* A growable byte buffer for the walker. */
struct jbuf {
    char *p;
    size_t n, cap;
};

static void
jb_add(struct jbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 64;
        while (c < b->n + n + 1)
            c *= 2;
        b->p = rs_xreallocarray(b->p, c, 1);
        b->cap = c;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

/* ---- writing ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if s starts an
 * invalid one (overlong, surrogate, beyond U+10FFFF, cut short). */
static int
utf8_valid_len(const unsigned char *s)
{
    unsigned c = s[0];
    int n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
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
    for (int i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

size_t
rs_json_escape(char *dst, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
#define PUT(ch)                                                                \
    do {                                                                       \
        if (n < cap)                                                           \
            dst[n] = (ch);                                                     \
        n++;                                                                   \
    } while (0)
    PUT('"');
    const unsigned char *p = (const unsigned char *)s;
    while (*p != '\0') {
        unsigned c = *p;
        const char *esc = NULL;
        static const char from[] = "\"\\\b\f\n\r\t";
        static const char *const to[] = {"\\\"", "\\\\", "\\b", "\\f",
                                         "\\n",  "\\r",  "\\t"};
        const char *hit = c != 0 ? strchr(from, (int)c) : NULL;
        if (hit != NULL)
            esc = to[hit - from];
        if (esc != NULL) {
            PUT(esc[0]);
            PUT(esc[1]);
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
            int len = utf8_valid_len(p);
            if (len == 0) {
                const char *r = "\\ufffd";
                for (int i = 0; i < 6; i++)
                    PUT(r[i]);
                p++;
            } else {
                for (int i = 0; i < len; i++)
                    PUT((char)p[i]);
                p += len;
            }
        }
    }
    PUT('"');
#undef PUT
    return n;
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
    int n = snprintf(buf, len, "%.9g", v);
    /* Whatever the locale put for the decimal point becomes '.'. */
    for (int i = 0; i < n; i++)
        if (strchr("0123456789+-eE", buf[i]) == NULL)
            buf[i] = '.';
    return n;
}

struct jparse {
    const char *p;
    const char *start;
    struct rs_error *err;
};

static void
skip_ws(struct jparse *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
        j->p++;
}

static int
jfail(struct jparse *j, const char *what)
{
    return rs_error_set(j->err, RS_EFORMAT, "JSON: %s at offset %ld", what,
                        (long)(j->p - j->start));
}

static int
hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static void
jb_utf8(struct jbuf *b, unsigned cp)
{
    char t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        t[0] = (char)(0xC0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        t[0] = (char)(0xE0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        t[0] = (char)(0xF0 | (cp >> 18));
        t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    jb_add(b, t, n);
}

/* A string literal at j->p (on its opening quote), unescaped into b. */
static int
parse_string(struct jparse *j, struct jbuf *b)
{
    b->n = 0;
    jb_add(b, "", 0);
    j->p++;
    for (;;) {
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            return RS_OK;
        }
        if (c < 0x20)
            return jfail(j, c == 0 ? "unterminated string"
                                   : "control character in a string");
        if (c != '\\') {
            jb_add(b, j->p++, 1);
            continue;
        }
        char e = j->p[1];
        static const char esc_in[] = "\"\\/bfnrt";
        static const char esc_out[] = "\"\\/\b\f\n\r\t";
        const char *simple = e != '\0' ? strchr(esc_in, e) : NULL;
        if (simple != NULL) {
            jb_add(b, &esc_out[simple - esc_in], 1);
            j->p += 2;
            continue;
        }
        unsigned cp;
        if (e != 'u' || hex4(j->p + 2, &cp) != 0)
            return jfail(j, "bad escape in a string");
        j->p += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            unsigned lo;
            if (j->p[0] != '\\' || j->p[1] != 'u' || hex4(j->p + 2, &lo) != 0 ||
                lo < 0xDC00 || lo > 0xDFFF)
                return jfail(j, "unpaired surrogate in a string");
            j->p += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return jfail(j, "unpaired surrogate in a string");
        }
        jb_utf8(b, cp);
    }
}

/* A non-string value: nested brackets balanced (strings inside skipped),
 * or a bare literal up to the next ',', '}', ']' or space. */
static int
scan_value(struct jparse *j, struct jbuf *b)
{
    const char *v0 = j->p;
    if (*j->p == '{' || *j->p == '[') {
        int depth = 0;
        struct jbuf tmp = {0};
        do {
            char c = *j->p;
            if (c == '\0') {
                free(tmp.p);
                return jfail(j, "unbalanced brackets");
            }
            if (c == '"') {
                int rc = parse_string(j, &tmp);
                if (rc != RS_OK) {
                    free(tmp.p);
                    return rc;
                }
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if (c == '}' || c == ']')
                depth--;
            j->p++;
        } while (depth > 0);
        free(tmp.p);
    } else {
        while (*j->p != '\0' && strchr(",}] \t\r\n", *j->p) == NULL)
            j->p++;
        if (j->p == v0)
            return jfail(j, "missing value");
    }
    b->n = 0;
    jb_add(b, v0, (size_t)(j->p - v0));
    return RS_OK;
}

int
rs_json_object_each(const char *json,
                    int (*fn)(const char *key, const char *value,
                              bool is_string, void *ud),
                    void *ud, struct rs_error *err)
{
    struct jparse j = {.p = json, .start = json, .err = err};
    struct jbuf key = {0}, val = {0};
    int rc = RS_OK;
    skip_ws(&j);
    if (*j.p != '{') {
        rc = jfail(&j, "expected an object");
        goto out;
    }
    j.p++;
    skip_ws(&j);
    if (*j.p == '}') {
        j.p++;
        goto end;
    }
    for (;;) {
        skip_ws(&j);
        if (*j.p != '"') {
            rc = jfail(&j, "expected a member name");
            goto out;
        }
        if ((rc = parse_string(&j, &key)) != RS_OK)
            goto out;
        skip_ws(&j);
        if (*j.p != ':') {
            rc = jfail(&j, "expected ':'");
            goto out;
        }
        j.p++;
        skip_ws(&j);
        bool is_string = *j.p == '"';
        rc = is_string ? parse_string(&j, &val) : scan_value(&j, &val);
        if (rc != RS_OK)
            goto out;
        if ((rc = fn(key.p, val.p, is_string, ud)) != 0)
            goto out;
        skip_ws(&j);
        if (*j.p == ',') {
            j.p++;
            continue;
        }
        if (*j.p == '}') {
            j.p++;
            break;
        }
        rc = jfail(&j, "expected ',' or '}'");
        goto out;
    }
end:
    skip_ws(&j);
    if (*j.p != '\0')
        rc = jfail(&j, "text after the object");
out:
    free(key.p);
    free(val.p);
    return rc;
}
