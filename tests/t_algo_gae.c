/* repscope - MIT licence, see COPYING.
 *
 * t_algo_gae.c: GAE (algo/rollout.h) against its definition. A small
 * hand-computed case first (one copy, a termination and a truncation);
 * then random rollouts with terminations and truncations against the
 * direct O(T^2) sum adv_t = sum_{k = t}^{end} (gamma lambda)^(k - t)
 * delta_k, end the episode's last step within the rollout; the
 * gamma = lambda = 1 case (returns = summed rewards plus the bootstrap);
 * and the rollout source: its info, an empty test split, fetched rows.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "algo/rollout.h"
#include "core/rng.h"
#include "data/source.h"
#include "tests/tap.h"

/* adv by the direct double sum over each step's remaining episode. */
static void
gae_direct(double *adv, const float *r, const float *v, const float *nv,
           const uint8_t *term, const uint8_t *trunc, int T, int N,
           double gamma, double lambda)
{
    for (int i = 0; i < N; i++)
        for (int t = 0; t < T; t++) {
            double sum = 0.0, w = 1.0;
            for (int k = t; k < T; k++) {
                size_t j = (size_t)k * (size_t)N + (size_t)i;
                double boot = term[j] ? 0.0 : gamma * (double)nv[j];
                sum += w * ((double)r[j] + boot - (double)v[j]);
                if (term[j] || trunc[j])
                    break;
                w *= gamma * lambda;
            }
            adv[(size_t)t * (size_t)N + (size_t)i] = sum;
        }
}

/* One copy, T = 4: steps 0-1 an episode that terminates at 1, steps 2-3
 * an episode truncated at 3 (bootstrap from its final value 5). */
static void
hand_case(void)
{
    const float r[4] = {1, 2, 3, 4}, v[4] = {0.5f, 1, 2, 3};
    const float nv[4] = {1, 99, 3, 5}; /* nv[1] ignored: terminated */
    const uint8_t term[4] = {0, 1, 0, 0}, trunc[4] = {0, 0, 0, 1};
    float adv[4], ret[4];
    double g = 0.5, l = 0.5;
    rs_rollout_gae(adv, ret, r, v, nv, term, trunc, 4, 1, g, l);
    /* delta = r + g nv (not terminated) - v */
    double d0 = 1 + 0.5 * 1 - 0.5, d1 = 2 - 1.0;
    double d2 = 3 + 0.5 * 3 - 2, d3 = 4 + 0.5 * 5 - 3;
    const float want[4] = {(float)(d0 + 0.25 * d1), (float)d1,
                           (float)(d2 + 0.25 * d3), (float)d3};
    tap_is_floats(adv, want, 4, 1e-6, 0, "hand case: advantages");
    float wret[4];
    for (int t = 0; t < 4; t++)
        wret[t] = want[t] + v[t];
    tap_is_floats(ret, wret, 4, 1e-6, 0, "hand case: returns = adv + value");
}

static void
random_case(int T, int N, double gamma, double lambda, uint64_t seed)
{
    size_t n = (size_t)T * (size_t)N;
    float *r = calloc(n, sizeof *r), *v = calloc(n, sizeof *v);
    float *nv = calloc(n, sizeof *nv), *adv = calloc(n, sizeof *adv);
    float *ret = calloc(n, sizeof *ret);
    uint8_t *term = calloc(n, 1), *trunc = calloc(n, 1);
    double *want = calloc(n, sizeof *want);
    struct rs_rng rng;
    rs_rng_seed(&rng, seed);
    int ends = 0;
    for (size_t j = 0; j < n; j++) {
        r[j] = rs_rng_normal(&rng);
        v[j] = rs_rng_normal(&rng);
        nv[j] = rs_rng_normal(&rng);
        float u = rs_rng_uniform(&rng);
        term[j] = u < 0.08f;
        trunc[j] = !term[j] && u < 0.14f;
        ends += term[j] + trunc[j];
    }
    rs_rollout_gae(adv, ret, r, v, nv, term, trunc, T, N, gamma, lambda);
    gae_direct(want, r, v, nv, term, trunc, T, N, gamma, lambda);
    double worst = 0.0, worst_ret = 0.0;
    for (size_t j = 0; j < n; j++) {
        double e = fabs((double)adv[j] - want[j]) / (1.0 + fabs(want[j]));
        double er = fabs((double)ret[j] - (want[j] + (double)v[j])) /
                    (1.0 + fabs(want[j] + (double)v[j]));
        worst = e > worst ? e : worst;
        worst_ret = er > worst_ret ? er : worst_ret;
    }
    tap_ok(worst < 1e-6,
           "T=%d N=%d gamma=%g lambda=%g (%d episode ends): advantages = "
           "the direct sum (worst relative error %.2g)",
           T, N, gamma, lambda, ends, worst);
    tap_ok(worst_ret < 1e-6, "T=%d N=%d: returns = adv + value (%.2g)", T, N,
           worst_ret);
    free(r);
    free(v);
    free(nv);
    free(adv);
    free(ret);
    free(term);
    free(trunc);
    free(want);
}

/* gamma = lambda = 1: adv_t + value_t = the rewards left in the episode
 * (plus the bootstrap when it was cut or the rollout ended). */
static void
undiscounted_case(void)
{
    enum { T = 5, N = 2 };
    float r[T * N], v[T * N], nv[T * N], adv[T * N], ret[T * N];
    uint8_t term[T * N] = {0}, trunc[T * N] = {0};
    for (int j = 0; j < T * N; j++) {
        r[j] = (float)(j + 1);
        v[j] = 0.25f * (float)j;
    }
    term[2 * N + 0] = 1;  /* copy 0 terminates at t = 2 */
    trunc[1 * N + 1] = 1; /* copy 1 truncated at t = 1 */
    /* next values: the next step's value inside an episode, 100 where it
     * was cut and after the last step */
    for (int j = 0; j < T * N; j++)
        nv[j] = j + N < T * N && !trunc[j] ? v[j + N] : 100.0f;
    rs_rollout_gae(adv, ret, r, v, nv, term, trunc, T, N, 1.0, 1.0);
    /* copy 0: t = 0 sees r0 + r2 + r4 (rows 0, 2, 4) = 1 + 3 + 5 = 9;
     * t = 3 sees r6 + r8 + 100 (rollout end) = 7 + 9 + 100 */
    tap_is_float(ret[0], 9.0, 1e-5, 0, "lambda = 1: copy 0 return at t=0");
    tap_is_float(ret[3 * N], 116.0, 1e-5, 0,
                 "lambda = 1: copy 0 return at t=3 bootstraps at the end");
    /* copy 1: t = 0 sees r1 + r3 + 100 (truncated at t = 1) */
    tap_is_float(ret[1], 106.0, 1e-5, 0,
                 "lambda = 1: copy 1 return bootstraps at the truncation");
}

static void
source_case(void)
{
    struct rs_error err = {0};
    rs_source *s = rs_rollout_source(6, 3, 5, 4, &err);
    tap_ok(s != NULL && rs_rollout_is(s), "rollout source built (%s)", err.msg);
    struct rs_source_info si;
    rs_source_info(s, &si);
    tap_ok(si.ninputs == 2 && si.width[0] == 3 && si.width[1] == 5 &&
               si.classes == 4 && si.kind[0] == RS_NN_INPUT_FEATURES &&
               si.kind[1] == RS_NN_INPUT_FEATURES,
           "info: two feature inputs (3, 5) and 4 action classes");
    tap_is_int(rs_source_count(s, RS_SPLIT_TRAIN), 6, "train split: 6");
    tap_is_int(rs_source_count(s, RS_SPLIT_TEST), 0, "test split empty");
    float *x = rs_rollout_obs(s), *c = rs_rollout_cols(s);
    int *a = rs_rollout_actions(s);
    for (int k = 0; k < 6; k++) {
        for (int j = 0; j < 3; j++)
            x[k * 3 + j] = (float)(10 * k + j);
        for (int j = 0; j < 5; j++)
            c[k * 5 + j] = (float)(-10 * k - j);
        a[k] = k % 4;
    }
    struct rs_batch b;
    rs_batch_init(&b);
    const int idx[2] = {4, 1};
    int rc = rs_source_fetch(s, RS_SPLIT_TRAIN, idx, 2, &b, &err);
    tap_ok(rc == RS_OK && b.n == 2 && b.ninputs == 2, "fetch rows 4, 1");
    const float wx[6] = {40, 41, 42, 10, 11, 12};
    const float wc[10] = {-40, -41, -42, -43, -44, -10, -11, -12, -13, -14};
    tap_is_floats(b.in[0].x, wx, 6, 0, 0, "fetched observations");
    tap_is_floats(b.in[1].x, wc, 10, 0, 0, "fetched columns");
    tap_ok(b.y[0] == 0 && b.y[1] == 1, "fetched actions");
    rs_batch_fini(&b);
    rs_source_release(s);
    tap_ok(rs_rollout_source(0, 3, 5, 4, &err) == NULL &&
               strstr(err.msg, "0 transitions") != NULL,
           "n = 0 refused: %s", err.msg);
}

int
main(void)
{
    tap_plan_lazy();
    hand_case();
    random_case(64, 8, 0.99, 0.95, 1);
    random_case(17, 3, 0.9, 0.5, 2);
    random_case(40, 5, 1.0, 1.0, 3);
    random_case(9, 2, 0.0, 0.0, 4);
    undiscounted_case();
    source_case();
    return tap_done();
}
