-- repscope - MIT licence, see COPYING.
--
-- ppo_cartpole.lua: PPO on CartPole with the configuration of the PFO
-- authors' toy runs (Moalla et al. 2024, "No Representation, No Trust",
-- arXiv 2405.00662; their classic-control config): CartPole-v1 cut at 200
-- steps with the time-aware observation and normalised observations, 4
-- copies x 256 steps per rollout, minibatch 128, 4 epochs, Adam lr 2.5e-4
-- (eps 1e-5, each network's gradient clipped at 0.5), clip 0.2, entropy
-- 0.01, gamma = lambda = 1, actor and critic with one hidden layer of 64
-- tanh units. A session step is one PPO update (1024 env steps).
-- The sanity check of the RL core: the paper does not report a collapse
-- here, and the 4-dimensional observation keeps every rank small.
--
-- Measured (headless, seeds 1..5, 800 updates): rl/return first reaches
-- >= 195 at update 48, 27, 45, 36 and 26 (26.6k-49.2k env steps); the
-- mean of the last 100 updates is 197.3-199.0 on every seed. A run of
-- 200 updates takes a few seconds.

local rs = require "repscope"

return rs.scene{
  title = "PPO on CartPole, the authors' config",
  notes = [[
PPO (separate actor and critic, 64 tanh units each) on CartPole-v1 cut
at 200 steps, with the time-aware observation (t/200 as a fifth feature)
and observations normalised by statistics of random play. The authors'
toy config: 4 copies x 256 steps, minibatch 128, 4 epochs, Adam 2.5e-4,
clip 0.2, gamma = lambda = 1. Solved means a mean return of 195 or more;
measured: by update 26-48 on seeds 1-5. The actor's approx-rank stays
small (4-dimensional input): CartPole is the sanity check, the collapse
stage is ppo_collapse.]],
  steps = 300,
  params = {
    copies = { 4, min = 1, max = 256 },
    rollout = { 256, min = 1, help = "steps per copy per update" },
    minibatch = { 128, min = 1 },
    epochs = { 4, min = 1, max = 1000 },
    lr = { 2.5e-4, min = 0 },
    width = { 64, min = 1, max = 1024 },
    clip = { 0.2, min = 0.01, max = 0.99 },
    pfo = { 0.0, min = 0, help = "PFO coefficient (0: off)" },
    ent_coef = { 0.01, min = 0 },
    gamma = { 1.0, min = 0, max = 1 },
    lambda = { 1.0, min = 0, max = 1 },
    horizon = { 200, min = 1 },
    norm_steps = { 1000, min = 0,
                   help = "random steps per copy for the obs statistics" },
    seed = { 1, min = 0 },
  },

  setup = function(p)
    local env = rs.env.cartpole{ copies = p.copies, seed = p.seed,
                                 horizon = p.horizon, time_obs = true,
                                 norm_steps = p.norm_steps }
    local info = env:info()
    local function net(out, k)
      return rs.nn.mlp{ input = info.obs_dim, width = p.width, depth = 1,
                        output = out, act = "tanh", seed = 2 * p.seed + k }
    end
    return rs.rl.ppo{
      name = "agent", env = env, actor = net(info.actions, 0),
      critic = net(1, 1),
      optim = rs.optim.adam{ lr = p.lr, eps = 1e-5, clip = 0.5 },
      steps = p.rollout, minibatch = p.minibatch, epochs = p.epochs,
      clip = p.clip, ent_coef = p.ent_coef, gamma = p.gamma,
      lambda = p.lambda, pfo = p.pfo, seed = p.seed,
    }
  end,

  views = {
    rs.view.curves{ title = "episodic return (solved: 195)",
                    series = { "rl/return" }, learner = "agent", ymin = 0 },
    rs.view.frame{ title = "copy 1", learner = "agent" },
    rs.view.curves{ title = "actor / critic approx-rank",
                    series = { "actor/approx_rank", "critic/approx_rank" },
                    learner = "agent" },
    rs.view.curves{ title = "ratios outside [1-eps, 1+eps] (fraction)",
                    series = { "ppo/frac_below", "ppo/frac_above" },
                    learner = "agent", ymin = 0 },
    rs.view.curves{ title = "losses", series = { "train/loss_pi",
                    "train/loss_v" }, learner = "agent" },
    rs.view.curves{ title = "actor pre-activation norm",
                    series = { "actor/preact_norm" }, learner = "agent" },
  },
}
