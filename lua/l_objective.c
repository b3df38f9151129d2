/* repscope - MIT licence, see COPYING.
 *
 * l_objective.c: rs.objective, what a learner minimises (algo/objective.h),
 * as values:
 *
 *   rs.objective.classify{loss="cross_entropy" | "mse_onehot"}
 *   rs.objective.last_token{}        the query position of a task batch
 *   rs.objective.next_token{}        language modelling, every position
 *   rs.objective.l2_anchor{base=, lambda=}
 *   rs.objective.ewc{base=, lambda=, fisher_batches=10 | fisher={...},
 *                    normalise="none"}
 *   rs.objective.kl_teacher{base=, teacher=<module>, beta=1, tau=1,
 *                           states=<tensor>, batch=64, seed=1}
 *       (the three take decay=1, floor=0, every=1: the weight's schedule)
 *   rs.objective.ppo{}               PPO's loss, the base under the
 *                                    wrappers of rs.rl.ppo{objective=}
 *   rs.objective.clip{}, rs.objective.sparc{...}   image-text (l_objsparc.c)
 *   rs.objective.cdg_l2{base=, peak=, total=, zero_end=true}   (l_demp.c)
 * (the regularisers add their term to base's loss while training).
 *
 * An objective value is a spec (a read-only table: kind and fields);
 * rs.learner builds a fresh C objective from it for each learner, so one
 * spec can serve several learners and a stateful objective (an anchor, a
 * Fisher) is never shared by accident. rs_lua_objective_build turns a
 * spec into an objective; rs_lua_objective_default gives the one a
 * learner takes without objective= (classify on a dataset, last_token on
 * a sequence task, next_token on a corpus or a text). A spec keeps its base spec
 * and teacher module handle alive. Worker thread only.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algo/objective.h"
#include "lua/bind.h"

static const char *const ce_names[] = {"cross_entropy", "mse_onehot", NULL};

/* Push a new spec table of kind with the metatable. */
static int
new_spec(lua_State *L, const char *kind)
{
    lua_createtable(L, 0, 4);
    lua_pushstring(L, kind);
    lua_setfield(L, -2, "kind");
    luaL_setmetatable(L, RS_LUA_OBJECTIVE_MT);
    return lua_gettop(L);
}

/* The optional config table at arg 1 with the allowed fields. */
static void
check_config(lua_State *L, const char *fn, const char *const fields[])
{
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
        return;
    }
    rs_lua_check_table(L, 1, fn, "config");
    rs_lua_check_fields(L, 1, fn, fields);
}

/* rs.objective.classify{loss=} */
static int
l_objective_classify(lua_State *L)
{
    static const char fn[] = "rs.objective.classify";
    static const char *const fields[] = {"loss", NULL};
    check_config(L, fn, fields);
    int loss =
        rs_lua_opt_enum_field(L, 1, fn, "loss", "cross_entropy", ce_names);
    int spec = new_spec(L, "classify");
    lua_pushstring(L, ce_names[loss]);
    lua_setfield(L, spec, "loss");
    return 1;
}

/* rs.objective.last_token{} */
static int
l_objective_last_token(lua_State *L)
{
    static const char *const fields[] = {NULL};
    check_config(L, "rs.objective.last_token", fields);
    new_spec(L, "last_token");
    return 1;
}

void
rs_lua_objective_push(lua_State *L, const char *kind)
{
    new_spec(L, kind);
}

/* rs.objective.next_token{} */
static int
l_objective_next_token(lua_State *L)
{
    static const char *const fields[] = {NULL};
    check_config(L, "rs.objective.next_token", fields);
    new_spec(L, "next_token");
    return 1;
}

/* rs.objective.ppo{}: configured by rs.rl.ppo's fields. */
static int
l_objective_ppo(lua_State *L)
{
    static const char *const fields[] = {NULL};
    check_config(L, "rs.objective.ppo", fields);
    new_spec(L, "ppo");
    return 1;
}

/* The required base= of a regulariser's config (arg 1) into spec. */
static void
set_base(lua_State *L, const char *fn, int spec)
{
    if (lua_getfield(L, 1, "base") == LUA_TNIL)
        luaL_error(L, "%s: field 'base' is required", fn);
    rs_lua_objective_check(L, -1, fn, "base");
    lua_setfield(L, spec, "base");
}

/* A number field >= lo (finite), required when req, into spec. */
static void
set_number(lua_State *L, const char *fn, int spec, const char *key, bool req,
           double def, double lo, bool above)
{
    if (req && !rs_lua_has_field(L, 1, key))
        luaL_error(L, "%s: field '%s' is required", fn, key);
    lua_Number v = rs_lua_opt_number_field(L, 1, fn, key, def);
    if (!isfinite(v) || v < lo || (above && v == lo))
        rs_lua_field_error(L, fn, key, "%g is not a finite number %s %g",
                           (double)v, above ? ">" : ">=", lo);
    lua_pushnumber(L, v);
    lua_setfield(L, spec, key);
}

/* decay=1, floor=0, every=1 of a regulariser's config into spec; the
 * floor at most the weight w0. */
static void
set_schedule(lua_State *L, const char *fn, int spec, double w0)
{
    lua_Number d = rs_lua_opt_number_field(L, 1, fn, "decay", 1.0);
    if (!(d > 0.0 && d <= 1.0))
        rs_lua_field_error(L, fn, "decay", "%g is outside (0, 1]", (double)d);
    lua_pushnumber(L, d);
    lua_setfield(L, spec, "decay");
    lua_Number f = rs_lua_opt_number_field(L, 1, fn, "floor", 0.0);
    if (!(isfinite(f) && f >= 0.0 && f <= w0))
        rs_lua_field_error(L, fn, "floor", "%g is outside [0, %g] (the weight)",
                           (double)f, w0);
    lua_pushnumber(L, f);
    lua_setfield(L, spec, "floor");
    lua_Integer e =
        rs_lua_opt_int_field(L, 1, fn, "every", 1, 1, LUA_MAXINTEGER);
    lua_pushinteger(L, e);
    lua_setfield(L, spec, "every");
}

/* rs.objective.l2_anchor{base=, lambda=, decay=, floor=, every=} */
static int
l_objective_l2_anchor(lua_State *L)
{
    static const char fn[] = "rs.objective.l2_anchor";
    static const char *const fields[] = {"base",  "lambda", "decay",
                                         "floor", "every",  NULL};
    check_config(L, fn, fields);
    int spec = new_spec(L, "l2_anchor");
    set_base(L, fn, spec);
    set_number(L, fn, spec, "lambda", true, 0.0, 0.0, false);
    set_schedule(L, fn, spec, rs_lua_opt_number_field(L, 1, fn, "lambda", 0));
    return 1;
}

static const char *const norm_names[] = {"none", "mean", "max", NULL};

/* rs.objective.ewc{base=, lambda=, fisher_batches=10 | fisher={tensors},
 * normalise="none", decay=, floor=, every=} */
static int
l_objective_ewc(lua_State *L)
{
    static const char fn[] = "rs.objective.ewc";
    static const char *const fields[] = {
        "base",  "lambda", "fisher_batches", "fisher", "normalise",
        "decay", "floor",  "every",          NULL};
    check_config(L, fn, fields);
    int spec = new_spec(L, "ewc");
    set_base(L, fn, spec);
    set_number(L, fn, spec, "lambda", true, 0.0, 0.0, false);
    set_schedule(L, fn, spec, rs_lua_opt_number_field(L, 1, fn, "lambda", 0));
    bool given = rs_lua_has_field(L, 1, "fisher");
    if (given && rs_lua_has_field(L, 1, "fisher_batches"))
        rs_lua_field_error(L, fn, "fisher",
                           "give fisher or fisher_batches, not both");
    lua_Integer k = rs_lua_opt_int_field(L, 1, fn, "fisher_batches",
                                         given ? 0 : 10, 0, 1 << 20);
    lua_pushinteger(L, k);
    lua_setfield(L, spec, "fisher_batches");
    if (given) {
        /* a list of tensors (the first parameters', in order), copied */
        lua_getfield(L, 1, "fisher");
        if (!lua_istable(L, -1) || lua_rawlen(L, -1) == 0)
            rs_lua_field_error(L, fn, "fisher",
                               "a list of tensors expected, got %s",
                               rs_lua_kind_name(L, -1));
        int list = lua_gettop(L);
        lua_Integer n = (lua_Integer)lua_rawlen(L, list);
        lua_createtable(L, (int)n, 0);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, list, i);
            if (rs_lua_test_box(L, -1, RS_LUA_TENSOR_MT) == NULL)
                rs_lua_field_error(L, fn, "fisher",
                                   "entry %lld: tensor expected, got %s",
                                   (long long)i, rs_lua_kind_name(L, -1));
            rs_lua_push_tensor_copy(
                L, rs_lua_check_tensor(L, lua_gettop(L), fn, "fisher"), fn);
            lua_rawseti(L, -3, i);
            lua_pop(L, 1);
        }
        lua_setfield(L, spec, "fisher");
        lua_pop(L, 1);
    } else if (rs_lua_has_field(L, 1, "normalise")) {
        rs_lua_field_error(L, fn, "normalise", "normalises a given fisher");
    }
    int norm = rs_lua_opt_enum_field(L, 1, fn, "normalise", "none", norm_names);
    lua_pushstring(L, norm_names[norm]);
    lua_setfield(L, spec, "normalise");
    return 1;
}

/* rs.objective.kl_teacher{base=, teacher=, beta=1, tau=1, states=,
 * batch=64, seed=1, decay=, floor=, every=} */
static int
l_objective_kl_teacher(lua_State *L)
{
    static const char fn[] = "rs.objective.kl_teacher";
    static const char *const fields[] = {
        "base",  "teacher", "beta",  "tau",   "states", "batch",
        "seed",  "decay",   "floor", "every", NULL};
    check_config(L, fn, fields);
    int spec = new_spec(L, "kl_teacher");
    set_base(L, fn, spec);
    if (lua_getfield(L, 1, "teacher") == LUA_TNIL)
        return luaL_error(L, "%s: field 'teacher' is required", fn);
    if (rs_lua_test_module(L, -1) == NULL)
        return rs_lua_field_error(L, fn, "teacher", "module expected, got %s",
                                  rs_lua_kind_name(L, -1));
    rs_lua_check_module(L, lua_gettop(L), fn, "teacher"); /* live */
    lua_setfield(L, spec, "teacher");
    set_number(L, fn, spec, "beta", false, 1.0, 0.0, false);
    set_number(L, fn, spec, "tau", false, 1.0, 0.0, true);
    set_schedule(L, fn, spec, rs_lua_opt_number_field(L, 1, fn, "beta", 1.0));
    if (lua_getfield(L, 1, "states") != LUA_TNIL) {
        rs_tensor *t = rs_lua_test_box(L, -1, RS_LUA_TENSOR_MT);
        if (t == NULL)
            rs_lua_field_error(L, fn, "states", "tensor expected, got %s",
                               rs_lua_kind_name(L, -1));
        t = rs_lua_check_tensor(L, lua_gettop(L), fn, "states");
        if (t->ndim != 2)
            rs_lua_field_error(L, fn, "states",
                               "a (n, features) tensor expected, got %d "
                               "dimensions",
                               t->ndim);
        rs_lua_push_tensor_copy(L, t, fn);
        lua_setfield(L, spec, "states");
    } else if (rs_lua_has_field(L, 1, "batch") ||
               rs_lua_has_field(L, 1, "seed")) {
        rs_lua_field_error(L, fn,
                           rs_lua_has_field(L, 1, "batch") ? "batch" : "seed",
                           "draws from a buffer: give states=");
    }
    lua_pop(L, 1);
    lua_pushinteger(L, rs_lua_opt_int_field(L, 1, fn, "batch", 64, 1,
                                            RS_OBJ_KL_MAX_BATCH));
    lua_setfield(L, spec, "batch");
    lua_pushinteger(L,
                    rs_lua_opt_int_field(L, 1, fn, "seed", 1, 0, LUA_MAXINTEGER));
    lua_setfield(L, spec, "seed");
    return 1;
}

bool
rs_lua_is_objective(lua_State *L, int idx)
{
    if (!lua_istable(L, idx) || !lua_getmetatable(L, idx))
        return false;
    luaL_getmetatable(L, RS_LUA_OBJECTIVE_MT); /* mt objmt */
    bool same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same;
}

/* The spec's string field key (static storage not needed: the spec holds
 * the string while it lives). */
static const char *
spec_string(lua_State *L, int spec, const char *key)
{
    lua_getfield(L, spec, key);
    const char *s = lua_tostring(L, -1);
    lua_pop(L, 1);
    return s != NULL ? s : "";
}

void
rs_lua_objective_check(lua_State *L, int idx, const char *fn, const char *key)
{
    if (!rs_lua_is_objective(L, idx))
        rs_lua_field_error(L, fn, key, "objective expected, got %s",
                           rs_lua_kind_name(L, idx));
}

static double
spec_number(lua_State *L, int spec, const char *key)
{
    lua_getfield(L, spec, key);
    double v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

/* An ewc spec's given Fisher (if any) into o. */
static int
preset_fisher(lua_State *L, int idx, rs_objective *o, struct rs_error *err)
{
    if (lua_getfield(L, idx, "fisher") != LUA_TTABLE) {
        lua_pop(L, 1);
        return RS_OK;
    }
    int n = (int)lua_rawlen(L, -1);
    rs_tensor **f = rs_xcalloc((size_t)n + 1, sizeof *f);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, -1, i + 1);
        f[i] = rs_lua_test_box(L, -1, RS_LUA_TENSOR_MT); /* the spec's */
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    int norm = rs_obj_fisher_norm_parse(spec_string(L, idx, "normalise"));
    int rc = rs_objective_ewc_preset_fisher(
        o, f, n, norm < 0 ? RS_OBJ_FISHER_RAW : (enum rs_obj_fisher_norm)norm,
        err);
    free(f);
    return rc;
}

/* A kl_teacher spec's buffer of states (if any) into o. */
static int
kl_buffer(lua_State *L, int idx, rs_objective *o, struct rs_error *err)
{
    lua_getfield(L, idx, "states");
    rs_tensor *t = rs_lua_test_box(L, -1, RS_LUA_TENSOR_MT);
    lua_pop(L, 1); /* the spec keeps it */
    if (t == NULL)
        return RS_OK;
    return rs_objective_kl_teacher_buffer(
        o, t, (int)spec_number(L, idx, "batch"),
        (uint64_t)spec_number(L, idx, "seed"), err);
}

/* A regulariser of kind on the built base (released here either way). */
static rs_objective *
build_wrapper(lua_State *L, int idx, const char *kind, rs_objective *base,
              struct rs_error *err)
{
    rs_objective *o = NULL;
    double lambda = spec_number(L, idx, "lambda");
    if (strcmp(kind, "l2_anchor") == 0) {
        o = rs_objective_l2_anchor(base, lambda, err);
    } else if (strcmp(kind, "ewc") == 0) {
        int k = (int)spec_number(L, idx, "fisher_batches");
        o = rs_objective_ewc(base, lambda, k, err);
        if (o != NULL && preset_fisher(L, idx, o, err) != RS_OK) {
            rs_objective_release(o);
            o = NULL;
        }
    } else {
        lua_getfield(L, idx, "teacher");
        struct rs_lua_module *t = rs_lua_test_module(L, -1);
        lua_pop(L, 1); /* the spec keeps the handle */
        if (t == NULL || t->m == NULL)
            rs_error_set(err, RS_EINVAL, "the teacher was released");
        else
            o = rs_objective_kl_teacher(base, t->m, spec_number(L, idx, "beta"),
                                        spec_number(L, idx, "tau"), err);
        if (o != NULL && kl_buffer(L, idx, o, err) != RS_OK) {
            rs_objective_release(o);
            o = NULL;
        }
    }
    rs_objective_release(base);
    struct rs_obj_schedule sc = {.decay = spec_number(L, idx, "decay"),
                                 .floor = spec_number(L, idx, "floor"),
                                 .every = (long)spec_number(L, idx, "every")};
    if (o != NULL && rs_objective_set_schedule(o, &sc, err) != RS_OK) {
        rs_objective_release(o);
        o = NULL;
    }
    return o;
}

rs_objective *
rs_lua_objective_build(lua_State *L, int idx, struct rs_error *err)
{
    idx = lua_absindex(L, idx);
    const char *kind = spec_string(L, idx, "kind");
    if (strcmp(kind, "l2_anchor") == 0 || strcmp(kind, "ewc") == 0 ||
        strcmp(kind, "kl_teacher") == 0) {
        lua_getfield(L, idx, "base");
        rs_objective *base = rs_lua_is_objective(L, -1)
                                 ? rs_lua_objective_build(L, -1, err)
                                 : NULL;
        lua_pop(L, 1);
        if (base == NULL) {
            if (err != NULL && err->code == RS_OK)
                rs_error_set(err, RS_EINVAL, "%s: no base objective", kind);
            return NULL;
        }
        return build_wrapper(L, idx, kind, base, err);
    }
    if (strcmp(kind, "cdg_l2") == 0)
        return rs_lua_objdemp_build(L, idx, err);
    if (strcmp(kind, "next_token") == 0)
        return rs_objective_next_token(err);
    if (strcmp(kind, "lua") == 0)
        return rs_lua_objlua_build(L, idx, err);
    if (strcmp(kind, "clip") == 0 || strcmp(kind, "sparc") == 0)
        return rs_lua_objsparc_build(L, idx, err);
    if (strcmp(kind, "classify") == 0) {
        int loss = rs_obj_classify_loss_parse(spec_string(L, idx, "loss"));
        return rs_objective_classify(loss < 0 ? RS_OBJ_CROSS_ENTROPY
                                              : (enum rs_obj_classify_loss)loss,
                                     err);
    }
    if (strcmp(kind, "last_token") == 0)
        return rs_objective_last_token(err);
    if (strcmp(kind, "ppo") == 0) {
        struct rs_obj_ppo_config pc;
        rs_obj_ppo_config_default(&pc);
        return rs_objective_ppo(&pc, err);
    }
    rs_error_set(err, RS_EINVAL, "unknown objective kind '%s'", kind);
    return NULL;
}

rs_objective *
rs_lua_objective_default(const rs_source *src, struct rs_error *err)
{
    const char *kind = rs_source_kind(src);
    if (strcmp(kind, "dataset") == 0)
        return rs_objective_classify(RS_OBJ_CROSS_ENTROPY, err);
    if (strcmp(kind, "seqtask") == 0)
        return rs_objective_last_token(err);
    if (strcmp(kind, "corpus") == 0 || strcmp(kind, "text") == 0)
        return rs_objective_next_token(err);
    rs_error_set(err, RS_EINVAL,
                 "a %s source has no default objective (give objective=)",
                 kind);
    return NULL;
}

static int
l_objective_tostring(lua_State *L)
{
    lua_pushfstring(L, "objective (%s)", spec_string(L, 1, "kind"));
    return 1;
}

void
rs_lua_open_objective(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"classify", l_objective_classify},
        {"last_token", l_objective_last_token},
        {"next_token", l_objective_next_token},
        {"l2_anchor", l_objective_l2_anchor},
        {"ewc", l_objective_ewc},
        {"kl_teacher", l_objective_kl_teacher},
        {"ppo", l_objective_ppo},
        {NULL, NULL},
    };
    if (luaL_newmetatable(L, RS_LUA_OBJECTIVE_MT)) {
        lua_pushcfunction(L, l_objective_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    luaL_newlib(L, funcs);
    rs_lua_open_objlua(L);
    rs_lua_open_objsparc(L);
    rs_lua_open_objdemp(L);
    lua_setfield(L, -2, "objective");
}
