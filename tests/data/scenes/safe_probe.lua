-- safe_probe.lua: reports what a scene can reach (run with opts.safe).
local rs = require "repscope"

local function has(name)
  return rawget(_G, name) ~= nil and 1 or 0
end

return rs.scene{
  title = "safe",
  setup = function(p) return nil end,
  step = function(ctx)
    ctx:log{ io = has("io"), debug = has("debug"), loadfile = has("loadfile"),
             dofile = has("dofile"),
             execute = rawget(os, "execute") and 1 or 0,
             loadlib = rawget(package, "loadlib") and 1 or 0,
             safe = rs.safe and 1 or 0 }
    -- rawget: under --safe a plain read of what is left out raises
    local dump = rawget(string, "dump")
    local f = dump and load(dump(function() end))
    ctx:log("binary_chunk", f and 1 or 0)
  end,
}
