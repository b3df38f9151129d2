-- t_views_band.lua: rs.view.curves{band = true}. The field is a boolean
-- (refused word for word otherwise, and listed among the known fields);
-- after setup the view-spec JSON carries "band":true with the series
-- expanded per learner (the UI reads <series>_lo and <series>_hi beside
-- each), and no "band" key without it. A scene that logs a mean and its
-- band runs and shows them.
local tap = require "tap"

local tmp = tap.tmpdir() .. "/lua_views_band"
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
  { "rs.view.curves{ series = { 'eval/far' }, band = 1 }",
    "rs.view.curves: bad field 'band' (boolean expected, got number)" },
  { "rs.view.curves{ series = { 'eval/far' }, band = 'yes' }",
    "rs.view.curves: bad field 'band' (boolean expected, got string)" },
  { "rs.view.curves{ series = { 'eval/far' }, bands = true }",
    "rs.view.curves: unknown field 'bands' (known: kind, title, series, " ..
    "x, y, ymin, ymax, markers, xlabel, xfrom, band, learner, groups)" },
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
    rs.view.curves{ title = "FAR", series = { "eval/far" },
                    learner = { "a", "b" }, band = true, ymin = 0, ymax = 1 },
    rs.view.curves{ title = "plain", series = { "eval/far" }, learner = "a",
                    band = false },
    rs.view.curves{ title = "bare", series = { "x" }, band = true },
  },
}
]])
local sc = tap.scene(path)
tap.ok(sc:setup(), "band views: setup")
local views = sc:views()
tap.has(views, '{"band":true,"kind":"curves","markers":true,' ..
        '"series":["a/eval/far","b/eval/far"],"title":"FAR","x":"linear",' ..
        '"y":"linear","ymax":1,"ymin":0}',
        "band: true, the series expanded per learner")
tap.has(views, '{"kind":"curves","markers":true,"series":["a/eval/far"],' ..
        '"title":"plain","x":"linear","y":"linear"}',
        "band = false: no band key")
tap.has(views, '{"band":true,"kind":"curves","markers":true,' ..
        '"series":["x"],"title":"bare","x":"linear","y":"linear"}',
        "band: a bare series as written")

-- a scene logging a mean and its band
path = scene_file("log.lua", [[
local rs = require "repscope"
return rs.scene{
  title = "a band",
  step = function(ctx)
    local m = ctx.step / 10
    rs.log("a/eval/far", m)
    rs.log("a/eval/far_lo", m - 0.1)
    rs.log("a/eval/far_hi", m + 0.1)
  end,
  views = { rs.view.curves{ series = { "a/eval/far" }, band = true } },
}
]])
sc = tap.scene(path)
tap.ok(sc:setup() and sc:run(3), "a scene with a band runs")
tap.has(sc:views(), '"band":true', "and shows it with the band")

tap.done()
