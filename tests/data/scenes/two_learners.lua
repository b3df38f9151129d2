-- two_learners.lua: setup returns two named learners (a, b) that the
-- driver steps in C (b with an L2 pull to its initial weights, so its
-- checkpoint carries an objective tensor); probes bound to both (rank,
-- norms) or to one (dead on b); views naming each learner.
local rs = require "repscope"

return rs.scene{
  title = "two learners",
  steps = 30,
  params = { lr = 0.01 },
  setup = function(p)
    local data = rs.data.modular{ p = 7, train_frac = 0.5, seed = 1 }
    local function make(name, width, objective)
      return rs.learner{
        name = name, objective = objective,
        model = rs.nn.mlp{ input = 14, width = width, depth = 2, output = 7 },
        data = data, batch = 16, eval_every = 5, log_every = 5,
        optim = rs.optim.adamw{ lr = p.lr },
        schedule = rs.sched.cosine{ warmup = 3 } }
    end
    return { make("a", 8),
             make("b", 16, rs.objective.l2_anchor{
                             base = rs.objective.classify{}, lambda = 1e-3 }) }
  end,
  probes = {
    rs.probe.rank{ every = 5, n = 20 },
    rs.probe.dead{ every = 10, n = 20, learner = "b" },
    rs.probe.norms{ every = 5 },
  },
  views = {
    rs.view.curves{ series = { "train/loss", "test/acc" },
                    learner = { "a", "b" } },
    rs.view.rank_heatmap{ learner = "a" },
    rs.view.rank_heatmap{ learner = "b" },
    rs.view.neurons{ learner = "b" },
    rs.view.spectrum{ learner = "a", layer = "l1" },
  },
}
