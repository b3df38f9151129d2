/* repscope - MIT licence, see COPYING.
 *
 * learner_state.c: the learner's checkpoint words, the no-grad forward
 * for probes, the diagonal Fisher and the accessors (see learner.h; the
 * struct is in learner_impl.h).
 *
 * State words (layout 1): magic, steps, the batch RNG (4), pos, ntrain,
 * loss_sum, acc_sum, loss_count, acc_count, the optimiser's step count,
 * the objective's word count, then the epoch permutation (ntrain words;
 * none when it is still the identity: ntrain then has PERM_IDENTITY set)
 * and the objective's words; then, once the objective has reported extra scalars
 * (rs_obj_stats), their log sums and counts (2 RS_OBJ_MAX_EXTRAS words).
 * A state without that tail loads with the extras' sums zero. A learner
 * with a driver puts the driver's section between the objective's words
 * and that tail: DRIVER_MAGIC, the kind (its bytes, first in the low
 * byte), the update count, the driver's word count k, then its k words.
 * A state is refused by a learner whose driver (or lack of one) differs.
 * Once live-only noise was set (learner_demp.c), a noise section follows
 * the driver's (before the extras tail): NOISE_MAGIC and the noise
 * stream (4). A state without it leaves a loading learner's noise stream
 * at its first seeding, which is where the saver's was (it never drew).
 * Worker thread only.
 */
#include "config.h"

#include "algo/learner.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "algo/learner_impl.h"

/* First word of the saved state ("RSLRN", layout 1). */
#define STATE_MAGIC UINT64_C(0x52534c524e000001)
#define STATE_FIXED 14
#define STATE_EXTRAS (2 * RS_OBJ_MAX_EXTRAS)
/* The extras tail of states saved when there were 4 extras at most. */
#define STATE_EXTRAS_4 8
/* In the ntrain word: the permutation is the identity and not stored. */
#define PERM_IDENTITY (UINT64_C(1) << 62)
/* First word of a driver's section ("RSDRV", layout 1) and its header. */
#define DRIVER_MAGIC UINT64_C(0x5253445256000001)
#define DRIVER_HEAD 4
/* First word of the noise section ("RSNOI", layout 1) and its size. */
#define NOISE_MAGIC UINT64_C(0x52534e4f49000001)
#define NOISE_WORDS 5
/* Most batches a Fisher estimate takes (a typo guard). */
#define FISHER_MAX_BATCHES 1000000
/* Most examples per Fisher batch (a typo guard). */
#define FISHER_MAX_ROWS 65536

/* The words before the optional extras tail. */
/* The permutation's words: none while it is the identity. */
static size_t
perm_words(const rs_learner *l)
{
    return l->perm != NULL ? (size_t)l->ntrain : 0;
}

static size_t
state_base(const rs_learner *l)
{
    return STATE_FIXED + perm_words(l) + rs_objective_state_words(l->obj);
}

/* True once the objective has reported extras, or a loaded state had
 * pending extras sums: the tail is saved. */
static bool
has_extras(const rs_learner *l)
{
    for (int i = 0; i < RS_OBJ_MAX_EXTRAS; i++)
        if (l->extra_name[i] != NULL || l->extra_count[i] > 0)
            return true;
    return false;
}

/* The driver section's words (0 without a driver). */
static size_t
driver_words(const rs_learner *l)
{
    return l->drv != NULL ? DRIVER_HEAD + l->drv->state_words(l->drv_impl) : 0;
}

static size_t
noise_words(const rs_learner *l)
{
    return l->noise_set ? NOISE_WORDS : 0;
}

size_t
rs_learner_state_words(const rs_learner *l)
{
    return state_base(l) + driver_words(l) + noise_words(l) +
           (has_extras(l) ? STATE_EXTRAS : 0);
}

/* A driver kind (at most 8 bytes) as one word, and back. */
static uint64_t
kind_word(const char *kind)
{
    uint64_t w = 0;
    for (int i = 0; i < 8 && kind[i] != '\0'; i++)
        w |= (uint64_t)(unsigned char)kind[i] << (8 * i);
    return w;
}

static void
word_kind(uint64_t w, char out[9])
{
    for (int i = 0; i < 8; i++) {
        unsigned char c = (unsigned char)(w >> (8 * i));
        bool word =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        out[i] = word ? (char)c : c == 0 ? '\0' : '?';
    }
    out[8] = '\0';
}

void
rs_learner_state_save(const rs_learner *l, uint64_t *out)
{
    out[0] = STATE_MAGIC;
    out[1] = (uint64_t)l->steps;
    for (int i = 0; i < 4; i++)
        out[2 + i] = l->rng.s[i];
    out[6] = (uint64_t)l->pos;
    out[7] = (uint64_t)l->ntrain | (l->perm == NULL ? PERM_IDENTITY : 0);
    out[8] = rs_double_bits(l->loss_sum);
    out[9] = rs_double_bits(l->acc_sum);
    out[10] = (uint64_t)l->loss_count;
    out[11] = (uint64_t)l->acc_count;
    out[12] = (uint64_t)rs_optim_steps(l->optim);
    out[13] = (uint64_t)rs_objective_state_words(l->obj);
    for (size_t i = 0; i < perm_words(l); i++)
        out[STATE_FIXED + i] = (uint64_t)l->perm[i];
    rs_objective_state_save(l->obj, out + STATE_FIXED + perm_words(l));
    uint64_t *tail = out + state_base(l);
    if (l->drv != NULL) {
        tail[0] = DRIVER_MAGIC;
        tail[1] = kind_word(l->drv->kind);
        tail[2] = (uint64_t)l->updates;
        tail[3] = (uint64_t)l->drv->state_words(l->drv_impl);
        l->drv->state_save(l->drv_impl, tail + DRIVER_HEAD);
        tail += driver_words(l);
    }
    if (l->noise_set) {
        tail[0] = NOISE_MAGIC;
        for (int i = 0; i < 4; i++)
            tail[1 + i] = l->noise_rng.s[i];
        tail += NOISE_WORDS;
    }
    for (int i = 0; has_extras(l) && i < RS_OBJ_MAX_EXTRAS; i++) {
        tail[2 * i] = rs_double_bits(l->extra_sum[i]);
        tail[2 * i + 1] = (uint64_t)l->extra_count[i];
    }
}

/* The driver section of in (n words) at base against l's driver: RS_OK
 * with *end the first word after it (base without a driver), else
 * RS_EFORMAT naming the mismatch. */
static int
check_driver(const rs_learner *l, const uint64_t *in, size_t n, size_t base,
             size_t *end, struct rs_error *err)
{
    bool saved = n >= base + DRIVER_HEAD && in[base] == DRIVER_MAGIC;
    char kind[9] = "";
    if (saved)
        word_kind(in[base + 1], kind);
    *end = base;
    if (l->drv == NULL && !saved)
        return RS_OK;
    if (l->drv == NULL)
        return rs_error_set(err, RS_EFORMAT,
                            "the learner state has the words of a '%s' "
                            "driver, this learner has no driver",
                            kind);
    if (!saved)
        return rs_error_set(err, RS_EFORMAT,
                            "the learner state has no driver words, this "
                            "learner has a '%s' driver",
                            l->drv->kind);
    if (in[base + 1] != kind_word(l->drv->kind))
        return rs_error_set(err, RS_EFORMAT,
                            "the learner state has the words of a '%s' "
                            "driver, this learner has a '%s' driver",
                            kind, l->drv->kind);
    if (in[base + 2] > (uint64_t)LONG_MAX ||
        in[base + 3] > (uint64_t)(n - base - DRIVER_HEAD))
        return rs_error_set(err, RS_EFORMAT, "corrupt learner state");
    *end = base + DRIVER_HEAD + (size_t)in[base + 3];
    return RS_OK;
}

/* The driver's words from in (section at base), then the objective's;
 * both or neither: a refused objective gives the driver its old words
 * back. */
static int
load_parts(rs_learner *l, const uint64_t *in, size_t pw, size_t base,
           struct rs_error *err)
{
    size_t ow = rs_objective_state_words(l->obj);
    const uint64_t *ow_in = in + STATE_FIXED + pw;
    if (l->drv == NULL)
        return rs_objective_state_load(l->obj, ow_in, ow, err);
    size_t old_n = l->drv->state_words(l->drv_impl);
    uint64_t *old = rs_xcalloc(old_n > 0 ? old_n : 1, sizeof *old);
    l->drv->state_save(l->drv_impl, old);
    int rc = l->drv->state_load(l->drv_impl, in + base + DRIVER_HEAD,
                                (size_t)in[base + 3], err);
    if (rc == RS_OK) {
        rc = rs_objective_state_load(l->obj, ow_in, ow, err);
        if (rc != RS_OK) {
            int back = l->drv->state_load(l->drv_impl, old, old_n, NULL);
            RS_ASSERT(back == RS_OK); /* its own words */
        }
    }
    free(old);
    return rc;
}

int
rs_learner_state_load(rs_learner *l, const uint64_t *in, size_t n,
                      struct rs_error *err)
{
    if (n < STATE_FIXED || in[0] != STATE_MAGIC)
        return rs_error_set(err, RS_EFORMAT, "not a learner state (%zu words)",
                            n);
    size_t ow = rs_objective_state_words(l->obj);
    bool identity = (in[7] & PERM_IDENTITY) != 0;
    if ((in[7] & ~PERM_IDENTITY) != (uint64_t)l->ntrain)
        return rs_error_set(err, RS_EFORMAT,
                            "the learner state has %llu train examples, "
                            "this source has %d",
                            (unsigned long long)(in[7] & ~PERM_IDENTITY),
                            l->ntrain);
    size_t pw = identity ? 0 : (size_t)l->ntrain;
    size_t base = STATE_FIXED + pw + ow;
    if (in[13] != (uint64_t)ow || n < base)
        return rs_error_set(err, RS_EFORMAT,
                            "the learner state has %llu words of %s "
                            "objective state, this objective has %zu",
                            (unsigned long long)in[13],
                            rs_objective_kind(l->obj), ow);
    size_t end;
    if (check_driver(l, in, n, base, &end, err) != RS_OK)
        return RS_EFORMAT;
    /* the noise section, if any */
    size_t noise = 0;
    if (n >= end + NOISE_WORDS && in[end] == NOISE_MAGIC &&
        (n == end + NOISE_WORDS || n == end + NOISE_WORDS + STATE_EXTRAS ||
         n == end + NOISE_WORDS + STATE_EXTRAS_4)) {
        noise = end + 1;
        end += NOISE_WORDS;
    }
    /* the extras tail: this layout's, or the 4-extras one before it */
    int nextras = n == end + STATE_EXTRAS     ? RS_OBJ_MAX_EXTRAS
                  : n == end + STATE_EXTRAS_4 ? STATE_EXTRAS_4 / 2
                                              : 0;
    bool tail = nextras > 0;
    if (n != end && !tail)
        return rs_error_set(err, RS_EFORMAT,
                            "the learner state has %zu words, this learner "
                            "reads %zu (or %zu with logged extras)",
                            n, end, end + STATE_EXTRAS);
    if (in[6] > (uint64_t)l->ntrain || in[1] > (uint64_t)LONG_MAX ||
        in[10] > (uint64_t)LONG_MAX || in[11] > (uint64_t)LONG_MAX ||
        in[12] > (uint64_t)LONG_MAX)
        return rs_error_set(err, RS_EFORMAT, "corrupt learner state");
    for (int i = 0; i < nextras; i++)
        if (in[end + 2 * (size_t)i + 1] > (uint64_t)LONG_MAX)
            return rs_error_set(err, RS_EFORMAT, "corrupt learner state");
    /* The permutation must be one, or the next epoch reads out of range. */
    char *seen = pw > 0 ? rs_xcalloc(pw, 1) : NULL;
    int bad = 0;
    for (size_t i = 0; i < pw && !bad; i++) {
        uint64_t v = in[STATE_FIXED + i];
        bad = v >= (uint64_t)l->ntrain || seen[v];
        if (!bad)
            seen[v] = 1;
    }
    free(seen);
    if (bad)
        return rs_error_set(err, RS_EFORMAT,
                            "corrupt learner state (not a permutation)");
    /* The driver and the objective last of the checks: they change
     * nothing on error. */
    int rc = load_parts(l, in, pw, base, err);
    if (rc != RS_OK)
        return rc;
    l->steps = (long)in[1];
    for (int i = 0; i < 4; i++)
        l->rng.s[i] = in[2 + i];
    l->pos = (long)in[6];
    l->loss_sum = rs_bits_double(in[8]);
    l->acc_sum = rs_bits_double(in[9]);
    l->loss_count = (long)in[10];
    l->acc_count = (long)in[11];
    rs_optim_set_steps(l->optim, (long)in[12]);
    if (l->drv != NULL)
        l->updates = (long)in[base + 2];
    if (noise > 0) {
        for (int i = 0; i < 4; i++)
            l->noise_rng.s[i] = in[noise + (size_t)i];
    } else {
        struct rs_learner_noise nz = l->noise;
        bool set = l->noise_set;
        rs_learner_noise_init(l); /* the stream's first seeding */
        l->noise = nz;
        l->noise_set = set;
    }
    for (int i = 0; i < RS_OBJ_MAX_EXTRAS; i++) {
        bool held = i < nextras;
        l->extra_sum[i] = held ? rs_bits_double(in[end + 2 * (size_t)i]) : 0.0;
        l->extra_count[i] = held ? (long)in[end + 2 * (size_t)i + 1] : 0;
    }
    if (identity) {
        free(l->perm);
        l->perm = NULL;
    } else {
        rs_learner_perm(l);
        for (size_t i = 0; i < pw; i++)
            l->perm[i] = (int)in[STATE_FIXED + i];
    }
    l->probe_valid = false;
    memset(&l->last, 0, sizeof l->last);
    return RS_OK;
}

/* ---- probes ------------------------------------------------------------ */

int
rs_learner_probe_forward(rs_learner *l, enum rs_split split, int n, int *rows,
                         struct rs_error *err)
{
    if (l->probe_valid && l->probe_split == (int)split && l->probe_n == n) {
        *rows = l->probe_rows;
        return RS_OK;
    }
    l->probe_valid = false;
    rs_graph_reset(l->g);
    int m, rc;
    if (l->ntrain > 0) {
        int count = rs_source_count(l->src, split);
        m = n <= 0 || n > count ? count : n;
        if (m < 1)
            return rs_error_set(err, RS_EINVAL, "the %s split is empty",
                                rs_dataset_split_name(split));
        rc = rs_source_fetch(l->src, split, NULL, m, &l->ebatch, err);
    } else {
        m = n > 0 ? n : l->cfg.eval_n > 0 ? l->cfg.eval_n : l->cfg.batch;
        if (m > RS_LEARNER_MAX_BATCH)
            return rs_error_set(err, RS_EINVAL,
                                "probe n = %d (must be in 1..%d)", m,
                                RS_LEARNER_MAX_BATCH);
        struct rs_rng r;
        rs_learner_eval_rng(l, l->cfg.eval_len, &r);
        rc = rs_source_draw(l->src, &r, m, l->cfg.eval_len, &l->ebatch, err);
    }
    if (rc != RS_OK)
        return rc;
    rs_graph_set_grad(l->g, false);
    struct rs_obj_ctx c;
    rs_learner_ctx(l, &c, &l->ebatch, false);
    rs_tensor *o = rs_obj_forward(&c, l->mod[0], 0);
    rs_graph_set_grad(l->g, true);
    if (o == NULL)
        return rs_learner_graph_error(l, err);
    l->probe_valid = true;
    l->probe_split = (int)split;
    l->probe_n = n;
    l->probe_rows = m;
    *rows = m;
    return RS_OK;
}

const struct rs_batch *
rs_learner_probe_batch(const rs_learner *l)
{
    return l->probe_valid ? &l->ebatch : NULL;
}

/* ---- the Fisher diagonal ----------------------------------------------- */

int
rs_learner_fisher(rs_learner *l, int batches, int rows, rs_tensor **out,
                  struct rs_error *err)
{
    if (batches < 1 || batches > FISHER_MAX_BATCHES)
        return rs_error_set(err, RS_EINVAL,
                            "fisher batches = %d (must be in 1..%d)", batches,
                            FISHER_MAX_BATCHES);
    if (rows < 0 || rows > FISHER_MAX_ROWS)
        return rs_error_set(err, RS_EINVAL,
                            "fisher rows = %d (must be in 0..%d)", rows,
                            FISHER_MAX_ROWS);
    if (rows == 0)
        rows = l->cfg.batch;
    l->probe_valid = false;
    rs_graph_reset(l->g);
    rs_graph_set_grad(l->g, true);
    int np = rs_nn_model_count(l->params);
    for (int i = 0; i < np; i++) {
        rs_tensor *p = rs_nn_model_param(l->params, i);
        out[i] = rs_tensor_new(p->ndim, p->shape, err);
        if (out[i] == NULL) {
            for (int k = 0; k < i; k++) {
                rs_tensor_release(out[k]);
                out[k] = NULL;
            }
            return err != NULL ? err->code : RS_ENOMEM;
        }
        memset(out[i]->data, 0, out[i]->numel * sizeof(float));
    }
    /* A copy of the sampler: the learner's stream stays where it is. */
    struct rs_rng r = l->rng;
    long pos = l->pos;
    int *perm = NULL;
    if (l->ntrain > 0) {
        perm = rs_xcalloc((size_t)l->ntrain, sizeof *perm);
        for (int i = 0; i < l->ntrain; i++)
            perm[i] = l->perm != NULL ? l->perm[i] : i;
    }
    rs_optim_zero_grad(l->optim);
    int rc = RS_OK;
    for (int k = 0; k < batches && rc == RS_OK; k++) {
        rc = rs_learner_draw(l, &r, perm, &pos, rows, &l->ebatch, err);
        if (rc != RS_OK)
            break;
        struct rs_obj_ctx c;
        rs_learner_ctx(l, &c, &l->ebatch, true);
        struct rs_obj_stats st;
        rs_tensor *loss = rs_objective_loss(l->obj, &c, &st);
        if (loss == NULL) {
            rc = rs_learner_graph_error(l, err);
            break;
        }
        rc = rs_graph_backward(l->g, loss, err);
        /* F_i += g_i^2 (per-batch gradients) */
        for (int i = 0; i < np && rc == RS_OK; i++) {
            const rs_tensor *p = rs_nn_model_param(l->params, i);
            float *f = out[i]->data;
            for (size_t j = 0; p->grad != NULL && j < p->numel; j++)
                f[j] += p->grad[j] * p->grad[j];
        }
        rs_optim_zero_grad(l->optim);
        rs_graph_reset(l->g);
    }
    free(perm);
    rs_graph_reset(l->g);
    if (rc != RS_OK) {
        for (int i = 0; i < np; i++) {
            rs_tensor_release(out[i]);
            out[i] = NULL;
        }
        return rc;
    }
    float inv = 1.0f / (float)batches;
    for (int i = 0; i < np; i++)
        for (size_t j = 0; j < out[i]->numel; j++)
            out[i]->data[j] *= inv;
    return RS_OK;
}

/* ---- accessors --------------------------------------------------------- */

const char *
rs_learner_name(const rs_learner *l)
{
    return l->cfg.name;
}

int
rs_learner_nmodules(const rs_learner *l)
{
    return l->nmod;
}

rs_nn_module *
rs_learner_module(const rs_learner *l, int i)
{
    return i >= 0 && i < l->nmod ? l->mod[i] : NULL;
}

rs_nn_model *
rs_learner_params(const rs_learner *l)
{
    return l->params;
}

rs_optim *
rs_learner_optim(const rs_learner *l)
{
    return l->optim;
}

rs_objective *
rs_learner_objective(const rs_learner *l)
{
    return l->obj;
}

rs_source *
rs_learner_source(const rs_learner *l)
{
    return l->src;
}

const struct rs_learner_config *
rs_learner_config(const rs_learner *l)
{
    return &l->cfg;
}

long
rs_learner_steps(const rs_learner *l)
{
    return l->steps;
}

float
rs_learner_lr(const rs_learner *l)
{
    return rs_sched_lr(&l->cfg.sched, l->steps);
}

const struct rs_learner_stats *
rs_learner_last(const rs_learner *l)
{
    return &l->last;
}
