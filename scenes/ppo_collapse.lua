-- repscope - MIT licence, see COPYING.
--
-- ppo_collapse.lua: PPO's representation collapse and the PFO remedy
-- (Moalla, Miele, Pyatko, Pascanu, Gulcehre 2024, "No Representation, No
-- Trust: Connecting Representation, Collapse, and Trust Issues in PPO",
-- arXiv 2405.00662) in miniature. Two learners with the same seed, base
-- (PFO off) and pfo (PFO on), train PPO side by side on a MinAtar-style
-- Breakout; a session step is one PPO update (a rollout and its epochs).
--
-- Measured (headless, 2-core machine, defaults unless said; "peak" and
-- "final" are 5-update moving averages):
--   speed: 8.8-9.4 session steps/s, 18.0k-19.3k env steps/s for the pair
--   including the updates (the two learners update side by side, one core
--   each; 36k at epochs 16); the default 1200 updates take ~2.3 min.
--   Precursors, seeds 1-3 (1200-1500 updates): base's actor pre-activation
--   norm grows from 0.8 to 62-127 while pfo's stays at 5-10; the mean of
--   the ratios that end below 1-eps falls from ~0.74 to 0.47-0.53 (pfo
--   0.56-0.60); base's return ends 3%, 39% and 48% (seed 1 at 3000
--   updates) below its peak.
--   Within the default 1200 updates base's actor approx-rank rises to
--   ~47 and falls only 13-27% (and pfo's stays below it, 20-27). Longer
--   (seed 1, --steps 10000, ~20 min): the rank collapses -- 49 at update
--   351, 60% of that by 3800, 19 at 5000, 6.5 at 10000 (means of 50
--   updates) -- with 83% of base's actor units dead (never active on the
--   rollout), its critic rank 33 -> 2 and its norm ~1000; pfo: rank 24 ->
--   9.5, 40% dead, norm 18, and pfo's rank passes base's at update 4590.
--   base's return does not collapse there (12 at 3000, 27 at 10000;
--   pfo 16). Seeds 2 and 3 to 6000 updates agree: base's rank is 40%
--   below its peak (47) by update 3029 / 1295 and ends at 13 / 5 with 59%
--   / 76% of its units dead; pfo's rank passes base's at 4896 / 1388 and
--   ends at 14 / 18; the returns stay at 9-13 for both.
--   tanh (seed 1, 1500 updates): base rank 56 -> 48, norm 120.
--   width 256 (seed 1, 1200): base rank 127 -> 92, pfo 101 -> 46, base
--   return 12.6 -> 6.4, pfo 11.4.
--   Fewer epochs, slower precursors (seed 1, 1200 updates): epochs 4 norm
--   12.6, 9% of the ratios below 1-eps, return -14% from its peak;
--   epochs 16 norm 34, 17%, -32%; epochs 32 norm ~80, ~20%.

local rs = require "repscope"

local NAMES = { "base", "pfo" }

return rs.scene{
  title = "PPO collapse: base vs PFO on Breakout 10x10",
  notes = [[
Two PPO agents (separate actor and critic MLPs, Adam, clip 0.5 per
network) train on the same Breakout with the same seed; pfo adds the PFO
penalty on the change of the actor's penultimate pre-activations. Many
epochs per rollout push the non-stationarity that the paper links to
collapse: watch the actor's approx-rank against its peak, the
pre-activation norm, the share of probability ratios that end outside
[1-eps, 1+eps], and the return. `set epochs = 4` from the console changes
the next update of both. Measured (3 seeds): base's norm grows ~100x
(pfo's stays ~5) and its ratios below 1-eps sink from ~0.74 to ~0.5, but
its rank falls only 13-27% from its peak in these 1200 updates; with
--steps 6000 it collapses on every seed tried (47 -> 5-13, most units
dead) while pfo keeps the higher rank; the return does not collapse.]],
  steps = 1200,
  params = {
    env = { "breakout", choices = { "breakout", "cartpole_switch" } },
    copies = { 8, min = 1, max = 256 },
    rollout = { 128, min = 1, help = "steps per copy per update" },
    minibatch = { 256, min = 1 },
    epochs = { 32, min = 1, max = 1000 },
    lr = { 2.5e-3, min = 0 },
    width = { 64, min = 1, max = 1024 },
    act = { "relu", choices = { "relu", "tanh" } },
    clip = { 0.2, min = 0.01, max = 0.99 },
    pfo = { 1.0, min = 0, help = "PFO coefficient of learner pfo" },
    ent_coef = { 0.01, min = 0 },
    gamma = { 0.99, min = 0, max = 1 },
    lambda = { 0.95, min = 0, max = 1 },
    capacity_every = { 25, min = 0 },
    seed = { 1, min = 0 },
  },

  setup = function(p)
    local learners = {}
    for i, name in ipairs(NAMES) do
      local env
      if p.env == "breakout" then
        env = rs.env.breakout{ copies = p.copies, seed = p.seed }
      else
        env = rs.env.cartpole{ copies = p.copies, seed = p.seed,
                               horizon = 500, time_obs = true,
                               switch_every = 50 * p.rollout }
      end
      local info = env:info()
      local function net(out, k)
        return rs.nn.mlp{ input = info.obs_dim, width = p.width, depth = 2,
                          output = out, act = p.act, seed = 2 * p.seed + k }
      end
      learners[i] = rs.rl.ppo{
        name = name, env = env, actor = net(info.actions, 0),
        critic = net(1, 1),
        optim = rs.optim.adam{ lr = p.lr, eps = 1e-5, clip = 0.5 },
        steps = p.rollout, minibatch = p.minibatch, epochs = p.epochs,
        clip = p.clip, ent_coef = p.ent_coef, gamma = p.gamma,
        lambda = p.lambda,
        pfo = name == "pfo" and p.pfo or 0,
        capacity_every = p.capacity_every, seed = p.seed,
      }
    end
    return learners
  end,

  -- Live from the console: the PPO fields go to both learners, except
  -- pfo, which only the pfo learner has.
  on_set = function(key, value, ctx)
    local fields = { epochs = true, lr = true, clip = true, ent_coef = true,
                     minibatch = true, gamma = true, lambda = true,
                     capacity_every = true }
    for _, l in ipairs(ctx.learners) do
      if key == "pfo" and l:name() == "pfo" then
        l:set{ pfo = value }
      elseif fields[key] then
        l:set{ [key] = value }
      end
    end
    return key == "pfo" or fields[key] ~= nil
  end,

  views = {
    rs.view.curves{ title = "episodic return", series = { "rl/return" },
                    learner = NAMES },
    rs.view.curves{ title = "approx-rank (PCA, 99%): actor, critic",
                    series = { "actor/approx_rank", "critic/approx_rank" },
                    learner = NAMES },
    rs.view.curves{ title = "actor pre-activation norm",
                    series = { "actor/preact_norm" }, learner = NAMES,
                    y = "log" },
    rs.view.curves{ title = "ratios below 1-eps (fraction)",
                    series = { "ppo/frac_below" }, learner = NAMES,
                    ymin = 0 },
    rs.view.spectrum{ title = "actor features, base", layer = "l2",
                      learner = "base", log = true },
    rs.view.spectrum{ title = "actor features, pfo", layer = "l2",
                      learner = "pfo", log = true },
    rs.view.frame{ title = "base, copy 1", matrix = "env/frame",
                   learner = "base" },
  },
}
