-- cut_midrun.lua: one unnamed learner whose hidden layer loses 3/4 of its
-- units at step 10 (learner:remove_units from step(ctx)); the checkpoint
-- of a later step must load into a fresh, full-width setup (the cut is
-- replayed) and continue bit for bit.
local rs = require "repscope"

local L

return rs.scene{
  title = "cut mid-run",
  steps = 30,
  setup = function()
    local data = rs.data.modular{ p = 7, train_frac = 0.5, seed = 1 }
    L = rs.learner{
      model = rs.nn.mlp{ input = 14, width = 16, depth = 1, output = 7 },
      data = data, batch = 16, eval_every = 5, log_every = 5,
      optim = rs.optim.adam{ lr = 0.01 } }
    return L
  end,
  step = function(ctx)
    if ctx.step == 10 then
      local gone = {}
      for u = 1, 16 do if u % 4 ~= 0 then gone[#gone + 1] = u end end
      ctx.log("units/l1", L:remove_units("l1", gone))
    end
  end,
  probes = { rs.probe.rank{ every = 5, n = 20 } },
}
