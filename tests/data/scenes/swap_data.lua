-- swap_data.lua: one learner whose data changes at step 5 (a second
-- task, (a - b) mod 7 instead of (a + b) mod 7). A checkpoint taken after
-- the swap must not load into a fresh setup still on the first task.
local rs = require "repscope"

local L, second

return rs.scene{
  title = "swap data",
  steps = 20,
  setup = function()
    local first = rs.data.modular{ p = 7, op = "+", train_frac = 0.5, seed = 1 }
    second = rs.data.modular{ p = 7, op = "-", train_frac = 0.5, seed = 1 }
    L = rs.learner{
      model = rs.nn.mlp{ input = 14, width = 8, depth = 1, output = 7 },
      data = first, batch = 8, eval_every = 0 }
    return L
  end,
  step = function(ctx)
    if ctx.step == 5 then L:set_data(second) end
  end,
}
