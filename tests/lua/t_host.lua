-- t_host.lua: the Lua host - the library set by default and under --safe,
-- text-only chunks, the memory cap, the umbrella module.
local tap = require "tap"
local rs = require "repscope"
local dir = tap.srcdir() .. "/tests/data/scenes/"

-- the umbrella table
for _, k in ipairs{ "tensor", "nn", "optim", "sched", "data", "probe", "train",
                    "log", "matrix", "event", "seed", "rng", "scene", "view",
                    "json", "version" } do
  tap.ok(rs[k] ~= nil, "rs." .. k)
end
tap.like(rs.version, "^%d+%.%d+%.%d+", "version string")
tap.is(require "repscope", rs, "require returns the same table")
tap.is(rs.safe, false, "tests run outside safe mode")
tap.ok(rs.mem() > 0, "rs.mem counts the Lua heap")

-- what a scene reaches, by default and with --safe
local function reach(opts)
  local sc = tap.scene(dir .. "safe_probe.lua", nil, opts)
  sc:setup()
  sc:run(1)
  return sc:logged()
end
local full = reach(nil)
tap.is(full.io, 1.0, "default: io")
tap.is(full.debug, 1.0, "default: debug")
tap.is(full.execute, 1.0, "default: os.execute")
tap.is(full.safe, 0.0, "default: rs.safe false")
tap.is(full.binary_chunk, 0.0, "default: binary chunks refused")
local safe = reach{ safe = true }
tap.is(safe.io, 0.0, "safe: no io")
tap.is(safe.debug, 0.0, "safe: no debug")
tap.is(safe.loadfile, 0.0, "safe: no loadfile")
tap.is(safe.dofile, 0.0, "safe: no dofile")
tap.is(safe.execute, 0.0, "safe: no os.execute")
tap.is(safe.loadlib, 0.0, "safe: no package.loadlib")
tap.is(safe.safe, 1.0, "safe: rs.safe true")
tap.is(safe.binary_chunk, 0.0, "safe: binary chunks refused")

-- load() is text only here too
local f, err = load(string.dump(function() return 1 end))
tap.is(f, nil, "load refuses bytecode")
tap.like(err, "attempt to load a binary chunk", "with Lua's message")
tap.is(load("return 7")(), 7, "load accepts text")
tap.is(load("return math.pi")(), math.pi, "load without env sees the globals")
tap.is(load("return x", "chunk", "t", { x = 3 })(), 3, "load with an env")
tap.is(load("return x", "chunk", nil, { x = 4 })(), 4, "load with mode nil")

-- the memory cap
local tmp = tap.tmpdir() .. "/lua_host"
os.execute("mkdir -p '" .. tmp .. "'")
local path = tmp .. "/hog.lua"
local fh = assert(io.open(path, "w"))
fh:write([[
local rs = require "repscope"
local keep = {}
return rs.scene{
  step = function(ctx)
    for i = 1, 1e7 do keep[#keep + 1] = { i } end
  end,
}
]])
fh:close()
local sc = tap.scene(path, nil, { mem_limit = 16 * 1024 * 1024 })
tap.ok(sc:setup(), "the capped scene sets up")
local ok, msg, code = sc:run(1)
tap.ok(not ok, "a scene past its memory cap fails")
tap.like(msg, "not enough memory", "with a memory error")
tap.is(code, "out of memory", "status")

tap.done()
