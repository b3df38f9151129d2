/* repscope - MIT licence, see COPYING.
 *
 * optim.c: SGD (momentum, dampening, Nesterov), Adam and AdamW with the
 * update rules of torch.optim 1.13 (_single_tensor_sgd/adam/adamw), plus
 * torch.nn.utils.clip_grad_norm_-style clipping: of all gradients at once
 * (the default, one group), or one clip per group of parameters.
 *
 * Invariants:
 *   - every slot's parameter is retained and is_param (has a grad buffer);
 *   - state is one 64-byte aligned block per parameter: SGD's momentum
 *     buffer (allocated only while momentum is or was > 0), or Adam's m then
 *     v, v starting on a 64-byte boundary;
 *   - a step first scans every gradient (sum of squares in double, which
 *     cannot overflow for finite floats, so a non-finite sum means a
 *     non-finite element) and only then touches parameters and state;
 *   - the piece list below always covers the current parameters: it is
 *     rebuilt whenever rs_optim_replace_params swaps one;
 *   - gradients are never modified: clipping is folded into the update as
 *     a scale on each gradient element (torch scales p.grad in place first;
 *     the updated parameters are the same), the scale of the parameter's
 *     clip group;
 *   - a group's sum of squares adds its parameters' sums in parameter
 *     order, as the global one does, so with one group (the default) the
 *     group's norm is the global norm bit for bit.
 * Per-step scalars are computed in double, as torch does in Python, and
 * cast to float once; the element loops are plain float loops in fixed
 * blocks so the compiler can vectorise them.
 *
 * Threads: the scan, the update and zero_grad run on the engine's pool
 * (core/pool.h), split into pieces of at most OPTIM_PIECE elements of one
 * parameter each. The pieces depend only on the parameter sizes, and the
 * sums of squares are added piece by piece in a fixed order, so results
 * are the same at any thread count. Worker thread only.
 */
#include "config.h"

#include "core/optim.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/optim_impl.h"
#include "core/pool.h"

/* Elements per block of the update loops (a multiple of every vector
 * width; see prec.c for why fixed blocks). */
#define OPTIM_BLOCK 16
/* Elements per piece handed to a thread (a multiple of OPTIM_BLOCK): an
 * Adam piece moves 256 KiB (p, g, m, v), tens of microseconds, against
 * about a microsecond to hand it over. */
#define OPTIM_PIECE 16384

void
rs_optim_config_default(struct rs_optim_config *cfg, enum rs_optim_kind kind)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->kind = kind;
    cfg->lr = 1e-3f;
    cfg->beta1 = 0.9f;
    cfg->beta2 = 0.999f;
    cfg->eps = 1e-8f;
    cfg->weight_decay = kind == RS_OPTIM_ADAMW ? 0.01f : 0.0f;
}

const char *
rs_optim_kind_name(enum rs_optim_kind kind)
{
    switch (kind) {
    case RS_OPTIM_SGD:
        return "sgd";
    case RS_OPTIM_ADAM:
        return "adam";
    case RS_OPTIM_ADAMW:
        return "adamw";
    }
    return "?";
}

int
rs_optim_kind_parse(const char *name)
{
    static const enum rs_optim_kind kinds[] = {RS_OPTIM_SGD, RS_OPTIM_ADAM,
                                               RS_OPTIM_ADAMW};
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < RS_ARRAY_LEN(kinds); i++)
        if (strcmp(name, rs_optim_kind_name(kinds[i])) == 0)
            return (int)kinds[i];
    return -1;
}

/* The shortest decimal that rounds to x, as a double: 0.9f acts as
 * Python's 0.9. torch computes its per-step scalars (1 - beta1,
 * lr / (1 - beta1^t), ...) in double from such literals; widening x
 * directly would give 0.89999997615814209 and a different float. */
static double
widen(float x)
{
    if (!isfinite(x) || x == 0.0f)
        return (double)x;
    char buf[32];
    for (int digits = 6; digits <= 9; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, (double)x);
        double d = strtod(buf, NULL);
        if ((float)d == x)
            return d;
    }
    return (double)x;
}

/* Cache the widened hyper-parameters of o->cfg. */
static void
widen_config(rs_optim *o)
{
    const struct rs_optim_config *cfg = &o->cfg;
    o->wd = widen(cfg->weight_decay);
    o->beta1 = widen(cfg->beta1);
    o->beta2 = widen(cfg->beta2);
    o->eps = widen(cfg->eps);
    o->momentum = widen(cfg->momentum);
    o->dampening = widen(cfg->dampening);
    o->clip = widen(cfg->clip_norm);
}

static int
check_config(const struct rs_optim_config *cfg, struct rs_error *err)
{
    if (cfg->kind != RS_OPTIM_SGD && cfg->kind != RS_OPTIM_ADAM &&
        cfg->kind != RS_OPTIM_ADAMW)
        return rs_error_set(err, RS_EINVAL, "unknown optimiser kind %d",
                            (int)cfg->kind);
    if (!(isfinite(cfg->lr) && cfg->lr >= 0.0f))
        return rs_error_set(err, RS_EINVAL,
                            "invalid learning rate %g (must be >= 0)",
                            (double)cfg->lr);
    if (!(isfinite(cfg->weight_decay) && cfg->weight_decay >= 0.0f))
        return rs_error_set(err, RS_EINVAL,
                            "invalid weight_decay %g (must be >= 0)",
                            (double)cfg->weight_decay);
    if (!(isfinite(cfg->clip_norm) && cfg->clip_norm >= 0.0f))
        return rs_error_set(err, RS_EINVAL,
                            "invalid clip_norm %g (0 = off, or > 0)",
                            (double)cfg->clip_norm);
    if (cfg->kind == RS_OPTIM_SGD) {
        if (!(isfinite(cfg->momentum) && cfg->momentum >= 0.0f))
            return rs_error_set(err, RS_EINVAL,
                                "invalid momentum %g (must be >= 0)",
                                (double)cfg->momentum);
        if (!isfinite(cfg->dampening))
            return rs_error_set(err, RS_EINVAL, "invalid dampening %g",
                                (double)cfg->dampening);
        if (cfg->nesterov && (cfg->momentum <= 0.0f || cfg->dampening != 0.0f))
            return rs_error_set(err, RS_EINVAL,
                                "nesterov needs momentum > 0 and "
                                "dampening 0 (got %g, %g)",
                                (double)cfg->momentum, (double)cfg->dampening);
        return RS_OK;
    }
    if (!(cfg->beta1 >= 0.0f && cfg->beta1 < 1.0f))
        return rs_error_set(err, RS_EINVAL,
                            "invalid beta1 %g (must be in [0, 1))",
                            (double)cfg->beta1);
    if (!(cfg->beta2 >= 0.0f && cfg->beta2 < 1.0f))
        return rs_error_set(err, RS_EINVAL,
                            "invalid beta2 %g (must be in [0, 1))",
                            (double)cfg->beta2);
    if (!(isfinite(cfg->eps) && cfg->eps >= 0.0f))
        return rs_error_set(err, RS_EINVAL,
                            "invalid eps %g (must be >= 0)",
                            (double)cfg->eps);
    return RS_OK;
}

/* Number of state floats per element for cfg: Adam 2, SGD 1 while momentum
 * is on, else 0. */
static int
state_count(const struct rs_optim_config *cfg)
{
    if (cfg->kind != RS_OPTIM_SGD)
        return 2;
    return cfg->momentum > 0.0f ? 1 : 0;
}

int
rs_optim_alloc_state(struct optim_slot *s, int count, int index,
                     struct rs_error *err)
{
    size_t n = s->p->numel;
    size_t stride = (n + 15) & ~(size_t)15; /* 64-byte multiple */
    size_t bytes = (size_t)count * stride * sizeof(float);
    s->state = rs_aligned_alloc(bytes);
    if (s->state == NULL)
        return rs_error_set(err, RS_ENOMEM,
                            "cannot allocate state for parameter %d "
                            "(%zu floats)",
                            index, (size_t)count * stride);
    memset(s->state, 0, bytes);
    s->m = s->state;
    s->v = count > 1 ? s->state + stride : NULL;
    return RS_OK;
}

void
rs_optim_make_pieces(rs_optim *o)
{
    size_t count = 0;
    for (int i = 0; i < o->n; i++)
        count += (o->slot[i].p->numel + OPTIM_PIECE - 1) / OPTIM_PIECE;
    RS_ASSERT(count <= (size_t)INT_MAX);
    o->npieces = (int)count;
    if (count == 0)
        return;
    o->piece = rs_xreallocarray(NULL, count, sizeof *o->piece);
    o->part = rs_xreallocarray(NULL, count, sizeof *o->part);
    int k = 0;
    for (int i = 0; i < o->n; i++)
        for (size_t lo = 0; lo < o->slot[i].p->numel; lo += OPTIM_PIECE) {
            size_t hi = o->slot[i].p->numel - lo > OPTIM_PIECE
                            ? lo + OPTIM_PIECE
                            : o->slot[i].p->numel;
            o->piece[k++] = (struct optim_piece){.slot = i, .lo = lo, .hi = hi};
        }
}

rs_optim *
rs_optim_new(const struct rs_optim_config *cfg, rs_tensor *const *params,
             int nparams, struct rs_error *err)
{
    if (check_config(cfg, err) != RS_OK)
        return NULL;
    if (nparams < 1) {
        rs_error_set(err, RS_EINVAL, "empty parameter list");
        return NULL;
    }
    for (int i = 0; i < nparams; i++) {
        const rs_tensor *p = params[i];
        if (p == NULL || !p->is_param || p->grad == NULL || p->refs < 1) {
            rs_error_set(err, RS_EINVAL,
                         "parameter %d (%s) is not a trainable "
                         "parameter tensor",
                         i, p != NULL && p->name != NULL ? p->name : "-");
            return NULL;
        }
        for (int j = 0; j < i; j++)
            if (params[j] == p) {
                rs_error_set(err, RS_EINVAL,
                             "parameter %d (%s) repeats parameter %d", i,
                             p->name != NULL ? p->name : "-", j);
                return NULL;
            }
    }

    rs_optim *o = rs_xcalloc(1, sizeof *o);
    o->cfg = *cfg;
    widen_config(o);
    o->lr_f = 0.0f;
    o->lr_d = 0.0;
    o->n = nparams;
    o->buf_fresh = true;
    o->slot = rs_xcalloc((size_t)nparams, sizeof *o->slot);
    int count = state_count(cfg);
    for (int i = 0; i < nparams; i++) {
        struct optim_slot *s = &o->slot[i];
        rs_tensor_retain(params[i]);
        s->p = params[i];
        s->decay = true;
        if (count > 0 && rs_optim_alloc_state(s, count, i, err) != RS_OK) {
            rs_optim_free(o);
            return NULL;
        }
    }
    rs_optim_make_pieces(o);
    return o;
}

void
rs_optim_free(rs_optim *o)
{
    if (o == NULL)
        return;
    for (int i = 0; i < o->n; i++) {
        rs_aligned_free(o->slot[i].state);
        rs_tensor_release(o->slot[i].p);
    }
    free(o->slot);
    free(o->piece);
    free(o->part);
    free(o);
}

/* ---- element loops ------------------------------------------------------- */

/* Sum of squares in double with four accumulators (the reduction order is
 * fixed, so results are reproducible). */
static double
sum_squares(const float *restrict x, size_t n)
{
    double acc[4] = {0.0, 0.0, 0.0, 0.0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (size_t j = 0; j < 4; j++)
            acc[j] += (double)x[i + j] * (double)x[i + j];
    for (; i < n; i++)
        acc[0] += (double)x[i] * (double)x[i];
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

static long
first_nonfinite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return (long)i;
    return -1;
}

/* Per-step scalars, already cast to float. */
struct step_coef {
    float gs;  /* gradient scale from clipping (1 if none) */
    float wd;  /* coupled L2 coefficient added to the gradient */
    float nlr; /* SGD: -lr */
    float bm;  /* SGD buffer: buf = bm * buf + bd * d */
    float bd;
    float cn; /* SGD direction: cn * d + cb * buf */
    float cb;
    float decay;          /* AdamW: 1 - lr * wd */
    float b1, c1, b2, c2; /* Adam: betas and 1 - betas */
    float bc2s;           /* sqrt(1 - beta2^t) */
    float eps;
    float nstep; /* -lr / (1 - beta1^t) */
};

/* The update loops take every coefficient as a local float (never through
 * the struct pointer, which the compiler would reload after each store)
 * and run in fixed blocks of OPTIM_BLOCK followed by the same body for the
 * tail, written out in place: with a helper function inlined in between,
 * GCC loses the restrict information and stops vectorising. */

/* p -= lr * (g * gs + wd * p), torch's param.add_(d_p, alpha=-lr). */
RS_VEC_CLONES static void
sgd_update(float *restrict p, const float *restrict g, size_t n,
           const struct step_coef *c)
{
    float gs = c->gs, wd = c->wd, nlr = c->nlr;
    size_t i = 0;
    for (; i + OPTIM_BLOCK <= n; i += OPTIM_BLOCK)
        for (size_t j = i; j < i + OPTIM_BLOCK; j++) {
            float d = g[j] * gs + wd * p[j];
            p[j] = p[j] + nlr * d;
        }
    for (; i < n; i++) {
        float d = g[i] * gs + wd * p[i];
        p[i] = p[i] + nlr * d;
    }
}

/* buf = momentum * buf + (1 - dampening) * d (first step: buf = d, via
 * bm = 0, bd = 1 on a zeroed buffer); then the direction is buf, or
 * d + momentum * buf with Nesterov (cn, cb select which). */
RS_VEC_CLONES static void
sgd_momentum_update(float *restrict p, float *restrict buf,
                    const float *restrict g, size_t n,
                    const struct step_coef *c)
{
    float gs = c->gs, wd = c->wd, bm = c->bm, bd = c->bd, cn = c->cn;
    float cb = c->cb, nlr = c->nlr;
    size_t i = 0;
    for (; i + OPTIM_BLOCK <= n; i += OPTIM_BLOCK)
        for (size_t j = i; j < i + OPTIM_BLOCK; j++) {
            float d = g[j] * gs + wd * p[j];
            float b = bm * buf[j] + bd * d;
            buf[j] = b;
            p[j] = p[j] + nlr * (cn * d + cb * b);
        }
    for (; i < n; i++) {
        float d = g[i] * gs + wd * p[i];
        float b = bm * buf[i] + bd * d;
        buf[i] = b;
        p[i] = p[i] + nlr * (cn * d + cb * b);
    }
}

/* torch order: (AdamW) p *= 1 - lr*wd; (Adam) g += wd * p;
 * m = m*b1 + (1-b1)*g; v = v*b2 + (1-b2)*g*g;
 * p += -step_size * m / (sqrt(v) / sqrt(bc2) + eps).
 * Vectorised only with -fno-math-errno: otherwise GCC guards each sqrtf
 * with an errno branch. */
RS_VEC_CLONES static void
adam_update(float *restrict p, float *restrict m, float *restrict v,
            const float *restrict g, size_t n, const struct step_coef *c)
{
    float gs = c->gs, wd = c->wd, decay = c->decay, b1 = c->b1, c1 = c->c1;
    float b2 = c->b2, c2 = c->c2, bc2s = c->bc2s, eps = c->eps;
    float nstep = c->nstep;
    size_t i = 0;
    for (; i + OPTIM_BLOCK <= n; i += OPTIM_BLOCK)
        for (size_t j = i; j < i + OPTIM_BLOCK; j++) {
            float gj = g[j] * gs + wd * p[j];
            float pj = p[j] * decay;
            float mj = m[j] * b1 + c1 * gj;
            float vj = v[j] * b2 + c2 * gj * gj;
            m[j] = mj;
            v[j] = vj;
            p[j] = pj + nstep * mj / (sqrtf(vj) / bc2s + eps);
        }
    for (; i < n; i++) {
        float gi = g[i] * gs + wd * p[i];
        float pi = p[i] * decay;
        float mi = m[i] * b1 + c1 * gi;
        float vi = v[i] * b2 + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi + nstep * mi / (sqrtf(vi) / bc2s + eps);
    }
}

/* ---- pieces on the pool ------------------------------------------------- */

/* One pass of a step over the pieces (a pool job). */
struct step_job {
    rs_optim *o;
    bool data;                 /* squares_piece: the values, not the grads */
    const struct step_coef *c; /* update_piece: the step's scalars */
    float l2_all, decay_all;   /* for parameters with decay on */
    float gs[RS_OPTIM_MAX_GROUPS]; /* each clip group's gradient scale */
};

/* part[k] = the sum of squares of piece k's gradient (or values). */
static void
squares_piece(void *ctx, int k)
{
    const struct step_job *j = ctx;
    const struct optim_piece *pc = &j->o->piece[k];
    const rs_tensor *p = j->o->slot[pc->slot].p;
    const float *x = j->data ? p->data : p->grad;
    j->o->part[k] = sum_squares(x + pc->lo, pc->hi - pc->lo);
}

static void
update_piece(void *ctx, int k)
{
    const struct step_job *j = ctx;
    const struct optim_piece *pc = &j->o->piece[k];
    struct optim_slot *s = &j->o->slot[pc->slot];
    rs_tensor *p = s->p;
    struct step_coef c = *j->c;
    c.gs = j->gs[s->group];
    c.wd = s->decay ? j->l2_all : 0.0f;
    c.decay = s->decay ? j->decay_all : 1.0f;
    size_t lo = pc->lo, n = pc->hi - pc->lo;
    if (j->o->cfg.kind != RS_OPTIM_SGD)
        adam_update(p->data + lo, s->m + lo, s->v + lo, p->grad + lo, n, &c);
    else if (j->o->cfg.momentum > 0.0f)
        sgd_momentum_update(p->data + lo, s->m + lo, p->grad + lo, n, &c);
    else
        sgd_update(p->data + lo, p->grad + lo, n, &c);
}

static void
zero_piece(void *ctx, int k)
{
    const rs_optim *o = ctx;
    const struct optim_piece *pc = &o->piece[k];
    float *g = o->slot[pc->slot].p->grad;
    memset(g + pc->lo, 0, (pc->hi - pc->lo) * sizeof(float));
}

/* ---- step ---------------------------------------------------------------- */

int
rs_optim_step(rs_optim *o, float lr, struct rs_optim_stats *stats,
              struct rs_error *err)
{
    if (!(isfinite(lr) && lr >= 0.0f))
        return rs_error_set(err, RS_EINVAL,
                            "invalid learning rate %g (must be >= 0)",
                            (double)lr);

    /* 1. Scan every gradient before touching anything. */
    struct step_job job = {.o = o, .data = false};
    rs_pool_run(o->npieces, squares_piece, &job);
    double sumsq = 0.0, gsq[RS_OPTIM_MAX_GROUPS] = {0.0};
    int ngroups = 1;
    for (int i = 0, k = 0; i < o->n; i++) {
        const rs_tensor *p = o->slot[i].p;
        double s = 0.0;
        for (; k < o->npieces && o->piece[k].slot == i; k++)
            s += o->part[k];
        if (!isfinite(s)) {
            long at = first_nonfinite(p->grad, p->numel);
            RS_ASSERT(at >= 0);
            return rs_error_set(err, RS_ENONFINITE,
                                "non-finite gradient in parameter %d "
                                "(%s) at element %ld: %g",
                                i, p->name != NULL ? p->name : "unnamed", at,
                                (double)p->grad[at]);
        }
        sumsq += s;
        gsq[o->slot[i].group] += s;
        if (o->slot[i].group >= ngroups)
            ngroups = o->slot[i].group + 1;
    }
    double grad_norm = sqrt(sumsq);

    /* 2. Per-step scalars in double, cast once. */
    const struct rs_optim_config *cfg = &o->cfg;
    if (lr != o->lr_f) {
        o->lr_f = lr;
        o->lr_d = widen(lr);
    }
    double dlr = o->lr_d;
    double wd = o->wd;
    struct step_coef c; /* c.gs: each piece takes its group's job.gs */
    memset(&c, 0, sizeof c);
    bool clipped = false;
    for (int k = 0; k < RS_OPTIM_MAX_GROUPS; k++) {
        job.gs[k] = 1.0f;
        if (cfg->clip_norm <= 0.0f || k >= ngroups)
            continue;
        /* clip_grad_norm_: coef = max_norm / (norm + 1e-6), clamped to 1. */
        double coef = o->clip / (sqrt(gsq[k]) + 1e-6);
        if (coef < 1.0) {
            job.gs[k] = (float)coef;
            clipped = true;
        }
    }
    c.nlr = (float)-dlr;
    long t = o->steps + 1;
    if (cfg->kind == RS_OPTIM_SGD) {
        double mom = o->momentum;
        if (o->buf_fresh) {
            c.bm = 0.0f;
            c.bd = 1.0f;
        } else {
            c.bm = (float)mom;
            c.bd = (float)(1.0 - o->dampening);
        }
        c.cn = cfg->nesterov ? 1.0f : 0.0f;
        c.cb = cfg->nesterov ? (float)mom : 1.0f;
    } else {
        double b1 = o->beta1, b2 = o->beta2;
        c.b1 = (float)b1;
        c.b2 = (float)b2;
        c.c1 = (float)(1.0 - b1);
        c.c2 = (float)(1.0 - b2);
        c.bc2s = (float)sqrt(1.0 - pow(b2, (double)t));
        c.nstep = (float)-(dlr / (1.0 - pow(b1, (double)t)));
        c.eps = (float)o->eps;
    }
    float decay_all =
        cfg->kind == RS_OPTIM_ADAMW ? (float)(1.0 - dlr * wd) : 1.0f;
    float l2_all = cfg->kind == RS_OPTIM_ADAMW ? 0.0f : (float)wd;

    /* 3. Update. */
    job.c = &c;
    job.l2_all = l2_all;
    job.decay_all = decay_all;
    rs_pool_run(o->npieces, update_piece, &job);
    if (cfg->kind == RS_OPTIM_SGD && cfg->momentum > 0.0f)
        o->buf_fresh = false;
    o->steps = t;

    if (stats != NULL) {
        job.data = true;
        rs_pool_run(o->npieces, squares_piece, &job);
        double wsq = 0.0;
        for (int i = 0, k = 0; i < o->n; i++) {
            double ws = 0.0;
            for (; k < o->npieces && o->piece[k].slot == i; k++)
                ws += o->part[k];
            wsq += ws;
        }
        stats->grad_norm = grad_norm;
        stats->weight_norm = sqrt(wsq);
        stats->clipped = clipped;
        stats->ngroups = ngroups;
        for (int k = 0; k < RS_OPTIM_MAX_GROUPS; k++)
            stats->group_norm[k] = k < ngroups ? sqrt(gsq[k]) : 0.0;
    }
    return RS_OK;
}

void
rs_optim_zero_grad(rs_optim *o)
{
    rs_pool_run(o->npieces, zero_piece, o);
}

const struct rs_optim_config *
rs_optim_config(const rs_optim *o)
{
    return &o->cfg;
}

int
rs_optim_set_config(rs_optim *o, const struct rs_optim_config *cfg,
                    struct rs_error *err)
{
    int rc = check_config(cfg, err);
    if (rc != RS_OK)
        return rc;
    if (cfg->kind != o->cfg.kind)
        return rs_error_set(
            err, RS_EINVAL, "cannot change the optimiser kind from %s to %s",
            rs_optim_kind_name(o->cfg.kind), rs_optim_kind_name(cfg->kind));
    /* SGD switching momentum on for the first time needs buffers; like a
     * torch buffer that is still None, the next step clones d_p. */
    int count = state_count(cfg);
    if (count > 0 && o->slot[0].state == NULL) {
        for (int i = 0; i < o->n; i++) {
            rc = rs_optim_alloc_state(&o->slot[i], count, i, err);
            if (rc != RS_OK) {
                for (int j = 0; j < i; j++) {
                    rs_aligned_free(o->slot[j].state);
                    o->slot[j].state = o->slot[j].m = o->slot[j].v = NULL;
                }
                return rc;
            }
        }
        o->buf_fresh = true;
    }
    o->cfg = *cfg;
    widen_config(o);
    return RS_OK;
}

void
rs_optim_set_decay(rs_optim *o, int param, bool on)
{
    RS_ASSERT(param >= 0 && param < o->n);
    o->slot[param].decay = on;
}

void
rs_optim_set_clip_group(rs_optim *o, int param, int group)
{
    RS_ASSERT(param >= 0 && param < o->n);
    RS_ASSERT(group >= 0 && group < RS_OPTIM_MAX_GROUPS);
    o->slot[param].group = group;
}

int
rs_optim_clip_group(const rs_optim *o, int param)
{
    RS_ASSERT(param >= 0 && param < o->n);
    return o->slot[param].group;
}

long
rs_optim_steps(const rs_optim *o)
{
    return o->steps;
}

void
rs_optim_set_steps(rs_optim *o, long steps)
{
    RS_ASSERT(steps >= 0);
    o->steps = steps;
    /* A restored run (steps > 0) restored its momentum buffers too. */
    o->buf_fresh = steps == 0;
}

int
rs_optim_nparams(const rs_optim *o)
{
    return o->n;
}

rs_tensor *
rs_optim_param(const rs_optim *o, int i)
{
    RS_ASSERT(i >= 0 && i < o->n);
    return o->slot[i].p;
}

float *
rs_optim_state(rs_optim *o, int i, int which)
{
    RS_ASSERT(i >= 0 && i < o->n);
    if (which == 0)
        return o->slot[i].m;
    if (which == 1)
        return o->slot[i].v;
    return NULL;
}
