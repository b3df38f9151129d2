/* repscope - MIT licence, see COPYING.
 *
 * text.h: a character-level text corpus read from local files, with no
 * download: bytes are the vocabulary (256 ids), files are documents.
 *
 * Sources, in the order given; each is a name or a path:
 *   "licenses"  the files of /usr/share/common-licenses (Debian package
 *               base-files): licence prose, about 260 KB;
 *   "headers"   the C headers at the top of /usr/include, *.h (libc6-dev,
 *               plus whatever other -dev packages put there: the set,
 *               and so the corpus, depends on the machine);
 *   a path      a file (one document) or a directory (each regular file
 *               at its top, hidden files skipped, one document).
 * A directory's entries are taken in byte order of their names; entries
 * that resolve to the same file are one document (GPL -> GPL-3: the
 * entry that is not a symbolic link names it, else the first name).
 * Empty files are skipped. Each source is cut at max_bytes: its last
 * document is truncated there and the rest dropped.
 *
 * The split is by document: a document is a test document when
 * u(seed, name) < test_frac, u a hash of its file name to [0, 1) (FNV-1a,
 * then splitmix64), so adding a file never moves another one, and where
 * the files live does not matter. With test_frac > 0 and at least two
 * documents, neither split is empty: the document of the smallest u is a
 * test document, the one of the largest u a train document. A single
 * document is a train document.
 *
 * Each split is one contiguous text: its documents in corpus order
 * (sources in the order given, names in byte order), so the documents of
 * one source in one split are a contiguous range of it. Views
 * (rs_text_view) and streams (rs_text_stream) read these texts in place.
 *
 * The corpus is immutable after loading and refcounted (plain int: worker
 * thread only, like every source).
 */
#ifndef RS_DATA_TEXT_H
#define RS_DATA_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base.h"
#include "data/modular.h"
#include "data/source.h"

#define RS_TEXT_VOCAB 256
#define RS_TEXT_MAX_SOURCES 8
/* max_bytes: the default and the largest value (per source). */
#define RS_TEXT_DEFAULT_MAX_BYTES ((size_t)16 << 20)
#define RS_TEXT_MAX_BYTES ((size_t)1 << 30)

typedef struct rs_text rs_text;

struct rs_text_config {
    const char *sources[RS_TEXT_MAX_SOURCES]; /* names or paths, borrowed */
    int nsources;                             /* 1..RS_TEXT_MAX_SOURCES */
    double test_frac;                         /* [0, 1) */
    uint64_t seed;                            /* salts the split hash */
    size_t max_bytes;                         /* per source, >= 1 */
};

/* One document. */
struct rs_text_doc {
    const char *name; /* its file name in the source ("GPL-3", "stdio.h") */
    int source;       /* index into the config's sources */
    enum rs_split split;
    size_t len; /* bytes (after truncation) */
    size_t off; /* offset of its first byte in its split's text */
    bool truncated;
};

/* What one source gave. */
struct rs_text_source {
    const char *name; /* as given in the config */
    const char *path; /* the file or directory read */
    int docs[2];      /* documents per split (RS_SPLIT_TRAIN, RS_SPLIT_TEST) */
    size_t bytes[2];  /* bytes per split */
    bool truncated;   /* cut at max_bytes */
};

/* One split's text, or the part of it that one source gave. Borrowed:
 * valid while the corpus lives. */
struct rs_text_view {
    const uint8_t *bytes; /* (len) */
    size_t len;
    int ndocs;
    const size_t *start; /* (ndocs + 1): document k is bytes[start[k] ..
                            start[k + 1]), start[0] = 0, start[ndocs] = len */
    const int *doc;      /* (ndocs): corpus document indices */
};

/* The defaults: sources {"licenses", "headers"}, test_frac 0.1, seed 1,
 * max_bytes RS_TEXT_DEFAULT_MAX_BYTES. */
void rs_text_defaults(struct rs_text_config *cfg);

/* Read the corpus of cfg (copied). NULL + err: RS_EINVAL naming the field
 * on a bad config; RS_EIO naming the path when a source is missing or
 * unreadable (a named source also names the Debian package that provides
 * it) or gives no document; RS_EINVAL when no train document is left. */
rs_text *rs_text_load(const struct rs_text_config *cfg, struct rs_error *err);
void rs_text_retain(rs_text *t);
/* Drop one reference; frees at zero. NULL is a no-op. */
void rs_text_release(rs_text *t);

/* The config as loaded (source strings owned by t). */
const struct rs_text_config *rs_text_config(const rs_text *t);
int rs_text_ndocs(const rs_text *t);
/* Document i, 0 <= i < ndocs (borrowed while t lives). */
const struct rs_text_doc *rs_text_doc(const rs_text *t, int i);
/* Source i, 0 <= i < nsources (borrowed while t lives). */
const struct rs_text_source *rs_text_source(const rs_text *t, int i);
/* The directory of a named source ("licenses", "headers") and the Debian
 * package that provides it; NULL (and *package untouched) for any other
 * name. Static strings. */
const char *rs_text_named_dir(const char *name, const char **package);

/* The text of split (source -1: all sources, else that source's part).
 * source must be in -1..nsources-1. */
void rs_text_view(const rs_text *t, enum rs_split split, int source,
                  struct rs_text_view *out);
/* The index (0..ndocs-1 of the view) of the document holding byte pos
 * (< len) of the view. */
int rs_text_view_find(const struct rs_text_view *v, size_t pos);

/* ---- stream ------------------------------------------------------------
 * A view read front to back in segments of L bytes, documents in order
 * (for score-then-update evaluation). The stream covers bytes [from,
 * from + bytes) of the view (bytes 0: to its end). Segments are L bytes,
 * the last one shorter; with doc_break a segment also ends at the end of
 * a document, so it never holds bytes of two documents. */

typedef struct rs_text_stream rs_text_stream;

struct rs_text_stream_config {
    enum rs_split split;
    int source;   /* -1: all sources */
    size_t from;  /* first byte, < the view's length */
    size_t bytes; /* 0: to the end of the view */
    int L;        /* segment length, >= 1 */
    bool doc_break;
};

struct rs_text_segment {
    const uint8_t *bytes; /* (len) borrowed: valid while the corpus lives */
    const uint8_t *reset; /* (len) 1 at a document's first byte, else 0;
                             borrowed until the next call on the stream */
    int len;
    size_t pos;       /* offset of bytes[0] from the stream's first byte */
    int doc;          /* corpus index of the document holding bytes[0] */
    int starts;       /* documents that start in the segment (resets) */
    bool doc_end;     /* the last byte is the last of its document */
    bool first, last; /* the stream's first and last segment */
};

/* A new stream over t (retained) or NULL + err (RS_EINVAL naming the
 * field: source, from, bytes, L). A stream whose first byte is inside a
 * document has reset[0] = 0 there: it is not a document start. */
rs_text_stream *rs_text_stream_new(rs_text *t,
                                   const struct rs_text_stream_config *cfg,
                                   struct rs_error *err);
void rs_text_stream_free(rs_text_stream *s);
/* The next segment into seg; false (seg untouched) at the end. */
bool rs_text_stream_next(rs_text_stream *s, struct rs_text_segment *seg);
/* Back to the first segment. */
void rs_text_stream_rewind(rs_text_stream *s);
/* Bytes read so far, and the stream's length. */
size_t rs_text_stream_pos(const rs_text_stream *s);
size_t rs_text_stream_len(const rs_text_stream *s);

/* ---- as a source (source_text.c) ---------------------------------------
 * A finite unlabelled TOKENS source (kind "text", vocab 256, width T + 1)
 * of language-model windows over the split texts:
 *   train  every window of T + 1 bytes that lies inside one train
 *          document: each start offset is an example (a learner's epoch
 *          permutation draws them at random, without replacement);
 *          documents shorter than T + 1 bytes give none (they are skipped,
 *          not padded);
 *   test   windows of T + 1 bytes at stride T inside each test document
 *          (the next-token targets tile the document once), in order.
 * With cross, windows run over the split's whole text instead and may
 * hold the start of a document: rs_source_text_windows gives the reset
 * flags of each window (the batch itself carries only the bytes). Without
 * cross a window never holds a document start but at its position 0. */

/* A text source over t (retained) or NULL + err: RS_EINVAL when T is
 * outside 1..2^24-1, when no train window is left (no train document of
 * T + 1 bytes), or when a split has more than INT_MAX windows. */
rs_source *rs_source_text(rs_text *t, int T, bool cross, struct rs_error *err);
/* The corpus of a text source (borrowed while s lives), NULL for any other
 * kind; its T and cross. */
rs_text *rs_source_text_corpus(const rs_source *s);
int rs_source_text_T(const rs_source *s);
bool rs_source_text_cross(const rs_source *s);
/* Windows idx[0..n) of split (idx NULL: 0..n-1): the offset of each
 * window's first byte in the split's text (start, (n), may be NULL) and
 * its reset flags (reset, (n, T + 1), may be NULL): 1 where a document
 * starts. RS_EINVAL naming the index when one is outside the split, or
 * when s is not a text source. */
RS_NODISCARD int rs_source_text_windows(const rs_source *s, enum rs_split split,
                                        const int *idx, int n, size_t *start,
                                        uint8_t *reset, struct rs_error *err);

#endif /* RS_DATA_TEXT_H */
