/* repscope - MIT licence, see COPYING.
 *
 * ppo_impl.h: the PPO driver's struct and what ppo.c (collection, the
 * update, state) and ppo_metrics.c (the instruments) share. Not for
 * other files: use ppo.h.
 */
#ifndef RS_ALGO_PPO_IMPL_H
#define RS_ALGO_PPO_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "algo/ppo.h"
#include "core/sparse.h"
#include "core/graph.h"
#include "core/rng.h"
#include "nn/mlp.h"
#include "probe/rank.h"

/* Rows per no-grad forward over a whole rollout (the instruments). */
#define RS_PPO_CHUNK 1024

/* A network's collection forward without the graph (ppo_fast.c). */
struct rs_ppo_fast {
    bool on; /* the network is an MLP this file computes */
    const rs_nn_mlp *mlp;
    enum rs_nn_mlp_act act;
    float slope;
    int rows;                /* most rows a forward takes */
    float *wt;               /* every Linear's weight, transposed (IN, OUT) */
    float *pre, *h[2], *out; /* (rows, widest) */
    size_t cap_wt, cap_pre, cap_h[2], cap_out;
    /* The input packed when it is sparse (a game frame), as the graph's
     * linear packs it: room for cap_packed nonzeros and
     * cap_packed_start offsets. */
    struct rs_sparse_rows packed;
    int *packed_start, *packed_idx;
    float *packed_val;
    size_t cap_packed, cap_packed_start;
};

struct rs_ppo {
    struct rs_ppo_config cfg;
    rs_env *env;                  /* owned */
    rs_nn_module *actor, *critic; /* borrowed: the learner retains them */
    rs_source *roll;              /* retained: the rollout, M transitions */
    rs_graph *g;                  /* the driver's forwards and fits */
    struct rs_rng rng;            /* action sampling */
    int N, T, M;                  /* copies, steps, N * T */
    int obs_dim, actions;
    int D, Dc; /* actor / critic penultimate widths */
    int cols;  /* RS_PPO_COLS + D */
    /* One vectorised step. */
    float *obs_next;  /* (N, obs_dim) after the rollout's last step */
    float *final_obs; /* (N, obs_dim) */
    double *ep_ret;   /* (N) */
    long *ep_len;     /* (N) */
    int *act;         /* (N) */
    float *gather;    /* (N, obs_dim) final observations of truncations */
    int *gather_idx;  /* (N) their copies */
    double *probs;    /* (actions) */
    /* The rollout, (T, N) time-major like the rollout source's rows. */
    float *value, *next_value, *reward, *adv, *ret;
    uint8_t *term, *trunc;
    float *feat_a;          /* (M, D) actor penultimate activations */
    float *feat_c;          /* (M, Dc) critic penultimate activations */
    double pre_a, pre_c;    /* sums over the rollout of ||pre-activation||_2 */
    double ep_sum, len_sum; /* episodes finished in the rollout */
    long episodes;
    struct rs_ppo_fast fast_a, fast_c; /* collection forwards */
    /* Instruments. */
    struct rs_probe_rank rank;
    uint8_t *cells; /* (frame_h * frame_w) */
    float *frame;   /* the same as floats */
    float *logp;    /* (M) log pi_new(a|s) after the epochs */
    /* The capacity data: the first rollouts' observations (cap_n rows,
     * at most capacity_rows, 0 before the first update). */
    float *cap_obs;
    int cap_n;
};

/* A no-grad forward of m on rows x (n, obs_dim) on p->g: the output, and
 * (may be NULL) the last probe-able layer's pre-activation and
 * activation, arena tensors valid until p->g is reset. NULL + err (the
 * graph's error; graph reset). */
rs_tensor *rs_ppo_forward(struct rs_ppo *p, rs_nn_module *m, const float *x,
                          int n, rs_tensor **pre, rs_tensor **act,
                          struct rs_error *err);

/* Use m's current weights for forwards of up to rows rows: f->on tells
 * whether m is an MLP ppo_fast.c computes (no norm; ReLU, leaky ReLU,
 * tanh, sigmoid or identity). Call again after the weights change. */
void rs_ppo_fast_prepare(struct rs_ppo_fast *f, const rs_nn_module *m,
                         int rows);
/* The forward of the prepared MLP on x (n <= rows, its input): the
 * output (n, OUT), and the last hidden layer's pre-activation and
 * activation (n, width), borrowed until the next call on f. */
const float *rs_ppo_fast_forward(struct rs_ppo_fast *f, const float *x, int n,
                                 const float **pre, const float **act);
void rs_ppo_fast_fini(struct rs_ppo_fast *f);

/* The instruments of the update just finished (ppo.h, 4.), logged and
 * published through l. update is its 1-based number. */
RS_NODISCARD int rs_ppo_metrics_log(struct rs_ppo *p, rs_learner *l,
                                    long update, struct rs_error *err);

#endif /* RS_ALGO_PPO_IMPL_H */
