local rs = require "repscope"

return rs.scene{
  title = "bad argument inside step",
  setup = function(p) return nil end,
  step = function(ctx)
    if ctx.step == 3 then
      local t = rs.tensor.zeros("three")
    end
  end,
}
