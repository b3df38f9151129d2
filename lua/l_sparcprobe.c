/* repscope - MIT licence, see COPYING.
 *
 * l_sparcprobe.c: rs.probe.sparc, the image-text instruments
 * (algo/sparc_eval.h) on a learner whose data is an imgtext source
 * (data/source_imgtext.h), which knows each patch's class and which item
 * each caption word names:
 *
 *   rs.probe.sparc(learner [, {split="test", n=512, example=1,
 *                              read="minmax"}])
 *       -> {patch_acc=, r1=, r1_i2t=, r1_t2i=, align_entropy=,
 *           align_mass=}
 *
 * publishing <name>/eval/patch_acc, /eval/r1, /eval/align_entropy and
 * /eval/align_mass (bare for the unnamed learner) and the matrix
 * <name>/align (caption words x P patches) of composite `example`, rows
 * labelled with its words, and <name>/patch_pred (1 x P), the classes
 * patch_acc predicts for that composite's patches (for rs.view.patches).
 * The first n composites of the split are the
 * evaluation set, the same on every call. read = "minmax" (the default)
 * reads every learner's alignment weights the same way, the paper's
 * min-max with the 1/P threshold, so learners compare; "own" reads each
 * with its objective's alignment (softmax alignment with a sharp learned
 * temperature concentrates its weights whatever the patches encode).
 * Worker thread only.
 */
#include "config.h"

#include <stdlib.h>

#include "algo/sparc_eval.h"
#include "data/source_imgtext.h"
#include "lua/bind.h"

static const char *const split_names[] = {"train", "test", NULL};
static const char *const read_names[] = {"minmax", "own", NULL};

/* What one call owns, in a userdata so a raise leaks nothing. */
struct sparc_scratch {
    int *patch_class, *word_item;
    struct rs_sparc_eval ev;
    bool have_ev;
};

static int
l_sparc_scratch_gc(lua_State *L)
{
    struct sparc_scratch *s = lua_touserdata(L, 1);
    free(s->patch_class);
    free(s->word_item);
    s->patch_class = s->word_item = NULL;
    if (s->have_ev)
        rs_sparc_eval_fini(&s->ev);
    s->have_ev = false;
    return 0;
}

#define SCRATCH_MT "repscope.sparc_scratch"

static int
l_probe_sparc(lua_State *L)
{
    static const char fn[] = "rs.probe.sparc";
    rs_learner *l = rs_lua_check_learner(L, 1, fn, "learner");
    const rs_source *src = rs_learner_source(l);
    if (rs_source_imgtext_config(src) == NULL)
        return rs_lua_arg_error(L, fn, 1, "learner",
                                "its data is a %s source, an imgtext source "
                                "expected",
                                rs_source_kind(src));
    struct rs_sparc_eval_spec spec = {.split = RS_SPLIT_TEST, .n = 512};
    int example = 1;
    bool own = false;
    if (!lua_isnoneornil(L, 2)) {
        static const char *const fields[] = {"split", "n", "example",
                                             "read", NULL};
        rs_lua_check_table(L, 2, fn, "options");
        rs_lua_check_fields(L, 2, fn, fields);
        spec.split = (enum rs_split)rs_lua_opt_enum_field(L, 2, fn, "split",
                                                          "test", split_names);
        spec.n = (int)rs_lua_opt_int_field(L, 2, fn, "n", 512, 1, 1 << 20);
        example = (int)rs_lua_opt_int_field(L, 2, fn, "example", 1, 1,
                                            1 << 20);
        own = rs_lua_opt_enum_field(L, 2, fn, "read", "minmax",
                                    read_names) == 1;
    }
    struct rs_obj_sparc_config minmax;
    rs_obj_sparc_config_default(&minmax);
    spec.align = own ? NULL : &minmax;
    int count = rs_source_count(src, spec.split);
    if (spec.n > count)
        spec.n = count;
    if (example > spec.n)
        return rs_lua_field_error(L, fn, "example",
                                  "%d is beyond the %d composites evaluated",
                                  example, spec.n);
    spec.example = example - 1;
    struct rs_imgtext_dims dims;
    rs_source_imgtext_dims(src, &dims);
    struct sparc_scratch *s = lua_newuserdatauv(L, sizeof *s, 0);
    *s = (struct sparc_scratch){0};
    luaL_setmetatable(L, SCRATCH_MT);
    s->patch_class = rs_xcalloc((size_t)spec.n * (size_t)dims.patches,
                                sizeof *s->patch_class);
    s->word_item =
        rs_xcalloc((size_t)spec.n * (size_t)dims.len, sizeof *s->word_item);
    struct rs_error err = {0};
    if (rs_source_imgtext_patch_classes(src, spec.split, NULL, spec.n,
                                        s->patch_class, &err) != RS_OK ||
        rs_source_imgtext_word_item(src, spec.split, NULL, spec.n,
                                    s->word_item, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    /* class k is word id 1 + k (source_imgtext.h) */
    int class_ids[10];
    for (int k = 0; k < 10; k++)
        class_ids[k] = 1 + k;
    spec.patch_class = s->patch_class;
    spec.word_item = s->word_item;
    spec.class_ids = class_ids;
    spec.classes = 10;
    if (rs_sparc_eval(l, &spec, &s->ev, &err) != RS_OK)
        return rs_lua_status_error(L, fn, &err);
    s->have_ev = true;
    rs_sparc_eval_log(l, &s->ev);
    /* the alignment matrix: rows are the example's words (pads too, as
     * "<pad>", all zero) */
    const char *rows[64];
    int nr = s->ev.L < 64 ? s->ev.L : 64;
    for (int i = 0; i < nr; i++) {
        const char *w = rs_source_imgtext_word(s->ev.ids[i]);
        rows[i] = w != NULL ? w : "?";
    }
    char name[RS_NAME_MAX];
    rs_lua_matrix_labeled(L, rs_learner_metric(l, name, "align", NULL, NULL),
                          nr, s->ev.P, s->ev.align, rows, NULL);
    /* the example's patch classes as patch_acc reads them (rs.view.patches) */
    float *pred = lua_newuserdatauv(L, (size_t)s->ev.P * sizeof *pred, 0);
    for (int p = 0; p < s->ev.P; p++)
        pred[p] = (float)s->ev.pred[p];
    rs_lua_matrix_labeled(L,
                          rs_learner_metric(l, name, "patch_pred", NULL, NULL),
                          1, s->ev.P, pred, NULL, NULL);
    lua_pop(L, 1);
    lua_createtable(L, 0, 6);
    const struct {
        const char *k;
        double v;
    } out[] = {
        {"patch_acc", s->ev.patch_acc},
        {"r1", s->ev.r1},
        {"r1_i2t", s->ev.r1_i2t},
        {"r1_t2i", s->ev.r1_t2i},
        {"align_entropy", s->ev.align_entropy},
        {"align_mass", s->ev.align_mass},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(out); i++) {
        lua_pushnumber(L, out[i].v);
        lua_setfield(L, -2, out[i].k);
    }
    return 1;
}

/* Add rs.probe.sparc to the probe table at the top. */
void
rs_lua_open_sparcprobe(lua_State *L)
{
    luaL_newmetatable(L, SCRATCH_MT);
    lua_pushcfunction(L, l_sparc_scratch_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_probe_sparc);
    lua_setfield(L, -2, "sparc");
}
