/* repscope - MIT licence, see COPYING.
 *
 * t_data_source.c: the data sources with known answers. A dataset source
 * fetches exactly rs_dataset_batch's floats and labels; a seqtask draw
 * with len 0 equals one rs_rng_below for the length and rs_seqtask_sample
 * on the same stream, and count_ones answers its length; corpus windows
 * over 0..20 with T 4 are the hand-listed ones; a zip pairs its sources
 * example by example (finite and generators); bad arguments are refused
 * with messages naming the value.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/dataset.h"
#include "data/seqtask.h"
#include "data/source.h"
#include "tests/learn_fixture.h"
#include "tests/tap.h"

static void
test_dataset(void)
{
    rs_dataset *d = tap_modular(7, '+', 0.5f, 3);
    rs_source *s = rs_source_dataset(d);
    struct rs_source_info si;
    rs_source_info(s, &si);
    tap_ok(si.ninputs == 1 && si.kind[0] == RS_NN_INPUT_FEATURES &&
               si.width[0] == 14 && si.classes == 7,
           "dataset: one feature input of 2p = 14, 7 classes");
    tap_is_int(rs_source_count(s, RS_SPLIT_TRAIN),
               rs_dataset_count(d, RS_SPLIT_TRAIN), "dataset: train count");
    tap_ok(!rs_source_is_generator(s), "dataset: finite");
    int idx[3] = {5, 0, 2};
    float x[3 * 14];
    int y[3];
    rs_dataset_batch(d, RS_SPLIT_TEST, idx, 3, x, y);
    struct rs_batch b;
    rs_batch_init(&b);
    struct rs_error err = {0};
    int rc = rs_source_fetch(s, RS_SPLIT_TEST, idx, 3, &b, &err);
    tap_ok(rc == RS_OK && b.n == 3 && b.ninputs == 1 && b.in[0].width == 14,
           "dataset: fetch 3 (%s)", err.msg);
    tap_ok(memcmp(b.in[0].x, x, sizeof x) == 0 && memcmp(b.y, y, sizeof y) == 0,
           "dataset: the dataset's floats and labels");
    idx[1] = 999;
    rc = rs_source_fetch(s, RS_SPLIT_TEST, idx, 3, &b, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "index 999") != NULL,
           "dataset: a bad index is refused: %s", err.msg);
    rc = rs_source_draw(s, NULL, 3, 0, &b, &err);
    tap_ok(rc == RS_EINVAL && strstr(err.msg, "finite") != NULL,
           "dataset: draw refused: %s", err.msg);
    tap_ok(rs_source_as_dataset(s) == d, "as_dataset");
    rs_batch_fini(&b);
    rs_source_release(s);
    rs_dataset_release(d);
}

static void
test_seqtask(void)
{
    struct rs_seqtask_config t;
    rs_seqtask_config_default(&t);
    t.min_len = 3;
    t.max_len = 9;
    t.sep_every = 2;
    struct rs_error err = {0};
    rs_source *s = rs_source_seqtask(&t, &err);
    tap_ok(s != NULL, "seqtask source (%s)", err.msg);
    struct rs_source_info si;
    rs_source_info(s, &si);
    tap_ok(si.kind[0] == RS_NN_INPUT_TOKENS &&
               si.width[0] == rs_seqtask_seq_len(&t, 9) &&
               si.vocab[0] == RS_SEQ_VOCAB && si.classes == 10,
           "seqtask: tokens, width T(max_len), vocab 13, 10 classes");
    tap_ok(rs_source_is_generator(s), "seqtask: a generator");
    struct rs_rng r1, r2;
    rs_rng_seed(&r1, 42);
    rs_rng_seed(&r2, 42);
    struct rs_batch b;
    rs_batch_init(&b);
    int rc = rs_source_draw(s, &r1, 5, 0, &b, &err);
    int len = 3 + (int)rs_rng_below(&r2, 7);
    int T = rs_seqtask_seq_len(&t, len);
    int *ids = calloc((size_t)5 * (size_t)T, sizeof *ids), y[5];
    rc |= rs_seqtask_sample(&t, &r2, 5, len, ids, y, &err);
    tap_ok(rc == RS_OK && b.in[0].width == T &&
               memcmp(b.in[0].ids, ids, (size_t)5 * (size_t)T * sizeof *ids) ==
                   0 &&
               memcmp(b.y, y, sizeof y) == 0,
           "seqtask: draw = below(max - min + 1) then sample (len %d)", len);
    tap_ok(memcmp(&r1, &r2, sizeof r1) == 0, "seqtask: same RNG state after");
    free(ids);
    rc = rs_source_draw(s, &r1, 4, 20, &b, &err);
    tap_ok(rc == RS_OK && b.in[0].width == rs_seqtask_seq_len(&t, 20),
           "seqtask: len 20 beyond max_len on demand");
    rs_source_release(s);

    t.kind = RS_SEQTASK_COUNT_ONES;
    t.sep_every = 0;
    s = rs_source_seqtask(&t, &err);
    rc = rs_source_draw(s, &r1, 3, 6, &b, &err);
    tap_ok(rc == RS_OK && b.y[0] == 6 && b.y[2] == 6 && b.in[0].width == 7 &&
               b.in[0].ids[6] == RS_SEQ_QUERY && b.in[0].ids[0] == 1,
           "count_ones len 6: 1 1 1 1 1 1 ?, answer 6");
    rs_source_release(s);

    t.max_len = 0;
    s = rs_source_seqtask(&t, &err);
    tap_ok(s == NULL && strstr(err.msg, "max_len") != NULL,
           "seqtask: bad config refused: %s", err.msg);
    rs_batch_fini(&b);
}

static void
test_corpus(void)
{
    int ids[21];
    for (int i = 0; i < 21; i++)
        ids[i] = i;
    struct rs_error err = {0};
    rs_source *s = rs_source_corpus(ids, 21, 21, 4, 0.25, &err);
    tap_ok(s != NULL, "corpus (%s)", err.msg);
    tap_is_int(rs_source_count(s, RS_SPLIT_TRAIN), 4,
               "corpus: 4 train windows");
    tap_is_int(rs_source_count(s, RS_SPLIT_TEST), 1, "corpus: 1 test window");
    struct rs_source_info si;
    rs_source_info(s, &si);
    tap_ok(si.width[0] == 5 && si.vocab[0] == 21 && si.classes == 0,
           "corpus: width T + 1, vocab, unlabelled");
    struct rs_batch b;
    rs_batch_init(&b);
    int idx[2] = {1, 3};
    int rc = rs_source_fetch(s, RS_SPLIT_TRAIN, idx, 2, &b, &err);
    int want[10] = {4, 5, 6, 7, 8, 12, 13, 14, 15, 16};
    tap_ok(rc == RS_OK && b.y == NULL &&
               memcmp(b.in[0].ids, want, sizeof want) == 0,
           "corpus: train windows 1 and 3 are 4..8 and 12..16");
    rc = rs_source_fetch(s, RS_SPLIT_TEST, NULL, 1, &b, &err);
    tap_ok(rc == RS_OK && b.in[0].ids[0] == 16 && b.in[0].ids[4] == 20,
           "corpus: the test window is 16..20");
    rs_source_release(s);
    ids[3] = 21;
    s = rs_source_corpus(ids, 21, 21, 4, 0.25, &err);
    tap_ok(s == NULL && strstr(err.msg, "token 4 is 21") != NULL,
           "corpus: an id out of range: %s", err.msg);
    ids[3] = 3;
    s = rs_source_corpus(ids, 5, 21, 4, 0.6, &err);
    tap_ok(s == NULL && strstr(err.msg, "no train window") != NULL,
           "corpus: too short: %s", err.msg);
    s = rs_source_corpus(ids, 21, 21, 4, 1.0, &err);
    tap_ok(s == NULL && strstr(err.msg, "test_frac") != NULL,
           "corpus: test_frac 1: %s", err.msg);
    rs_batch_fini(&b);
}

static void
test_zip(void)
{
    rs_dataset *d = tap_modular(7, '+', 0.5f, 3);
    rs_source *a = rs_source_dataset(d);
    int ids[200];
    for (int i = 0; i < 200; i++)
        ids[i] = i % 9;
    struct rs_error err = {0};
    int na =
        rs_source_count(a, RS_SPLIT_TRAIN) + rs_source_count(a, RS_SPLIT_TEST);
    /* A corpus of exactly as many windows, split the same way. */
    double tf = (double)rs_source_count(a, RS_SPLIT_TEST) / na;
    rs_source *c = rs_source_corpus(ids, (size_t)na * 2 + 1, 9, 2, tf, &err);
    tap_ok(c != NULL && rs_source_count(c, RS_SPLIT_TRAIN) ==
                            rs_source_count(a, RS_SPLIT_TRAIN),
           "zip fixture: corpus with the dataset's split (%s)", err.msg);
    rs_source *z = rs_source_zip(a, c, &err);
    tap_ok(z != NULL, "zip of dataset and corpus (%s)", err.msg);
    struct rs_source_info si;
    rs_source_info(z, &si);
    tap_ok(si.ninputs == 2 && si.kind[0] == RS_NN_INPUT_FEATURES &&
               si.kind[1] == RS_NN_INPUT_TOKENS && si.width[1] == 3 &&
               si.classes == 7,
           "zip: features + tokens, a's classes");
    struct rs_batch b, ba, bc;
    rs_batch_init(&b);
    rs_batch_init(&ba);
    rs_batch_init(&bc);
    int idx[2] = {4, 1};
    int rc = rs_source_fetch(z, RS_SPLIT_TRAIN, idx, 2, &b, &err);
    rc |= rs_source_fetch(a, RS_SPLIT_TRAIN, idx, 2, &ba, &err);
    rc |= rs_source_fetch(c, RS_SPLIT_TRAIN, idx, 2, &bc, &err);
    tap_ok(rc == RS_OK && b.ninputs == 2 &&
               memcmp(b.in[0].x, ba.in[0].x, 2 * 14 * sizeof(float)) == 0 &&
               memcmp(b.in[1].ids, bc.in[0].ids, 6 * sizeof(int)) == 0 &&
               memcmp(b.y, ba.y, 2 * sizeof(int)) == 0,
           "zip: example i is (a_i, b_i) with a's label");
    rs_source_release(z);
    rs_source_release(c);

    struct rs_seqtask_config t;
    rs_seqtask_config_default(&t);
    rs_source *g = rs_source_seqtask(&t, &err);
    z = rs_source_zip(a, g, &err);
    tap_ok(z == NULL && strstr(err.msg, "both must be finite") != NULL,
           "zip: finite with a generator refused: %s", err.msg);
    z = rs_source_zip(g, g, &err);
    struct rs_rng r1, r2;
    rs_rng_seed(&r1, 5);
    rs_rng_seed(&r2, 5);
    rc = rs_source_draw(z, &r1, 3, 4, &b, &err);
    rc |= rs_source_draw(g, &r2, 3, 4, &ba, &err);
    rc |= rs_source_draw(g, &r2, 3, 4, &bc, &err);
    size_t m = (size_t)3 * (size_t)ba.in[0].width;
    tap_ok(rc == RS_OK && memcmp(b.in[0].ids, ba.in[0].ids, m * 4) == 0 &&
               memcmp(b.in[1].ids, bc.in[0].ids, m * 4) == 0,
           "zip of generators: a draws first, then b, from one stream");
    rs_source_release(z);
    rs_source_release(g);
    rs_batch_fini(&b);
    rs_batch_fini(&ba);
    rs_batch_fini(&bc);
    rs_source_release(a);
    rs_dataset_release(d);
}

int
main(void)
{
    tap_plan_lazy();
    test_dataset();
    test_seqtask();
    test_corpus();
    test_zip();
    return tap_done();
}
