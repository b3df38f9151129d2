-- self_driven.lua: setup returns nil; step(ctx) drives two named learners
-- (rs.train sugar) side by side and logs its own values.
local rs = require "repscope"

local a, b

return rs.scene{
  title = "two models",
  params = { lr = 0.01 },
  setup = function(p)
    local data = rs.data.modular{ p = 7, seed = 1 }
    local function make(name, width)
      return rs.learner{ name = name,
                         model = rs.nn.mlp{ input = 14, width = width,
                                            depth = 1, output = 7 },
                         data = data, batch = 8, eval_every = 0,
                         optim = rs.optim.sgd{ lr = p.lr, momentum = 0.9 } }
    end
    a, b = make("a", 8), make("b", 16)
    return nil
  end,
  step = function(ctx)
    local la, lb = a:step(), b:step()
    ctx:log{ ["a/loss"] = la, ["b/loss"] = lb }
    ctx:log("coin", ctx.rng:uniform())
    if ctx.step % 5 == 0 then
      ctx:matrix("w", a:model():param("l1.weight"))
      ctx:print("step " .. ctx.step)
    end
  end,
}
