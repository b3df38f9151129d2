/* repscope - MIT licence, see COPYING.
 *
 * host_match.c: string.find, match, gmatch and gsub for every state, on a
 * matcher of our own for Lua's patterns (reference manual, section
 * 6.4.1) that pays for its work. Lua's own runs in one C call, out of the
 * count hook's reach, and a few quantifiers make it polynomial with a
 * large exponent: string.find(("a"):rep(200), ".-.-.-.-b") takes 22 s, a
 * 2000-byte subject hours, and --safe could neither cap nor cancel it.
 * This one counts a step for each character class it tests (a set: a step
 * per byte of it, read through each time) and each byte it compares, and
 * every STEP_CHUNK steps charges them to the instruction
 * cap as instructions and looks at the cancel flag (rs_lua_charge), so
 * the same limits that stop a Lua loop stop a pattern.
 *
 * Results are Lua's, errors too: tests/t_lua_match.c runs both on random
 * patterns and subjects and compares every value. Plain finds go through
 * memmem, linear in the subject (Lua's is quadratic for a needle such as
 * ("a"):rep(n) .. "b").
 *
 * The matcher walks the pattern with recursion only where Lua's does
 * (captures, and the rest of the pattern after a quantifier), to the same
 * depth limit, so a pattern "too complex" for one is for the other.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "lua/bind.h"

#define MAX_CAPTURES 32 /* LUA_MAXCAPTURES */
#define MAX_DEPTH 200   /* nested matches: Lua's MAXCCALLS */
#define STEP_CHUNK 4096 /* steps between two charges */
#define CAP_OPEN (-1)   /* capture begun, not yet closed */
#define CAP_POS (-2)    /* position capture "()" */
#define SPECIALS "^$*+?.([%-"

struct match {
    lua_State *L;
    const char *src, *src_end; /* subject */
    const char *pat_end;
    unsigned long long steps; /* since the last charge */
    int depth;                /* nested matches left */
    int ncap;
    struct {
        const char *at;
        ptrdiff_t len; /* or CAP_OPEN, CAP_POS */
    } cap[MAX_CAPTURES];
};

static void
pay(struct match *m)
{
    if (m->steps == 0)
        return;
    unsigned long long n = m->steps;
    m->steps = 0;
    rs_lua_charge(m->L, n);
}

static inline void
step(struct match *m, size_t n)
{
    m->steps += n;
    if (m->steps >= STEP_CHUNK)
        pay(m);
}

static void
match_init(struct match *m, lua_State *L, const char *s, size_t ls,
           const char *p, size_t lp)
{
    m->L = L;
    m->src = s;
    m->src_end = s + ls;
    m->pat_end = p + lp;
    m->steps = 0;
}

/* Before each attempt at a new subject position. */
static void
match_reset(struct match *m)
{
    m->ncap = 0;
    m->depth = MAX_DEPTH;
}

/* %a, %d, ... (the letter in either case; upper case is the complement);
 * %z (deprecated, still Lua's) is the zero byte; any other character
 * after % stands for itself. A switch, not a table of ctype functions:
 * the macros inline, and this is the matcher's innermost test. */
static bool
class_has(int c, int cl)
{
    bool in;
    switch (cl | 0x20) { /* lower case, for letters only */
    case 'a':
        in = isalpha(c);
        break;
    case 'c':
        in = iscntrl(c);
        break;
    case 'd':
        in = isdigit(c);
        break;
    case 'g':
        in = isgraph(c);
        break;
    case 'l':
        in = islower(c);
        break;
    case 'p':
        in = ispunct(c);
        break;
    case 's':
        in = isspace(c);
        break;
    case 'u':
        in = isupper(c);
        break;
    case 'w':
        in = isalnum(c);
        break;
    case 'x':
        in = isxdigit(c);
        break;
    case 'z':
        in = c == 0;
        break;
    default:
        return cl == c;
    }
    return cl < 'a' ? !in : in; /* 'A'-'Z' */
}

/* [set]: p at '[', close at its ']'. A '-' makes a range only between two
 * plain characters with the second before the ']'. */
static bool
set_has(int c, const char *p, const char *close)
{
    bool want = true;
    p++;
    if (*p == '^') {
        want = false;
        p++;
    }
    while (p < close) {
        if (*p == '%') {
            if (class_has(c, (unsigned char)p[1]))
                return want;
            p += 2;
        } else if (p[1] == '-' && p + 2 < close) {
            if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2])
                return want;
            p += 3;
        } else {
            if ((unsigned char)*p == c)
                return want;
            p++;
        }
    }
    return !want;
}

/* The end of the single-character class at p: after "%x", after the ']'
 * of a set (a ']' right after "[" or "[^" is a member), or after p. */
static const char *
class_end(struct match *m, const char *p)
{
    char c = *p++;
    if (c == '%') {
        if (p >= m->pat_end)
            luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c != '[')
        return p;
    if (p < m->pat_end && *p == '^')
        p++;
    for (;;) {
        if (p >= m->pat_end)
            luaL_error(m->L, "malformed pattern (missing ']')");
        char d = *p++;
        if (d == '%' && p < m->pat_end)
            p++;
        if (p < m->pat_end && *p == ']')
            return p + 1;
    }
}

/* Does the character at s (s < src_end) belong to the class p..ep? */
static bool
single(struct match *m, const char *s, const char *p, const char *ep)
{
    step(m, *p == '[' ? (size_t)(ep - p) : 1); /* a set is read through */
    int c = (unsigned char)*s;
    switch (*p) {
    case '.':
        return true;
    case '%':
        return class_has(c, (unsigned char)p[1]);
    case '[':
        return set_has(c, p, ep - 1);
    default:
        return (unsigned char)*p == c;
    }
}

static const char *do_match(struct match *m, const char *s, const char *p);

/* x* and x+ (s past the one x+ must have): the longest run first. */
static const char *
greedy(struct match *m, const char *s, const char *p, const char *ep)
{
    ptrdiff_t n = 0;
    while (s + n < m->src_end && single(m, s + n, p, ep))
        n++;
    for (; n >= 0; n--) {
        const char *r = do_match(m, s + n, ep + 1);
        if (r != NULL)
            return r;
    }
    return NULL;
}

/* x-: the shortest run first. */
static const char *
lazy(struct match *m, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *r = do_match(m, s, ep + 1);
        if (r != NULL)
            return r;
        if (s < m->src_end && single(m, s, p, ep))
            s++;
        else
            return NULL;
    }
}

static const char *
open_capture(struct match *m, const char *s, const char *p, ptrdiff_t what)
{
    if (m->ncap >= MAX_CAPTURES)
        luaL_error(m->L, "too many captures");
    m->cap[m->ncap].at = s;
    m->cap[m->ncap].len = what;
    m->ncap++;
    const char *r = do_match(m, s, p);
    if (r == NULL)
        m->ncap--;
    return r;
}

static const char *
close_capture(struct match *m, const char *s, const char *p)
{
    int l = m->ncap - 1;
    while (l >= 0 && m->cap[l].len != CAP_OPEN)
        l--;
    if (l < 0)
        luaL_error(m->L, "invalid pattern capture");
    m->cap[l].len = s - m->cap[l].at;
    const char *r = do_match(m, s, p);
    if (r == NULL)
        m->cap[l].len = CAP_OPEN;
    return r;
}

/* %bxy at p ('%'): from an x at s to its balancing y. */
static const char *
balanced(struct match *m, const char *s, const char *p)
{
    if (p + 3 >= m->pat_end)
        luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    char open = p[2], close = p[3];
    if (s >= m->src_end || *s != open)
        return NULL;
    const char *start = s;
    int depth = 1;
    while (++s < m->src_end) {
        if (*s == close) {
            if (--depth == 0) {
                step(m, (size_t)(s - start));
                return s + 1;
            }
        } else if (*s == open) {
            depth++;
        }
    }
    step(m, (size_t)(s - start));
    return NULL;
}

/* %1-%9: the text of a closed capture again. */
static const char *
back_reference(struct match *m, const char *s, int digit)
{
    int l = digit - '1';
    if (l < 0 || l >= m->ncap || m->cap[l].len == CAP_OPEN)
        luaL_error(m->L, "invalid capture index %%%d", l + 1);
    ptrdiff_t len = m->cap[l].len;
    if (len == CAP_POS) /* a position never matches text */
        return NULL;
    step(m, (size_t)len);
    if (m->src_end - s >= len && memcmp(m->cap[l].at, s, (size_t)len) == 0)
        return s + len;
    return NULL;
}

/* Match the pattern from p against the subject from s; the end of the
 * match or NULL. Single items loop, quantifiers and captures recurse. */
static const char *
do_match(struct match *m, const char *s, const char *p)
{
    if (m->depth-- == 0)
        luaL_error(m->L, "pattern too complex");
    for (;;) {
        if (p == m->pat_end)
            break;
        if (*p == '(') {
            if (p + 1 < m->pat_end && p[1] == ')')
                s = open_capture(m, s, p + 2, CAP_POS);
            else
                s = open_capture(m, s, p + 1, CAP_OPEN);
            break;
        }
        if (*p == ')') {
            s = close_capture(m, s, p + 1);
            break;
        }
        if (*p == '$' && p + 1 == m->pat_end) {
            s = s == m->src_end ? s : NULL;
            break;
        }
        if (*p == '%' && p + 1 < m->pat_end) {
            char e = p[1];
            if (e == 'b') {
                s = balanced(m, s, p);
                if (s == NULL)
                    break;
                p += 4;
                continue;
            }
            if (e == 'f') {
                p += 2;
                if (p >= m->pat_end || *p != '[')
                    luaL_error(m->L, "missing '[' after '%%f' in pattern");
                const char *ep = class_end(m, p);
                int before = s == m->src ? 0 : (unsigned char)s[-1];
                int at = s < m->src_end ? (unsigned char)*s : 0;
                step(m, 3 * (size_t)(ep - p)); /* its end, then twice in */
                if (set_has(before, p, ep - 1) || !set_has(at, p, ep - 1)) {
                    s = NULL;
                    break;
                }
                p = ep;
                continue;
            }
            if (isdigit((unsigned char)e)) {
                s = back_reference(m, s, e);
                if (s == NULL)
                    break;
                p += 2;
                continue;
            }
        }
        /* a single-character class, maybe with a quantifier */
        const char *ep = class_end(m, p);
        if (*p == '[')
            step(m, (size_t)(ep - p)); /* finding its end */
        char q = ep < m->pat_end ? *ep : '\0';
        if (!(s < m->src_end && single(m, s, p, ep))) {
            if (q == '*' || q == '?' || q == '-') {
                p = ep + 1;
                continue;
            }
            s = NULL;
            break;
        }
        if (q == '?') {
            const char *r = do_match(m, s + 1, ep + 1);
            if (r != NULL) {
                s = r;
                break;
            }
            p = ep + 1;
            continue;
        }
        if (q == '+') {
            s = greedy(m, s + 1, p, ep);
            break;
        }
        if (q == '*') {
            s = greedy(m, s, p, ep);
            break;
        }
        if (q == '-') {
            s = lazy(m, s, p, ep);
            break;
        }
        s++;
        p = ep;
    }
    m->depth++;
    return s;
}

/* Capture i of the match s..e; with no captures, capture 0 is the whole
 * match (s NULL: there is none to give). */
static void
push_capture(struct match *m, int i, const char *s, const char *e)
{
    if (i >= m->ncap) {
        if (i != 0)
            luaL_error(m->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(m->L, s, (size_t)(e - s));
        return;
    }
    ptrdiff_t len = m->cap[i].len;
    if (len == CAP_OPEN)
        luaL_error(m->L, "unfinished capture");
    if (len == CAP_POS)
        lua_pushinteger(m->L, (m->cap[i].at - m->src) + 1);
    else
        lua_pushlstring(m->L, m->cap[i].at, (size_t)len);
}

/* Push every capture (or the whole match s..e if there are none and s is
 * not NULL); how many. */
static int
push_captures(struct match *m, const char *s, const char *e)
{
    int n = m->ncap == 0 && s != NULL ? 1 : m->ncap;
    luaL_checkstack(m->L, n, "too many captures");
    for (int i = 0; i < n; i++)
        push_capture(m, i, s, e);
    return n;
}

/* A 1-based start position, negative from the end, as string.find takes
 * it: clamped to 1 below. */
static size_t
start_pos(lua_Integer pos, size_t len)
{
    if (pos > 0)
        return (size_t)pos;
    if (pos == 0 || pos < -(lua_Integer)len)
        return 1;
    return len + (size_t)pos + 1;
}

static bool
has_specials(const char *p, size_t lp)
{
    for (size_t i = 0; i < lp; i++)
        if (p[i] != '\0' && strchr(SPECIALS, p[i]) != NULL)
            return true;
    return false;
}

static int
find_or_match(lua_State *L, bool find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_pos(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
        /* linear, but in a loop of a few instructions a 100 MB subject
         * would be cheap at the hook's count: pay by the byte */
        rs_lua_charge(L, (ls - init) + lp);
        const char *at = memmem(s + init, ls - init, p, lp);
        if (at == NULL) {
            luaL_pushfail(L);
            return 1;
        }
        lua_pushinteger(L, (at - s) + 1);
        lua_pushinteger(L, (lua_Integer)((at - s) + lp));
        return 2;
    }
    bool anchor = lp > 0 && *p == '^';
    if (anchor) {
        p++;
        lp--;
    }
    struct match m;
    match_init(&m, L, s, ls, p, lp);
    for (const char *from = s + init;; from++) {
        match_reset(&m);
        step(&m, 1); /* a position tried, even by a pattern of no class */
        const char *e = do_match(&m, from, p);
        if (e != NULL) {
            pay(&m);
            if (!find)
                return push_captures(&m, from, e);
            lua_pushinteger(L, (from - s) + 1);
            lua_pushinteger(L, e - s);
            return push_captures(&m, NULL, NULL) + 2;
        }
        if (anchor || from == m.src_end) /* the empty end tried too */
            break;
    }
    pay(&m);
    luaL_pushfail(L);
    return 1;
}

static int
l_find(lua_State *L)
{
    return find_or_match(L, true);
}

static int
l_match(lua_State *L)
{
    return find_or_match(L, false);
}

/* gmatch's iterator. Upvalues: the subject, the pattern, and where the
 * next search starts and the last match ended (byte offsets, -1: none).
 * No '^' anchor here: it would end the iteration, so it is a plain
 * character (as in Lua). */
static int
gmatch_next(lua_State *L)
{
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
    lua_Integer from = lua_tointeger(L, lua_upvalueindex(3));
    lua_Integer last = lua_tointeger(L, lua_upvalueindex(4));
    if (from > (lua_Integer)ls) /* past the end: ended (no pointer there) */
        return 0;
    struct match m;
    match_init(&m, L, s, ls, p, lp);
    for (const char *src = s + from;; src++) {
        match_reset(&m);
        step(&m, 1);
        const char *e = do_match(&m, src, p);
        if (e != NULL && (last < 0 || e != s + last)) {
            pay(&m);
            lua_pushinteger(L, e - s);
            lua_copy(L, -1, lua_upvalueindex(3));
            lua_replace(L, lua_upvalueindex(4));
            return push_captures(&m, src, e);
        }
        if (src == m.src_end)
            break;
    }
    pay(&m);
    lua_pushinteger(L, (lua_Integer)ls + 1);
    lua_replace(L, lua_upvalueindex(3)); /* ended: stays ended */
    return 0;
}

static int
l_gmatch(lua_State *L)
{
    size_t ls;
    luaL_checklstring(L, 1, &ls);
    luaL_checkstring(L, 2);
    size_t init = start_pos(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls)
        init = ls + 1;
    lua_settop(L, 2);
    lua_pushinteger(L, (lua_Integer)init);
    lua_pushinteger(L, -1);
    lua_pushcclosure(L, gmatch_next, 4);
    return 1;
}

/* A replacement string: %0-%9 are captures, %% a percent sign. */
static void
add_template(struct match *m, luaL_Buffer *b, const char *s, const char *e,
             const char *t, size_t lt)
{
    step(m, lt + (size_t)(e - s));
    const char *end = t + lt;
    while (t < end) {
        const char *pct = memchr(t, '%', (size_t)(end - t));
        if (pct == NULL) {
            luaL_addlstring(b, t, (size_t)(end - t));
            return;
        }
        luaL_addlstring(b, t, (size_t)(pct - t));
        t = pct + 1;
        char c = t < end ? *t : '\0';
        if (c == '%') {
            luaL_addchar(b, '%');
        } else if (isdigit((unsigned char)c)) {
            if (c == '0') {
                luaL_addlstring(b, s, (size_t)(e - s));
            } else {
                push_capture(m, c - '1', s, e);
                luaL_tolstring(m->L, -1, NULL);
                lua_remove(m->L, -2);
                luaL_addvalue(b);
            }
        } else {
            luaL_error(m->L, "invalid use of '%%' in replacement string");
        }
        t++;
    }
}

/* Append what replaces the match s..e: the template, or the value the
 * table or function gives (false or nil keeps the match). */
static void
add_replacement(struct match *m, luaL_Buffer *b, const char *s, const char *e,
                int type)
{
    lua_State *L = m->L;
    if (type == LUA_TSTRING || type == LUA_TNUMBER) {
        size_t lt;
        const char *t = lua_tolstring(L, 3, &lt);
        add_template(m, b, s, e, t, lt);
        return;
    }
    if (type == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = push_captures(m, s, e);
        lua_call(L, n, 1);
    } else {
        push_capture(m, 0, s, e);
        lua_gettable(L, 3);
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
    } else if (!lua_isstring(L, -1)) {
        luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    } else {
        luaL_addvalue(b);
    }
}

static int
l_gsub(lua_State *L)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    int type = lua_type(L, 3);
    lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    luaL_argexpected(L,
                     type == LUA_TNUMBER || type == LUA_TSTRING ||
                         type == LUA_TFUNCTION || type == LUA_TTABLE,
                     3, "string/function/table");
    bool anchor = lp > 0 && *p == '^';
    if (anchor) {
        p++;
        lp--;
    }
    struct match m;
    match_init(&m, L, s, ls, p, lp);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    const char *src = s, *last = NULL;
    lua_Integer n = 0;
    while (n < max) {
        match_reset(&m);
        step(&m, 1);
        const char *e = do_match(&m, src, p);
        if (e != NULL && e != last) {
            n++;
            add_replacement(&m, &b, src, e, type);
            src = last = e;
        } else if (src < m.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor)
            break;
    }
    luaL_addlstring(&b, src, (size_t)(m.src_end - src));
    pay(&m);
    luaL_pushresult(&b);
    lua_pushinteger(L, n);
    return 2;
}

void
rs_lua_install_match(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"find", l_find}, {"match", l_match}, {"gmatch", l_gmatch},
        {"gsub", l_gsub}, {NULL, NULL},
    };
    lua_getglobal(L, "string");
    luaL_setfuncs(L, fns, 0);
    lua_pop(L, 1);
}
