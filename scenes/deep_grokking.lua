-- repscope - MIT licence, see COPYING.
--
-- deep_grokking.lua: the deep-grokking setting (Fan, Pascanu, Jaggi 2024,
-- arXiv 2405.19454) in miniature. Two ReLU MLPs, a shallow one and a deep
-- one (depth counts Linear layers, as in the paper: depth 4 = 3 hidden
-- layers), learn the first 1000 Fashion-MNIST training images at 14x14,
-- side by side in one self-driven scene. Recipe of the author code: PyTorch
-- default init with every parameter times alpha (8), MSE on one-hot
-- targets, AdamW lr 1e-3 with weight decay, batch 100 (paper: width 400,
-- batch 200, 100k steps; here width 64).
--
-- Model A (depth_a, default 4) is the learner a, model B (depth_b, 12) the
-- learner b; the driver steps both and every metric carries the learner's
-- name: <m>/train/loss (batch loss mean since the last evaluation),
-- <m>/train/acc, <m>/test/acc, <m>/test/loss (every eval_every steps),
-- <m>/norm/weight and <m>/norm/weight/l<k> (the built-in norms probe),
-- <m>/probe/srank/l<k>, <m>/probe/erank/l<k> and <m>/probe/covrank/l<k>
-- (the paper's matrix_rank(cov(H)) metric) of the hidden layers (the
-- built-in rank probe bound to each learner, every rank_every steps, on
-- the first rank_n test images) with the spectra <m>/spectrum/l<k>. The
-- rank heatmaps are the rank_heatmap views of a and b. The series are
-- whole in run.jsonl across a resume (the learners, their sampling state
-- and the probes continue bit for bit from the checkpoint).
--
-- Measured (defaults, seed 1, headless, 2-core shared machine, one run of
-- 100k steps at eval_every=250, rank_every=1000: ~375 steps/s for the pair,
-- 4.5 min): depth 4 memorises slowly (train 0.87 at 10k, 1.00 near 20k)
-- with test rising alongside (0.57 at 10k, 0.70 at 20k), then creeps to
-- 0.78 by 80k; its srank barely moves (l3 ~40 -> 34 by 100k). Depth 12
-- starts with an enormous output (alpha^depth: MSE ~3e11) and sits at
-- chance until weight decay has shrunk it (|w| 124 -> 70 by 30k); it then
-- fits (train 0.31 at 30k, 1.00 at 46k, test 0.49 there) and keeps
-- generalising after memorising: test 0.56 (50k) -> 0.74 (55k) -> 0.78
-- (61k) -> 0.79 (80k-100k), above depth 4. That rise is a staircase: each
-- step (51k, 53k, 54.75k, 57k, 60.25k) comes with a brief training-loss
-- spike (train accuracy dips to 0.85-0.97 for a few hundred steps, a
-- slingshot-like Adam instability), and with each step the srank of the
-- upper hidden layers drops (l11 51 -> 47 at 55k -> 39 at 61k -> 22 by
-- 100k; l7, l9, l10 likewise; l2 52 -> 37 later; l1, l3-l5 change
-- little). The weight norm falls smoothly (bumps of ~0.2 at the spikes)
-- and marks none of the steps by itself. Not seen: a
-- long flat overfit plateau followed by a sudden jump (the delay is
-- mostly the alpha^depth scale being decayed away), a distinct second
-- surge, or a rank rise between two falls. --set weight_decay=0.05: depth
-- 12 leaves chance at ~15k, train and test rise together (0.95 / 0.69 at
-- 40k, 1.00 / 0.77 at 50k: no memorise-then-generalise) while the middle
-- layers' srank collapses (l9 ~50 -> 7 by 40k).
-- One seed only; other seeds were not run.

local rs = require "repscope"

-- The Linear layers of an mlp of `depth` Linear layers are l1..l<depth>;
-- the probe-able hidden ones (the module's layers) are l1..l<depth-1>.
-- setup returns the two learners; the driver steps them, the probes and
-- views below are bound to them by name.
return rs.scene{
  title = "Deep grokking: depth 4 vs 12 on 1000 Fashion-MNIST images",
  notes = [[
Two MLPs, a (depth_a=4 Linear layers) and b (depth_b=12), width 64,
train side by side on the first 1000 Fashion-MNIST training images at
14x14 with the paper's recipe: torch init times alpha=8, MSE on one-hot
targets, AdamW lr 1e-3, weight decay 0.02, batch 100. Test accuracy is on
the first test_n test images. ~375 steps/s for the pair when measured.
The paper (width 400, 100k steps) reports: deeper nets generalise later,
sometimes in two surges, and the fall of the hidden layers' feature rank
lines up with the rise of test accuracy.
Measured here (one seed): the depth-4 net's test accuracy rises along
with its train accuracy (0.70 when it has memorised, near 20k) and creeps
to 0.78. The depth-12 net starts with an output alpha^12 too large, stays
at chance until weight decay has shrunk it (~30k), memorises by ~46k with
test 0.49, and only then generalises: test climbs in steps to 0.78 by
61k. Each step comes with a short training-loss spike (train accuracy
dips) and a drop of the srank of the upper hidden layers (bottom rows of
heatmap b); the weight norm just falls smoothly. No
long flat plateau before a sudden jump, no clear second surge and no
rank rise between two falls were seen. Heatmaps: one row per hidden layer
(l1 at the top), the run's steps across.]],
  steps = 100000,
  params = {
    depth_a = { 4, min = 2, max = 32, help = "Linear layers of model a" },
    depth_b = { 12, min = 2, max = 32, help = "Linear layers of model b" },
    width = { 64, min = 1, max = 1024 },
    alpha = { 8.0, min = 0, help = "every initial parameter times alpha" },
    lr = { 1e-3, min = 0 },
    weight_decay = { 0.02, min = 0 },
    batch = { 100, min = 1 },
    train_n = { 1000, min = 10, max = 60000,
                help = "first N Fashion-MNIST training images" },
    test_n = { 2000, min = 10, max = 10000,
               help = "first N test images for test/acc" },
    downsample = { 2, min = 1, max = 2, help = "2: 14x14, 1: 28x28" },
    eval_every = { 100, min = 1 },
    rank_every = { 500, min = 1 },
    rank_n = { 1000, min = 10, max = 10000,
               help = "first N test images for the rank probes" },
  },

  setup = function(p)
    local data, err = rs.data.fmnist{ train_n = p.train_n,
                                      test_n = p.test_n,
                                      downsample = p.downsample }
    if data == nil then error(err, 0) end
    local learners = {}
    for i, depth in ipairs({ p.depth_a, p.depth_b }) do
      -- rs.nn.mlp's depth counts hidden layers: depth - 1 of them
      local model = rs.nn.mlp{ input = data:input_dim(), width = p.width,
                               depth = depth - 1, output = data:classes(),
                               init = "torch", scale = p.alpha }
      learners[i] = rs.learner{
        name = i == 1 and "a" or "b", model = model, data = data,
        objective = rs.objective.classify{ loss = "mse_onehot" },
        optim = rs.optim.adamw{ lr = p.lr, weight_decay = p.weight_decay },
        batch = p.batch, eval_every = p.eval_every,
        log_every = p.eval_every,
      }
    end
    return learners
  end,

  -- The built-in probes, bound to the learners by name: srank/erank of
  -- every hidden layer (the default layer list) on the first rank_n test
  -- images, and the weight norms with each evaluation.
  probes = function(p)
    return {
      rs.probe.rank{ learner = "a", every = p.rank_every, split = "test",
                     n = p.rank_n, covrank = true },
      rs.probe.rank{ learner = "b", every = p.rank_every, split = "test",
                     n = p.rank_n, covrank = true },
      rs.probe.norms{ every = p.eval_every, per_layer = true },
    }
  end,

  views = {
    rs.view.curves{ title = "test accuracy (a: depth_a=4, b: depth_b=12)",
                    series = { "test/acc" }, learner = { "a", "b" },
                    x = "log", ymin = 0, ymax = 1 },
    rs.view.curves{ title = "train accuracy", series = { "train/acc" },
                    learner = { "a", "b" }, x = "log", ymin = 0, ymax = 1 },
    rs.view.rank_heatmap{ title = "srank by layer, a (rows l1..)",
                          learner = "a" },
    rs.view.rank_heatmap{ title = "srank by layer, b (rows l1..)",
                          learner = "b" },
    rs.view.curves{ title = "weight norm", series = { "norm/weight" },
                    learner = { "a", "b" }, x = "log", y = "log" },
    rs.view.curves{ title = "loss (MSE)",
                    series = { "train/loss", "test/loss" },
                    learner = { "a", "b" }, x = "log", y = "log" },
  },
}
