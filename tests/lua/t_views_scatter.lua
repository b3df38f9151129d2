-- t_views_scatter.lua: rs.view.scatter. Its constructor refuses bad
-- fields word for word (the field named); after setup it resolves to the
-- view-spec JSON: each learner's x and y series under its prefix
-- (learners= or learner=), else as written, the x series in series[],
-- the y series in yseries[], the log axes as x and y, the bounds, the
-- axis names (the series' names by default). A scene that logs two
-- series shows them.
local tap = require "tap"

local tmp = tap.tmpdir() .. "/lua_views_scatter"
os.execute("mkdir -p '" .. tmp .. "'")
local function scene_file(name, text)
  local path = tmp .. "/" .. name
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end
local head = [[
local rs = require "repscope"
local d = rs.data.modular{ p = 5 }
local function L(name)
  return rs.learner{ name = name, data = d,
                     model = rs.nn.mlp{ input = 10, width = 4, output = 5 } }
end
]]

-- constructor errors, each at the scene's line 7 (after head)
local bad = {
  { "rs.view.scatter{ y = 'test/acc' }",
    "rs.view.scatter: field 'x' is required" },
  { "rs.view.scatter{ x = 'params' }",
    "rs.view.scatter: field 'y' is required" },
  { "rs.view.scatter{ x = 1, y = 'test/acc' }",
    "rs.view.scatter: bad field 'x' (string expected, got number)" },
  { "rs.view.scatter{ x = 'params', y = 'test/acc', x_log = 'yes' }",
    "rs.view.scatter: bad field 'x_log' (boolean expected, got string)" },
  { "rs.view.scatter{ x = 'params', y = 'test/acc', ymin = 1, ymax = 0 }",
    "rs.view.scatter: ymin (1) must be below ymax (0)" },
  { "rs.view.scatter{ x = 'params', y = 'test/acc', x_log = true, xmin = 0 }",
    "rs.view.scatter: xmin (0) must be positive on a log axis" },
  { "rs.view.scatter{ x = 'params', y = 'test/acc', learner = 'a', " ..
    "learners = { 'b' } }",
    "rs.view.scatter: give learner= or learners=, not both" },
  { "rs.view.scatter{ x = 'params', y = 'test/acc', learners = { 1 } }",
    "rs.view.scatter: bad field 'learners' (entry 1: string expected, " ..
    "got number)" },
  { "rs.view.scatter{ x = 'params', y = 'test/acc', matrix = 'm' }",
    "rs.view.scatter: unknown field 'matrix' (known: kind, title, x, y, " ..
    "learners, learner, xlabel, ylabel, x_log, y_log, xmin, xmax, ymin, " ..
    "ymax)" },
}
for i, case in ipairs(bad) do
  local path = scene_file("bad" .. i .. ".lua", head ..
    "local v = " .. case[1] .. "\n" ..
    "return rs.scene{ step = function(ctx) end, views = { v } }\n")
  tap.is(select(2, tap.scene(path)), path .. ":7: " .. case[2], case[2])
end

-- resolution after setup
local path = scene_file("good.lua", head .. [[
return rs.scene{
  setup = function(p) return { L('a'), L('b') } end,
  views = {
    rs.view.scatter{ x = "params", y = "test/acc", learners = { "b", "a" },
                     x_log = true, ymin = 0, ymax = 1, title = "frontier" },
    rs.view.scatter{ x = "params", y = "test/acc", learner = "a",
                     xlabel = "parameters", ylabel = "accuracy" },
    rs.view.scatter{ x = "n", y = "m" },
  },
}
]])
local sc = tap.scene(path)
tap.ok(sc:setup(), "scatter: setup")
local views = sc:views()
tap.has(views, '{"kind":"scatter","learners":["b","a"],"series":' ..
        '["b/params","a/params"],"title":"frontier","x":"log",' ..
        '"xlabel":"params","y":"linear","ylabel":"test/acc","ymax":1,' ..
        '"ymin":0,"yseries":["b/test/acc","a/test/acc"]}',
        "scatter: two series per learner in the order given, log x, bounds")
tap.has(views, '{"kind":"scatter","learners":["a"],"series":["a/params"],' ..
        '"title":"test/acc by params","x":"linear","xlabel":"parameters",' ..
        '"y":"linear","ylabel":"accuracy","yseries":["a/test/acc"]}',
        "scatter: learner a's series, the axis names given")
tap.has(views, '{"kind":"scatter","series":["n"],"title":"m by n",' ..
        '"x":"linear","xlabel":"n","y":"linear","ylabel":"m",' ..
        '"yseries":["m"]}', "scatter: without learners, the series as written")

path = scene_file("unknown.lua", head .. [[
return rs.scene{
  setup = function(p) return { L('a') } end,
  views = { rs.view.scatter{ x = "p", y = "q", learners = { "a", "z" } } },
}
]])
local _, msg = tap.scene(path):setup()
tap.is(msg, path .. ": views[1]: no learner named 'z' (learners: a)",
       "scatter: an unknown learner is named")

-- a scene logging two series and showing one against the other
path = scene_file("log.lua", [[
local rs = require "repscope"
return rs.scene{
  title = "two series",
  step = function(ctx)
    rs.log("size", 100 - ctx.step)
    rs.log("score", ctx.step / 10)
  end,
  views = { rs.view.scatter{ x = "size", y = "score" } },
}
]])
sc = tap.scene(path)
tap.ok(sc:setup() and sc:run(3), "a two-series scene runs")
tap.has(sc:views(), '"kind":"scatter"', "shown as a scatter")

tap.done()
