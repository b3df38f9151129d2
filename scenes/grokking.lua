-- repscope - MIT licence, see COPYING.
--
-- grokking.lua: the default scene. A deep ReLU MLP (6 hidden layers of 256,
-- Kaiming init, AdamW with weight decay 1.0, 500-step lr warm-up, gradient
-- clipping at 1.0) learns (a + b) mod 97 from half of all pairs and groks.
-- Measured (seed 1, one BLAS thread, 47-90 steps/s on a shared 2-core
-- machine): train accuracy passes 99% near step 1400; test accuracy stays
-- below 3% until ~3000, then jumps and passes 95% near step 5500. The
-- srank of the hidden layers collapses from the output side inwards
-- (l6..l3 from ~200 to 9 by step ~3000, just before the jump), and l2 keeps
-- falling through the transition (~170 -> ~90). Same phenomenon as the
-- deep-grokking paper (arXiv 2405.19454), different task.
-- The linear probe (ridge, lambda 1e-2, fitted on the first 1024 train
-- pairs' activations, scored on the first 1024 test pairs; seed 1, one
-- run) is at chance (~0.01) on every layer until ~3000 while fitting its
-- own train rows (l3-l5 drop to 0.8-0.9 there as their srank reaches 9);
-- then test accuracy rises from the output side: l6 0.15 at 4000, 0.44
-- at 4500, 0.88 at 5000, 0.97 at 5500 (the model's test/acc: 0.17, 0.47,
-- 0.87, 0.98); l5 0.70 at 5000; l2-l4 0.62-0.69 at 5000, ~0.9 by 5750;
-- l1 never passes 0.12. All probes cost ~4.6% of the run (probe/frac),
-- the linear one ~70 of the ~135 ms spent at each 250-step probe.
-- Try --set depth=4 (groks earlier, softer jump), --set train_frac=0.7
-- (little delay), --set weight_decay=0.3 (memorises, does not grok within
-- the budget), --set recipe=alpha (alpha-scaled init + MSE on one-hot
-- targets; tried only at depth 8, width 128, alpha 3: the deep layers
-- collapse to rank 1 and it does not learn in 3.5k steps).

local rs = require "repscope"

return rs.scene{
  title = "Deep MLP groks (a op b) mod p",
  notes = [[
Train accuracy reaches ~100% early (near step 1.4k with the defaults):
the net has memorised the training pairs. Test accuracy stays near zero
for a long stretch, then jumps (from ~3.5k) past 95% near step ~5.5k:
it has found the modular rule. In the srank heatmap the rank collapses
layer by layer from the output side (l6 first) and reaches the middle
layers just before the jump; l2 keeps falling through it. The middle
layer's spectrum loses its tail. The weight norm settles early and gives
no sharp signal at the transition. The linear-probe heatmap (last
panel) shows where the rule becomes linearly readable: every layer at
chance until ~3.5k, then l6 first with l2-l5 close behind; l1 stays
below ~0.12. Deeper nets wait longer; a larger train_frac generalises
along with fitting.]],
  steps = 7000,
  params = {
    p = { 97, min = 5, max = 211, help = "modulus (prime for '/')" },
    op = { "+", choices = { "+", "-", "*", "/" } },
    train_frac = { 0, min = 0, max = 0.95,
                   help = "share of pairs to train on; 0: auto, "
                       .. "max(0.5, 2400 / p^2) capped at 0.8" },
    width = { 256, min = 1, max = 4096 },
    depth = { 6, min = 1, max = 32, help = "hidden layers" },
    recipe = { "kaiming", choices = { "kaiming", "alpha" },
               help = "kaiming + cross-entropy, or alpha-scaled torch "
                   .. "init + MSE on one-hot targets (Omnigrok)" },
    alpha = { 8.0, min = 0, help = "init scale of the alpha recipe" },
    lr = { 2e-3, min = 0 },
    weight_decay = { 1.0, min = 0 },
    warmup = { 500, min = 0 },
    clip = { 1.0, min = 0, help = "global gradient-norm limit, 0 off" },
    batch = { 512, min = 1 },
    eval_every = { 100, min = 1 },
    split_seed = { 1, min = 0, help = "which pairs are train or test" },
  },

  setup = function(p)
    -- How long grokking takes depends mostly on how many pairs are seen:
    -- half of p = 97's 9409 pairs groks in ~5k steps, half of p = 59's
    -- 3481 did not within 9k. Auto keeps at least ~2400 training pairs.
    local frac = p.train_frac
    if frac == 0 then
      frac = math.min(0.8, math.max(0.5, 2400 / (p.p * p.p)))
      print(string.format("train_frac auto: %.2f (%d of %d pairs)", frac,
                          math.floor(frac * p.p * p.p + 0.5), p.p * p.p))
    end
    local data = rs.data.modular{ p = p.p, op = p.op,
                                  train_frac = frac,
                                  seed = p.split_seed }
    local alpha = p.recipe == "alpha"
    local model = rs.nn.mlp{ input = data:input_dim(), width = p.width,
                             depth = p.depth, output = data:classes(),
                             init = alpha and "torch" or "kaiming",
                             scale = alpha and p.alpha or 1.0 }
    return rs.train{
      model = model, data = data,
      loss = alpha and "mse_onehot" or "cross_entropy",
      optim = rs.optim.adamw{ lr = p.lr, weight_decay = p.weight_decay,
                              clip = p.clip },
      schedule = rs.sched.constant{ warmup = p.warmup },
      batch = p.batch, eval_every = p.eval_every, eval_n = 0,
      log_every = 10,
    }
  end,

  probes = {
    rs.probe.rank{ every = 250, split = "test", n = 1024 },
    rs.probe.dead{ every = 250, split = "test", n = 1024 },
    rs.probe.norms{ every = 10 },
    rs.probe.linear{ every = 250, n = 1024 },
  },

  views = {
    rs.view.curves{ title = "accuracy", series = { "train/acc", "test/acc" },
                    x = "log", ymin = 0, ymax = 1 },
    rs.view.rank_heatmap{ title = "srank by layer" },
    rs.view.curves{ title = "weight norm", series = { "norm/weight" },
                    x = "log" },
    rs.view.spectrum{ title = "singular values, middle layer" },
    rs.view.neurons{ title = "unit activity, middle layer" },
    rs.view.curves{ title = "loss", series = { "train/loss", "test/loss" },
                    x = "log", y = "log" },
    rs.view.heatmap{ title = "linear probe: test accuracy by layer",
                     matrix = "linear", rows = "layer", cols = "step",
                     vmin = 0, vmax = 1 },
  },
}
