/* repscope - MIT licence, see COPYING.
 *
 * text.c: the local text corpus (text.h): reading the sources, the split
 * by document, the views of a split and the stream over one.
 *
 * Loading reads every document into a buffer of its own, decides its
 * split from the hash of its key, then copies the documents of each split
 * into one text in corpus order and frees the buffers (the peak is twice
 * the corpus). The corpus owns its two texts, the document table, the
 * names and the parts (the views: one per split and source, plus the
 * whole split); everything is immutable after rs_text_load. A stream
 * retains the corpus and owns only its reset flags. Worker thread only.
 */
#include "config.h"

#include "data/text.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A split's text of one source (index s < nsources) or of all of them
 * (index nsources): a contiguous range of the split's text. */
struct part {
    size_t off, len; /* in the split's text */
    int ndocs;
    size_t *start; /* (ndocs + 1), relative to off */
    int *doc;      /* (ndocs) */
};

struct rs_text {
    int refs;
    struct rs_text_config cfg; /* sources[] point into src[].name */
    struct rs_text_source src[RS_TEXT_MAX_SOURCES];
    char *src_name[RS_TEXT_MAX_SOURCES]; /* what src[i].name points to */
    char *src_path[RS_TEXT_MAX_SOURCES]; /* and src[i].path */
    struct rs_text_doc *docs;            /* (ndocs) in corpus order */
    char **doc_name; /* (ndocs) what docs[k].name points to */
    int ndocs;
    uint8_t *buf[2]; /* the split texts */
    size_t len[2];
    struct part part[2][RS_TEXT_MAX_SOURCES + 1];
};

static const struct named {
    const char *name, *dir, *suffix, *package;
} named_sources[] = {
    {"licenses", "/usr/share/common-licenses", NULL, "base-files"},
    {"headers", "/usr/include", ".h", "libc6-dev"},
};

const char *
rs_text_named_dir(const char *name, const char **package)
{
    for (size_t i = 0; i < RS_ARRAY_LEN(named_sources); i++)
        if (strcmp(name, named_sources[i].name) == 0) {
            if (package != NULL)
                *package = named_sources[i].package;
            return named_sources[i].dir;
        }
    return NULL;
}

void
rs_text_defaults(struct rs_text_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->sources[0] = "licenses";
    cfg->sources[1] = "headers";
    cfg->nsources = 2;
    cfg->test_frac = 0.1;
    cfg->seed = 1;
    cfg->max_bytes = RS_TEXT_DEFAULT_MAX_BYTES;
}

/* ---- the split hash ----------------------------------------------------- */

/* u in [0, 1) from a document's name and the seed: FNV-1a over the
 * name, the seed mixed in, then splitmix64's finaliser; the top 53
 * bits. */
static double
split_u(const char *name, uint64_t seed)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        h ^= *c;
        h *= UINT64_C(0x100000001b3);
    }
    uint64_t x = h ^ (seed * UINT64_C(0x9e3779b97f4a7c15));
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return (double)(x >> 11) * 0x1p-53;
}

/* ---- reading ------------------------------------------------------------ */

/* A document while loading: its bytes in a buffer of its own. */
struct pending {
    char *name;
    int source;
    uint8_t *data; /* (len) */
    size_t len;
    bool truncated;
    double u;
};

struct load {
    struct pending *docs;
    int n, cap;
};

/* A directory entry: its name, the file it resolves to, whether the entry
 * itself is a symbolic link. */
struct entry {
    char *name, *real;
    bool link;
};

static int
entry_by_name(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name,
                  ((const struct entry *)b)->name);
}

/* Same file together, the entry that is not a link first, then by name. */
static int
entry_by_real(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int c = strcmp(x->real, y->real);
    if (c != 0)
        return c;
    if (x->link != y->link)
        return x->link ? 1 : -1;
    return strcmp(x->name, y->name);
}

static void
entries_free(struct entry *e, int n)
{
    for (int i = 0; i < n; i++) {
        free(e[i].name);
        free(e[i].real);
    }
    free(e);
}

/* The regular files at the top of dir (hidden names skipped; with a
 * suffix only names ending in it), one entry per file, sorted by name:
 * *out (*count, NULL when none). RS_EIO when dir cannot be read. */
static int
list_dir(const char *label, const char *dir, const char *suffix,
         struct entry **out, int *count, struct rs_error *err)
{
    *out = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return rs_error_set(err, RS_EIO, "source '%s': %s: %s", label, dir,
                            strerror(errno));
    struct entry *e = NULL;
    int n = 0, cap = 0;
    size_t slen = suffix != NULL ? strlen(suffix) : 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        size_t nlen = strlen(nm);
        if (nm[0] == '.' ||
            (slen > 0 && (nlen <= slen || strcmp(nm + nlen - slen, suffix))))
            continue;
        char *path = rs_xasprintf("%s/%s", dir, nm);
        struct stat st, lst;
        char *real = NULL;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
            lstat(path, &lst) == 0)
            real = realpath(path, NULL);
        free(path);
        if (real == NULL)
            continue; /* not a regular file, or a dangling link */
        if (n == cap) {
            cap = cap > 0 ? 2 * cap : 64;
            e = rs_xreallocarray(e, (size_t)cap, sizeof *e);
        }
        e[n].name = rs_xstrdup(nm);
        e[n].real = real;
        e[n].link = S_ISLNK(lst.st_mode);
        n++;
    }
    closedir(d);
    if (n == 0)
        return RS_OK;
    /* one entry per file: the first of each group by real path */
    qsort(e, (size_t)n, sizeof *e, entry_by_real);
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (m > 0 && strcmp(e[m - 1].real, e[i].real) == 0) {
            free(e[i].name);
            free(e[i].real);
            continue;
        }
        e[m++] = e[i];
    }
    qsort(e, (size_t)m, sizeof *e, entry_by_name);
    *out = e;
    *count = m;
    return RS_OK;
}

/* Read at most cap bytes of path into a new buffer (*data, *len; NULL
 * for an empty file); *truncated when more was there. */
static int
read_file(const char *path, size_t cap, uint8_t **data, size_t *len,
          bool *truncated, struct rs_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return rs_error_set(err, RS_EIO, "%s: %s", path, strerror(errno));
    uint8_t *buf = NULL;
    size_t n = 0, size = 0;
    for (;;) {
        if (n == size) {
            size = size > 0 ? 2 * size : 65536;
            if (size > cap + 1)
                size = cap + 1;
            buf = rs_xreallocarray(buf, size, 1);
        }
        size_t got = fread(buf + n, 1, size - n, f);
        n += got;
        if (got == 0 || n > cap)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return rs_error_set(err, RS_EIO, "%s: read error", path);
    }
    *truncated = n > cap;
    *len = n > cap ? cap : n;
    if (*len == 0) {
        free(buf);
        buf = NULL;
    }
    *data = buf;
    return RS_OK;
}

static void
pending_add(struct load *ld, char *name, int source, uint8_t *data, size_t len,
            bool truncated, uint64_t seed)
{
    if (ld->n == ld->cap) {
        ld->cap = ld->cap > 0 ? 2 * ld->cap : 64;
        ld->docs =
            rs_xreallocarray(ld->docs, (size_t)ld->cap, sizeof *ld->docs);
    }
    ld->docs[ld->n++] = (struct pending){
        .name = name,
        .source = source,
        .data = data,
        .len = len,
        .truncated = truncated,
        .u = split_u(name, seed),
    };
}

/* The basename of path (a pointer into it). */
static const char *
base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s != NULL && s[1] != '\0' ? s + 1 : path;
}

/* Read source i of cfg into ld: its documents in name order, up to
 * max_bytes in all. Fills t->src[i]'s path and truncated. */
static int
read_source(rs_text *t, int i, struct load *ld, struct rs_error *err)
{
    const char *label = t->cfg.sources[i];
    const char *package = NULL;
    const char *dir = rs_text_named_dir(label, &package);
    const char *suffix = NULL;
    for (size_t k = 0; dir != NULL && k < RS_ARRAY_LEN(named_sources); k++)
        if (strcmp(label, named_sources[k].name) == 0)
            suffix = named_sources[k].suffix;
    const char *path = dir != NULL ? dir : label;
    t->src_path[i] = rs_xstrdup(path);
    t->src[i].path = t->src_path[i];
    struct stat st;
    if (stat(path, &st) != 0) {
        if (package != NULL)
            return rs_error_set(err, RS_EIO,
                                "source '%s': %s: %s (Debian: apt-get "
                                "install %s)",
                                label, path, strerror(errno), package);
        return rs_error_set(err, RS_EIO, "source '%s': %s", label,
                            strerror(errno));
    }
    struct entry *e = NULL;
    int n = 0;
    if (S_ISDIR(st.st_mode)) {
        int rc = list_dir(label, path, suffix, &e, &n, err);
        if (rc != RS_OK)
            return rc;
    } else if (S_ISREG(st.st_mode)) {
        e = rs_xcalloc(1, sizeof *e);
        e->name = rs_xstrdup(base_name(path));
        e->real = rs_xstrdup(path);
        n = 1;
    } else {
        return rs_error_set(err, RS_EIO,
                            "source '%s': %s is neither a file nor a "
                            "directory",
                            label, path);
    }
    size_t left = t->cfg.max_bytes;
    int rc = RS_OK, got = 0;
    for (int k = 0; k < n && left > 0 && rc == RS_OK; k++) {
        char *fpath = S_ISDIR(st.st_mode)
                          ? rs_xasprintf("%s/%s", path, e[k].name)
                          : rs_xstrdup(path);
        uint8_t *data = NULL;
        size_t len = 0;
        bool trunc = false;
        rc = read_file(fpath, left, &data, &len, &trunc, err);
        free(fpath);
        if (rc != RS_OK || len == 0)
            continue;
        left -= len;
        t->src[i].truncated =
            t->src[i].truncated || trunc || (left == 0 && k + 1 < n);
        pending_add(ld, rs_xstrdup(e[k].name), i, data, len, trunc,
                    t->cfg.seed);
        got++;
    }
    entries_free(e, n);
    if (rc == RS_OK && got == 0)
        rc = rs_error_set(err, RS_EIO, "source '%s': %s has no %s%s%s", label,
                          path, suffix != NULL ? "*" : "",
                          suffix != NULL ? suffix : "non-empty file",
                          suffix != NULL ? " file" : "");
    return rc;
}

/* ---- assembling --------------------------------------------------------- */

/* Decide each document's split: u < test_frac is a test document; with
 * test_frac > 0 and two documents or more, neither split stays empty. */
static void
assign_splits(const struct load *ld, double test_frac, enum rs_split *split)
{
    int ntest = 0, lo = 0, hi = 0;
    for (int k = 0; k < ld->n; k++) {
        split[k] = ld->docs[k].u < test_frac ? RS_SPLIT_TEST : RS_SPLIT_TRAIN;
        ntest += split[k] == RS_SPLIT_TEST;
        if (ld->docs[k].u < ld->docs[lo].u)
            lo = k;
        if (ld->docs[k].u > ld->docs[hi].u)
            hi = k;
    }
    if (test_frac > 0.0 && ld->n >= 2) {
        if (ntest == 0)
            split[lo] = RS_SPLIT_TEST;
        if (ntest == ld->n)
            split[hi] = RS_SPLIT_TRAIN;
    }
    if (ld->n == 1)
        split[0] = RS_SPLIT_TRAIN;
}

/* Build the split texts and the parts from ld (whose buffers are freed
 * and names taken). */
static void
assemble(rs_text *t, struct load *ld)
{
    enum rs_split *split = rs_xcalloc((size_t)ld->n, sizeof *split);
    assign_splits(ld, t->cfg.test_frac, split);
    t->ndocs = ld->n;
    t->docs = rs_xcalloc((size_t)ld->n, sizeof *t->docs);
    t->doc_name = rs_xcalloc((size_t)ld->n, sizeof *t->doc_name);
    for (int k = 0; k < ld->n; k++) {
        const struct pending *p = &ld->docs[k];
        struct rs_text_doc *d = &t->docs[k];
        t->doc_name[k] = p->name;
        d->name = p->name;
        d->source = p->source;
        d->split = split[k];
        d->len = p->len;
        d->truncated = p->truncated;
        d->off = t->len[split[k]];
        t->len[split[k]] += p->len;
        t->src[p->source].docs[split[k]]++;
        t->src[p->source].bytes[split[k]] += p->len;
    }
    for (int sp = 0; sp < 2; sp++)
        t->buf[sp] = rs_xmalloc(t->len[sp] > 0 ? t->len[sp] : 1);
    for (int k = 0; k < ld->n; k++) {
        const struct rs_text_doc *d = &t->docs[k];
        memcpy(t->buf[d->split] + d->off, ld->docs[k].data, d->len);
        free(ld->docs[k].data);
    }
    free(split);
    /* the parts: per split, each source's documents, then all */
    int ns = t->cfg.nsources;
    for (int sp = 0; sp < 2; sp++)
        for (int s = 0; s <= ns; s++) {
            struct part *pt = &t->part[sp][s];
            int m = 0;
            for (int k = 0; k < t->ndocs; k++)
                m += (int)(t->docs[k].split == (enum rs_split)sp &&
                           (s == ns || t->docs[k].source == s));
            pt->ndocs = m;
            pt->start = rs_xcalloc((size_t)m + 1, sizeof *pt->start);
            pt->doc = rs_xcalloc(m > 0 ? (size_t)m : 1, sizeof *pt->doc);
            m = 0;
            for (int k = 0; k < t->ndocs; k++) {
                const struct rs_text_doc *d = &t->docs[k];
                if (d->split != (enum rs_split)sp ||
                    (s != ns && d->source != s))
                    continue;
                if (m == 0)
                    pt->off = d->off;
                pt->start[m] = d->off - pt->off;
                pt->doc[m++] = k;
                pt->len = d->off + d->len - pt->off;
            }
            pt->start[m] = pt->len;
        }
}

static int
check_config(const struct rs_text_config *c, struct rs_error *err)
{
    if (c->nsources < 1 || c->nsources > RS_TEXT_MAX_SOURCES)
        return rs_error_set(err, RS_EINVAL, "sources: %d given (must be 1..%d)",
                            c->nsources, RS_TEXT_MAX_SOURCES);
    for (int i = 0; i < c->nsources; i++) {
        if (c->sources[i] == NULL || c->sources[i][0] == '\0')
            return rs_error_set(err, RS_EINVAL, "sources: entry %d is empty",
                                i + 1);
        for (int j = 0; j < i; j++)
            if (strcmp(c->sources[i], c->sources[j]) == 0)
                return rs_error_set(err, RS_EINVAL,
                                    "sources: '%s' is given twice",
                                    c->sources[i]);
    }
    if (!(c->test_frac >= 0.0 && c->test_frac < 1.0))
        return rs_error_set(err, RS_EINVAL,
                            "test_frac = %g (must be in [0, 1))", c->test_frac);
    if (c->max_bytes < 1 || c->max_bytes > RS_TEXT_MAX_BYTES)
        return rs_error_set(err, RS_EINVAL,
                            "max_bytes = %zu (must be in 1..%zu)", c->max_bytes,
                            RS_TEXT_MAX_BYTES);
    return RS_OK;
}

static void
text_free(rs_text *t)
{
    for (int i = 0; i < RS_TEXT_MAX_SOURCES; i++) {
        free(t->src_name[i]);
        free(t->src_path[i]);
    }
    for (int k = 0; k < t->ndocs; k++)
        free(t->doc_name[k]);
    free(t->doc_name);
    free(t->docs);
    for (int sp = 0; sp < 2; sp++) {
        free(t->buf[sp]);
        for (int s = 0; s <= RS_TEXT_MAX_SOURCES; s++) {
            free(t->part[sp][s].start);
            free(t->part[sp][s].doc);
        }
    }
    free(t);
}

rs_text *
rs_text_load(const struct rs_text_config *cfg, struct rs_error *err)
{
    if (check_config(cfg, err) != RS_OK)
        return NULL;
    rs_text *t = rs_xcalloc(1, sizeof *t);
    t->refs = 1;
    t->cfg = *cfg;
    for (int i = 0; i < cfg->nsources; i++) {
        t->src_name[i] = rs_xstrdup(cfg->sources[i]);
        t->src[i].name = t->src_name[i];
        t->cfg.sources[i] = t->src_name[i];
    }
    struct load ld = {0};
    int rc = RS_OK;
    for (int i = 0; i < cfg->nsources && rc == RS_OK; i++)
        rc = read_source(t, i, &ld, err);
    if (rc != RS_OK) {
        for (int k = 0; k < ld.n; k++) {
            free(ld.docs[k].name);
            free(ld.docs[k].data);
        }
        free(ld.docs);
        text_free(t);
        return NULL;
    }
    assemble(t, &ld);
    free(ld.docs);
    return t;
}

void
rs_text_retain(rs_text *t)
{
    RS_ASSERT(t->refs >= 1);
    t->refs++;
}

void
rs_text_release(rs_text *t)
{
    if (t == NULL)
        return;
    RS_ASSERT(t->refs >= 1);
    if (--t->refs == 0)
        text_free(t);
}

const struct rs_text_config *
rs_text_config(const rs_text *t)
{
    return &t->cfg;
}

int
rs_text_ndocs(const rs_text *t)
{
    return t->ndocs;
}

const struct rs_text_doc *
rs_text_doc(const rs_text *t, int i)
{
    RS_ASSERT(i >= 0 && i < t->ndocs);
    return &t->docs[i];
}

const struct rs_text_source *
rs_text_source(const rs_text *t, int i)
{
    RS_ASSERT(i >= 0 && i < t->cfg.nsources);
    return &t->src[i];
}

void
rs_text_view(const rs_text *t, enum rs_split split, int source,
             struct rs_text_view *out)
{
    RS_ASSERT(source >= -1 && source < t->cfg.nsources);
    const struct part *pt =
        &t->part[split][source < 0 ? t->cfg.nsources : source];
    out->bytes = t->buf[split] + pt->off;
    out->len = pt->len;
    out->ndocs = pt->ndocs;
    out->start = pt->start;
    out->doc = pt->doc;
}

int
rs_text_view_find(const struct rs_text_view *v, size_t pos)
{
    RS_ASSERT(pos < v->len && v->ndocs > 0);
    /* the last k with start[k] <= pos */
    int lo = 0, hi = v->ndocs - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (v->start[mid] <= pos)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* ---- stream ------------------------------------------------------------- */

struct rs_text_stream {
    rs_text *t;
    struct rs_text_view v;
    size_t from, end, cur; /* in the view */
    int L;
    bool doc_break;
    int k;          /* the view's document holding cur */
    uint8_t *reset; /* (L) */
};

rs_text_stream *
rs_text_stream_new(rs_text *t, const struct rs_text_stream_config *cfg,
                   struct rs_error *err)
{
    if (cfg->source < -1 || cfg->source >= t->cfg.nsources) {
        rs_error_set(err, RS_EINVAL, "source = %d (must be in -1..%d)",
                     cfg->source, t->cfg.nsources - 1);
        return NULL;
    }
    if (cfg->L < 1) {
        rs_error_set(err, RS_EINVAL, "L = %d (must be >= 1)", cfg->L);
        return NULL;
    }
    struct rs_text_view v;
    rs_text_view(t, cfg->split, cfg->source, &v);
    if (cfg->from >= v.len) {
        rs_error_set(
            err, RS_EINVAL, "from = %zu (the %s text%s%s has %zu bytes)",
            cfg->from, cfg->split == RS_SPLIT_TRAIN ? "train" : "test",
            cfg->source >= 0 ? " of " : "",
            cfg->source >= 0 ? t->cfg.sources[cfg->source] : "", v.len);
        return NULL;
    }
    size_t end = v.len;
    if (cfg->bytes > 0 && cfg->bytes < v.len - cfg->from)
        end = cfg->from + cfg->bytes;
    rs_text_stream *s = rs_xcalloc(1, sizeof *s);
    rs_text_retain(t);
    s->t = t;
    s->v = v;
    s->from = cfg->from;
    s->end = end;
    s->L = cfg->L;
    s->doc_break = cfg->doc_break;
    s->reset = rs_xcalloc((size_t)cfg->L, 1);
    rs_text_stream_rewind(s);
    return s;
}

void
rs_text_stream_free(rs_text_stream *s)
{
    if (s == NULL)
        return;
    rs_text_release(s->t);
    free(s->reset);
    free(s);
}

void
rs_text_stream_rewind(rs_text_stream *s)
{
    s->cur = s->from;
    s->k = rs_text_view_find(&s->v, s->from);
}

size_t
rs_text_stream_pos(const rs_text_stream *s)
{
    return s->cur - s->from;
}

size_t
rs_text_stream_len(const rs_text_stream *s)
{
    return s->end - s->from;
}

bool
rs_text_stream_next(rs_text_stream *s, struct rs_text_segment *seg)
{
    if (s->cur >= s->end)
        return false;
    const size_t *start = s->v.start;
    while (start[s->k + 1] <= s->cur)
        s->k++;
    size_t len = s->end - s->cur;
    if (len > (size_t)s->L)
        len = (size_t)s->L;
    if (s->doc_break && start[s->k + 1] - s->cur < len)
        len = start[s->k + 1] - s->cur;
    /* reset flags: the document starts in [cur, cur + len) */
    memset(s->reset, 0, len);
    int starts = 0, k = s->k;
    if (start[k] == s->cur) {
        s->reset[0] = 1;
        starts++;
    }
    while (k + 1 < s->v.ndocs && start[k + 1] < s->cur + len) {
        k++;
        s->reset[start[k] - s->cur] = 1;
        starts++;
    }
    /* k: the document holding the last byte */
    seg->bytes = s->v.bytes + s->cur;
    seg->reset = s->reset;
    seg->len = (int)len;
    seg->pos = s->cur - s->from;
    seg->doc = s->v.doc[s->k];
    seg->starts = starts;
    seg->doc_end = start[k + 1] == s->cur + len;
    seg->first = s->cur == s->from;
    seg->last = s->cur + len == s->end;
    s->cur += len;
    return true;
}
