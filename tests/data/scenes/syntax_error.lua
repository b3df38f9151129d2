local rs = require "repscope"

return rs.scene{
  title = "broken",
  setup = function(p) return nil end,,
}
