-- tiny.lua: a fast scene for the Lua tests (p = 11, one param of each
-- type, every probe kind, declared views and a live on_set hook).
local rs = require "repscope"

return rs.scene{
  title = "tiny",
  notes = "test fixture",
  steps = 40,
  params = {
    p = { 11, min = 3, max = 101 },
    width = 16,
    depth = { 2, min = 1, max = 8 },
    lr = 0.01,
    norm = { "none", choices = { "none", "layernorm", "rmsnorm" } },
    bias = true,
    clip = 0.0,
  },
  setup = function(p)
    local data = rs.data.modular{ p = p.p, train_frac = 0.5, seed = 3 }
    local model = rs.nn.mlp{ input = data:input_dim(), width = p.width,
                             depth = p.depth, output = data:classes(),
                             norm = p.norm, bias = p.bias }
    return rs.train{ model = model, data = data, batch = 32,
                     optim = rs.optim.adamw{ lr = p.lr, weight_decay = 0.1,
                                             clip = p.clip },
                     schedule = rs.sched.cosine{ warmup = 5 },
                     eval_every = 10, log_every = 5 }
  end,
  on_set = function(key, value, ctx)
    if key == "lr" then
      ctx.trainer:set{ lr = value }
      return true
    end
    return false
  end,
  probes = {
    rs.probe.rank{ every = 10, n = 40 },
    rs.probe.dead{ every = 20, split = "train", n = 30, layers = { "l2" } },
    rs.probe.norms{ every = 5, per_layer = true },
  },
  views = {
    rs.view.curves{ series = { "train/loss", "test/loss" }, x = "log" },
    rs.view.rank_heatmap{},
    rs.view.spectrum{ layer = "l2" },
    rs.view.neurons{},
    rs.view.heatmap{ matrix = "custom/matrix", title = "custom" },
    rs.view.curves{ series = { "n/dist" }, x = "log", xlabel = "n",
                    xfrom = "data" },
    rs.view.heatmap{ matrix = "lin", vmin = 0, vmax = 1 },
  },
}
