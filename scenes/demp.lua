-- repscope - MIT licence, see COPYING.
--
-- demp.lua: dead units on purpose (Dufort-Labbé et al. 2024, "Maxwell's
-- Demon at Work: Efficient Pruning by Leveraging Saturation of Neurons",
-- arXiv 2403.07688). Three MLPs 784-256-256-256-10 (ReLU, Adam) learn
-- Fashion-MNIST side by side:
--   base  plain
--   demp  the one-sided L2 (cdg_l2) on a one-cycle schedule, Gaussian
--         noise on the update of live weights only, and every
--         prune_every steps the units DemP's death check finds dead
--         (summed activation <= 0 on every batch of 1/25 of the train
--         set) cut out of the model: rows, the next layer's columns and
--         the Adam moments, so later steps are cheaper
--   hot   base with lr x3 and batch / 4: more SGD noise, more dead units
-- The scene steps the three in turn so that each step's CPU time is its
-- own (<name>/time/ms_per_step, measured with os.clock).
--
-- Measured (headless, defaults: 20000 images, 6000 steps, Adam 2e-3,
-- peak 1e-2, noise 5e-5; seeds 1 / 2 / 3, 35-36 s on 2 cores): demp
-- keeps 345 / 328 / 360 of 768 hidden units (42/137/166, 37/138/153,
-- 47/133/180 per layer; 63k / 57k / 69k of 335k parameters) at test
-- accuracy 0.8655 / 0.8735 / 0.8770 against base's 0.8655 / 0.8750 /
-- 0.8775; its step falls from 4.6 / 4.3 / 4.6 ms (the first 500 steps,
-- noise included) to 0.70 / 0.60 / 0.69 ms (the last 500), base's from
-- 3.0 to 2.7. hot (lr 6e-3, batch 32) ends with 505 / 483 / 439 dead
-- units by the death check, base with 150 / 184 / 146. At lr 1e-3 demp
-- keeps 60% of its units (40% removed) at 0.65 points below base.

local rs = require "repscope"

local NAMES = { "base", "demp", "hot" }
local LAYERS = { "l1", "l2", "l3" }
local S = {}

-- Live units per layer (the death check on the current model) and the
-- parameter count; demp first cuts its dead units out.
local function census(k)
  for i, l in ipairs(S.learners) do
    local name, live = l:name(), 0
    for j, layer in ipairs(LAYERS) do
      local dead = l:dead_units(layer)
      if name == "demp" and #dead > 0 and #dead < S.width[i][j] then
        S.width[i][j] = l:remove_units(layer, dead)
        dead = {}
      end
      rs.log(name .. "/live/" .. layer, S.width[i][j] - #dead)
      live = live + S.width[i][j] - #dead
    end
    rs.log(name .. "/live", live)
    rs.log(name .. "/params", l:model():num_params())
  end
  if k == S.total then
    for i, l in ipairs(S.learners) do
      local _, acc = l:eval("test")
      print(string.format("%s: test acc %.4f, live %d/%d/%d, %d params, "
                          .. "%.3f ms/step at the end", l:name(), acc,
                          S.width[i][1], S.width[i][2], S.width[i][3],
                          l:model():num_params(), S.ms[i] or 0 / 0))
    end
  end
end

return rs.scene{
  title = "DemP: dead units on purpose, pruned for speed",
  notes = [[
Three MLPs 784-256-256-256-10 learn Fashion-MNIST. demp adds DemP's
one-sided L2 on a one-cycle schedule (rising, then falling to 0 at 90%
of the run) and Gaussian noise on the updates of live weights only; every
prune_every steps the units that never fire on 1/25 of the training set
are cut out of the model, so its steps get cheaper. hot is the baseline
with 3x the rate and a quarter of the batch: more SGD noise, more units
die on their own. The strip shows demp's units per layer shrinking in
place; the scatter is test accuracy against parameters over time.]],
  steps = 6000,
  params = {
    train_n = { 20000, min = 100, max = 60000 },
    test_n = { 2000, min = 100, max = 10000 },
    lr = { 2e-3, min = 0 },
    batch = { 128, min = 4 },
    peak = { 1e-2, min = 0, help = "cdg_l2's peak strength" },
    noise = { 5e-5, min = 0, help = "peak sigma of the live-only noise" },
    prune_every = { 250, min = 1 },
    seed = { 1, min = 0 },
  },

  setup = function(p)
    local data, err = rs.data.fmnist{ train_n = p.train_n, test_n = p.test_n }
    if data == nil then error(err, 0) end
    S.p, S.learners, S.width, S.ms = p, {}, {}, {}
    -- the schedules span the run (--steps shortens both)
    S.total = rs.total_steps()
    if S.total < 1 then error("demp needs a run length (--steps)", 0) end
    for i, name in ipairs(NAMES) do
      local hot = name == "hot"
      local obj = rs.objective.classify{}
      if name == "demp" then
        obj = rs.objective.cdg_l2{ base = obj, peak = p.peak,
                                   total = S.total }
      end
      local l = rs.learner{
        name = name, data = data, objective = obj,
        model = rs.nn.mlp{ input = 784, width = 256, depth = 3, output = 10,
                           seed = p.seed },
        optim = rs.optim.adam{ lr = hot and 3 * p.lr or p.lr },
        batch = hot and math.max(1, p.batch // 4) or p.batch,
        eval_every = p.prune_every, eval_n = p.test_n, log_every = 50,
        seed = p.seed }
      if name == "demp" then
        l:set_noise{ eta = p.noise, total = S.total }
      end
      S.learners[i] = l
      S.width[i] = { 256, 256, 256 }
    end
  end,

  step = function(ctx)
    local k = ctx.step
    for i, l in ipairs(S.learners) do
      local t0 = os.clock()
      l:update()
      local ms = (os.clock() - t0) * 1000
      -- a mean over the log period: one step is too short to time alone
      S.acc_ms = S.acc_ms or {}
      S.acc_ms[i] = (S.acc_ms[i] or 0) + ms
    end
    if k % 50 == 0 then
      for i, l in ipairs(S.learners) do
        S.ms[i] = S.acc_ms[i] / 50
        rs.log(l:name() .. "/time/ms_per_step", S.ms[i])
        S.acc_ms[i] = 0
      end
    end
    if k % S.p.prune_every == 0 or k == S.total then census(k) end
  end,

  probes = function(p)
    return { rs.probe.dead{ every = p.prune_every, split = "train",
                            n = 1000, learner = "demp" } }
  end,

  views = {
    rs.view.neurons{ title = "demp: units", layer = "l1", learner = "demp" },
    rs.view.scatter{ x = "params", y = "test/acc", learners = NAMES,
                     title = "test accuracy against parameters" },
    rs.view.curves{ title = "live hidden units (of 768)",
                    series = { "live" }, learner = NAMES },
    rs.view.curves{ title = "test accuracy", series = { "test/acc" },
                    learner = NAMES },
    rs.view.curves{ title = "demp: lambda and sigma (one-cycle)",
                    series = { "reg/lambda", "reg/sigma" },
                    learner = "demp", y = "log" },
    rs.view.curves{ title = "ms per step (CPU, one thread)",
                    series = { "time/ms_per_step" }, learner = NAMES },
  },
}
