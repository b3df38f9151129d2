local rs = require "repscope"

return rs.scene{
  title = "bad field",
  setpu = function(p) end,
  step = function(ctx) end,
}
