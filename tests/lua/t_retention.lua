-- t_retention.lua: the Lua side of knowledge retention in RL fine-tuning
-- - rs.data.tensors, module:copy_from, learner:fisher, rs.objective.ppo
-- under kl_teacher (on the rollout and on a buffer of states) and ewc
-- (a given Fisher) through rs.rl.ppo{objective=}, instruments=false, and
-- the field errors of each, word for word where they are ours.
local tap = require "tap"
local rs = require "repscope"

-- ---- rs.data.tensors ----------------------------------------------------------
local x = rs.tensor.from{ { 1, 0 }, { 0, 1 }, { 1, 1 } }
local d = rs.data.tensors{ x = x, y = { 1, 0, 1 } }
tap.is(d:kind(), "tensors", "kind")
tap.is(d:count("train"), 3, "3 examples")
tap.is(d:count("test"), 0, "no test split")
tap.is(d:classes(), 2, "classes from the largest label")
local bx, by = d:batch("train")
tap.ok(bx:equal(x) and by[1] == 1 and by[2] == 0 and by[3] == 1,
       "the rows and labels back")
tap.is(rs.data.tensors{ x = x, y = { 0, 0, 0 }, classes = 5 }:classes(), 5,
       "classes given")
local dt = rs.data.tensors{ x = x, y = { 0, 1, 0 }, test_x = x,
                            test_y = { 1, 1, 1 } }
tap.is(dt:count("test"), 3, "a test split")
tap.error_like(function() rs.data.tensors{ x = x } end,
               "field 'y' is required", "y required")
tap.error_like(function() rs.data.tensors{ x = x, y = { 0, 1 } } end,
               "bad field 'y' %(has 2 labels for 3 rows%)", "label count")
tap.error_like(function() rs.data.tensors{ x = x, y = { 0, 1, 2 },
                                           classes = 2 } end,
               "rs.data.tensors: train label 3 is 2 %(must be in 0..1%)",
               "label out of range")
tap.error_like(function() rs.data.tensors{ x = x, y = { 0, 1, 0 },
                                           test_x = x } end,
               "give test_x and test_y together", "test_x alone")
tap.error_like(function() rs.data.tensors{ x = rs.tensor.zeros(3),
                                           y = { 0, 1, 0 } } end,
               "a %(rows, features%) tensor expected, got 1 dimensions",
               "x must be 2-D")

-- ---- module:copy_from -----------------------------------------------------------
local a = rs.nn.mlp{ input = 2, width = 4, depth = 1, output = 2, seed = 1 }
local b = rs.nn.mlp{ input = 2, width = 4, depth = 1, output = 2, seed = 2 }
tap.ok(not a:param("l1.weight"):equal(b:param("l1.weight")),
       "two seeds, two weights")
b:copy_from(a)
local same = true
for _, n in ipairs(a:param_names()) do
  same = same and a:param(n):equal(b:param(n))
end
tap.ok(same, "copy_from: every parameter equal")
tap.ok(a:forward(x):equal(b:forward(x)), "copy_from: the same outputs")
local wide = rs.nn.mlp{ input = 2, width = 5, depth = 1, output = 2 }
tap.error_like(function() wide:copy_from(a) end,
               "parameter 1 is l1.weight %(4, 2%), this module's l1.weight "
               .. "%(5, 2%)", "copy_from: shapes must match")

-- ---- learner:fisher -------------------------------------------------------------
local l = rs.learner{ model = a, data = d, batch = 3, eval_every = 0,
                      optim = rs.optim.sgd{ lr = 0.1 }, seed = 1 }
local f = l:fisher{ batches = 3, rows = 1 }
tap.is(#f, #a:param_names(), "one Fisher tensor per parameter")
local nonneg, any = true, false
for i, t in ipairs(f) do
  tap.is(table.concat(t:shape(), "x"),
         table.concat(a:param(a:param_names()[i]):shape(), "x"),
         "Fisher " .. i .. " has its parameter's shape")
  for k = 1, t:numel() do
    local v = t:reshape(t:numel()):get(k)
    if v < 0 then nonneg = false end
    if v > 0 then any = true end
  end
end
tap.ok(nonneg and any, "the Fisher is >= 0 and not all 0")
tap.is(l:steps(), 0, "a Fisher takes no step")
tap.error_like(function() l:fisher{} end, "field 'batches' is required",
               "batches required")
tap.error_like(function() l:fisher{ batches = 1, rows = -1 } end,
               "bad field 'rows'", "rows >= 0")

-- ---- objectives -----------------------------------------------------------------
local ppo = rs.objective.ppo{}
tap.is(ppo.kind, "ppo", "rs.objective.ppo{} is a spec")
local function actor(seed)
  return rs.nn.mlp{ input = 4, width = 8, depth = 1, output = 2, seed = seed }
end
local teacher = actor(9)
local states = rs.tensor.randn(5, 4)
tap.error_like(function() rs.objective.kl_teacher{ base = ppo,
                                                   teacher = teacher,
                                                   batch = 8 } end,
               "bad field 'batch' %(draws from a buffer: give states=%)",
               "batch without states")
tap.error_like(function() rs.objective.kl_teacher{ base = ppo,
                                                   teacher = teacher,
                                                   beta = 0.5, floor = 1 } end,
               "bad field 'floor' %(1 is outside %[0, 0.5%] %(the weight%)%)",
               "floor above the weight")
tap.error_like(function() rs.objective.kl_teacher{ base = ppo,
                                                   teacher = teacher,
                                                   decay = 0 } end,
               "bad field 'decay' %(0 is outside %(0, 1%]%)", "decay 0")
tap.error_like(function() rs.objective.kl_teacher{
                 base = ppo, teacher = teacher, states = rs.tensor.zeros(4) }
               end, "a %(n, features%) tensor expected, got 1 dimensions",
               "states must be 2-D")
tap.error_like(function() rs.objective.ewc{ base = ppo, lambda = 1,
                                            fisher = f,
                                            fisher_batches = 2 } end,
               "give fisher or fisher_batches, not both", "fisher twice")
tap.error_like(function() rs.objective.ewc{ base = ppo, lambda = 1,
                                            normalise = "mean" } end,
               "normalises a given fisher", "normalise alone")
tap.error_like(function() rs.objective.ewc{ base = ppo, lambda = 1,
                                            fisher = { 1, 2 } } end,
               "entry 1: tensor expected, got number", "fisher entries")
tap.error_like(function() rs.objective.ewc{ base = ppo, lambda = 1,
                                            fisher = f, normalise = "sum" } end,
               "bad field 'normalise'", "normalise names")

local function ppo_learner(name, obj, extra)
  local cfg = {
    name = name, env = rs.env.cartpole{ copies = 2, seed = 3, horizon = 20 },
    actor = actor(1), critic = rs.nn.mlp{ input = 4, width = 8, depth = 1,
                                          output = 1, seed = 2 },
    steps = 8, minibatch = 8, epochs = 2, seed = 5, objective = obj,
  }
  for k, v in pairs(extra or {}) do cfg[k] = v end
  return rs.rl.ppo(cfg)
end

local ks = ppo_learner("ks", rs.objective.kl_teacher{ base = ppo,
                                                      teacher = teacher,
                                                      beta = 0.5,
                                                      decay = 0.9 },
                       { instruments = false, clip = 0.1 })
tap.is(ks:objective().kind, "kl_teacher", "KS: the learner's objective")
tap.is(ks:ppo().instruments, false, "instruments = false")
tap.is(ks:ppo().clip, 0.1, "rs.rl.ppo's clip configures the PPO loss")
ks:update()
tap.is(ks:updates(), 1, "KS: one PPO update")
local bc = ppo_learner("bc", rs.objective.kl_teacher{
  base = ppo, teacher = actor(9), states = states, batch = 4, seed = 2 })
bc:update()
tap.is(bc:updates(), 1, "BC on a buffer: one PPO update")
-- a Fisher for the actor's parameters only (the critic gets none)
local fa = {}
for i, n in ipairs(actor(1):param_names()) do
  fa[i] = rs.tensor.full(actor(1):param(n):shape(), 0.5)
end
local ewc = ppo_learner("ewc", rs.objective.ewc{ base = ppo, lambda = 2,
                                                 fisher = fa,
                                                 normalise = "max" })
ewc:update()
tap.is(ewc:updates(), 1, "EWC with a given Fisher: one PPO update")
tap.error_like(function()
                 ppo_learner("bad", rs.objective.kl_teacher{
                   base = rs.objective.classify{}, teacher = teacher })
               end, "rs.rl.ppo: the objective kl_teacher is no wrapper of a "
                    .. "ppo objective", "a non-ppo leaf")
tap.error_like(function() ks:set_objective(ppo) end,
               "a ppo learner takes its objective once", "no set_objective")
local big = {}
for i, n in ipairs(actor(1):param_names()) do
  local shape = actor(1):param(n):shape()
  shape[1] = shape[1] + 1
  big[i] = rs.tensor.ones(table.unpack(shape))
end
tap.error_like(function()
                 ppo_learner("big", rs.objective.ewc{ base = ppo, lambda = 1,
                                                      fisher = big })
               end, "Fisher tensor 1 is %(9, 4%), parameter 1.l1.weight is "
                    .. "%(8, 4%)", "a Fisher of the wrong shape")

tap.done()
