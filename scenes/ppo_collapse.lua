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
-- "final" are 5-update moving averages of the logged values):
--   speed: ~25 session steps/s = ~51k env steps/s for the pair, the
--   updates and instruments included (the learners update side by side,
--   one core each; the first layer computes over the frame's nonzeros);
--   at epochs 32, 13.2-14.0 steps/s = 27-29k. The default 3600 updates
--   take ~2.5 min.
--   Seeds 1-3, 3600 updates: base's actor approx-rank peaks at 46-50 and
--   ends 63%, 88% and 60% below its peak (17.0, 6.2, 18.8), with 50%, 79%
--   and 31% of its units dead and a pre-activation norm of 170-340; pfo's
--   norm stays at 8-9 and its rank ends higher on every seed (23.4, 19.0,
--   21.0). The mean of the ratios left below 1-eps sinks from ~0.74 in
--   the first updates to 0.46-0.55 for base. Return, 100-update means at
--   the end: base 16.1, 16.6, 16.1 (4-16% below their peaks: no
--   performance collapse), pfo 23.8, 18.4, 16.0. capacity/actor rises
--   from ~0.001 to 1.4-2.9 for base (pfo 1.5-2.3).
--   epochs 32 (seeds 1-3, 3600): base rank -78%, -40%, -92%; pfo's rank
--   higher on 2 of 3; pfo's return a little lower on all 3.
--   epochs 4 (seed 1, 3600): base rank 27 -> 24 (-10%), norm 28, 6% of
--   the ratios below 1-eps, return 22.8 (pfo 22.4): no collapse.
--   Longer runs at epochs 32 (seed 1 to 10000 updates, seeds 2-3 to 6000)
--   end with base's rank at 5-13 and its return still rising.

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
the next update of both. Measured (3 seeds, these 3600 updates): base's
norm grows to 170-340 (pfo's stays ~8), its ratios below 1-eps sink from
~0.74 to ~0.5, and its rank falls 60-88% below its peak of ~47 with up to
79% of its units dead; pfo ends with the higher rank on every seed and
the higher return on 2. base's return does not collapse here.]],
  steps = 3600,
  params = {
    env = { "breakout", choices = { "breakout", "cartpole_switch" } },
    copies = { 8, min = 1, max = 256 },
    rollout = { 128, min = 1, help = "steps per copy per update" },
    minibatch = { 256, min = 1 },
    epochs = { 16, min = 1, max = 1000 },
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
    rs.view.curves{ title = "mean of the ratios left below 1-eps",
                    series = { "ppo/ratio_below" }, learner = NAMES },
    rs.view.spectrum{ title = "actor features, base", layer = "l2",
                      learner = "base", log = true },
    rs.view.spectrum{ title = "actor features, pfo", layer = "l2",
                      learner = "pfo", log = true },
    rs.view.frame{ title = "base, copy 1", matrix = "env/frame",
                   learner = "base" },
  },
}
