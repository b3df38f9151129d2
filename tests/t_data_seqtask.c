/* repscope - MIT licence, see COPYING.
 *
 * t_data_seqtask.c: the synthetic sequence tasks. Every row is parsed back
 * independently of the generator: content tokens, separators and the
 * query are located by scanning, the layout is checked against a closed
 * form (T = C + ceil(C / k) with separators, C + 1 without), and the
 * label is recomputed from the content (first digit, last digit, number
 * of ones, length). Also: determinism, batch = rows drawn one by one,
 * symbol range, count's ones frequency, bad configs and lengths, token
 * texts, and the Lua binding (rs.data.seqtask, tokens, text).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "core/rng.h"
#include "data/seqtask.h"
#include "lua/bind.h"
#include "lua/host.h"
#include "tests/tap.h"

static const int kinds[] = {RS_SEQTASK_COPY_FIRST, RS_SEQTASK_COPY_LAST,
                            RS_SEQTASK_COUNT, RS_SEQTASK_COUNT_ONES,
                            RS_SEQTASK_SUM};

/* Check one row of T tokens generated with cfg and len against its target.
 * Returns NULL if it is well formed, else what is wrong. */
static const char *
check_row(const struct rs_seqtask_config *cfg, int len, const int *row, int T,
          int target)
{
    static char why[128];
    int k = cfg->sep_every;
    if (T < 2 || row[T - 1] != RS_SEQ_QUERY)
        return "the last token is not the query";
    int content[2 * RS_SEQTASK_MAX_LEN];
    int c = 0, run = 0;
    for (int t = 0; t < T - 1; t++) {
        int id = row[t];
        if (id == RS_SEQ_QUERY)
            return "a query before the end";
        if (id == RS_SEQ_SEP) {
            if (k == 0)
                return "a separator with sep_every 0";
            if (run != k) {
                snprintf(why, sizeof why, "separator at %d after %d tokens", t,
                         run);
                return why;
            }
            run = 0;
            continue;
        }
        if (id < 0 || id > RS_SEQ_PLUS)
            return "a token outside the vocabulary";
        content[c++] = id;
        run++;
        if (k > 0 && run > k)
            return "a missing separator";
    }
    if (run == 0)
        return "a separator right before the query";
    int want_c = cfg->kind == RS_SEQTASK_SUM ? 2 * len - 1 : len;
    if (c != want_c) {
        snprintf(why, sizeof why, "%d content tokens, want %d", c, want_c);
        return why;
    }
    int want_T = k > 0 ? c + (c + k - 1) / k : c + 1;
    if (T != want_T)
        return "T differs from C + ceil(C / k)";
    int ones = 0, want = -1;
    for (int i = 0; i < c; i++) {
        int d = content[i];
        switch (cfg->kind) {
        case RS_SEQTASK_COPY_FIRST:
        case RS_SEQTASK_COPY_LAST:
            if (d < 0 || d >= cfg->symbols)
                return "a digit outside 0..symbols-1";
            break;
        case RS_SEQTASK_COUNT:
            if (d != 0 && d != 1)
                return "count: a digit other than 0/1";
            break;
        case RS_SEQTASK_COUNT_ONES:
            if (d != 1)
                return "count_ones: a digit other than 1";
            break;
        default:
            if (d != (i % 2 == 0 ? 1 : RS_SEQ_PLUS))
                return "sum: not 1 + 1 + ... + 1";
            break;
        }
        ones += d == 1;
    }
    switch (cfg->kind) {
    case RS_SEQTASK_COPY_FIRST:
        want = content[0];
        break;
    case RS_SEQTASK_COPY_LAST:
        want = content[c - 1];
        break;
    default:
        want = ones; /* count: #ones; count_ones and sum: len ones */
        if (cfg->kind != RS_SEQTASK_COUNT && ones != len)
            return "the number of ones is not len";
        break;
    }
    if (target != want) {
        snprintf(why, sizeof why, "target %d, recomputed %d", target, want);
        return why;
    }
    return NULL;
}

static void
test_layout_and_labels(void)
{
    static const int seps[] = {0, 1, 2, 3, 5};
    struct rs_rng rng;
    rs_rng_seed(&rng, 11);
    enum { B = 7 };
    for (size_t ki = 0; ki < RS_ARRAY_LEN(kinds); ki++) {
        int bad = 0, rows = 0;
        const char *why = NULL;
        for (size_t si = 0; si < RS_ARRAY_LEN(seps); si++) {
            struct rs_seqtask_config c;
            rs_seqtask_config_default(&c);
            c.kind = (enum rs_seqtask_kind)kinds[ki];
            c.max_len = 12;
            c.symbols = 7;
            c.p_one = 0.5f;
            c.sep_every = seps[si];
            for (int len = 1; len <= 24; len++) { /* beyond max_len too */
                int T = rs_seqtask_seq_len(&c, len);
                int *ids = calloc((size_t)B * (size_t)T, sizeof *ids);
                int y[B];
                struct rs_error err = {0};
                if (rs_seqtask_sample(&c, &rng, B, len, ids, y, &err) !=
                    RS_OK) {
                    bad++;
                    why = err.msg;
                }
                for (int b = 0; b < B && why == NULL; b++) {
                    const char *w =
                        check_row(&c, len, ids + (size_t)b * T, T, y[b]);
                    rows++;
                    if (w != NULL) {
                        bad++;
                        why = w;
                        tap_diag("%s sep %d len %d row %d: %s",
                                 rs_seqtask_kind_name(c.kind), c.sep_every, len,
                                 b, w);
                    }
                }
                free(ids);
            }
        }
        tap_ok(bad == 0 && rows > 0,
               "%s: %d rows parse back (layout, separators, query, label)%s%s",
               rs_seqtask_kind_name((enum rs_seqtask_kind)kinds[ki]), rows,
               why ? ": " : "", why ? why : "");
    }
}

/* Hand-counted layouts. */
static void
test_seq_len(void)
{
    struct rs_seqtask_config c;
    rs_seqtask_config_default(&c);
    tap_is_int(rs_seqtask_seq_len(&c, 4), 5, "copy len 4: 4 digits + query");
    c.sep_every = 2;
    tap_is_int(rs_seqtask_seq_len(&c, 4), 6, "sep 2 len 4: ab,cd?");
    tap_is_int(rs_seqtask_seq_len(&c, 5), 8, "sep 2 len 5: ab,cd,e?");
    c.kind = RS_SEQTASK_SUM;
    tap_is_int(rs_seqtask_seq_len(&c, 3), 8, "sum sep 2 len 3: 1+,1+,1?");
    c.sep_every = 0;
    tap_is_int(rs_seqtask_seq_len(&c, 3), 6, "sum len 3: 1+1+1?");
    tap_is_int(rs_seqtask_seq_len(&c, 0), 0, "seq_len of len 0 is 0");
    tap_is_int(rs_seqtask_seq_len(&c, RS_SEQTASK_MAX_LEN + 1), 0,
               "seq_len beyond the maximum is 0");

    struct rs_rng rng;
    rs_rng_seed(&rng, 3);
    int ids[8], y = -1;
    struct rs_error err = {0};
    c.sep_every = 2;
    int rc = rs_seqtask_sample(&c, &rng, 1, 3, ids, &y, &err);
    const int want[8] = {1,           RS_SEQ_PLUS, RS_SEQ_SEP, 1,
                         RS_SEQ_PLUS, RS_SEQ_SEP,  1,          RS_SEQ_QUERY};
    tap_ok(rc == RS_OK && memcmp(ids, want, sizeof want) == 0 && y == 3,
           "sum sep 2 len 3 is exactly 1+,1+,1? with answer 3");
}

static void
test_classes_and_names(void)
{
    struct rs_seqtask_config c;
    rs_seqtask_config_default(&c);
    c.max_len = 20;
    tap_is_int(rs_seqtask_classes(&c), 10, "copy: 10 classes");
    c.kind = RS_SEQTASK_COUNT;
    tap_is_int(rs_seqtask_classes(&c), 21, "count: max_len + 1 classes");
    for (size_t ki = 0; ki < RS_ARRAY_LEN(kinds); ki++) {
        const char *n = rs_seqtask_kind_name((enum rs_seqtask_kind)kinds[ki]);
        tap_is_int(rs_seqtask_kind_parse(n), kinds[ki], "parse(name(%s))", n);
    }
    tap_is_int(rs_seqtask_kind_parse("copy"), -1, "unknown kind parses to -1");
    tap_is_str(rs_seqtask_kind_name((enum rs_seqtask_kind)99), "?",
               "name of a bad kind");
    char all[64] = "";
    for (int id = 0; id < RS_SEQ_VOCAB; id++)
        strcat(all, rs_seqtask_token_text(id));
    tap_is_str(all, "0123456789+,?", "token texts");
    tap_is_str(rs_seqtask_token_text(RS_SEQ_VOCAB), "", "text of a bad id");
    tap_is_str(rs_seqtask_token_text(-1), "", "text of a negative id");
}

static void
test_determinism(void)
{
    struct rs_seqtask_config c;
    rs_seqtask_config_default(&c);
    c.sep_every = 3;
    enum { B = 6, LEN = 16 };
    int T = rs_seqtask_seq_len(&c, LEN);
    int *a = calloc((size_t)B * T, sizeof *a),
        *b = calloc((size_t)B * T, sizeof *b);
    int ya[B], yb[B];
    struct rs_rng r1, r2;
    struct rs_error err = {0};
    rs_rng_seed(&r1, 42);
    rs_rng_seed(&r2, 42);
    int rc = rs_seqtask_sample(&c, &r1, B, LEN, a, ya, &err);
    rc |= rs_seqtask_sample(&c, &r2, B, LEN, b, yb, &err);
    tap_ok(rc == RS_OK && memcmp(a, b, (size_t)B * T * sizeof *a) == 0 &&
               memcmp(ya, yb, sizeof ya) == 0,
           "same seed, same batch");
    /* Row by row from one stream gives the same rows as one batch. */
    rs_rng_seed(&r2, 42);
    int same = 1;
    for (int i = 0; i < B; i++) {
        int y1;
        rc |= rs_seqtask_sample(&c, &r2, 1, LEN, b + (size_t)i * T, &y1, &err);
        same &= y1 == ya[i];
    }
    tap_ok(rc == RS_OK && same && memcmp(a, b, (size_t)B * T * sizeof *a) == 0,
           "a batch of B equals B batches of one");
    rs_rng_seed(&r2, 43);
    rc |= rs_seqtask_sample(&c, &r2, B, LEN, b, yb, &err);
    tap_ok(rc == RS_OK && memcmp(a, b, (size_t)B * T * sizeof *a) != 0,
           "another seed, another batch");
    free(a);
    free(b);
}

static void
test_symbols(void)
{
    struct rs_seqtask_config c;
    rs_seqtask_config_default(&c);
    c.symbols = 3;
    c.kind = RS_SEQTASK_COPY_LAST;
    enum { B = 200, LEN = 10 };
    int T = rs_seqtask_seq_len(&c, LEN);
    int *ids = calloc((size_t)B * T, sizeof *ids), y[B];
    struct rs_rng r;
    rs_rng_seed(&r, 5);
    struct rs_error err = {0};
    int rc = rs_seqtask_sample(&c, &r, B, LEN, ids, y, &err);
    int seen[RS_SEQ_VOCAB] = {0};
    for (int i = 0; i < B * T; i++)
        seen[ids[i]]++;
    tap_ok(rc == RS_OK && seen[0] > 0 && seen[1] > 0 && seen[2] > 0,
           "symbols 3: digits 0, 1, 2 all drawn");
    int outside = 0;
    for (int d = 3; d <= 9; d++)
        outside += seen[d];
    tap_is_int(outside, 0, "symbols 3: no digit above 2");
    free(ids);
}

/* The number of ones in B * LEN Bernoulli(p) digits is within 5 sigma. */
static void
test_count_frequency(void)
{
    static const float ps[] = {0.0f, 0.3f, 0.7f, 1.0f};
    enum { B = 500, LEN = 40 };
    for (size_t i = 0; i < RS_ARRAY_LEN(ps); i++) {
        struct rs_seqtask_config c;
        rs_seqtask_config_default(&c);
        c.kind = RS_SEQTASK_COUNT;
        c.max_len = LEN;
        c.p_one = ps[i];
        int T = rs_seqtask_seq_len(&c, LEN);
        int *ids = calloc((size_t)B * T, sizeof *ids), y[B];
        struct rs_rng r;
        rs_rng_seed(&r, 17 + i);
        struct rs_error err = {0};
        int rc = rs_seqtask_sample(&c, &r, B, LEN, ids, y, &err);
        long ones = 0, sum_y = 0;
        for (int j = 0; j < B * T; j++)
            ones += ids[j] == 1;
        for (int b = 0; b < B; b++)
            sum_y += y[b];
        double n = (double)B * LEN, p = (double)ps[i];
        double sigma = sqrt(p * (1.0 - p) / n);
        tap_ok(rc == RS_OK && sum_y == ones,
               "p_one %.1f: targets add up to the ones drawn", p);
        tap_is_float((double)ones / n, p, 5.0 * sigma + 1e-12, 0.0,
                     "p_one %.1f: frequency of ones %.4f", p, (double)ones / n);
        free(ids);
    }
}

static void
expect_bad(const struct rs_seqtask_config *c, const char *what)
{
    struct rs_error err = {0};
    int rc = rs_seqtask_config_check(c, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, what) != NULL,
           "rejected, names '%s': %s", what, err.msg);
}

static void
test_bad(void)
{
    struct rs_seqtask_config d, c;
    rs_seqtask_config_default(&d);
    struct rs_error err = {0};
    tap_is_int(rs_seqtask_config_check(&d, &err), RS_OK, "defaults are valid");
    c = d, c.min_len = 0, expect_bad(&c, "min_len = 0");
    c = d, c.max_len = 0, expect_bad(&c, "max_len = 0");
    c = d, c.min_len = 5, c.max_len = 4, expect_bad(&c, "max_len = 4");
    c = d, c.max_len = 5000, expect_bad(&c, "max_len = 5000");
    c = d, c.symbols = 0, expect_bad(&c, "symbols = 0");
    c = d, c.symbols = 11, expect_bad(&c, "symbols = 11");
    c = d, c.p_one = -0.1f, expect_bad(&c, "p_one = -0.1");
    c = d, c.p_one = 1.5f, expect_bad(&c, "p_one = 1.5");
    c = d, c.p_one = NAN, expect_bad(&c, "p_one = nan");
    c = d, c.sep_every = -1, expect_bad(&c, "sep_every = -1");
    c = d, c.kind = (enum rs_seqtask_kind)7, expect_bad(&c, "kind = 7");

    struct rs_rng r;
    rs_rng_seed(&r, 1);
    int ids[8] = {0}, y = 0;
    static const int lens[] = {0, -3, RS_SEQTASK_MAX_LEN + 1};
    for (size_t i = 0; i < RS_ARRAY_LEN(lens); i++) {
        char want[32];
        snprintf(want, sizeof want, "len = %d", lens[i]);
        int rc = rs_seqtask_sample(&d, &r, 1, lens[i], ids, &y, &err);
        tap_ok(rc == RS_EINVAL && strstr(err.msg, want) != NULL,
               "sample rejects %s: %s", want, err.msg);
    }
    int rc = rs_seqtask_sample(&d, &r, 0, 3, ids, &y, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "B = 0") != NULL,
           "sample rejects B = 0: %s", err.msg);
    c = d, c.symbols = 0;
    rc = rs_seqtask_sample(&c, &r, 1, 3, ids, &y, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "symbols = 0") != NULL,
           "sample checks the config: %s", err.msg);
    /* The longest sample works (and is long). */
    c = d, c.kind = RS_SEQTASK_SUM, c.sep_every = 1;
    int T = rs_seqtask_seq_len(&c, RS_SEQTASK_MAX_LEN);
    int *big = calloc((size_t)T, sizeof *big);
    rc = rs_seqtask_sample(&c, &r, 1, RS_SEQTASK_MAX_LEN, big, &y, &err);
    tap_ok(rc == RS_OK && y == RS_SEQTASK_MAX_LEN &&
               check_row(&c, RS_SEQTASK_MAX_LEN, big, T, y) == NULL,
           "sum of %d ones with a separator after every token (T = %d)",
           RS_SEQTASK_MAX_LEN, T);
    free(big);
}

/* ---- the Lua binding --------------------------------------------------- */

/* Run code (which returns one value) and return it as a string (static
 * buffer); "ERROR: msg" if it raised. */
static const char *
lua_run(lua_State *L, const char *code)
{
    /* room for "ERROR: " and a whole error message */
    static char out[sizeof((struct rs_error *)0)->msg + 16];
    struct rs_error err = {0};
    if (luaL_loadstring(L, code) != LUA_OK) {
        snprintf(out, sizeof out, "SYNTAX: %s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return out;
    }
    if (rs_lua_call(L, 0, 1, &err) != RS_OK) {
        snprintf(out, sizeof out, "ERROR: %s", err.msg);
        return out;
    }
    snprintf(out, sizeof out, "%s", luaL_tolstring(L, -1, NULL));
    lua_pop(L, 2);
    return out;
}

static void
lua_has(lua_State *L, const char *code, const char *want, const char *name)
{
    const char *got = lua_run(L, code);
    tap_ok(strstr(got, want) != NULL, "lua: %s (got: %s)", name, got);
}

static void
lua_is(lua_State *L, const char *code, const char *want, const char *name)
{
    tap_is_str(lua_run(L, code), want, "lua: %s", name);
}

static void
test_lua(void)
{
    struct rs_error err = {0};
    lua_State *L = rs_lua_new(NULL, &err);
    if (L == NULL) {
        tap_skip(1, "no Lua state: %s", err.msg);
        return;
    }
    lua_is(L,
           "rs = require 'repscope' return rs.data.token_text(rs.data.tokens"
           "('1111,1110?'))",
           "1111,1110?", "tokens/text round trip");
    lua_is(L,
           "local t = rs.data.tokens(' 1 2+ ,?') "
           "return #t .. ':' .. table.concat(t, ' ')",
           "5:1 2 10 11 12", "tokens skips spaces, ids of + , ?");
    lua_has(L, "return rs.data.tokens('12a3')",
            "'a' at position 3 is not a token", "tokens names the character");
    lua_has(L, "return rs.data.tokens('1\\0012')", "byte 0x01 at position 2",
            "tokens names a control byte");
    lua_has(L, "return rs.data.token_text({1, 13})",
            "entry 2 is not a token id in 0..12", "text names the bad entry");
    lua_has(L, "return rs.data.seqtask{max_len=0}", "max_len = 0",
            "seqtask names a bad max_len");
    lua_has(L, "return rs.data.seqtask{p_one=2}", "p_one = 2",
            "seqtask names a bad p_one");
    lua_has(L, "return rs.data.seqtask{task='nope'}", "'nope'",
            "seqtask names a bad task");
    lua_has(L, "return rs.data.seqtask{lenght=3}", "unknown field 'lenght'",
            "seqtask rejects unknown fields");
    lua_is(L,
           "task = rs.data.seqtask{task='count', max_len=8, sep_every=2,"
           " p_one=0.5} local c = task:config() "
           "return c.task .. c.max_len .. c.sep_every .. task:classes()",
           "count829", "config and classes");
    /* ids end in the query, have seq_len tokens, and the target is the
     * number of ones counted in Lua. */
    lua_is(L,
           "local ids, y = task:sample(7, 99) local ones = 0 "
           "for _, v in ipairs(ids) do if v == 1 then ones = ones + 1 end "
           "end return tostring(#ids == task:seq_len(7) and ids[#ids] == 12"
           " and ones == y)",
           "true", "sample: length, query last, target = ones");
    lua_is(L,
           "local a = rs.data.token_text((task:sample(9, 5))) "
           "local b = rs.data.token_text((task:sample(9, 5))) "
           "return tostring(a == b)",
           "true", "sample with a seed is deterministic");
    lua_is(L,
           "task:set_sep(0) local s = rs.data.token_text((task:sample(5, 1))) "
           "return task:seq_len(5) .. ' ' .. #s .. ' ' .. "
           "tostring(s:find(',', 1, true))",
           "6 6 nil", "set_sep(0) drops separators");
    lua_has(L, "task:set_sep(-1)", "outside 0..4096",
            "set_sep rejects negatives");
    lua_has(L, "return task:sample(0)", "'len' (0 is outside 1..4096)",
            "sample rejects len 0");
    lua_has(L, "return task.sample(3, 4)", "seqtask expected, got number",
            "methods check self");

    /* The same draw from C, seed 99, sep 2, len 7: Lua's ids agree. */
    struct rs_seqtask_config c;
    rs_seqtask_config_default(&c);
    c.kind = RS_SEQTASK_COUNT;
    c.max_len = 8;
    c.sep_every = 2;
    c.p_one = 0.5f;
    struct rs_rng r;
    rs_rng_seed(&r, 99);
    int ids[16], y;
    char want[32] = "";
    if (rs_seqtask_sample(&c, &r, 1, 7, ids, &y, &err) == RS_OK)
        for (int t = 0; t < rs_seqtask_seq_len(&c, 7); t++)
            strcat(want, rs_seqtask_token_text(ids[t]));
    lua_is(L, "task:set_sep(2) return rs.data.token_text((task:sample(7, 99)))", want,
           "Lua's sample equals C's for the same seed");
    rs_lua_free(L);
}

int
main(void)
{
    tap_plan_lazy();
    test_layout_and_labels();
    test_seq_len();
    test_classes_and_names();
    test_determinism();
    test_symbols();
    test_count_frequency();
    test_bad();
    test_lua();
    return tap_done();
}
