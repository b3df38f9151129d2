-- tour_mini.lua: a fast scene with a tour for the tour tests (Lua and
-- tmux): two chapters (param chapter a or b, each with its own views),
-- pages that focus by title and by index, zoom, pause at a step, pause
-- when a series passes a value, and restart into chapter b.
local rs = require "repscope"

local views = {
  a = {
    rs.view.curves{ title = "loss", series = { "train/loss" }, x = "log" },
    rs.view.curves{ title = "accuracy", series = { "train/acc" } },
    rs.view.curves{ title = "weight norm", series = { "norm/weight" } },
  },
  b = {
    rs.view.curves{ title = "norms in chapter b",
                    series = { "norm/weight", "norm/grad" } },
    rs.view.curves{ title = "loss in chapter b", series = { "train/loss" } },
  },
}

return rs.scene{
  title = "mini tour",
  notes = "tour fixture",
  steps = 1000000,
  params = {
    chapter = { "a", choices = { "a", "b" } },
    width = 16,
  },
  setup = function(p)
    local data = rs.data.modular{ p = 11, train_frac = 0.5, seed = 3 }
    local model = rs.nn.mlp{ input = data:input_dim(), width = p.width,
                             depth = 2, output = data:classes() }
    return rs.train{ model = model, data = data, batch = 32,
                     optim = rs.optim.adamw{ lr = 0.01 },
                     eval_every = 10, log_every = 5 }
  end,
  probes = { rs.probe.norms{ every = 5 } },
  views = function(p) return views[p.chapter] end,
  tour = {
    { title = "start", focus = "accuracy",
      text = "MINI PAGE ONE: the accuracy panel has the focus." },
    { title = "thirty", focus = "loss", zoom = true, at_step = 30,
      text = "MINI PAGE TWO runs to step 30.",
      why = "REACHED THIRTY." },
    { title = "norm", focus = 3,
      when = { series = "norm/weight", above = 0 },
      text = "MINI PAGE THREE waits for a weight norm.",
      why = "NORM SEEN." },
    { title = "chapter b", restart = { chapter = "b" },
      focus = "norms", zoom = true, at_step = 20,
      text = "MINI PAGE FOUR is chapter b.",
      why = "CHAPTER B AT TWENTY." },
  },
}
