/* repscope - MIT licence, see COPYING.
 *
 * t_run_json.c: the JSON codec (run/json.h). A text of every kind of
 * value parses into the tree it says (types, lengths, keys, values, the
 * text each was parsed from) and encodes back to itself; parse(encode(t))
 * gives the same text again. Unicode escapes (BMP, surrogate pairs,
 * \u0000) decode to UTF-8 and the writer escapes control characters,
 * keeps valid UTF-8 and replaces invalid bytes. Numbers: the JSON
 * grammar only, integers exact to 64 bits, out-of-range to +-inf, the
 * writer's shortest exact digits with ".0" on integral doubles and null
 * for NaN and infinities, whatever LC_NUMERIC says (when a decimal-comma
 * locale is installed). Malformed texts fail with the exact message:
 * offset, what was expected, what was found. Nesting stops at
 * RS_JSON_DEPTH_MAX.
 */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"
#include "run/json.h"
#include "tests/tap.h"

static rs_json *
parse(const char *text, struct rs_error *err)
{
    return rs_json_parse(text, strlen(text), err);
}

/* The text of a parsed value as a new string. */
static char *
span(const rs_json *v)
{
    size_t n;
    const char *s = rs_json_text(v, &n);
    char *t = rs_xmalloc(n + 1);
    memcpy(t, s, n);
    t[n] = '\0';
    return t;
}

static void
test_tree(void)
{
    static const char text[] =
        " {\"a\": [1, -2.5, true, false, null, \"x\"],\n"
        "  \"b\": {\"c\": {}, \"d\": []}, \"a\": 7, \"e\": \"\" } ";
    struct rs_error err = {0};
    rs_json *v = parse(text, &err);
    if (!tap_ok(v != NULL, "a text of every kind parses")) {
        tap_diag("%s", err.msg);
        return;
    }
    tap_ok(rs_json_typeof(v) == RS_JSON_OBJECT && rs_json_len(v) == 4,
           "an object of 4 members (a duplicate name kept)");
    size_t kl = 0;
    tap_ok(strcmp(rs_json_key(v, 0, &kl), "a") == 0 && kl == 1 &&
               strcmp(rs_json_key(v, 2, NULL), "a") == 0,
           "member names in order");
    tap_ok(rs_json_key(v, 4, NULL) == NULL && rs_json_key(v, -1, NULL) == NULL,
           "no name out of range");
    const rs_json *a = rs_json_at(v, 0);
    tap_ok(rs_json_typeof(a) == RS_JSON_ARRAY && rs_json_len(a) == 6,
           "the first member: an array of 6");
    long long i = 0;
    tap_ok(rs_json_integer(rs_json_at(a, 0), &i) && i == 1 &&
               rs_json_num(rs_json_at(a, 0), 0) == 1,
           "1 is an integer");
    tap_ok(!rs_json_integer(rs_json_at(a, 1), &i) &&
               rs_json_num(rs_json_at(a, 1), 0) == -2.5,
           "-2.5 is a number, not an integer");
    tap_ok(rs_json_bool(rs_json_at(a, 2), false) &&
               !rs_json_bool(rs_json_at(a, 3), true) &&
               rs_json_typeof(rs_json_at(a, 4)) == RS_JSON_NULL,
           "true, false, null");
    size_t sl = 99;
    tap_ok(strcmp(rs_json_str(rs_json_at(a, 5), &sl), "x") == 0 && sl == 1,
           "a string");
    tap_ok(rs_json_at(a, 6) == NULL && rs_json_at(a, -1) == NULL,
           "no item out of range");
    tap_ok(rs_json_num(rs_json_get(v, "a"), 0) == 7,
           "get: the last member of a name");
    const rs_json *b = rs_json_get(v, "b");
    tap_ok(rs_json_len(rs_json_get(b, "c")) == 0 &&
               rs_json_typeof(rs_json_get(b, "d")) == RS_JSON_ARRAY,
           "nested empty object and array");
    tap_ok(rs_json_get(v, "zz") == NULL && rs_json_get(a, "a") == NULL &&
               rs_json_get(NULL, "a") == NULL,
           "get: absent, or not an object");
    tap_ok(rs_json_str(rs_json_get(v, "e"), &sl) != NULL && sl == 0,
           "an empty string");
    tap_ok(rs_json_str(a, NULL) == NULL && rs_json_num(a, 3) == 3 &&
               rs_json_bool(a, true) && !rs_json_integer(a, &i) &&
               rs_json_len(rs_json_at(a, 0)) == 0,
           "asking a value for another type gives the default");
    tap_ok(rs_json_typeof(NULL) == RS_JSON_NULL, "NULL reads as null");
    char *t = span(a);
    tap_is_str(t, "[1, -2.5, true, false, null, \"x\"]",
               "a value's text as written");
    free(t);
    t = span(v);
    tap_ok(t[0] == '{' && t[strlen(t) - 1] == '}',
           "the root's text without the white space around it");
    free(t);

    char *enc = rs_json_encode(v);
    tap_is_str(enc,
               "{\"a\":[1,-2.5,true,false,null,\"x\"],\"b\":{\"c\":{},"
               "\"d\":[]},\"a\":7,\"e\":\"\"}",
               "encoded back, compact, members in order");
    rs_json *w = parse(enc, &err);
    char *enc2 = rs_json_encode(w);
    tap_is_str(enc2, enc, "parse(encode(t)) encodes to the same text");
    free(enc2);
    free(enc);
    rs_json_free(w);
    rs_json_free(v);

    v = parse("\"top\"", &err);
    tap_ok(v != NULL && strcmp(rs_json_str(v, NULL), "top") == 0,
           "a scalar at the top");
    rs_json_free(v);
    rs_json_free(NULL);
}

static void
test_unicode(void)
{
    struct rs_error err = {0};
    rs_json *v = parse("[\"caf\\u00e9\", \"\\ud83d\\ude00\", \"a\\u0000b\","
                       "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u20AC\","
                       "\"raw \xc3\xa9\xf0\x9f\x98\x80\"]",
                       &err);
    if (!tap_ok(v != NULL, "escapes parse")) {
        tap_diag("%s", err.msg);
        return;
    }
    tap_is_str(rs_json_str(rs_json_at(v, 0), NULL), "caf\xc3\xa9",
               "\\u00e9 as UTF-8");
    tap_is_str(rs_json_str(rs_json_at(v, 1), NULL), "\xf0\x9f\x98\x80",
               "a surrogate pair as one 4-byte sequence");
    size_t n = 0;
    const char *s = rs_json_str(rs_json_at(v, 2), &n);
    tap_ok(n == 3 && memcmp(s, "a\0b", 3) == 0,
           "\\u0000 kept inside the string (length 3)");
    tap_is_str(rs_json_str(rs_json_at(v, 3), NULL), "\"\\/\b\f\n\r\t",
               "the short escapes");
    tap_is_str(rs_json_str(rs_json_at(v, 4), NULL), "\xe2\x82\xac",
               "upper-case hex digits");
    tap_is_str(rs_json_str(rs_json_at(v, 5), NULL),
               "raw \xc3\xa9\xf0\x9f\x98\x80", "raw UTF-8 kept");
    char *enc = rs_json_encode(v);
    tap_is_str(enc,
               "[\"caf\xc3\xa9\",\"\xf0\x9f\x98\x80\",\"a\\u0000b\","
               "\"\\\"\\\\/\\b\\f\\n\\r\\t\",\"\xe2\x82\xac\","
               "\"raw \xc3\xa9\xf0\x9f\x98\x80\"]",
               "written back: UTF-8 as is, NUL and controls escaped");
    free(enc);
    rs_json_free(v);

    struct rs_json_buf b = {0};
    rs_json_buf_string(&b, "\x01\x1f\x7f \xff\xc3(\xed\xa0\x80", 10);
    tap_is_str(b.p,
               "\"\\u0001\\u001f\x7f \\ufffd\\ufffd(\\ufffd\\ufffd"
               "\\ufffd\"",
               "controls as \\u00XX; invalid bytes, a cut sequence and an "
               "encoded surrogate as U+FFFD each");
    rs_json_buf_fini(&b);
    tap_ok(b.p == NULL && b.n == 0, "fini empties the buffer");
}

/* The text of one double written by rs_json_buf_double. */
static void
is_double_text(double x, const char *want, const char *name)
{
    struct rs_json_buf b = {0};
    rs_json_buf_double(&b, x);
    tap_is_str(b.p, want, "write %s", name);
    rs_json_buf_fini(&b);
}

static void
test_numbers(void)
{
    is_double_text(0.1, "0.1", "0.1");
    is_double_text(1.0 / 3.0, "0.3333333333333333", "1/3 (16 digits)");
    is_double_text(0.1 + 0.2, "0.30000000000000004", "0.1 + 0.2 (17 digits)");
    is_double_text(2.0, "2.0", "2.0 keeps its point");
    is_double_text(-0.0, "-0.0", "-0.0");
    is_double_text(1e20, "1e+20", "1e20");
    is_double_text(3e-4, "0.0003", "3e-4");
    is_double_text(NAN, "null", "NaN as null");
    is_double_text(INFINITY, "null", "inf as null");
    is_double_text(-INFINITY, "null", "-inf as null");
    struct rs_json_buf b = {0};
    rs_json_buf_integer(&b, -9007199254740993LL);
    tap_is_str(b.p, "-9007199254740993", "an integer beyond 2^53 exactly");
    char *t = rs_json_buf_take(&b);
    tap_ok(b.p == NULL && strcmp(t, "-9007199254740993") == 0,
           "take hands the text over");
    free(t);
    t = rs_json_buf_take(&b);
    tap_is_str(t, "", "take of an empty buffer: \"\"");
    free(t);

    /* every double written reads back to itself */
    static const double xs[] = {0.1,        1.0 / 3.0, 2.0 / 3.0,
                                1e-300,     5e-324,    1.7976931348623157e308,
                                123456.789, -2.5e-7,   0.3};
    int exact = 0;
    for (size_t i = 0; i < RS_ARRAY_LEN(xs); i++) {
        rs_json_buf_double(&b, xs[i]);
        rs_json *v = rs_json_parse(b.p, b.n, NULL);
        exact += v != NULL && rs_json_num(v, NAN) == xs[i];
        rs_json_free(v);
        b.n = 0;
    }
    rs_json_buf_fini(&b);
    tap_is_int(exact, (long)RS_ARRAY_LEN(xs), "written doubles read back");

    struct rs_error err = {0};
    rs_json *v = parse("[9223372036854775807, 9223372036854775808, 1e2, "
                       "1E+2, -0, 1e400, -1e400, 1e-400, 0.5e1]",
                       &err);
    if (tap_ok(v != NULL, "numbers parse")) {
        long long i = 0;
        tap_ok(rs_json_integer(rs_json_at(v, 0), &i) &&
                   i == 9223372036854775807LL,
               "the largest long long, exactly");
        tap_ok(!rs_json_integer(rs_json_at(v, 1), &i) &&
                   rs_json_num(rs_json_at(v, 1), 0) == 9223372036854775808.0,
               "one more: a double");
        tap_ok(!rs_json_integer(rs_json_at(v, 2), &i) &&
                   rs_json_num(rs_json_at(v, 2), 0) == 100 &&
                   rs_json_num(rs_json_at(v, 3), 0) == 100,
               "1e2 and 1E+2: 100, not integers");
        tap_ok(rs_json_integer(rs_json_at(v, 4), &i) && i == 0,
               "-0 is the integer 0");
        tap_ok(rs_json_num(rs_json_at(v, 5), 0) == HUGE_VAL &&
                   rs_json_num(rs_json_at(v, 6), 0) == -HUGE_VAL,
               "beyond the double range: +-inf");
        tap_ok(rs_json_num(rs_json_at(v, 7), 1) == 0 &&
                   rs_json_num(rs_json_at(v, 8), 0) == 5,
               "underflow to 0; 0.5e1");
        char *enc = rs_json_encode(v);
        tap_is_str(enc,
                   "[9223372036854775807,9.223372036854776e+18,100.0,"
                   "100.0,0,null,null,0.0,5.0]",
                   "written back (inf as null)");
        free(enc);
    }
    rs_json_free(v);

    char buf[32];
    rs_json_number(buf, sizeof buf, (double)0.1f);
    tap_is_str(buf, "0.100000001", "rs_json_number: float precision");
    rs_json_number(buf, sizeof buf, NAN);
    tap_is_str(buf, "null", "rs_json_number: NaN as null");

    /* a locale with a decimal comma changes nothing (when installed) */
    static const char *const commas[] = {"de_DE.UTF-8", "fr_FR.UTF-8",
                                         "ru_RU.UTF-8", "de_DE.utf8"};
    const char *got = NULL;
    for (size_t i = 0; i < RS_ARRAY_LEN(commas) && got == NULL; i++)
        got = setlocale(LC_NUMERIC, commas[i]);
    if (got == NULL) {
        tap_skip(3, "no decimal-comma locale installed");
        return;
    }
    v = parse("[0.25]", &err);
    tap_ok(v != NULL && rs_json_num(rs_json_at(v, 0), 0) == 0.25,
           "%s: 0.25 reads as 0.25", got);
    rs_json_free(v);
    rs_json_buf_double(&b, 0.25);
    tap_is_str(b.p, "0.25", "%s: 0.25 written with a point", got);
    rs_json_buf_fini(&b);
    rs_json_number(buf, sizeof buf, 1.5);
    tap_is_str(buf, "1.5", "%s: rs_json_number with a point", got);
    setlocale(LC_NUMERIC, "C");
}

static void
test_malformed(void)
{
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"", "JSON offset 0: a value expected, found the end of the text"},
        {"   ", "JSON offset 3: a value expected, found the end of the text"},
        {"[1,]", "JSON offset 3: a value expected, found ']'"},
        {"[1 2]", "JSON offset 3: ',' or ']' expected, found '2]'"},
        {"{\"a\" 1}", "JSON offset 5: ':' after the member name expected, "
                      "found '1}'"},
        {"{\"a\":1,}", "JSON offset 7: a member name (a string) expected, "
                       "found '}'"},
        {"{1:2}", "JSON offset 1: a member name (a string) expected, "
                  "found '1:2}'"},
        {"{\"a\":1", "JSON offset 6: ',' or '}' expected, found the end of "
                     "the text"},
        {"[1] [2]", "JSON offset 4: nothing after the value expected, "
                    "found '[2]'"},
        {"tru", "JSON offset 0: a value expected, found 'tru'"},
        {"NaN", "JSON offset 0: a value expected, found 'NaN'"},
        {"-Infinity", "JSON offset 0: a number expected, found '-Infinity'"},
        {"+1", "JSON offset 0: a value expected, found '+1'"},
        {"01", "JSON offset 0: a number without leading zeros expected, "
               "found '01'"},
        {"1.", "JSON offset 2: a digit after the decimal point expected, "
               "found the end of the text"},
        {".5", "JSON offset 0: a value expected, found '.5'"},
        {"1e+", "JSON offset 3: a digit in the exponent expected, found the "
                "end of the text"},
        {"0x10", "JSON offset 1: nothing after the value expected, "
                 "found 'x10'"},
        {"\"abc", "JSON offset 0: a string that is not closed, found "
                  "'\"abc'"},
        {"\"a\tb\"", "JSON offset 2: a control character inside a string, "
                     "found a control character (U+0009)"},
        {"\"\\x\"", "JSON offset 1: an escape expected (\\\" \\\\ \\/ \\b "
                    "\\f \\n \\r \\t or \\uXXXX), found '\\x\"'"},
        {"\"\\u12G4\"", "JSON offset 1: four hex digits expected after \\u, "
                        "found '\\u12G4\"'"},
        {"\"\\ud83d\"", "JSON offset 1: a high surrogate without its low "
                        "half, found '\\ud83d\"'"},
        {"\"\\ud83d\\u0041\"", "JSON offset 1: a high surrogate without its "
                               "low half, found '\\ud83d\\u0041'"},
        {"\"\\ude00\"", "JSON offset 1: a low surrogate without its high "
                        "half, found '\\ude00\"'"},
        {"[\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\" x]",
         "JSON offset 18: ',' or ']' expected, found 'x]'"},
        {"x\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
         "JSON offset 0: a value expected, found 'x\xc3\xa9\xc3\xa9\xc3\xa9"
         "\xc3\xa9\xc3\xa9'"},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(bad); i++) {
        struct rs_error err = {0};
        rs_json *v = parse(bad[i].text, &err);
        tap_ok(v == NULL && err.code == RS_EFORMAT, "malformed %zu refused", i);
        tap_is_str(err.msg, bad[i].msg, "malformed %zu: the message", i);
        rs_json_free(v);
    }
    struct rs_error err = {0};
    rs_json *v = rs_json_parse("[1,\0 2]", 7, &err);
    tap_ok(v == NULL, "a NUL byte inside the length is refused");
    tap_is_str(err.msg,
               "JSON offset 3: a value expected, found a NUL byte "
               "(U+0000)",
               "and named");
    rs_json_free(v);
    v = rs_json_parse("[1]xyz", 3, &err);
    tap_ok(v != NULL && rs_json_len(v) == 1,
           "only len bytes are read (no NUL needed at the end)");
    rs_json_free(v);
}

static void
test_depth(void)
{
    char text[2 * RS_JSON_DEPTH_MAX + 8];
    int d = RS_JSON_DEPTH_MAX;
    memset(text, '[', (size_t)d);
    memset(text + d, ']', (size_t)d);
    text[2 * d] = '\0';
    struct rs_error err = {0};
    rs_json *v = parse(text, &err);
    tap_ok(v != NULL, "%d nested arrays parse", d);
    char *enc = v != NULL ? rs_json_encode(v) : NULL;
    tap_ok(enc != NULL && strcmp(enc, text) == 0, "and encode back");
    free(enc);
    rs_json_free(v);
    memset(text, '[', (size_t)d + 1);
    memset(text + d + 1, ']', (size_t)d + 1);
    text[2 * d + 2] = '\0';
    v = parse(text, &err);
    tap_ok(v == NULL, "%d are refused", d + 1);
    char want[128];
    snprintf(want, sizeof want,
             "JSON offset %d: arrays and objects nested deeper than %d, "
             "found '[]]]]]]]]]]]'",
             d, d);
    tap_is_str(err.msg, want, "the message names the offset");
    rs_json_free(v);
    /* objects count as well */
    char *objs = rs_xcalloc(8 * (size_t)d + 16, 1);
    size_t n = 0;
    for (int i = 0; i <= d; i++)
        n += (size_t)sprintf(objs + n, "{\"k\":");
    n += (size_t)sprintf(objs + n, "1");
    for (int i = 0; i <= d; i++)
        objs[n++] = '}';
    v = parse(objs, &err);
    tap_ok(v == NULL && strstr(err.msg, "nested deeper than") != NULL,
           "%d nested objects are refused", d + 1);
    rs_json_free(v);
    free(objs);
}

int
main(void)
{
    tap_plan_lazy();
    test_tree();
    test_unicode();
    test_numbers();
    test_malformed();
    test_depth();
    return tap_done();
}
