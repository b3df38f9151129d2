-- repscope - MIT licence, see COPYING.
--
-- target_scale.lua: large regression targets cost plasticity (Lyle et
-- al. 2024, "Disentangling the Causes of Plasticity Loss in Neural
-- Networks", arXiv 2402.18762, the target-magnitude demo).
--
-- Three regressors side by side, c0, c10 and c100: the same MLP
-- 784-256-256-1 (ReLU, the same initial weights) on the first train_n
-- Fashion-MNIST training images, Adam, batch 128, MSE.
--   phase 1 (pretrain steps, rate lr): learner c<c> regresses
--     f(x) = c + eps(x), eps(x) ~ N(0, 1) fixed per image (the same for
--     every learner);
--   phase 2 (finetune steps, rate finetune_lr): every learner regresses
--     fresh zero-mean targets z(x) ~ N(0, 1) (the same for every
--     learner), its optimiser state carried over.
-- Targets are looked up per example by index: the data is
-- rs.data.relabel(images, {labels = "index"}), whose label of example i
-- is i - 1, and the objective (rs.objective.lua) picks row i - 1 of the
-- phase's target column with g:embedding. `seed` draws eps, z, the
-- weights and the batch order.
--
-- Each learner logs, every `every` steps and at the switch:
--   <c>/sigma1          the largest singular value of the penultimate
--                       features (the ReLU outputs of l2 on all train_n
--                       images, uncentred, rs.probe.spectrum: a learned
--                       "pseudo-bias" is one large value);
--   <c>/pretrain/loss   at the switch: the MSE over all images against
--                       c + eps;
--   <c>/finetune/loss   in phase 2: the MSE over all images against z (a
--                       full evaluation, not a batch mean);
--   <c>/probe/dead/l1, l2  units never active on the images (built-in);
-- and train/loss, the batch loss since the last log. The matrices
-- final/finetune_loss (the latest fine-tune loss) and pretrained/sigma1
-- (sigma1 at the switch), 1 x 3 with columns "c=0", "c=10", "c=100",
-- feed the bar views. With the default rates a resumed run continues bit
-- for bit; resumed past the switch, it takes its first step at lr when
-- finetune_lr differs (the checkpoint does not hold a changed rate), and
-- its bar of sigma1 at the switch stays empty (the series has it).
--
-- Measured (defaults: 2000 + 2000 steps, headless, seeds 1, 2, 3; 30-50
-- s a run on a shared 2-core machine, ~130 session steps/s when quiet):
--                        c = 0          c = 10         c = 100
--   pretrain loss        .037 .016 .026 .15 .11 .20    3.4 2.2 2.8
--   sigma1 at switch     63   55   62   718 699 654    4261 4639 4431
--   fine-tune loss       .017 .027 .027 .44 .27 .35    .97 .99 .87
--   sigma1 at end        80   83   77   229 77  90     158 166 159
--   dead l1 at end       .60  .68  .65  .91 .90 .95    .93 .93 .94
-- The fine-tune loss grows with c in every seed (c = 100 ends near the
-- variance of z: a constant output), and so does sigma1 after pretraining
-- (about proportional to c). sigma1 at the end of fine-tuning does not: the
-- residual of -c at the switch leaves 90-95% of l1's units dead in c10 and
-- c100 (30-38% before it; seed 1: within the first 100 steps; c0 ends at
-- 60-68%), and sigma1 falls with them. At this scale and rate the loss of
-- plasticity goes through dead units more than through a lasting pseudo-bias.
-- With --set finetune_lr=1e-4 the units live (dead l1 moves by at most 0.06),
-- the pseudo-bias stays, and both grow with c at the end, as in the paper:
-- fine-tune loss .29 .33 .41 / .66 .62 .69 / 1.06 1.04 1.14, sigma1 76 76 81 /
-- 159 150 225 / 397 495 440. A check with the offset kept (fine-tune targets c
-- + z, rate 1e-3, a scene copy): c10 fine-tunes as well as c0 (.046 .048 .017
-- against .017 .027 .027) and hardly a unit dies, while c100 does not
-- (1.0-3.7), having never fitted its noise in phase 1 either: at c = 10 the
-- cost comes from taking the offset away, at c = 100 also from the features.
-- 6000 pretraining steps (seed 1) give the same order: fine-tune loss .055 .23
-- .97, sigma1 at end 104 290 173 (finetune_lr 1e-4: .29 .48 1.02, 81 299 429).

local rs = require "repscope"

local SCALES = { 0, 10, 100 }
local S -- the images, targets and learners of the run

local function name_of(c) return "c" .. c end
local C_NAMES = { "c0", "c10", "c100" } -- name_of of each scale

-- A (n, 1) tensor of N(mean, 1) values from rng.
local function normal_column(rng, n, mean)
  local rows = {}
  for i = 1, n do rows[i] = { mean + rng:normal() } end
  return rs.tensor.from(rows)
end

-- The targets learner k regresses now: c + eps(x) for its first
-- `pretrain` steps, then the fine-tune targets (by its step count, so a
-- resumed run picks the right ones; S.pre_eval forces phase 1 for the
-- evaluation at the switch).
local function targets(k)
  if S.pre_eval or S.learners[k]:steps() < S.pretrain then return S.pre[k] end
  return S.fine
end

-- The objective of learner k: MSE of the output against its targets,
-- looked up by example index (batch.y, from 0).
local function objective(k)
  return rs.objective.lua{ loss = function(g, model, batch)
    local out = g:forward(model, batch.x)                   -- (n, 1)
    local target = g:embedding(targets(k), batch.y)         -- (n, 1)
    return g:mse(out, target)
  end }
end

-- sigma1 of the penultimate (l2) ReLU features of learner k's model on
-- every training image.
local function sigma1(k)
  local model = S.learners[k]:model()
  model:forward(S.x)
  return rs.probe.spectrum(model:activation("l2", "act")):get(1)
end

local function publish(ctx)
  local loss, s1, cols = {}, {}, {}
  for k, c in ipairs(SCALES) do
    loss[k], s1[k], cols[k] = S.final_loss[k], S.pre_sigma1[k], "c=" .. c
  end
  ctx:matrix("final/finetune_loss", rs.tensor.from({ loss }), { cols = cols })
  ctx:matrix("pretrained/sigma1", rs.tensor.from({ s1 }), { cols = cols })
end

return rs.scene{
  title = "Target scale: pretrain on c + noise, then fine-tune",
  notes = [[
Three MLPs (784-256-256-1, the same initial weights) regress c + eps(x)
on 2000 Fashion-MNIST images, c = 0, 10, 100 and eps a fixed N(0,1) value
per image; after `pretrain` steps all three switch to fresh zero-mean
N(0,1) targets. The paper: the larger c, the worse the fine-tuning, and
one penultimate singular value (a learned pseudo-bias) grows with c.
Measured (3 seeds): fine-tune loss ~.02 / .35 / .95 for c = 0 / 10 / 100,
sigma1 after pretraining ~60 / 690 / 4400. At the switch most l1 units of
c10 and c100 die and their sigma1 falls; finetune_lr=1e-4 keeps them
alive and sigma1 stays ordered by c.]],
  steps = 100000, -- an upper bound: setup ends the run at pretrain + finetune
  params = {
    pretrain = { 2000, min = 0, help = "steps on c + eps(x)" },
    finetune = { 2000, min = 1, help = "steps on fresh N(0,1) targets" },
    train_n = { 2000, min = 10, max = 60000,
                help = "first N Fashion-MNIST training images" },
    lr = { 1e-3, min = 0, help = "Adam's rate in phase 1" },
    finetune_lr = { 1e-3, min = 0, help = "Adam's rate in phase 2" },
    batch = { 128, min = 1 },
    every = { 100, min = 1, help = "steps between sigma1 / fine-tune loss" },
    seed = { 1, min = 0, help = "eps, the fine-tune targets, weights, order" },
  },

  setup = function(p)
    local images, err = rs.data.fmnist{ train_n = p.train_n, test_n = 10 }
    if images == nil then error(err, 0) end
    local data = rs.data.relabel(images, { labels = "index" })
    local n = data:count("train")
    local rng = rs.rng(p.seed)
    local eps = normal_column(rng, n, 0)
    S = { x = data:batch("train"), pretrain = p.pretrain, pre = {},
          fine = normal_column(rng, n, 0), learners = {}, final_loss = {},
          pre_sigma1 = {} }
    for k, c in ipairs(SCALES) do
      S.pre[k] = eps + c
      S.final_loss[k], S.pre_sigma1[k] = 0, 0
      S.learners[k] = rs.learner{
        name = name_of(c), data = data, objective = objective(k),
        model = rs.nn.mlp{ input = data:input_dim(), width = 256, depth = 2,
                           output = 1, seed = p.seed },
        optim = rs.optim.adam{
          lr = p.pretrain > 0 and p.lr or p.finetune_lr }, batch = p.batch,
        eval_every = 0, seed = p.seed }
    end
    rs.end_at(p.pretrain + p.finetune)
    return S.learners
  end,

  step = function(ctx)
    local p = ctx.p
    local switch = ctx.step == p.pretrain
    if ctx.step >= p.pretrain and not S.finetune_lr_set then
      for _, l in ipairs(S.learners) do l:set{ lr = p.finetune_lr } end
      S.finetune_lr_set = true
    end
    if not switch and ctx.step % p.every ~= 0 and
        ctx.step ~= p.pretrain + p.finetune then
      return
    end
    for k, c in ipairs(SCALES) do
      local l, name = S.learners[k], name_of(c)
      local s1 = sigma1(k)
      ctx:log(name .. "/sigma1", s1)
      if ctx.step <= p.pretrain then S.pre_sigma1[k] = s1 end
      if switch then -- the fit of phase 1, on every image
        S.pre_eval = true
        ctx:log(name .. "/pretrain/loss", l:eval("train"))
        S.pre_eval = false
      end
      if ctx.step > p.pretrain then
        S.final_loss[k] = l:eval("train")
        ctx:log(name .. "/finetune/loss", S.final_loss[k])
      end
    end
    if switch then ctx:event("fine-tune: fresh N(0,1) targets") end
    publish(ctx)
  end,

  probes = function(p)
    return { rs.probe.dead{ every = p.every, split = "train", n = p.train_n,
                            layers = { "l1", "l2" } } }
  end,

  views = {
    rs.view.curves{ title = "fine-tune loss (MSE, all images)",
                    series = { "finetune/loss" }, learner = C_NAMES,
                    y = "log", xfrom = "data" },
    rs.view.curves{ title = "sigma1 of l2 (penultimate)",
                    series = { "sigma1" }, learner = C_NAMES, y = "log" },
    rs.view.bars{ title = "fine-tune loss against c",
                  matrix = "final/finetune_loss" },
    rs.view.bars{ title = "sigma1 of l2 after pretraining, against c",
                  matrix = "pretrained/sigma1" },
    rs.view.curves{ title = "dead units of l1 (never active)",
                    series = { "probe/dead/l1" }, learner = C_NAMES,
                    ymin = 0, ymax = 1 },
    rs.view.curves{ title = "train loss (batch MSE)",
                    series = { "train/loss" },
                    learner = C_NAMES, y = "log" },
  },
}
