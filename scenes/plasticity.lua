-- repscope - MIT licence, see COPYING.
--
-- plasticity.lua: loss of plasticity over a sequence of tasks, and what
-- keeps it (Lyle et al. 2024, "Disentangling the Causes of Plasticity
-- Loss in Neural Networks", arXiv 2402.18762). Four MLPs (784-256-256-10,
-- ReLU, Adam 1e-3, batch 128) memorise 2000 standardised Fashion-MNIST
-- images whose labels are re-drawn at every task switch (all of them by
-- default):
--   base    nothing added
--   ln      LayerNorm without affine parameters before each ReLU
--   l2      L2 regularisation 3e-3 (Adam's weight_decay, coupled like
--           torch; at 1e-4 and 1e-3 ln_l2's weights still grow)
--   ln_l2   both
-- At the end of each task every learner logs its training accuracy on
-- that task (task/train_acc), and the probes its dead and linearised
-- ("zombie") units, its weight norm, the penultimate features' sigma1 and
-- effective rank, and the empirical NTK of 64 images. The images never
-- change; only the labels do (rs.data.relabel, deterministic per seed).
--
-- Measured (headless, defaults, seeds 1 / 2 / 3, 54-56 s on 2 cores):
-- final training accuracy, mean of the first 3 tasks -> the last 5:
-- base 74 / 74 / 72 -> 15 / 15 / 14 (91-98% of its l1 units dead, its
-- weight norm 22 -> 37), ln 70-72 -> 61-65 (norm 18 -> 46), l2 65-68 ->
-- 55-57, ln_l2 65-68 -> 61.5-65.5 (a drop of 2.5-3.9 points, norm 12.7 ->
-- 11.7). Linearised units hardly appear (at most 4% of base's l2). The
-- penultimate effective rank falls 97 -> 10-20 for base, 142-150 -> 70-87
-- for ln_l2. The eNTK does not tell them apart the paper's way: ln_l2's
-- ends more off-diagonal (0.53-0.62 against 0.35-0.45), with or without
-- the biases (entk_params).

local rs = require "repscope"

local NAMES = { "base", "ln", "l2", "ln_l2" }
local S = {}

local function model(name, p, classes)
  local ln = name == "ln" or name == "ln_l2"
  return rs.nn.mlp{ input = 784, width = p.width, depth = 2,
                    output = classes, norm = ln and "layernorm" or "none",
                    affine = false, seed = p.seed }
end

-- Task k's data: task 1 re-draws the labels of the loaded images too, so
-- every task is a memorisation task of the same kind.
local function task_data(k)
  return rs.data.relabel(S.tasks[k - 1] or S.root,
                         { frac = S.p.frac, seed = S.p.seed, task = k })
end

-- The end of task k: each learner's training accuracy on it, into its
-- plasticity row and the log; its eNTK.
local function end_task(k)
  for i, l in ipairs(S.learners) do
    local _, acc = l:eval("train")
    S.acc[i][k] = acc
    rs.log(l:name() .. "/task/train_acc", acc)
    rs.matrix(l:name() .. "/plasticity", rs.tensor.from({ S.acc[i] }),
              { cols = S.cols })
    rs.probe.entk(l, { n = S.p.entk_n, output = "sum",
                       params = S.p.entk_params })
  end
  local row = {}
  for i, l in ipairs(S.learners) do
    row[#row + 1] = string.format("%s %.3f", l:name(), S.acc[i][k])
  end
  print(string.format("task %d: %s", k, table.concat(row, ", ")))
end

return rs.scene{
  title = "Plasticity: memorising task after task, with and without LN + L2",
  notes = [[
Four MLPs (784-256-256-10, ReLU, Adam 1e-3) memorise 2000 Fashion-MNIST
images whose labels are re-drawn at every task switch (every task_steps
steps). base adds nothing, ln puts a LayerNorm without affine parameters
before each ReLU, l2 adds L2 weight decay, ln_l2 both. The plasticity
curve is each learner's final training accuracy per task: base's falls
as its units die and its weights grow; ln_l2 keeps learning. The unit
strip shows each unit of base as never active (dead), always active
(linearised) or normal; the eNTK heatmaps (64 images) show how the
kernel's off-diagonal structure changes.]],
  steps = 8000,
  params = {
    tasks = { 20, min = 1, max = 1000, help = "tasks; steps = tasks x task_steps" },
    task_steps = { 400, min = 1 },
    frac = { 1.0, min = 0, max = 1, help = "labels re-drawn per task" },
    train_n = { 2000, min = 64, max = 60000 },
    width = { 256, min = 4, max = 4096 },
    lr = { 1e-3, min = 0 },
    l2 = { 3e-3, min = 0, help = "weight decay of l2 and ln_l2" },
    batch = { 128, min = 1 },
    entk_n = { 64, min = 2, max = 512 },
    entk_params = { "all", choices = { "all", "weights" },
                    help = "weights: the eNTK without the biases' block" },
    seed = { 1, min = 0 },
  },

  setup = function(p)
    -- standardised pixels: with pixel/255 every learner memorises less
    -- (base 0.54 on task 1 against 0.83), the drift is the same
    local data, err = rs.data.fmnist{ train_n = p.train_n, test_n = 100,
                                      normalise = "standard" }
    if data == nil then error(err, 0) end
    S.p, S.root, S.tasks = p, data, {}
    S.tasks[1] = task_data(1)
    S.task = 1
    rs.end_at(p.tasks * p.task_steps)
    S.learners, S.acc, S.cols = {}, {}, {}
    for k = 1, p.tasks do S.cols[k] = tostring(k) end
    for i, name in ipairs(NAMES) do
      local l2 = (name == "l2" or name == "ln_l2") and p.l2 or 0
      S.learners[i] = rs.learner{
        name = name, model = model(name, p, data:classes()),
        data = S.tasks[1],
        optim = rs.optim.adam{ lr = p.lr, weight_decay = l2 },
        batch = p.batch, eval_every = 0, log_every = 50 }
      S.acc[i] = {}
      for k = 1, p.tasks do S.acc[i][k] = 0 / 0 end
    end
    return S.learners
  end,

  step = function(ctx)
    local p, k = ctx.p, ctx.step
    if k % p.task_steps ~= 0 then return end
    end_task(S.task)
    if S.task == p.tasks then return end
    S.task = S.task + 1
    S.tasks[S.task] = task_data(S.task)
    S.tasks[S.task - 1] = nil -- the new task holds the labels it needs
    for _, l in ipairs(S.learners) do
      l:set_data(S.tasks[S.task])
      rs.probe.preact_hist(l, { layer = "l2", bins = 32, range = 4 })
    end
    rs.event(string.format("task %d: labels re-drawn", S.task))
  end,

  -- At the end of each task (the data switch comes first in step, but
  -- the images are the same): dead and linearised units on every image,
  -- the penultimate layer's rank and sigma1, the weight norm.
  probes = function(p)
    return {
      rs.probe.dead{ every = p.task_steps, split = "train", n = 0,
                     on = "preact" },
      rs.probe.rank{ every = p.task_steps, split = "train", n = 0,
                     layers = { "l2" }, on = "act" },
      rs.probe.norms{ every = p.task_steps },
    }
  end,

  views = {
    rs.view.profile{ title = "plasticity: final training accuracy per task",
                     matrix = "plasticity", learners = NAMES,
                     xlabel = "task", ylabel = "train acc", ymin = 0,
                     ymax = 1 },
    rs.view.neurons{ title = "base: units",
                     layer = "l1", learner = "base" },
    rs.view.heatmap{ title = "base: eNTK of 64 images", matrix = "entk",
                     learner = "base" },
    rs.view.heatmap{ title = "ln_l2: eNTK of 64 images", matrix = "entk",
                     learner = "ln_l2" },
    rs.view.curves{ title = "weight norm", series = { "norm/weight" },
                    learner = NAMES },
    rs.view.bars{ title = "l2 pre-activation means after the last switch",
                  matrix = "preact_hist/l2", learners = NAMES },
    rs.view.curves{ title = "dead + linearised units (l1, l2)",
                    series = { "probe/dead/l1", "probe/zombie/l1",
                               "probe/dead/l2", "probe/zombie/l2" },
                    learner = { "base", "ln_l2" } },
    rs.view.neurons{ title = "ln_l2: units", layer = "l1",
                     learner = "ln_l2" },
  },
}
