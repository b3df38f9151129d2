/* repscope - MIT licence, see COPYING.
 *
 * env.c: the vectorised wrapper around one env class. It owns the kind's
 * config (impl), N copies of the kind's POD state, one RNG per copy, the
 * per-copy episode counters (steps t and summed reward) and the fixed
 * normalisation statistics. Every buffer is allocated at creation: a step
 * allocates nothing.
 *
 * Streams: a root xoshiro stream seeded with the seed; copy i's stream is
 * its split i (the i-th split taken), so copy i sees the same episodes
 * whatever the number of copies. The normalisation estimate runs on split
 * RS_ENV_MAX_COPIES of the root, an index no copy can have.
 *
 * Observation of copy i: the kind's obs_dim floats, each (x - mean) / std
 * when normalising, then t / horizon with time_obs (t: steps taken in the
 * current episode, so 0 on the first observation and 1 on the last of a
 * truncated episode).
 *
 * Worker thread only.
 */
#include "config.h"

#include "env/env.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Checkpoint layout: fixed words, the describe line, the normalisation
 * statistics (kind's obs_dim means then stds, float bits), then per copy
 * the RNG (4), t, the summed reward (double bits) and the state words. */
#define STATE_MAGIC 0x72732d656e760001ULL /* "rs-env" v1 */
#define STATE_FIXED 12
#define DESCRIBE_WORDS 16 /* 128 bytes of describe line */
#define COPY_FIXED 6

struct rs_env {
    const struct rs_env_class *cls;
    void *impl; /* the kind's config, owned */
    struct rs_env_config cfg;
    struct rs_env_info info; /* the kind's */
    int obs_dim;             /* info.obs_dim (+ 1 with time_obs) */
    size_t state_words;      /* ceil(state_size / 8) */
    uint64_t *states;        /* (N, state_words) */
    struct rs_rng *rng;      /* (N) */
    long *t;                 /* (N) steps in the current episode */
    double *ret;             /* (N) summed reward of the current episode */
    float *mean;             /* (info.obs_dim) normalisation, or NULL */
    float *std;              /* (info.obs_dim) floored at 1e-6 */
    long steps;
    long episodes;
};

void
rs_env_config_default(struct rs_env_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->copies = 1;
    cfg->seed = 1;
}

static int
check_config(const struct rs_env_config *cfg, struct rs_error *err)
{
    if (cfg->copies < 1 || cfg->copies > RS_ENV_MAX_COPIES)
        return rs_error_set(err, RS_EINVAL, "copies = %d (must be 1..%d)",
                            cfg->copies, RS_ENV_MAX_COPIES);
    if (cfg->horizon < 0)
        return rs_error_set(err, RS_EINVAL, "horizon = %ld (must be >= 0)",
                            cfg->horizon);
    if (cfg->time_obs && cfg->horizon == 0)
        return rs_error_set(err, RS_EINVAL,
                            "time_obs needs a horizon (horizon = 0)");
    if (cfg->norm_steps < 0 || cfg->norm_steps > 1000000)
        return rs_error_set(err, RS_EINVAL,
                            "norm_steps = %d (must be 0..1000000)",
                            cfg->norm_steps);
    return RS_OK;
}

static void *
copy_state(const rs_env *e, int i)
{
    return e->states + (size_t)i * e->state_words;
}

/* Copy i's observation into obs (obs_dim floats) at episode step t. */
static void
observe_copy(const rs_env *e, const void *state, long t, float *obs)
{
    int k = e->info.obs_dim;
    e->cls->observe(e->impl, state, obs);
    if (e->mean != NULL)
        for (int j = 0; j < k; j++)
            obs[j] = (obs[j] - e->mean[j]) / e->std[j];
    if (e->cfg.time_obs)
        obs[k] = (float)((double)t / (double)e->cfg.horizon);
}

/* The normalisation statistics: norm_steps uniformly random actions in
 * each of N scratch copies (scratch copy j on split j of stream), with
 * the wrapper's auto-reset and horizon; every observation the agent
 * would see after a step is one sample. Mean and biased variance in
 * double. The copies' own states and streams are not touched. */
static void
estimate_norm(rs_env *e, struct rs_rng *stream)
{
    int k = e->info.obs_dim;
    int a = e->info.actions;
    double *sum = rs_xcalloc((size_t)k, sizeof *sum);
    double *sq = rs_xcalloc((size_t)k, sizeof *sq);
    float *obs = rs_xmalloc((size_t)k * sizeof *obs);
    uint64_t *state = rs_xcalloc(e->state_words, sizeof *state);
    for (int j = 0; j < e->cfg.copies; j++) {
        struct rs_rng r;
        rs_rng_split(stream, &r);
        memset(state, 0, e->state_words * sizeof *state);
        e->cls->reset(e->impl, state, &r);
        long t = 0;
        for (int s = 0; s < e->cfg.norm_steps; s++) {
            float rew;
            bool term;
            int act = (int)rs_rng_below(&r, (uint32_t)a);
            e->cls->step(e->impl, state, act, &r, &rew, &term);
            t++;
            if (term || (e->cfg.horizon > 0 && t >= e->cfg.horizon)) {
                e->cls->reset(e->impl, state, &r);
                t = 0;
            }
            e->cls->observe(e->impl, state, obs);
            for (int d = 0; d < k; d++) {
                sum[d] += (double)obs[d];
                sq[d] += (double)obs[d] * (double)obs[d];
            }
        }
    }
    double n = (double)e->cfg.norm_steps * e->cfg.copies;
    e->mean = rs_xmalloc((size_t)k * sizeof *e->mean);
    e->std = rs_xmalloc((size_t)k * sizeof *e->std);
    for (int d = 0; d < k; d++) {
        double m = sum[d] / n;
        double v = sq[d] / n - m * m;
        double s = v > 0.0 ? sqrt(v) : 0.0;
        e->mean[d] = (float)m;
        e->std[d] = (float)(s > 1e-6 ? s : 1e-6);
    }
    free(state);
    free(obs);
    free(sq);
    free(sum);
}

rs_env *
rs_env_new(const struct rs_env_class *cls, void *impl,
           const struct rs_env_config *cfg, struct rs_error *err)
{
    RS_ASSERT(cls != NULL && impl != NULL && cfg != NULL);
    if (check_config(cfg, err) != RS_OK) {
        cls->destroy(impl);
        return NULL;
    }
    rs_env *e = rs_xcalloc(1, sizeof *e);
    e->cls = cls;
    e->impl = impl;
    e->cfg = *cfg;
    cls->info(impl, &e->info);
    RS_ASSERT(e->info.obs_dim >= 1 && e->info.actions >= 1);
    RS_ASSERT(e->info.frame_h >= 1 && e->info.frame_w >= 1);
    RS_ASSERT(cls->state_size >= 1);
    e->obs_dim = e->info.obs_dim + (cfg->time_obs ? 1 : 0);
    e->state_words = (cls->state_size + 7) / 8;
    size_t n = (size_t)cfg->copies;
    e->states = rs_xcalloc(n * e->state_words, sizeof *e->states);
    e->rng = rs_xcalloc(n, sizeof *e->rng);
    e->t = rs_xcalloc(n, sizeof *e->t);
    e->ret = rs_xcalloc(n, sizeof *e->ret);

    struct rs_rng root;
    rs_rng_seed(&root, cfg->seed);
    for (size_t i = 0; i < n; i++)
        rs_rng_split(&root, &e->rng[i]);
    if (cfg->norm_steps > 0) {
        for (size_t i = n; i < RS_ENV_MAX_COPIES; i++)
            (void)rs_rng_next(&root);
        struct rs_rng stream;
        rs_rng_split(&root, &stream);
        estimate_norm(e, &stream);
    }
    rs_env_reset(e);
    return e;
}

void
rs_env_free(rs_env *e)
{
    if (e == NULL)
        return;
    e->cls->destroy(e->impl);
    free(e->states);
    free(e->rng);
    free(e->t);
    free(e->ret);
    free(e->mean);
    free(e->std);
    free(e);
}

int
rs_env_obs_dim(const rs_env *e)
{
    return e->obs_dim;
}

int
rs_env_actions(const rs_env *e)
{
    return e->info.actions;
}

int
rs_env_copies(const rs_env *e)
{
    return e->cfg.copies;
}

const char *
rs_env_kind(const rs_env *e)
{
    return e->cls->kind;
}

void
rs_env_info(const rs_env *e, struct rs_env_info *out)
{
    *out = e->info;
}

const struct rs_env_config *
rs_env_config(const rs_env *e)
{
    return &e->cfg;
}

const void *
rs_env_impl(const rs_env *e, const struct rs_env_class *cls)
{
    return e->cls == cls ? e->impl : NULL;
}

void
rs_env_observe(const rs_env *e, float *obs)
{
    for (int i = 0; i < e->cfg.copies; i++)
        observe_copy(e, copy_state(e, i), e->t[i],
                     obs + (size_t)i * (size_t)e->obs_dim);
}

int
rs_env_step(rs_env *e, const int *actions, struct rs_env_step *out,
            struct rs_error *err)
{
    int n = e->cfg.copies;
    for (int i = 0; i < n; i++)
        if (actions[i] < 0 || actions[i] >= e->info.actions)
            return rs_error_set(err, RS_EINVAL,
                                "copy %d: action %d (must be 0..%d)", i,
                                actions[i], e->info.actions - 1);
    size_t d = (size_t)e->obs_dim;
    for (int i = 0; i < n; i++) {
        void *st = copy_state(e, i);
        float r;
        bool term;
        e->cls->step(e->impl, st, actions[i], &e->rng[i], &r, &term);
        e->t[i]++;
        e->ret[i] += (double)r;
        bool trunc = !term && e->cfg.horizon > 0 && e->t[i] >= e->cfg.horizon;
        float *obs = out->obs + (size_t)i * d;
        out->reward[i] = r;
        out->terminated[i] = term;
        out->truncated[i] = trunc;
        if (term || trunc) {
            if (out->final_obs != NULL)
                observe_copy(e, st, e->t[i], out->final_obs + (size_t)i * d);
            if (out->ep_return != NULL)
                out->ep_return[i] = e->ret[i];
            if (out->ep_len != NULL)
                out->ep_len[i] = e->t[i];
            e->episodes++;
            e->cls->reset(e->impl, st, &e->rng[i]);
            e->t[i] = 0;
            e->ret[i] = 0.0;
            observe_copy(e, st, 0, obs);
        } else {
            observe_copy(e, st, e->t[i], obs);
            if (out->final_obs != NULL)
                memcpy(out->final_obs + (size_t)i * d, obs, d * sizeof *obs);
            if (out->ep_return != NULL)
                out->ep_return[i] = 0.0;
            if (out->ep_len != NULL)
                out->ep_len[i] = 0;
        }
    }
    e->steps += n;
    return RS_OK;
}

void
rs_env_reset(rs_env *e)
{
    for (int i = 0; i < e->cfg.copies; i++) {
        e->cls->reset(e->impl, copy_state(e, i), &e->rng[i]);
        e->t[i] = 0;
        e->ret[i] = 0.0;
    }
}

void
rs_env_render(const rs_env *e, int i, uint8_t *cells)
{
    RS_ASSERT(i >= 0 && i < e->cfg.copies);
    e->cls->render(e->impl, copy_state(e, i), cells);
}

long
rs_env_steps(const rs_env *e)
{
    return e->steps;
}

long
rs_env_episodes(const rs_env *e)
{
    return e->episodes;
}

/* ---- checkpoint state ---------------------------------------------------- */

static size_t
copy_words(const rs_env *e)
{
    return COPY_FIXED + e->state_words;
}

static size_t
norm_offset(void)
{
    return STATE_FIXED + DESCRIBE_WORDS;
}

static size_t
copies_offset(const rs_env *e)
{
    return norm_offset() + 2 * (size_t)e->info.obs_dim;
}

size_t
rs_env_state_words(const rs_env *e)
{
    return copies_offset(e) + (size_t)e->cfg.copies * copy_words(e);
}

/* The kind's describe line, zero-padded to DESCRIBE_WORDS * 8 bytes. */
static void
describe_line(const rs_env *e, char *line)
{
    memset(line, 0, DESCRIBE_WORDS * 8);
    e->cls->describe(e->impl, line, DESCRIBE_WORDS * 8);
    line[DESCRIBE_WORDS * 8 - 1] = '\0';
}

static uint64_t
float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float
bits_float(uint64_t w)
{
    uint32_t u = (uint32_t)w;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

void
rs_env_state_save(const rs_env *e, uint64_t *out)
{
    out[0] = STATE_MAGIC;
    out[1] = (uint64_t)e->cfg.copies;
    out[2] = (uint64_t)e->cls->state_size;
    out[3] = (uint64_t)e->info.obs_dim;
    out[4] = (uint64_t)e->cfg.horizon;
    out[5] = e->cfg.time_obs;
    out[6] = (uint64_t)e->cfg.norm_steps;
    out[7] = e->cfg.seed;
    out[8] = (uint64_t)e->steps;
    out[9] = (uint64_t)e->episodes;
    out[10] = (uint64_t)e->info.actions;
    out[11] = 0;
    char line[DESCRIBE_WORDS * 8];
    describe_line(e, line);
    memcpy(out + STATE_FIXED, line, sizeof line);
    uint64_t *nw = out + norm_offset();
    for (int j = 0; j < e->info.obs_dim; j++) {
        nw[j] = e->mean != NULL ? float_bits(e->mean[j]) : 0;
        nw[e->info.obs_dim + j] = e->std != NULL ? float_bits(e->std[j]) : 0;
    }
    for (int i = 0; i < e->cfg.copies; i++) {
        uint64_t *w = out + copies_offset(e) + (size_t)i * copy_words(e);
        for (int k = 0; k < 4; k++)
            w[k] = e->rng[i].s[k];
        w[4] = (uint64_t)e->t[i];
        w[5] = rs_double_bits(e->ret[i]);
        memcpy(w + COPY_FIXED, copy_state(e, i), e->state_words * sizeof *w);
    }
}

/* The describe line held in the words w (NUL-terminated into line). */
static void
saved_describe(const uint64_t *w, char *line)
{
    memcpy(line, w, DESCRIBE_WORDS * 8);
    line[DESCRIBE_WORDS * 8 - 1] = '\0';
}

int
rs_env_state_load(rs_env *e, const uint64_t *in, size_t n, struct rs_error *err)
{
    if (n < STATE_FIXED + DESCRIBE_WORDS || in[0] != STATE_MAGIC)
        return rs_error_set(err, RS_EFORMAT, "not an env state (%zu words)", n);
    char saved[DESCRIBE_WORDS * 8], mine[DESCRIBE_WORDS * 8];
    saved_describe(in + STATE_FIXED, saved);
    describe_line(e, mine);
    if (strcmp(saved, mine) != 0)
        return rs_error_set(err, RS_EFORMAT,
                            "the env state is of '%s', this env is '%s'", saved,
                            mine);
    if (in[2] != (uint64_t)e->cls->state_size ||
        in[3] != (uint64_t)e->info.obs_dim ||
        in[10] != (uint64_t)e->info.actions)
        return rs_error_set(err, RS_EFORMAT,
                            "the env state of '%s' has another layout "
                            "(state %" PRIu64 " bytes, obs_dim %" PRIu64
                            "), this build has %zu bytes, obs_dim %d",
                            saved, in[2], in[3], e->cls->state_size,
                            e->info.obs_dim);
    if (in[1] != (uint64_t)e->cfg.copies)
        return rs_error_set(err, RS_EFORMAT,
                            "the env state has %" PRIu64
                            " copies, this env has %d",
                            in[1], e->cfg.copies);
    if (in[4] != (uint64_t)e->cfg.horizon || in[5] != e->cfg.time_obs ||
        in[6] != (uint64_t)e->cfg.norm_steps)
        return rs_error_set(err, RS_EFORMAT,
                            "the env state has horizon %" PRIu64
                            ", time_obs %" PRIu64 ", norm_steps %" PRIu64
                            "; this env has %ld, %d, %d",
                            in[4], in[5], in[6], e->cfg.horizon,
                            (int)e->cfg.time_obs, e->cfg.norm_steps);
    if (n != rs_env_state_words(e))
        return rs_error_set(err, RS_EFORMAT,
                            "the env state has %zu words, expected %zu", n,
                            rs_env_state_words(e));
    if (in[8] > (uint64_t)LONG_MAX || in[9] > (uint64_t)LONG_MAX)
        return rs_error_set(err, RS_EFORMAT, "corrupt env state (counters)");
    const uint64_t *nw = in + norm_offset();
    for (int j = 0; e->mean != NULL && j < e->info.obs_dim; j++) {
        float m = bits_float(nw[j]), s = bits_float(nw[e->info.obs_dim + j]);
        if (!isfinite(m) || !isfinite(s) || !(s > 0.0f))
            return rs_error_set(err, RS_EFORMAT,
                                "corrupt env state (normalisation of "
                                "feature %d)",
                                j);
    }
    for (int i = 0; i < e->cfg.copies; i++) {
        const uint64_t *w = in + copies_offset(e) + (size_t)i * copy_words(e);
        if ((w[0] | w[1] | w[2] | w[3]) == 0)
            return rs_error_set(err, RS_EFORMAT,
                                "corrupt env state (copy %d: zero RNG)", i);
        if (w[4] > (uint64_t)LONG_MAX ||
            (e->cfg.horizon > 0 && w[4] >= (uint64_t)e->cfg.horizon))
            return rs_error_set(err, RS_EFORMAT,
                                "corrupt env state (copy %d: step %" PRIu64 ")",
                                i, w[4]);
        if (e->cls->check != NULL && !e->cls->check(e->impl, w + COPY_FIXED))
            return rs_error_set(err, RS_EFORMAT,
                                "corrupt env state (copy %d: %s state out "
                                "of range)",
                                i, e->cls->kind);
    }
    /* Checked: nothing can fail from here. */
    e->steps = (long)in[8];
    e->episodes = (long)in[9];
    for (int j = 0; e->mean != NULL && j < e->info.obs_dim; j++) {
        e->mean[j] = bits_float(nw[j]);
        e->std[j] = bits_float(nw[e->info.obs_dim + j]);
    }
    for (int i = 0; i < e->cfg.copies; i++) {
        const uint64_t *w = in + copies_offset(e) + (size_t)i * copy_words(e);
        for (int k = 0; k < 4; k++)
            e->rng[i].s[k] = w[k];
        e->t[i] = (long)w[4];
        e->ret[i] = rs_bits_double(w[5]);
        memcpy(copy_state(e, i), w + COPY_FIXED, e->state_words * sizeof *w);
    }
    return RS_OK;
}
