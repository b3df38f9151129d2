-- repscope - MIT licence, see COPYING.
--
-- trust_region.lua: why PPO's clipping does not keep the policy in its
-- trust region when the representation has collapsed (Moalla et al.
-- 2024, "No Representation, No Trust", arXiv 2405.00662, the two-state
-- toy of their section on trust-region failure).
--
-- Two states x and y whose features are collinear, phi(y) = alpha
-- phi(x); a linear softmax policy over two actions, logits = W phi (W
-- of shape (2, 1), no bias); the advantage is +1 on action a1 in both
-- states, eps = 0.1. Each step is one SGD step (lr 1.5) on one
-- minibatch, x on odd steps and y on even ones (x first), of the
-- PPO-clip loss -min(r A, clip(r, 1 - eps, 1 + eps) A) with r =
-- pi(a1|s) / pi_old(a1|s) against the policy before the first step.
-- Once a state's own ratio leaves the band its loss is flat (no
-- gradient), but the other state's steps keep moving it, since both
-- gradients act on the same W along the same feature:
--   alpha = 3   aligned: both ratios overshoot 1 + eps and stay above;
--   alpha = -1  opposed: each state's step undoes the other's, and the
--               ratio of x is pushed below 1 - eps.
-- The two runs (alpha 3 and -1) step side by side; each step prints both
-- states' ratios after it ("step 20 (y)  alpha3: x 1.17823 y 1.19103
-- alpha-1: x 0.79421 y 1.32115") and logs them as alpha3/ratio_x,
-- alpha3/ratio_y, alpha-1/ratio_x, alpha-1/ratio_y, with the band's
-- edges as band/upper and band/lower.
--
-- Set up as the authors' toy_problem.py does: one feature per state, the
-- weights of torch.manual_seed(1)'s nn.Linear(1, 2, bias=False) (0.51526,
-- -0.44138) and x = norm * 0.11631 (the same seed's torch.randn, their
-- feature_norm knob), the loss and update order above. Their file runs
-- norm 1, where the alpha = -1 ratios stay within [0.989, 1.012] for
-- the 20 steps and show nothing; this scene's default norm 4 (their
-- comment: a larger feature norm makes it worse) leaves the band in both
-- runs. The loss is written with rs.graph (min and clip built from relu:
-- min(a, b) = a - relu(a - b), clip(r) = lo + relu(r - lo) - relu(r -
-- hi)) and its gradient is autograd's; the SGD step is rs.optim's.
--
-- Measured (defaults, 20 steps, a few milliseconds): alpha 3 ends at
-- ratio_x 1.17823, ratio_y 1.19103 (y leaves the band at step 1 by x's
-- step alone, x at step 3; then neither loss has a gradient left);
-- alpha -1 at ratio_x 0.79421, ratio_y 1.32115, x below 1 - eps after
-- steps 6, 8, 12, 14, 18 and 20.
-- tests/lua/t_trust_region.lua recomputes both runs with the gradient
-- derived by hand, in doubles, and checks the printed finals.

local rs = require "repscope"

-- torch.manual_seed(1): nn.Linear(1, 2, bias=False).weight, then randn
local W0 = { 0.5152631998062134, -0.44137823581695557 }
local X0 = 0.11631361395120621

local RUNS = { { name = "alpha3", alpha = 3 },
               { name = "alpha-1", alpha = -1 } }

local S -- per run: the policy, optimiser, states and old log-probs

-- log pi(a1 | s) for a (1, 1) state s: graph tensor (1, 1).
local function logp_a1(g, policy, s)
  return g:forward(policy, s):log_softmax():slice(1, 1)
end

-- -mean(min(r A, clip(r, lo, hi) A)), from relu: clip(r) = lo +
-- relu(r - lo) - relu(r - hi), min(a, b) = a - relu(a - b).
local function ppo_clip_loss(r, A, eps)
  local lo, hi = 1 - eps, 1 + eps
  local clipped = (r - lo):relu() - (r - hi):relu() + lo
  local gain = r * A - (r * A - clipped * A):relu()
  return -gain:mean()
end

-- pi(a1 | s) / pi_old(a1 | s) under the current weights, without a tape.
local function ratio(run, k)
  local g = S.eval
  g:reset()
  return math.exp(logp_a1(g, run.policy, run.states[k]):item() - run.old[k])
end

return rs.scene{
  title = "Trust region: PPO-clip on collinear features",
  notes = "Both states' features lie on one line (phi(y) = alpha phi(x)). " ..
    "A state's clipped loss stops pushing once its ratio leaves " ..
    "[1-eps, 1+eps], but the other state's steps move it on: with " ..
    "alpha = 3 both overshoot 1+eps, with alpha = -1 x is pushed below " ..
    "1-eps.",
  steps = 20,
  params = {
    norm = { 4, min = 0.01, max = 100,
             help = "feature scale: x = norm * 0.11631 (authors: 1)" },
    lr = { 1.5, min = 0, help = "SGD learning rate" },
    eps = { 0.1, min = 0.001, max = 0.999, help = "clip range" },
  },
  setup = function(p)
    S = { eval = rs.graph{ grad = false }, train = rs.graph(), runs = {} }
    local x = X0 * p.norm
    for i, spec in ipairs(RUNS) do
      local policy = rs.nn.linear(1, 2, { bias = false })
      policy:param("weight"):copy(rs.tensor.from({ { W0[1] }, { W0[2] } }))
      local run = {
        name = spec.name, alpha = spec.alpha, policy = policy,
        opt = rs.optim.new(rs.optim.sgd{ lr = p.lr }, policy),
        states = { rs.tensor.from({ { x } }),
                   rs.tensor.from({ { spec.alpha * x } }) },
        old = {},
      }
      for k = 1, 2 do
        S.eval:reset()
        run.old[k] = logp_a1(S.eval, policy, run.states[k]):item()
      end
      S.runs[i] = run
    end
    return nil
  end,
  step = function(ctx)
    local eps = ctx.p.eps
    local k = ctx.step % 2 == 1 and 1 or 2 -- x on odd steps, y on even
    local line = {}
    for _, run in ipairs(S.runs) do
      local g = S.train
      g:reset()
      run.opt:zero_grad()
      local r = (logp_a1(g, run.policy, run.states[k]) - run.old[k]):exp()
      g:backward(ppo_clip_loss(r, 1, eps))
      run.opt:step()
      local rx, ry = ratio(run, 1), ratio(run, 2)
      ctx:log(run.name .. "/ratio_x", rx)
      ctx:log(run.name .. "/ratio_y", ry)
      line[#line + 1] = string.format("%s: x %.5f y %.5f", run.name, rx, ry)
    end
    ctx:log("band/upper", 1 + eps)
    ctx:log("band/lower", 1 - eps)
    -- "step 20 (y)  alpha3: x 1.17823 y 1.19103  alpha-1: x ..."
    ctx:print(string.format("step %d (%s)  %s", ctx.step,
                            k == 1 and "x" or "y", table.concat(line, "  ")))
  end,
  views = {
    rs.view.curves{ title = "alpha = 3: aligned features",
                    series = { "alpha3/ratio_x", "alpha3/ratio_y",
                               "band/upper", "band/lower" },
                    xlabel = "minibatch", markers = false },
    rs.view.curves{ title = "alpha = -1: opposed features",
                    series = { "alpha-1/ratio_x", "alpha-1/ratio_y",
                               "band/upper", "band/lower" },
                    xlabel = "minibatch", markers = false },
  },
}
