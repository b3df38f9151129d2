local rs = require "repscope"

return rs.scene{
  title = "setup fails",
  setup = function(p)
    local cfg = nil
    return rs.train{ model = cfg.model }
  end,
}
