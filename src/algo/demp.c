/* repscope - MIT licence, see COPYING.
 *
 * demp.c: DemP's death check (demp.h). The forwards run on the learner's
 * graph with gradients off, one chunk of the learner's batch size at a
 * time, on the first ceil(N / 25) examples of the train split; the
 * chunks go through the learner's evaluation batch (so the probe cache is
 * dropped), never through its sampler. Worker thread only.
 */
#include "config.h"

#include "algo/demp.h"

#include <math.h>
#include <stdlib.h>

#include "algo/learner_impl.h"

void
rs_demp_live_update(const float *x, int rows, int cols, unsigned char *live)
{
    /* sum_i x[i, j] in double; live[j] |= sum > 0 */
    double *sum = rs_xcalloc((size_t)cols + 1, sizeof *sum);
    for (int i = 0; i < rows; i++) {
        const float *row = x + (size_t)i * (size_t)cols;
        for (int j = 0; j < cols; j++)
            sum[j] += (double)row[j];
    }
    for (int j = 0; j < cols; j++)
        if (sum[j] > 0.0)
            live[j] = 1;
    free(sum);
}

int
rs_demp_cover(int n)
{
    return n < 1 ? 0 : (n + RS_DEMP_COVER_DIV - 1) / RS_DEMP_COVER_DIV;
}

/* Forward examples [start, start + m) of the train split; the layer's
 * activation (rows, units) as a borrowed arena tensor, or NULL with err
 * filled (the graph reset). */
static rs_tensor *
chunk_act(rs_learner *l, int li, int start, int m, int *idx,
          struct rs_error *err)
{
    for (int i = 0; i < m; i++)
        idx[i] = start + i;
    if (rs_source_fetch(l->src, RS_SPLIT_TRAIN, idx, m, &l->ebatch, err) !=
        RS_OK)
        return NULL;
    struct rs_obj_ctx c;
    rs_learner_ctx(l, &c, &l->ebatch, false);
    rs_tensor *o = rs_obj_forward(&c, l->mod[0], 0);
    if (o == NULL) {
        rs_learner_graph_error(l, err);
        return NULL;
    }
    rs_tensor *a = rs_nn_module_layer_act(l->mod[0], li);
    if (a == NULL)
        rs_error_set(err, RS_EINVAL, "layer %s recorded no activation",
                     rs_nn_module_layer_name(l->mod[0], li));
    return a;
}

int
rs_demp_dead_units(rs_learner *l, const char *layer, int cover, int *dead,
                   int cap, int *ndead, int *units, struct rs_error *err)
{
    if (l->ntrain == 0)
        return rs_error_set(err, RS_EINVAL,
                            "death check: the source is a generator (it "
                            "needs a train split to cover)");
    int li = rs_nn_module_find_layer(l->mod[0], layer);
    if (li < 0)
        return rs_error_set(err, RS_EINVAL,
                            "death check: the model has no layer '%s'", layer);
    l->probe_valid = false;
    rs_graph_reset(l->g);
    rs_graph_set_grad(l->g, false);
    if (cover <= 0)
        cover = rs_demp_cover(l->ntrain);
    if (cover > l->ntrain)
        cover = l->ntrain;
    int b = l->cfg.batch;
    int *idx = rs_xcalloc((size_t)(b < cover ? b : cover) + 1, sizeof *idx);
    unsigned char *live = NULL;
    int width = 0, rc = RS_OK;
    for (int start = 0; start < cover && rc == RS_OK; start += b) {
        int m = cover - start < b ? cover - start : b;
        rs_tensor *a = chunk_act(l, li, start, m, idx, err);
        if (a == NULL) {
            rc = err != NULL && err->code != RS_OK ? err->code : RS_EINVAL;
            break;
        }
        /* a is (rows, C) or (rows, T, C): sum over all but the last dim */
        int c = a->shape[a->ndim - 1];
        if (live == NULL) {
            width = c;
            live = rs_xcalloc((size_t)c + 1, 1);
        }
        if (c != width || width > cap)
            rc = rs_error_set(err, RS_EINVAL,
                              "death check: layer %s has %d units (room "
                              "for %d)",
                              layer, c, cap);
        else
            rs_demp_live_update(a->data, (int)(a->numel / (size_t)c), c, live);
        rs_graph_reset(l->g);
    }
    rs_graph_set_grad(l->g, true);
    rs_graph_reset(l->g);
    if (rc == RS_OK) {
        int n = 0;
        for (int j = 0; j < width; j++)
            if (!live[j])
                dead[n++] = j;
        *ndead = n;
        if (units != NULL)
            *units = width;
    }
    free(live);
    free(idx);
    return rc;
}

/* ---- the one-cycle schedule --------------------------------------------- */

/* optax's _cosine_interpolate */
static double
cos_interp(double start, double end, double pct)
{
    static const double pi = 3.14159265358979323846;
    return end + (start - end) / 2.0 * (cos(pi * pct) + 1.0);
}

double
rs_demp_onecycle(double peak, long total, bool zero_end, long t)
{
    if (total < 1)
        return 0.0;
    if (t < 0)
        t = 0;
    /* Python's int() of a positive double is floor: the same doubles */
    long end = zero_end ? (long)floor(0.9 * (double)total) : total;
    if (zero_end && t >= end)
        return 0.0;
    double v0 = peak / 25.0, v2 = peak / (25.0 * 1e4);
    long b = (long)floor(0.3 * (double)end);
    if (t < b)
        return cos_interp(v0, peak, (double)t / (double)b);
    if (t < end) /* b <= t < end: the span is positive */
        return cos_interp(peak, v2, (double)(t - b) / (double)(end - b));
    return v2;
}
