/* repscope - MIT licence, see COPYING.
 *
 * t_run_runlog.c: the run directory record. Every line written is fed to
 * a strict JSON parser written here (RFC 8259 grammar: number syntax, no
 * raw control characters, valid escapes and surrogate pairs, valid UTF-8,
 * nothing after the value), which also decodes the values so they can be
 * compared with what was logged: key order and overwrite, non-finite as
 * null, escaping of quotes, control characters, valid and invalid UTF-8,
 * numbers that read back to the same float. Also: meta line only once,
 * a torn last line isolated on reopen, the matrices side file read back
 * through its index, file copy, directory creation, the JSON object
 * walker, and errors naming the path.
 */
#include "config.h"

#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base.h"
#include "run/json.h"
#include "run/runlog.h"
#include "tests/tap.h"

/* ---- a strict JSON parser (test-local) --------------------------------- */

enum jt { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
    enum jt t;
    double num;
    bool b;
    char *str;   /* J_STR (decoded, NUL-terminated; no embedded NUL) */
    int n;       /* J_ARR, J_OBJ */
    char **keys; /* J_OBJ */
    struct jv *items;
};

struct jp {
    const char *p;
    bool ok;
};

static void jv_free(struct jv *v);
static bool parse_value(struct jp *j, struct jv *v);

static void
ws(struct jp *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
        j->p++;
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
parse_number(struct jp *j, struct jv *v)
{
    const char *s = j->p;
    if (*j->p == '-')
        j->p++;
    if (*j->p == '0') {
        j->p++;
    } else if (*j->p >= '1' && *j->p <= '9') {
        while (is_digit(*j->p))
            j->p++;
    } else {
        return false;
    }
    if (*j->p == '.') {
        j->p++;
        if (!is_digit(*j->p))
            return false;
        while (is_digit(*j->p))
            j->p++;
    }
    if (*j->p == 'e' || *j->p == 'E') {
        j->p++;
        if (*j->p == '+' || *j->p == '-')
            j->p++;
        if (!is_digit(*j->p))
            return false;
        while (is_digit(*j->p))
            j->p++;
    }
    char buf[64];
    size_t n = (size_t)(j->p - s);
    if (n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    v->t = J_NUM;
    /* strtod honours LC_NUMERIC; the test runs it in the C locale. */
    v->num = strtod(buf, NULL);
    return true;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool
hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return false;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return true;
}

/* Strict UTF-8 sequence length at p (0 if invalid). */
static int
utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
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
    if (c == 0xED)
        hi = 0x9F;
    if (c == 0xF0)
        lo = 0x90;
    if (c == 0xF4)
        hi = 0x8F;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

static void
put_utf8(char *out, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xC0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xE0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | (cp >> 18));
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static bool
parse_string(struct jp *j, char **out)
{
    if (*j->p != '"')
        return false;
    j->p++;
    size_t cap = strlen(j->p) + 1, n = 0;
    char *s = rs_xmalloc(cap);
    for (;;) {
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            break;
        }
        if (c < 0x20)
            goto bad; /* raw control character or end of text */
        if (c == '\\') {
            char e = j->p[1];
            static const char ein[] = "\"\\/bfnrt";
            static const char eout[] = "\"\\/\b\f\n\r\t";
            const char *m = e != '\0' ? strchr(ein, e) : NULL;
            if (m != NULL) {
                s[n++] = eout[m - ein];
                j->p += 2;
                continue;
            }
            unsigned cp, lo;
            if (e != 'u' || !hex4(j->p + 2, &cp))
                goto bad;
            j->p += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (j->p[0] != '\\' || j->p[1] != 'u' || !hex4(j->p + 2, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    goto bad;
                j->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                goto bad;
            }
            if (cp == 0)
                goto bad; /* the test never logs NUL */
            put_utf8(s, &n, cp);
            continue;
        }
        int len = utf8_len((const unsigned char *)j->p);
        if (len == 0)
            goto bad;
        memcpy(s + n, j->p, (size_t)len);
        n += (size_t)len;
        j->p += len;
    }
    s[n] = '\0';
    *out = s;
    return true;
bad:
    free(s);
    return false;
}

static bool
parse_value(struct jp *j, struct jv *v)
{
    memset(v, 0, sizeof(*v));
    ws(j);
    char c = *j->p;
    if (c == '{' || c == '[') {
        bool obj = c == '{';
        v->t = obj ? J_OBJ : J_ARR;
        j->p++;
        ws(j);
        if (*j->p == (obj ? '}' : ']')) {
            j->p++;
            return true;
        }
        for (;;) {
            v->items =
                rs_xreallocarray(v->items, (size_t)v->n + 1, sizeof(*v->items));
            v->keys =
                rs_xreallocarray(v->keys, (size_t)v->n + 1, sizeof(*v->keys));
            v->keys[v->n] = NULL;
            memset(&v->items[v->n], 0, sizeof(v->items[0]));
            v->n++;
            if (obj) {
                ws(j);
                if (!parse_string(j, &v->keys[v->n - 1]))
                    return false;
                ws(j);
                if (*j->p != ':')
                    return false;
                j->p++;
            }
            if (!parse_value(j, &v->items[v->n - 1]))
                return false;
            ws(j);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p == (obj ? '}' : ']')) {
                j->p++;
                return true;
            }
            return false;
        }
    }
    if (c == '"') {
        v->t = J_STR;
        return parse_string(j, &v->str);
    }
    if (strncmp(j->p, "null", 4) == 0) {
        j->p += 4;
        v->t = J_NULL;
        return true;
    }
    if (strncmp(j->p, "true", 4) == 0 || strncmp(j->p, "false", 5) == 0) {
        v->t = J_BOOL;
        v->b = c == 't';
        j->p += v->b ? 4 : 5;
        return true;
    }
    return parse_number(j, v);
}

/* Parse a whole text strictly; false (and nothing to free) if invalid. */
static bool
json_parse(const char *text, struct jv *v)
{
    struct jp j = {.p = text, .ok = true};
    bool ok = parse_value(&j, v);
    ws(&j);
    if (!ok || *j.p != '\0') {
        jv_free(v);
        return false;
    }
    return true;
}

static void
jv_free(struct jv *v)
{
    free(v->str);
    for (int i = 0; i < v->n; i++) {
        if (v->keys != NULL)
            free(v->keys[i]);
        jv_free(&v->items[i]);
    }
    free(v->keys);
    free(v->items);
    memset(v, 0, sizeof(*v));
}

static const struct jv *
jget(const struct jv *o, const char *key)
{
    if (o->t != J_OBJ)
        return NULL;
    for (int i = 0; i < o->n; i++)
        if (o->keys[i] != NULL && strcmp(o->keys[i], key) == 0)
            return &o->items[i];
    return NULL;
}

/* ---- helpers ------------------------------------------------------------ */

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = rs_xmalloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

/* Split text into lines (in place); returns the count. */
static int
split_lines(char *text, char **lines, int max)
{
    int n = 0;
    char *p = text;
    while (*p != '\0' && n < max) {
        char *nl = strchr(p, '\n');
        lines[n++] = p;
        if (nl == NULL)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    return n;
}

/* ---- tests -------------------------------------------------------------- */

static const char weird[] =
    "q\"b\\s/\x01\x1f\n\t\r\b\f \xc3\xa9 \xe6\xbc\xa2 \xf0\x9f\x98\x80 "
    "\xff \xc0\xaf \xed\xa0\x80 end";
/* What a JSON reader must get back: each invalid byte as U+FFFD. */
static const char weird_decoded[] =
    "q\"b\\s/\x01\x1f\n\t\r\b\f \xc3\xa9 \xe6\xbc\xa2 \xf0\x9f\x98\x80 "
    "\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end";

static void
test_records(const char *tmp)
{
    char *dir = rs_xasprintf("%s/a/b/c", tmp);
    struct rs_error err = {0};
    rs_runlog *log = rs_runlog_open(dir, "{\"type\":\"meta\",\"x\":1}", &err);
    tap_ok(log != NULL, "open creates nested directories (%s)", err.msg);
    if (log == NULL)
        tap_bail("cannot continue without a run log");
    tap_is_str(rs_runlog_dir(log), dir, "dir");

    rs_runlog_begin(log, 5);
    rs_runlog_value(log, "train/loss", 2.5);
    rs_runlog_value(log, "train/acc", 0.25);
    rs_runlog_value(log, "train/loss", 1.5);
    rs_runlog_text(log, "note", weird);
    rs_runlog_value(log, "nan", NAN);
    rs_runlog_value(log, "inf", -INFINITY);
    rs_runlog_value(log, "step", 3);
    tap_ok(rs_runlog_end(log, &err) == RS_OK, "record 1 written");

    const double nums[] = {1e-30,       1.5e300, -0.1, 0.1f,
                           123456789.0, 3.0,     -0.0, 2.718281828459045};
    rs_runlog_begin(log, 6);
    for (int i = 0; i < 8; i++) {
        char k[16];
        snprintf(k, sizeof(k), "n%d", i);
        rs_runlog_value(log, k, nums[i]);
    }
    tap_ok(rs_runlog_end(log, &err) == RS_OK, "record 2 written");
    rs_runlog_begin(log, 7);
    tap_ok(rs_runlog_end(log, &err) == RS_OK, "an empty record");
    tap_ok(rs_runlog_event(log, 8, "set", "lr = 0.1 \"q\"", &err) == RS_OK &&
               rs_runlog_event(log, 9, NULL, "plain", &err) == RS_OK,
           "two events written");

    char *path = rs_runlog_path(log, "run.jsonl");
    char *text = slurp(path);
    char *lines[32];
    int n = split_lines(text, lines, 32);
    tap_is_int(n, 5,
               "meta + 2 records + 2 events (the empty record wrote "
               "nothing)");
    int valid = 0;
    struct jv v[5];
    for (int i = 0; i < n && i < 5; i++)
        valid += json_parse(lines[i], &v[i]);
    tap_is_int(valid, 5, "every line is strict JSON");
    if (valid == 5) {
        tap_is_str(lines[0], "{\"type\":\"meta\",\"x\":1}",
                   "meta is the first line, verbatim");
        const struct jv *r = &v[1];
        const char *order[] = {"step", "train/loss", "train/acc", "note",
                               "nan",  "inf",        "_step"};
        bool ok = r->n == 7;
        for (int i = 0; ok && i < 7; i++)
            ok = strcmp(r->keys[i], order[i]) == 0;
        tap_ok(ok, "keys in first-seen order, step first, reserved key "
                   "renamed");
        tap_ok(jget(r, "step")->num == 5 && jget(r, "train/loss")->num == 1.5,
               "step 5, overwritten train/loss 1.5");
        tap_ok(jget(r, "nan")->t == J_NULL && jget(r, "inf")->t == J_NULL,
               "non-finite values are null");
        tap_is_str(jget(r, "note")->str, weird_decoded,
                   "quotes, controls, UTF-8 kept, invalid bytes U+FFFD");
        bool raw_ok = true;
        for (const char *p = lines[1]; *p != '\0'; p++)
            raw_ok = raw_ok && (unsigned char)*p >= 0x20;
        tap_ok(raw_ok, "no raw control byte on the line");
        int same = 0;
        for (int i = 0; i < 8; i++) {
            char k[16];
            snprintf(k, sizeof(k), "n%d", i);
            const struct jv *x = jget(&v[2], k);
            same += x != NULL && (float)x->num == (float)nums[i];
        }
        tap_is_int(same, 8, "numbers read back to the same float");
        const struct jv *e = &v[3];
        tap_ok(strcmp(jget(e, "type")->str, "event") == 0 &&
                   jget(e, "step")->num == 8 &&
                   strcmp(jget(e, "kind")->str, "set") == 0 &&
                   strcmp(jget(e, "text")->str, "lr = 0.1 \"q\"") == 0,
               "event line: type, step, kind, text");
        tap_ok(jget(&v[4], "kind") == NULL &&
                   strcmp(jget(&v[4], "text")->str, "plain") == 0,
               "event without kind");
    }
    for (int i = 0; i < valid && i < 5; i++)
        jv_free(&v[i]);
    free(text);
    rs_runlog_close(log);

    /* Reopen: no second meta; a torn line stays on its own. */
    int fd = open(path, O_WRONLY | O_APPEND);
    const char torn[] = "{\"step\":10,\"trun";
    tap_ok(fd >= 0 &&
               write(fd, torn, sizeof(torn) - 1) == (ssize_t)(sizeof(torn) - 1),
           "simulate a torn last line");
    close(fd);
    log = rs_runlog_open(dir, "{\"type\":\"meta\",\"x\":2}", &err);
    rs_runlog_begin(log, 11);
    rs_runlog_value(log, "k", 1);
    tap_ok(log != NULL && rs_runlog_end(log, &err) == RS_OK,
           "reopen and append");
    rs_runlog_close(log);
    text = slurp(path);
    n = split_lines(text, lines, 32);
    struct jv a, b;
    bool last_ok = n == 7 && json_parse(lines[6], &a);
    tap_ok(n == 7 && strcmp(lines[5], torn) == 0 && last_ok &&
               jget(&a, "step")->num == 11,
           "the torn line is isolated, the next record parses");
    tap_ok(json_parse(lines[0], &b) && jget(&b, "x")->num == 1,
           "meta written once (the first one)");
    if (last_ok)
        jv_free(&a);
    jv_free(&b);
    free(text);
    free(path);
    free(dir);
}

static void
test_locale(const char *tmp)
{
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "de_DE",
                           NULL};
    const char *got = NULL;
    for (int i = 0; names[i] != NULL && got == NULL; i++)
        got = setlocale(LC_NUMERIC, names[i]);
    if (got == NULL) {
        tap_skip(1, "no locale with a decimal comma installed");
        return;
    }
    char *dir = rs_xasprintf("%s/locale", tmp);
    rs_runlog *log = rs_runlog_open(dir, "{}", NULL);
    rs_runlog_begin(log, 1);
    rs_runlog_value(log, "x", 0.5);
    int rc = rs_runlog_end(log, NULL);
    char *path = rs_runlog_path(log, "run.jsonl");
    rs_runlog_close(log);
    setlocale(LC_NUMERIC, "C");
    char *text = slurp(path);
    tap_ok(rc == RS_OK && strstr(text, "\"x\":0.5") != NULL,
           "a decimal point under a %s locale", got);
    free(text);
    free(path);
    free(dir);
}

static void
test_matrices(const char *tmp)
{
    char *dir = rs_xasprintf("%s/mat", tmp);
    struct rs_error err = {0};
    rs_runlog *log = rs_runlog_open(dir, "{}", &err);
    float m1[12], m2[4] = {-1, 0.5f, 1e-20f, 3e30f};
    for (int i = 0; i < 12; i++)
        m1[i] = (float)i / 3.0f;
    const char *rl[] = {"layer \"1\"", "r1", "r2"};
    const char *cl[] = {"a", "b", "c", "d"};
    tap_ok(rs_runlog_matrix(log, "spec/h1", 100, 3, 4, m1, rl, cl, &err) ==
                   RS_OK &&
               rs_runlog_matrix(log, "dead/h2", 200, 2, 2, m2, NULL, NULL,
                                &err) == RS_OK,
           "two matrices recorded (%s)", err.msg);
    char *ipath = rs_runlog_path(log, "matrices.jsonl");
    char *bpath = rs_runlog_path(log, "matrices.bin");
    rs_runlog_close(log);
    char *text = slurp(ipath);
    char *lines[4];
    int n = split_lines(text, lines, 4);
    struct jv v[2];
    bool ok = n == 2 && json_parse(lines[0], &v[0]);
    ok = ok && json_parse(lines[1], &v[1]);
    tap_ok(ok, "matrices.jsonl: two strict JSON lines");
    if (ok) {
        tap_ok(strcmp(jget(&v[0], "name")->str, "spec/h1") == 0 &&
                   jget(&v[0], "step")->num == 100 &&
                   jget(&v[0], "rows")->num == 3 &&
                   jget(&v[0], "cols")->num == 4 &&
                   jget(&v[0], "offset")->num == 0,
               "index 1: name, step, shape, offset 0");
        const struct jv *r = jget(&v[0], "row_labels");
        tap_ok(r->t == J_ARR && r->n == 3 &&
                   strcmp(r->items[0].str, "layer \"1\"") == 0,
               "row labels escaped and read back");
        tap_ok(jget(&v[1], "offset")->num == 48 &&
                   jget(&v[1], "row_labels")->t == J_NULL,
               "index 2: offset 48, no labels -> null");
        FILE *f = fopen(bpath, "rb");
        float back[16];
        size_t got = f != NULL ? fread(back, sizeof(float), 16, f) : 0;
        if (f != NULL)
            fclose(f);
        tap_is_int((long)got, 16, "matrices.bin holds 12 + 4 floats");
        tap_is_floats(back, m1, 12, 0, 0, "matrix 1 payload at its offset");
        tap_is_floats(back + 12, m2, 4, 0, 0, "matrix 2 payload at its offset");
        jv_free(&v[0]);
        jv_free(&v[1]);
    } else if (n == 2) {
        jv_free(&v[0]);
    }
    free(text);
    free(ipath);
    free(bpath);
    free(dir);
}

struct walk {
    int n;
    char got[8][2][64];
    bool str[8];
};

static int
walk_fn(const char *key, const char *value, bool is_string, void *ud)
{
    struct walk *w = ud;
    if (w->n < 8) {
        snprintf(w->got[w->n][0], 64, "%s", key);
        snprintf(w->got[w->n][1], 64, "%s", value);
        w->str[w->n] = is_string;
    }
    w->n++;
    return 0;
}

static void
test_misc(const char *tmp)
{
    char buf[16];
    size_t off = 0;
    tap_ok(rs_json_append_string(buf, sizeof(buf), &off, "a\"b") && off == 6 &&
               strcmp(buf, "\"a\\\"b\"") == 0,
           "append_string escapes a quote");
    tap_ok(!rs_json_append_string(buf, sizeof(buf), &off, "0123456789") &&
               off == 6 && buf[6] == '\0',
           "append_string: no room -> false, off kept, NUL-terminated");

    struct walk w = {0};
    struct rs_error err = {0};
    int rc = rs_json_object_each(
        " {\"lr\": 0.01, \"name\":\"a\\\"b\\u00e9\", \"nested\":"
        "{\"x\":[1,2,\"}\"]}, \"flag\":true} ",
        walk_fn, &w, &err);
    tap_ok(rc == RS_OK && w.n == 4, "object walk: 4 members (%s)", err.msg);
    tap_ok(strcmp(w.got[0][0], "lr") == 0 && strcmp(w.got[0][1], "0.01") == 0 &&
               !w.str[0],
           "number member as written");
    tap_ok(strcmp(w.got[1][1], "a\"b\xc3\xa9") == 0 && w.str[1],
           "string member unescaped");
    tap_ok(strcmp(w.got[2][1], "{\"x\":[1,2,\"}\"]}") == 0,
           "nested member as its JSON text");
    tap_ok(strcmp(w.got[3][1], "true") == 0, "literal member");
    const char *bad[] = {"",
                         "[]",
                         "{\"a\":1,}",
                         "{\"a\" 1}",
                         "{\"a\":1} x",
                         "{\"a\":\"x}",
                         "{\"a\":{\"b\":1}"};
    int refused = 0;
    for (int i = 0; i < 7; i++) {
        struct walk w2 = {0};
        refused +=
            rs_json_object_each(bad[i], walk_fn, &w2, &err) == RS_EFORMAT;
    }
    tap_is_int(refused, 7, "malformed objects refused");
    w.n = 0;
    tap_ok(rs_json_object_each("{}", walk_fn, &w, NULL) == RS_OK && w.n == 0,
           "empty object");

    char *parent = rs_xasprintf("%s/runs", tmp);
    char *d1 = rs_runlog_new_dir(parent, "grok-x", &err);
    char *d2 = rs_runlog_new_dir(parent, "grok-x", &err);
    char *w1 = rs_xasprintf("%s/grok-x", parent);
    char *w2 = rs_xasprintf("%s/grok-x-2", parent);
    tap_ok(d1 != NULL && d2 != NULL && strcmp(d1, w1) == 0 &&
               strcmp(d2, w2) == 0,
           "new_dir: stem, then stem-2");
    free(d1);
    free(d2);
    free(w1);
    free(w2);
    free(parent);

    /* Errors name the path. */
    char *file = rs_xasprintf("%s/plainfile", tmp);
    FILE *f = fopen(file, "w");
    fputs("scene text\n", f);
    fclose(f);
    char *under = rs_xasprintf("%s/sub", file);
    rs_runlog *log = rs_runlog_open(under, "{}", &err);
    tap_ok(log == NULL && err.code == RS_EIO && strstr(err.msg, file) != NULL,
           "open under a regular file fails naming it: %s", err.msg);

    char *dir = rs_xasprintf("%s/copy", tmp);
    log = rs_runlog_open(dir, "{}", &err);
    tap_ok(rs_runlog_copy_file(log, file, "scene.lua", &err) == RS_OK,
           "copy_file");
    char *dst = rs_runlog_path(log, "scene.lua");
    char *text = slurp(dst);
    tap_is_str(text, "scene text\n", "copy has the same bytes");
    char *missing = rs_xasprintf("%s/nope.lua", tmp);
    tap_ok(rs_runlog_copy_file(log, missing, "x.lua", &err) == RS_EIO &&
               strstr(err.msg, missing) != NULL,
           "copy of a missing file names it");
    rs_runlog_close(log);
    free(text);
    free(dst);
    free(missing);
    free(dir);
    free(under);
    free(file);
}

int
main(void)
{
    tap_plan_lazy();
    char *tmp = tap_tmpdir("t_run_runlog");
    test_records(tmp);
    test_locale(tmp);
    test_matrices(tmp);
    test_misc(tmp);
    free(tmp);
    return tap_done();
}
