local rs = require "repscope"

return rs.scene{
  title = "typo",
  setup = function(p) return nil end,
  step = function(ctx)
    rs.log("x", undefined_thing)
  end,
}
