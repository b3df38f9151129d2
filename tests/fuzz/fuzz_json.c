/* repscope - MIT licence, see COPYING.
 *
 * fuzz_json.c: the JSON codec (run/json.h). Any input is parsed; a tree
 * is walked through every accessor, written back (rs_json_encode) and
 * parsed again. Checked, beyond "no crash, no leak":
 *   - the written text always parses (the writer only writes JSON);
 *   - the second tree equals the first, except where json.h says the
 *     writer changes a value: a number beyond the double range (read as
 *     +-inf) is written as null, and bytes of a string that are not
 *     valid UTF-8 become U+FFFD;
 *   - from the second tree on, the round trip is exact: its text reads
 *     back to the same tree and is written again byte for byte (the
 *     first text may differ: an invalid byte is written as the escape
 *     \ufffd, the character read back from it as its UTF-8 bytes);
 *   - rs_json_escape of the input as a C string is a JSON string that
 *     reads back to the input when the input is valid UTF-8;
 *   - rs_json_object_each agrees with the parser on what is an object.
 * A failed check aborts, which libFuzzer reports as a crash.
 */
#include "config.h"

#include "tests/fuzz/fuzz.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "run/json.h"

/* True when s[0..n) is valid UTF-8 (the writer's rule: no overlongs, no
 * surrogates, nothing beyond U+10FFFF). */
static bool
utf8_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t len;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4;
        else
            return false;
        if (n - i < len)
            return false;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        else if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return false;
        for (size_t k = 2; k < len; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF)
                return false;
        i += len;
    }
    return true;
}

/* Touch everything the accessors hand out (ASan sees a bad pointer). */
static size_t
walk(const rs_json *v)
{
    size_t sum = 0, len = 0;
    const char *text = rs_json_text(v, &len);
    for (size_t i = 0; i < len; i++)
        sum += (unsigned char)text[i];
    const char *s = rs_json_str(v, &len);
    if (s != NULL) {
        CHECK(s[len] == '\0');
        for (size_t i = 0; i < len; i++)
            sum += (unsigned char)s[i];
    }
    long long iv;
    if (rs_json_integer(v, &iv))
        CHECK(rs_json_typeof(v) == RS_JSON_NUMBER);
    (void)rs_json_num(v, 0);
    (void)rs_json_bool(v, false);
    for (int i = 0; i < rs_json_len(v); i++) {
        const char *k = rs_json_key(v, i, &len);
        if (k != NULL) {
            CHECK(k[len] == '\0');
            /* the last member of a name is the one rs_json_get finds */
            if (strlen(k) == len)
                CHECK(rs_json_get(v, k) != NULL);
        }
        sum += walk(rs_json_at(v, i));
    }
    CHECK(rs_json_at(v, rs_json_len(v)) == NULL);
    CHECK(rs_json_at(v, -1) == NULL);
    return sum;
}

/* a equals b, where b is a read back after a write (see the top). */
static void
same(const rs_json *a, const rs_json *b)
{
    enum rs_json_type ta = rs_json_typeof(a), tb = rs_json_typeof(b);
    if (ta == RS_JSON_NUMBER && !isfinite(rs_json_num(a, 0))) {
        CHECK(tb == RS_JSON_NULL);
        return;
    }
    CHECK(ta == tb);
    size_t la, lb;
    switch (ta) {
    case RS_JSON_NULL:
        break;
    case RS_JSON_BOOL:
        CHECK(rs_json_bool(a, false) == rs_json_bool(b, true));
        break;
    case RS_JSON_NUMBER: {
        long long ia, ib;
        if (rs_json_integer(a, &ia)) {
            CHECK(rs_json_integer(b, &ib) && ia == ib);
        } else {
            double x = rs_json_num(a, 0), y = rs_json_num(b, 1);
            CHECK(x == y);
        }
        break;
    }
    case RS_JSON_STRING: {
        const char *sa = rs_json_str(a, &la), *sb = rs_json_str(b, &lb);
        if (utf8_ok(sa, la))
            CHECK(la == lb && memcmp(sa, sb, la) == 0);
        else
            CHECK(utf8_ok(sb, lb));
        break;
    }
    case RS_JSON_ARRAY:
    case RS_JSON_OBJECT:
        CHECK(rs_json_len(a) == rs_json_len(b));
        for (int i = 0; i < rs_json_len(a); i++) {
            if (ta == RS_JSON_OBJECT) {
                const char *ka = rs_json_key(a, i, &la);
                const char *kb = rs_json_key(b, i, &lb);
                if (utf8_ok(ka, la))
                    CHECK(la == lb && memcmp(ka, kb, la) == 0);
            }
            same(rs_json_at(a, i), rs_json_at(b, i));
        }
        break;
    }
}

static int
count_member(const char *key, const char *value, bool is_string, void *ud)
{
    (void)key;
    (void)value;
    (void)is_string;
    ++*(int *)ud;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct rs_error err = {0};
    rs_json *v = rs_json_parse(text, size, &err);
    if (v == NULL) {
        CHECK(err.code == RS_EFORMAT &&
              strncmp(err.msg, "JSON offset ", 12) == 0);
    } else {
        (void)walk(v);
        char *out = rs_json_encode(v);
        struct rs_error err2 = {0};
        rs_json *w = rs_json_parse(out, strlen(out), &err2);
        if (w == NULL)
            fprintf(stderr, "fuzz_json: %s does not read back: %s\n", out,
                    err2.msg);
        CHECK(w != NULL);
        same(v, w);
        /* w holds only valid UTF-8: from here the text is a fixed point */
        char *again = rs_json_encode(w);
        rs_json *x = rs_json_parse(again, strlen(again), &err2);
        CHECK(x != NULL);
        same(w, x);
        char *third = rs_json_encode(x);
        CHECK(strcmp(again, third) == 0);
        free(third);
        rs_json_free(x);
        free(again);
        free(out);
        rs_json_free(w);
    }

    /* the input as a C string: the escaper and the member walk */
    char *s = rs_xmalloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    size_t n = strlen(s);
    size_t need = rs_json_escape(NULL, 0, s);
    char *lit = rs_xmalloc(need + 1);
    CHECK(rs_json_escape(lit, need, s) == need);
    lit[need] = '\0';
    rs_json *sv = rs_json_parse(lit, need, &err);
    CHECK(sv != NULL && rs_json_typeof(sv) == RS_JSON_STRING);
    size_t len;
    const char *back = rs_json_str(sv, &len);
    if (utf8_ok(s, n))
        CHECK(len == n && memcmp(back, s, n) == 0);
    rs_json_free(sv);
    free(lit);
    int members = 0;
    int rc = rs_json_object_each(s, count_member, &members, &err);
    if (n == size) {
        bool obj = v != NULL && rs_json_typeof(v) == RS_JSON_OBJECT;
        CHECK((rc == RS_OK) == obj);
        if (obj)
            CHECK(members == rs_json_len(v));
    }
    free(s);
    rs_json_free(v);
    return 0;
}
