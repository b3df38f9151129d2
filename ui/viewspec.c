/* repscope - MIT licence, see COPYING.
 *
 * viewspec.c: view specs from JSON or from bus names (viewspec.h). The
 * JSON reader builds a small tree (struct jv) by recursive descent, depth
 * bounded, strings unescaped to UTF-8; the specs are then read off the
 * tree. Pure; any thread.
 */
#include "config.h"

#include "ui/viewspec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base.h"

/* ---- a small JSON reader ------------------------------------------------ */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
    enum jtype type;
    double num; /* J_NUM, J_BOOL (0/1) */
    char *str;  /* J_STR */
    int n;      /* J_ARR, J_OBJ */
    struct jv *items;
    char **keys; /* J_OBJ */
};

struct jparse {
    const char *s, *p;
    int depth;
    struct rs_error *err;
    bool failed;
};

#define JSON_DEPTH_MAX 32

static void
jfail(struct jparse *j, const char *what)
{
    if (!j->failed)
        rs_error_set(j->err, RS_EFORMAT, "view specs: offset %ld: %s",
                     (long)(j->p - j->s), what);
    j->failed = true;
}

static void
jskip(struct jparse *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
        j->p++;
}

static void
jv_free(struct jv *v)
{
    if (v == NULL)
        return;
    free(v->str);
    for (int i = 0; i < v->n; i++) {
        jv_free(&v->items[i]);
        if (v->keys != NULL)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    memset(v, 0, sizeof *v);
}

static int
hex4(const char *p)
{
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

static void
put_utf8(char *out, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xc0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xe0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        out[(*n)++] = (char)(0xf0 | (cp >> 18));
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    }
}

/* A string literal at j->p (on the quote); a new string, or NULL. */
static char *
jstring(struct jparse *j)
{
    const char *p = j->p + 1;
    size_t cap = 16, n = 0;
    const char *q = p;
    while (*q != '\0' && *q != '"')
        q += *q == '\\' && q[1] != '\0' ? 2 : 1;
    cap += (size_t)(q - p);
    char *out = rs_xmalloc(cap);
    while (*p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c == '\0' || c < 0x20) {
            j->p = p;
            jfail(j, c == '\0' ? "unterminated string"
                               : "control character in a string");
            free(out);
            return NULL;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            p++;
            continue;
        }
        char e = p[1];
        p += 2;
        switch (e) {
        case '"':
            out[n++] = '"';
            break;
        case '\\':
            out[n++] = '\\';
            break;
        case '/':
            out[n++] = '/';
            break;
        case 'b':
            out[n++] = '\b';
            break;
        case 'f':
            out[n++] = '\f';
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'u': {
            int cp = hex4(p);
            if (cp < 0) {
                j->p = p;
                jfail(j, "bad \\u escape");
                free(out);
                return NULL;
            }
            p += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && p[0] == '\\' && p[1] == 'u') {
                int lo = hex4(p + 2);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    p += 6;
                }
            }
            if (cp >= 0xd800 && cp < 0xe000)
                cp = 0xfffd; /* a lone surrogate */
            put_utf8(out, &n, (unsigned)cp);
            break;
        }
        default:
            j->p = p - 1;
            jfail(j, "bad escape");
            free(out);
            return NULL;
        }
    }
    out[n] = '\0';
    j->p = p + 1;
    return out;
}

static bool jvalue(struct jparse *j, struct jv *v);

static bool
jcontainer(struct jparse *j, struct jv *v, bool obj)
{
    char close = obj ? '}' : ']';
    v->type = obj ? J_OBJ : J_ARR;
    j->p++;
    jskip(j);
    if (*j->p == close) {
        j->p++;
        return true;
    }
    int cap = 0;
    for (;;) {
        if (v->n == cap) {
            cap = cap ? cap * 2 : 8;
            v->items =
                rs_xreallocarray(v->items, (size_t)cap, sizeof *v->items);
            if (obj)
                v->keys =
                    rs_xreallocarray(v->keys, (size_t)cap, sizeof *v->keys);
        }
        struct jv *it = &v->items[v->n];
        memset(it, 0, sizeof *it);
        if (obj) {
            jskip(j);
            if (*j->p != '"') {
                jfail(j, "object key expected");
                return false;
            }
            char *k = jstring(j);
            if (k == NULL)
                return false;
            v->keys[v->n] = k;
            jskip(j);
            if (*j->p != ':') {
                v->n++;
                jfail(j, "':' expected");
                return false;
            }
            j->p++;
        }
        v->n++;
        if (!jvalue(j, it))
            return false;
        jskip(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == close) {
            j->p++;
            return true;
        }
        jfail(j, obj ? "',' or '}' expected" : "',' or ']' expected");
        return false;
    }
}

static bool
jvalue(struct jparse *j, struct jv *v)
{
    jskip(j);
    memset(v, 0, sizeof *v);
    const char *p = j->p;
    if (*p == '{' || *p == '[') {
        if (++j->depth > JSON_DEPTH_MAX) {
            jfail(j, "nested too deeply");
            return false;
        }
        bool ok = jcontainer(j, v, *p == '{');
        j->depth--;
        return ok;
    }
    if (*p == '"') {
        v->type = J_STR;
        v->str = jstring(j);
        return v->str != NULL;
    }
    if (strncmp(p, "true", 4) == 0 || strncmp(p, "false", 5) == 0) {
        v->type = J_BOOL;
        v->num = *p == 't';
        j->p += *p == 't' ? 4 : 5;
        return true;
    }
    if (strncmp(p, "null", 4) == 0) {
        v->type = J_NULL;
        j->p += 4;
        return true;
    }
    if (*p == '-' || (*p >= '0' && *p <= '9')) {
        /* JSON numbers: '.' whatever the locale, so parse by hand into
         * mantissa and exponent, then let pow10 scale. */
        const char *q = p;
        double sign = 1, m = 0;
        int exp = 0;
        if (*q == '-') {
            sign = -1;
            q++;
        }
        if (!(*q >= '0' && *q <= '9')) {
            jfail(j, "bad number");
            return false;
        }
        while (*q >= '0' && *q <= '9')
            m = m * 10 + (*q++ - '0');
        if (*q == '.') {
            q++;
            while (*q >= '0' && *q <= '9') {
                m = m * 10 + (*q++ - '0');
                exp--;
            }
        }
        if (*q == 'e' || *q == 'E') {
            q++;
            int es = 1, e = 0;
            if (*q == '+' || *q == '-')
                es = *q++ == '-' ? -1 : 1;
            while (*q >= '0' && *q <= '9' && e < 10000)
                e = e * 10 + (*q++ - '0');
            exp += es * e;
        }
        v->type = J_NUM;
        v->num = sign * m * pow(10.0, exp);
        j->p = q;
        return true;
    }
    jfail(j, *p == '\0' ? "unexpected end" : "value expected");
    return false;
}

static const struct jv *
jget(const struct jv *o, const char *key)
{
    if (o == NULL || o->type != J_OBJ)
        return NULL;
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0)
            return &o->items[i];
    return NULL;
}

static void
jcopy_str(const struct jv *o, const char *key, char *dst, size_t cap)
{
    const struct jv *v = jget(o, key);
    if (v != NULL && v->type == J_STR)
        snprintf(dst, cap, "%s", v->str);
}

static double
jnum(const struct jv *o, const char *key, double def)
{
    const struct jv *v = jget(o, key);
    return v != NULL && (v->type == J_NUM || v->type == J_BOOL) ? v->num : def;
}

/* ---- specs ------------------------------------------------------------- */

static bool
kind_of(const char *s, enum rs_viewspec_kind *k)
{
    static const struct {
        const char *name;
        enum rs_viewspec_kind kind;
    } kinds[] = {{"curves", RS_VIEWSPEC_CURVES},
                 {"spectrum", RS_VIEWSPEC_SPECTRUM},
                 {"rank_heatmap", RS_VIEWSPEC_RANK},
                 {"neurons", RS_VIEWSPEC_NEURONS},
                 {"heatmap", RS_VIEWSPEC_HEATMAP}};
    for (size_t i = 0; i < RS_ARRAY_LEN(kinds); i++)
        if (strcmp(s, kinds[i].name) == 0) {
            *k = kinds[i].kind;
            return true;
        }
    return false;
}

static void
spec_init(struct rs_viewspec *v, enum rs_viewspec_kind kind)
{
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->ymin = v->ymax = NAN;
    v->vmin = v->vmax = NAN;
    v->markers = true;
    snprintf(v->metric, sizeof v->metric, "srank");
}

static void
spec_from(struct rs_viewspec *v, const struct jv *o)
{
    jcopy_str(o, "title", v->title, sizeof v->title);
    jcopy_str(o, "matrix", v->matrix, sizeof v->matrix);
    jcopy_str(o, "layer", v->layer, sizeof v->layer);
    jcopy_str(o, "metric", v->metric, sizeof v->metric);
    jcopy_str(o, "rows", v->rows, sizeof v->rows);
    jcopy_str(o, "cols", v->cols, sizeof v->cols);
    const struct jv *s = jget(o, "series");
    for (int i = 0; s != NULL && s->type == J_ARR && i < s->n &&
                    v->nseries < RS_VIEWSPEC_SERIES_MAX;
         i++)
        if (s->items[i].type == J_STR)
            snprintf(v->series[v->nseries++], RS_BUS_NAME_MAX, "%s",
                     s->items[i].str);
    const struct jv *l = jget(o, "layers");
    for (int i = 0; l != NULL && l->type == J_ARR && i < l->n &&
                    v->nlayers < RS_VIEWSPEC_LAYERS_MAX;
         i++)
        if (l->items[i].type == J_STR)
            snprintf(v->layers[v->nlayers++], RS_VIEWSPEC_NAME_MAX, "%s",
                     l->items[i].str);
    char axis[16] = "";
    jcopy_str(o, "x", axis, sizeof axis);
    v->log_x = strcmp(axis, "log") == 0;
    jcopy_str(o, "xlabel", v->xlabel, sizeof v->xlabel);
    axis[0] = '\0';
    jcopy_str(o, "y", axis, sizeof axis);
    v->log_y = strcmp(axis, "log") == 0;
    if (v->kind == RS_VIEWSPEC_SPECTRUM)
        v->log_y = jnum(o, "log", 1) != 0;
    v->markers = jnum(o, "markers", 1) != 0;
    v->ymin = jnum(o, "ymin", NAN);
    v->ymax = jnum(o, "ymax", NAN);
    v->vmin = jnum(o, "vmin", NAN);
    v->vmax = jnum(o, "vmax", NAN);
}

struct rs_viewspec_set *
rs_viewspec_parse(const char *json, struct rs_error *err)
{
    struct jparse j = {.s = json, .p = json, .err = err};
    struct jv root;
    struct rs_viewspec_set *set = NULL;
    if (!jvalue(&j, &root))
        goto out;
    jskip(&j);
    if (*j.p != '\0') {
        jfail(&j, "text after the object");
        goto out;
    }
    const struct jv *views = jget(&root, "views");
    if (root.type != J_OBJ || views == NULL || views->type != J_ARR) {
        j.p = json;
        jfail(&j, "an object with a \"views\" array expected");
        goto out;
    }
    set = rs_xcalloc(1, sizeof *set);
    jcopy_str(&root, "title", set->title, sizeof set->title);
    const struct jv *notes = jget(&root, "notes");
    set->notes =
        rs_xstrdup(notes != NULL && notes->type == J_STR ? notes->str : "");
    set->v = rs_xcalloc(views->n > 0 ? (size_t)views->n : 1, sizeof *set->v);
    for (int i = 0; i < views->n; i++) {
        const struct jv *o = &views->items[i];
        const struct jv *k = jget(o, "kind");
        enum rs_viewspec_kind kind;
        if (k == NULL || k->type != J_STR || !kind_of(k->str, &kind))
            continue;
        struct rs_viewspec *v = &set->v[set->n++];
        spec_init(v, kind);
        spec_from(v, o);
    }
out:
    jv_free(&root);
    return set;
}

void
rs_viewspec_free(struct rs_viewspec_set *set)
{
    if (set == NULL)
        return;
    free(set->notes);
    free(set->v);
    free(set);
}

/* ---- views from names ---------------------------------------------------- */

static bool
starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool
ends(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static struct rs_viewspec *
add_view(struct rs_viewspec_set *set, int cap, enum rs_viewspec_kind kind,
         const char *title)
{
    if (set->n >= cap)
        return NULL;
    struct rs_viewspec *v = &set->v[set->n++];
    spec_init(v, kind);
    snprintf(v->title, sizeof v->title, "%s", title);
    return v;
}

static void
add_series(struct rs_viewspec *v, const char *name)
{
    if (v != NULL && v->nseries < RS_VIEWSPEC_SERIES_MAX)
        snprintf(v->series[v->nseries++], RS_BUS_NAME_MAX, "%s", name);
}

struct rs_viewspec_set *
rs_viewspec_default(const char (*series)[RS_BUS_NAME_MAX], int nseries,
                    const char (*matrices)[RS_BUS_NAME_MAX], int nmatrices)
{
    enum { CAP = 8 };
    struct rs_viewspec_set *set = rs_xcalloc(1, sizeof *set);
    set->notes = rs_xstrdup("");
    set->v = rs_xcalloc(CAP, sizeof *set->v);
    struct rs_viewspec *loss = NULL, *acc = NULL, *rank = NULL;
    /* loss first, then accuracy (train/, test/, val/ series) */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < nseries; i++) {
            const char *s = series[i];
            if (!starts(s, "train/") && !starts(s, "test/") &&
                !starts(s, "val/"))
                continue;
            if (pass == 0 && ends(s, "/loss")) {
                if (loss == NULL &&
                    (loss = add_view(set, CAP, RS_VIEWSPEC_CURVES, "loss")) !=
                        NULL)
                    loss->log_x = loss->log_y = true;
                add_series(loss, s);
            } else if (pass == 1 && ends(s, "/acc")) {
                if (acc == NULL && (acc = add_view(set, CAP, RS_VIEWSPEC_CURVES,
                                                   "accuracy")) != NULL) {
                    acc->log_x = true;
                    acc->ymin = 0;
                    acc->ymax = 1;
                }
                add_series(acc, s);
            }
        }
    for (int i = 0; i < nseries; i++) {
        if (!starts(series[i], "probe/srank/"))
            continue;
        if (rank == NULL)
            rank = add_view(set, CAP, RS_VIEWSPEC_RANK, "srank by layer");
        if (rank != NULL && rank->nlayers < RS_VIEWSPEC_LAYERS_MAX) {
            snprintf(rank->layers[rank->nlayers++], RS_VIEWSPEC_NAME_MAX, "%s",
                     series[i] + strlen("probe/srank/"));
            add_series(rank, series[i]);
        }
    }
    static const struct {
        const char *prefix, *title;
        enum rs_viewspec_kind kind;
    } mats[] = {{"spectrum/", "spectrum", RS_VIEWSPEC_SPECTRUM},
                {"neurons/", "neurons", RS_VIEWSPEC_NEURONS}};
    for (size_t m = 0; m < RS_ARRAY_LEN(mats); m++) {
        for (int i = 0; i < nmatrices; i++) {
            if (!starts(matrices[i], mats[m].prefix))
                continue;
            struct rs_viewspec *v =
                add_view(set, CAP, mats[m].kind, mats[m].title);
            if (v != NULL) {
                snprintf(v->matrix, sizeof v->matrix, "%s", matrices[i]);
                snprintf(v->layer, sizeof v->layer, "%s",
                         matrices[i] + strlen(mats[m].prefix));
                v->log_y = true;
            }
            break;
        }
    }
    /* One curve panel per remaining prefix ("norm/weight" -> "norm"). */
    for (int i = 0; i < nseries; i++) {
        const char *s = series[i];
        const char *slash = strchr(s, '/');
        if (starts(s, "train/") || starts(s, "test/") || starts(s, "val/") ||
            starts(s, "probe/") || starts(s, "time/"))
            continue;
        size_t plen = slash != NULL ? (size_t)(slash - s) : strlen(s);
        struct rs_viewspec *v = NULL;
        for (int k = 0; k < set->n && v == NULL; k++)
            if (set->v[k].kind == RS_VIEWSPEC_CURVES &&
                strlen(set->v[k].title) == plen &&
                strncmp(set->v[k].title, s, plen) == 0)
                v = &set->v[k];
        if (v == NULL &&
            (v = add_view(set, CAP, RS_VIEWSPEC_CURVES, "")) != NULL) {
            snprintf(v->title, sizeof v->title, "%.*s", (int)plen, s);
            v->log_x = true;
        }
        add_series(v, s);
    }
    return set;
}
