/* repscope - MIT licence, see COPYING.
 *
 * t_data_text.c: the local text corpus (data/text.h) on a tiny directory
 * written here with known contents: document order, the dedup of links,
 * skipped hidden, empty and non-regular entries, max_bytes, the split by
 * document (stable when a file is added, moved by the seed), the training
 * and test windows with their reset flags (inside documents and across
 * them), the views, the stream's segments and boundary flags, the errors
 * (a missing path named), determinism; then the Debian sources when they
 * are installed (skipped otherwise).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/source.h"
#include "data/text.h"
#include "tests/tap.h"

static void
write_file(const char *dir, const char *name, const char *text)
{
    char *path = rs_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        tap_bail("cannot write %s", path);
    fputs(text, f);
    fclose(f);
    free(path);
}

/* The tiny corpus: a.txt (10 x 'A'), b.txt (20 x 'b'), c.txt "cc", and
 * entries that are no documents: a hidden file, an empty file, a
 * directory, a link to b.txt (the same file). */
static char *
tiny_dir(void)
{
    char *dir = tap_tmpdir("text_tiny");
    write_file(dir, "b.txt", "bbbbbbbbbbbbbbbbbbbb");
    write_file(dir, "a.txt", "AAAAAAAAAA");
    write_file(dir, "c.txt", "cc");
    write_file(dir, ".hidden", "hidden");
    write_file(dir, "empty", "");
    char *sub = rs_xasprintf("%s/sub", dir);
    mkdir(sub, 0777);
    free(sub);
    char *link = rs_xasprintf("%s/0link", dir);
    unlink(link);
    if (symlink("b.txt", link) != 0)
        tap_bail("cannot make the link %s", link);
    free(link);
    return dir;
}

static rs_text *
load1(const char *path, double test_frac, uint64_t seed, size_t max_bytes,
      struct rs_error *err)
{
    struct rs_text_config c;
    rs_text_defaults(&c);
    c.sources[0] = path;
    c.nsources = 1;
    c.test_frac = test_frac;
    c.seed = seed;
    c.max_bytes = max_bytes;
    return rs_text_load(&c, err);
}

static void
test_tiny(const char *dir)
{
    struct rs_error err = {0};
    rs_text *t = load1(dir, 0.0, 1, RS_TEXT_MAX_BYTES, &err);
    tap_ok(t != NULL, "tiny: loads (%s)", err.msg);
    if (t == NULL)
        return;
    tap_is_int(rs_text_ndocs(t), 3, "tiny: three documents");
    tap_ok(strcmp(rs_text_doc(t, 0)->name, "a.txt") == 0 &&
               strcmp(rs_text_doc(t, 1)->name, "b.txt") == 0 &&
               strcmp(rs_text_doc(t, 2)->name, "c.txt") == 0,
           "tiny: a.txt, b.txt, c.txt in name order; the link to b.txt is "
           "b.txt");
    struct rs_text_view v;
    rs_text_view(t, RS_SPLIT_TRAIN, -1, &v);
    const char *want = "AAAAAAAAAAbbbbbbbbbbbbbbbbbbbbcc";
    tap_ok(v.len == 32 && memcmp(v.bytes, want, 32) == 0,
           "tiny: the train text is the documents in order");
    tap_ok(v.ndocs == 3 && v.start[0] == 0 && v.start[1] == 10 &&
               v.start[2] == 30 && v.start[3] == 32 && v.doc[2] == 2,
           "tiny: document starts 0, 10, 30, end 32");
    tap_is_int(rs_text_view_find(&v, 9), 0, "view_find: byte 9 in a.txt");
    tap_is_int(rs_text_view_find(&v, 10), 1, "view_find: byte 10 in b.txt");
    tap_is_int(rs_text_view_find(&v, 31), 2, "view_find: byte 31 in c.txt");
    rs_text_view(t, RS_SPLIT_TEST, -1, &v);
    tap_ok(v.len == 0 && v.ndocs == 0, "tiny: test_frac 0: no test text");
    const struct rs_text_source *src = rs_text_source(t, 0);
    tap_ok(src->docs[0] == 3 && src->bytes[0] == 32 && !src->truncated,
           "tiny: the source's counts");

    /* windows inside documents: T = 4 gives 6 + 16 + 0 train starts */
    rs_source *s = rs_source_text(t, 4, false, &err);
    tap_ok(s != NULL, "source T 4 (%s)", err.msg);
    struct rs_source_info si;
    rs_source_info(s, &si);
    tap_ok(si.ninputs == 1 && si.kind[0] == RS_NN_INPUT_TOKENS &&
               si.width[0] == 5 && si.vocab[0] == 256 && si.classes == 0,
           "source: tokens of width T + 1, vocab 256, unlabelled");
    tap_is_str(rs_source_kind(s), "text", "source: kind text");
    tap_is_int(rs_source_count(s, RS_SPLIT_TRAIN), 22,
               "source: 22 train windows (c.txt is too short)");
    tap_is_int(rs_source_count(s, RS_SPLIT_TEST), 0, "source: no test window");
    int idx[4] = {0, 5, 6, 21};
    struct rs_batch b;
    rs_batch_init(&b);
    int rc = rs_source_fetch(s, RS_SPLIT_TRAIN, idx, 4, &b, &err);
    int wantw[4][5] = {{'A', 'A', 'A', 'A', 'A'},
                       {'A', 'A', 'A', 'A', 'A'},
                       {'b', 'b', 'b', 'b', 'b'},
                       {'b', 'b', 'b', 'b', 'b'}};
    tap_ok(rc == RS_OK && memcmp(b.in[0].ids, wantw, sizeof wantw) == 0,
           "source: windows 0, 5 in a.txt, 6, 21 in b.txt");
    size_t start[4];
    uint8_t reset[4 * 5];
    rc = rs_source_text_windows(s, RS_SPLIT_TRAIN, idx, 4, start, reset, &err);
    uint8_t wantr[20] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                         1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    tap_ok(rc == RS_OK && start[0] == 0 && start[1] == 5 && start[2] == 10 &&
               start[3] == 25 && memcmp(reset, wantr, 20) == 0,
           "source: starts 0, 5, 10, 25; resets only at a document's start");
    idx[0] = 22;
    rc = rs_source_text_windows(s, RS_SPLIT_TRAIN, idx, 1, NULL, NULL, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "index 22") != NULL,
           "source: index 22 refused: %s", err.msg);
    rs_source_release(s);

    /* across documents: every start of the 32 bytes */
    s = rs_source_text(t, 4, true, &err);
    tap_is_int(rs_source_count(s, RS_SPLIT_TRAIN), 28, "cross: 28 windows");
    idx[0] = 8;
    idx[1] = 27;
    rc = rs_source_fetch(s, RS_SPLIT_TRAIN, idx, 2, &b, &err);
    int wantc[2][5] = {{'A', 'A', 'b', 'b', 'b'}, {'b', 'b', 'b', 'c', 'c'}};
    tap_ok(rc == RS_OK && memcmp(b.in[0].ids, wantc, sizeof wantc) == 0,
           "cross: windows 8 and 27 hold two documents");
    rc = rs_source_text_windows(s, RS_SPLIT_TRAIN, idx, 2, start, reset, &err);
    uint8_t wantcr[10] = {0, 0, 1, 0, 0, 0, 0, 0, 1, 0};
    tap_ok(rc == RS_OK && memcmp(reset, wantcr, 10) == 0,
           "cross: reset flags at the document starts inside the windows");
    tap_ok(rs_source_text_cross(s) && rs_source_text_T(s) == 4 &&
               rs_source_text_corpus(s) == t,
           "cross: T, cross and corpus read back");
    rs_source_release(s);

    s = rs_source_text(t, 20, false, &err);
    tap_ok(s == NULL && err.code == RS_EINVAL &&
               strstr(err.msg, "no train window of T + 1 = 21") != NULL,
           "T 20: %s", err.msg);
    s = rs_source_text(t, 0, false, &err);
    tap_ok(s == NULL && strstr(err.msg, "T = 0") != NULL, "T 0: %s", err.msg);
    rs_batch_fini(&b);
    rs_text_release(t);

    /* max_bytes 15: a.txt, then 5 bytes of b.txt; c.txt dropped */
    t = load1(dir, 0.0, 1, 15, &err);
    tap_ok(t != NULL && rs_text_ndocs(t) == 2 && rs_text_doc(t, 1)->len == 5 &&
               rs_text_doc(t, 1)->truncated && !rs_text_doc(t, 0)->truncated &&
               rs_text_source(t, 0)->truncated,
           "max_bytes 15: a.txt whole, b.txt cut to 5 bytes, c.txt dropped");
    rs_text_release(t);
    /* max_bytes 10: exactly a.txt, the rest dropped */
    t = load1(dir, 0.0, 1, 10, &err);
    tap_ok(t != NULL && rs_text_ndocs(t) == 1 &&
               !rs_text_doc(t, 0)->truncated && rs_text_source(t, 0)->truncated,
           "max_bytes 10: a.txt only, the source marked truncated");
    rs_text_release(t);

    /* a file as a source: one document named by its basename */
    char *file = rs_xasprintf("%s/b.txt", dir);
    t = load1(file, 0.5, 1, RS_TEXT_MAX_BYTES, &err);
    tap_ok(t != NULL && rs_text_ndocs(t) == 1 &&
               strcmp(rs_text_doc(t, 0)->name, "b.txt") == 0 &&
               rs_text_doc(t, 0)->split == RS_SPLIT_TRAIN,
           "a file: one document, a train document");
    rs_text_release(t);
    free(file);
}

static void
test_stream(const char *dir)
{
    struct rs_error err = {0};
    rs_text *t = load1(dir, 0.0, 1, RS_TEXT_MAX_BYTES, &err);
    struct rs_text_stream_config sc = {
        .split = RS_SPLIT_TRAIN, .source = -1, .L = 7};
    rs_text_stream *st = rs_text_stream_new(t, &sc, &err);
    tap_ok(st != NULL && rs_text_stream_len(st) == 32, "stream: 32 bytes");
    /* segments at 0, 7, 14, 21, 28; documents start at 0, 10, 30 */
    static const struct {
        int len, doc, starts, reset_at;
        bool doc_end;
    } want[5] = {
        {7, 0, 1, 0, false},  {7, 0, 1, 3, false}, {7, 1, 0, -1, false},
        {7, 1, 0, -1, false}, {4, 1, 1, 2, true},
    };
    struct rs_text_segment seg;
    int n = 0, bad = 0;
    size_t pos = 0;
    while (rs_text_stream_next(st, &seg)) {
        if (n >= 5) {
            bad++;
            break;
        }
        int rs = 0;
        for (int j = 0; j < seg.len; j++)
            rs += seg.reset[j];
        bool ok = seg.len == want[n].len && seg.doc == want[n].doc &&
                  seg.starts == want[n].starts && rs == seg.starts &&
                  (want[n].reset_at < 0 || seg.reset[want[n].reset_at]) &&
                  seg.doc_end == want[n].doc_end && seg.pos == pos &&
                  seg.first == (n == 0) && seg.last == (n == 4);
        if (!ok) {
            tap_diag("segment %d: len %d doc %d starts %d pos %zu", n, seg.len,
                     seg.doc, seg.starts, seg.pos);
            bad++;
        }
        pos += (size_t)seg.len;
        n++;
    }
    tap_ok(n == 5 && bad == 0,
           "stream L 7: five segments, documents, resets and ends");
    tap_ok(rs_text_stream_pos(st) == 32 && !rs_text_stream_next(st, &seg),
           "stream: at the end");
    rs_text_stream_rewind(st);
    tap_ok(rs_text_stream_next(st, &seg) && seg.pos == 0 && seg.first &&
               seg.bytes[0] == 'A',
           "stream: rewind gives the first segment again");
    rs_text_stream_free(st);

    /* doc_break: segments end at document ends */
    sc.doc_break = true;
    st = rs_text_stream_new(t, &sc, &err);
    int lens[8], nl = 0;
    bool ends = true;
    while (rs_text_stream_next(st, &seg) && nl < 8) {
        lens[nl++] = seg.len;
        ends = ends && seg.starts <= 1 && (seg.starts == 0 || seg.reset[0]);
    }
    int wantl[6] = {7, 3, 7, 7, 6, 2};
    tap_ok(nl == 6 && memcmp(lens, wantl, sizeof wantl) == 0 && ends,
           "doc_break: 7, 3, 7, 7, 6, 2; no segment holds two documents");
    rs_text_stream_free(st);

    /* a range that starts inside a document: no reset there */
    sc.doc_break = false;
    sc.from = 12;
    sc.bytes = 5;
    sc.L = 3;
    st = rs_text_stream_new(t, &sc, &err);
    bool ok = rs_text_stream_len(st) == 5 && rs_text_stream_next(st, &seg) &&
              seg.len == 3 && seg.starts == 0 && seg.reset[0] == 0 &&
              seg.doc == 1 && seg.first && rs_text_stream_next(st, &seg) &&
              seg.len == 2 && seg.last && seg.pos == 3 &&
              !rs_text_stream_next(st, &seg);
    tap_ok(ok, "from 12, 5 bytes, L 3: segments of 3 and 2, no reset");
    rs_text_stream_free(st);

    sc.from = 32;
    st = rs_text_stream_new(t, &sc, &err);
    tap_ok(st == NULL && strstr(err.msg, "from = 32") != NULL &&
               strstr(err.msg, "32 bytes") != NULL,
           "stream: from past the end: %s", err.msg);
    sc.from = 0;
    sc.L = 0;
    st = rs_text_stream_new(t, &sc, &err);
    tap_ok(st == NULL && strstr(err.msg, "L = 0") != NULL, "stream: %s",
           err.msg);
    sc.L = 4;
    sc.source = 1;
    st = rs_text_stream_new(t, &sc, &err);
    tap_ok(st == NULL && strstr(err.msg, "source = 1") != NULL, "stream: %s",
           err.msg);
    sc.source = -1;
    sc.split = RS_SPLIT_TEST;
    st = rs_text_stream_new(t, &sc, &err);
    tap_ok(st == NULL && strstr(err.msg, "test text") != NULL,
           "stream: an empty split: %s", err.msg);
    /* the stream keeps the corpus alive */
    sc.split = RS_SPLIT_TRAIN;
    st = rs_text_stream_new(t, &sc, &err);
    rs_text_release(t);
    tap_ok(rs_text_stream_next(st, &seg) && seg.bytes[3] == 'A',
           "stream: reads after the corpus is released");
    rs_text_stream_free(st);
}

/* A directory of 40 documents "f00".."f39" (plus f40 when more). */
static char *
many_dir(bool more)
{
    char *dir = tap_tmpdir(more ? "text_many41" : "text_many40");
    for (int i = 0; i < (more ? 41 : 40); i++) {
        char name[16], text[64];
        snprintf(name, sizeof name, "f%02d", i);
        snprintf(text, sizeof text, "document %02d: %.*s", i, 10 + i,
                 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
        write_file(dir, name, text);
    }
    return dir;
}

/* The split of each document as a string of 't' (test) and '.'. */
static void
split_string(const rs_text *t, char *out)
{
    int n = rs_text_ndocs(t);
    for (int k = 0; k < n; k++)
        out[k] = rs_text_doc(t, k)->split == RS_SPLIT_TEST ? 't' : '.';
    out[n] = '\0';
}

static void
test_split(void)
{
    char *d40 = many_dir(false), *d41 = many_dir(true);
    struct rs_error err = {0};
    rs_text *a = load1(d40, 0.25, 1, RS_TEXT_MAX_BYTES, &err);
    rs_text *b = load1(d41, 0.25, 1, RS_TEXT_MAX_BYTES, &err);
    rs_text *c = load1(d40, 0.25, 2, RS_TEXT_MAX_BYTES, &err);
    tap_ok(a != NULL && b != NULL && c != NULL, "split: three loads (%s)",
           err.msg);
    if (a == NULL || b == NULL || c == NULL)
        return;
    char sa[64], sb[64], sc[64];
    split_string(a, sa);
    split_string(b, sb);
    split_string(c, sc);
    tap_diag("seed 1: %s", sa);
    tap_diag("seed 2: %s", sc);
    int ntest = 0;
    for (int k = 0; k < 40; k++)
        ntest += sa[k] == 't';
    tap_ok(ntest >= 4 && ntest <= 18, "split: %d of 40 test documents at 0.25",
           ntest);
    tap_ok(strncmp(sa, sb, 40) == 0,
           "split: adding f40 moves no other document");
    tap_ok(strcmp(sa, sc) != 0, "split: seed 2 gives another split");
    /* each document whole in its split, at its offset */
    bool whole = true;
    size_t total[2] = {0, 0};
    for (int k = 0; k < 40; k++) {
        const struct rs_text_doc *d = rs_text_doc(a, k);
        struct rs_text_view v;
        rs_text_view(a, d->split, -1, &v);
        char want[64];
        snprintf(want, sizeof want, "document %02d: ", k);
        whole = whole && d->off + d->len <= v.len &&
                memcmp(v.bytes + d->off, want, strlen(want)) == 0 &&
                d->len == strlen(want) + 10 + (size_t)k;
        total[d->split] += d->len;
    }
    struct rs_text_view vt, vs;
    rs_text_view(a, RS_SPLIT_TRAIN, -1, &vt);
    rs_text_view(a, RS_SPLIT_TEST, -1, &vs);
    tap_ok(whole && total[0] == vt.len && total[1] == vs.len &&
               vt.ndocs + vs.ndocs == 40 && vs.ndocs == ntest,
           "split: every document whole in one split");
    /* test windows: stride T inside each test document */
    rs_source *s = rs_source_text(a, 8, false, &err);
    size_t want_test = 0;
    for (int k = 0; k < vs.ndocs; k++)
        want_test += (vs.start[k + 1] - vs.start[k] - 1) / 8;
    tap_is_int(rs_source_count(s, RS_SPLIT_TEST), (long)want_test,
               "split: test windows tile each test document at stride T");
    int i1 = (int)((vs.start[1] - vs.start[0] - 1) / 8); /* doc 1's first */
    size_t st1;
    int rc = rs_source_text_windows(s, RS_SPLIT_TEST, &i1, 1, &st1, NULL, &err);
    tap_ok(rc == RS_OK && st1 == vs.start[1],
           "split: the first test window of the second test document");
    /* determinism: a second load serves the same windows */
    rs_text *a2 = load1(d40, 0.25, 1, RS_TEXT_MAX_BYTES, &err);
    rs_source *s2 = rs_source_text(a2, 8, false, &err);
    tap_ok(rs_source_fingerprint(s) == rs_source_fingerprint(s2) &&
               rs_source_fingerprint(s) != 0,
           "determinism: the same config serves the same windows");
    rs_source *s3 = rs_source_text(c, 8, false, &err);
    tap_ok(rs_source_fingerprint(s) != rs_source_fingerprint(s3),
           "determinism: another seed, other windows");
    rs_source_release(s);
    rs_source_release(s2);
    rs_source_release(s3);
    rs_text_release(a2);
    rs_text_release(b);
    rs_text_release(c);

    /* a tiny test_frac still gives one test document, and never all */
    rs_text_release(a);
    a = load1(d40, 1e-12, 1, RS_TEXT_MAX_BYTES, &err);
    rs_text_view(a, RS_SPLIT_TEST, -1, &vs);
    tap_is_int(vs.ndocs, 1, "split: test_frac 1e-12 gives one test document");
    rs_text_release(a);
    a = load1(d40, 0.9999999, 1, RS_TEXT_MAX_BYTES, &err);
    rs_text_view(a, RS_SPLIT_TRAIN, -1, &vt);
    tap_is_int(vt.ndocs, 1, "split: test_frac near 1 keeps a train document");
    rs_text_release(a);
    free(d40);
    free(d41);
}

static void
test_errors(const char *dir)
{
    struct rs_error err = {0};
    char *nope = rs_xasprintf("%s/nope", dir);
    rs_text *t = load1(nope, 0.1, 1, RS_TEXT_MAX_BYTES, &err);
    tap_ok(t == NULL && err.code == RS_EIO && strstr(err.msg, nope) != NULL &&
               strstr(err.msg, "No such file") != NULL,
           "missing path: %s", err.msg);
    free(nope);
    char *empty = rs_xasprintf("%s/sub", dir);
    t = load1(empty, 0.1, 1, RS_TEXT_MAX_BYTES, &err);
    tap_ok(t == NULL && err.code == RS_EIO &&
               strstr(err.msg, "has no non-empty file") != NULL,
           "empty directory: %s", err.msg);
    free(empty);
    t = load1(dir, 1.0, 1, RS_TEXT_MAX_BYTES, &err);
    tap_ok(t == NULL && strstr(err.msg, "test_frac = 1") != NULL, "%s",
           err.msg);
    t = load1(dir, 0.1, 1, 0, &err);
    tap_ok(t == NULL && strstr(err.msg, "max_bytes = 0") != NULL, "%s",
           err.msg);
    struct rs_text_config c;
    rs_text_defaults(&c);
    c.sources[1] = "licenses";
    t = rs_text_load(&c, &err);
    tap_ok(t == NULL && strstr(err.msg, "'licenses' is given twice") != NULL,
           "%s", err.msg);
    const char *pkg = NULL;
    tap_ok(strcmp(rs_text_named_dir("licenses", &pkg),
                  "/usr/share/common-licenses") == 0 &&
               strcmp(pkg, "base-files") == 0,
           "licenses: the directory and its package");
    tap_ok(rs_text_named_dir("headers", &pkg) != NULL &&
               strcmp(pkg, "libc6-dev") == 0 &&
               rs_text_named_dir("/etc", NULL) == NULL,
           "headers: libc6-dev; a path is not a named source");
}

/* The Debian sources, when installed. */
static void
test_debian(void)
{
    struct stat st;
    if (stat("/usr/share/common-licenses/GPL-3", &st) != 0 ||
        stat("/usr/include/stdio.h", &st) != 0) {
        tap_skip(4, "base-files or libc6-dev files missing");
        return;
    }
    struct rs_text_config c;
    rs_text_defaults(&c);
    struct rs_error err = {0};
    rs_text *t = rs_text_load(&c, &err);
    tap_ok(t != NULL, "debian: licenses and headers load (%s)", err.msg);
    if (t == NULL)
        return;
    bool gpl = false, gpl3 = false, sorted = true, dotsh = true, stdio = false;
    for (int k = 0; k < rs_text_ndocs(t); k++) {
        const struct rs_text_doc *d = rs_text_doc(t, k);
        gpl = gpl || (d->source == 0 && strcmp(d->name, "GPL") == 0);
        gpl3 = gpl3 || (d->source == 0 && strcmp(d->name, "GPL-3") == 0);
        stdio = stdio || (d->source == 1 && strcmp(d->name, "stdio.h") == 0);
        if (d->source == 1)
            dotsh = dotsh && strstr(d->name, ".h") != NULL;
        if (k > 0 && rs_text_doc(t, k - 1)->source == d->source)
            sorted = sorted && strcmp(rs_text_doc(t, k - 1)->name, d->name) < 0;
    }
    tap_ok(gpl3 && !gpl, "debian: GPL is GPL-3, once");
    tap_ok(stdio && dotsh && sorted, "debian: headers *.h, sorted by name");
    const struct rs_text_source *l = rs_text_source(t, 0);
    const struct rs_text_source *h = rs_text_source(t, 1);
    tap_ok(l->docs[0] > 0 && l->docs[1] > 0 && h->docs[0] > 0 && h->docs[1] > 0,
           "debian: both splits of both sources are non-empty");
    tap_diag("licenses: %d + %d documents, %zu + %zu bytes", l->docs[0],
             l->docs[1], l->bytes[0], l->bytes[1]);
    tap_diag("headers: %d + %d documents, %zu + %zu bytes%s", h->docs[0],
             h->docs[1], h->bytes[0], h->bytes[1],
             h->truncated ? " (truncated)" : "");
    rs_text_release(t);
}

int
main(void)
{
    tap_plan_lazy();
    char *dir = tiny_dir();
    test_tiny(dir);
    test_stream(dir);
    test_split();
    test_errors(dir);
    test_debian();
    free(dir);
    return tap_done();
}
