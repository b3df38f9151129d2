-- t_views_seq.lua: rs.view.profile, rs.view.bars and rs.view.text. Their
-- constructors refuse bad fields word for word (the field named); after
-- setup each resolves to the view-spec JSON: one matrix per learner
-- (learners= or learner=) under its prefix, else the matrix as written;
-- the profile's mark, labels and axes, the others' vmin/vmax passed on.
-- A scene that publishes such matrices shows them.
local tap = require "tap"

local tmp = tap.tmpdir() .. "/lua_views_seq"
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
  { "rs.view.profile{ learners = { 'a' } }",
    "rs.view.profile: field 'matrix' is required" },
  { "rs.view.profile{ matrix = 'm', mark = 'x' }",
    "rs.view.profile: bad field 'mark' (number expected, got string)" },
  { "rs.view.profile{ matrix = 'm', y = 'sqrt' }",
    "rs.view.profile: bad field 'y' ('linear' or 'log' expected, got 'sqrt')" },
  { "rs.view.profile{ matrix = 'm', ymin = 2, ymax = 1 }",
    "rs.view.profile: ymin (2) must be below ymax (1)" },
  { "rs.view.profile{ matrix = 'm', xlabel = 1 }",
    "rs.view.profile: bad field 'xlabel' (string expected, got number)" },
  { "rs.view.profile{ matrix = 'm', vmin = 0 }",
    "rs.view.profile: unknown field 'vmin' (known: kind, title, matrix, learners, learner, mark, mark_label, x, y, ymin, ymax, xlabel, ylabel)" },
  { "rs.view.bars{ matrix = 'm', learner = 'a', learners = { 'b' } }",
    "rs.view.bars: give learner= or learners=, not both" },
  { "rs.view.bars{ matrix = 'm', learners = {} }",
    "rs.view.bars: bad field 'learners' (non-empty list of strings expected, got table)" },
  { "rs.view.bars{ matrix = 'm', learners = { 'a','b','c','d','e','f','g','h','i' } }",
    "rs.view.bars: bad field 'learners' (at most 8 learners, got 9)" },
  { "rs.view.bars{ matrix = 'm', vmin = 1, vmax = 1 }",
    "rs.view.bars: vmin (1) must be below vmax (1)" },
  { "rs.view.text{ matrix = 'm', learner = 3 }",
    "rs.view.text: bad field 'learner' (learner name expected, got number)" },
  { "rs.view.text{ matrix = 'm', mark = 1 }",
    "rs.view.text: unknown field 'mark' (known: kind, title, matrix, learners, learner, vmin, vmax)" },
  { "rs.view.text{ }",
    "rs.view.text: field 'matrix' is required" },
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
    rs.view.profile{ matrix = "loss_by_pos", learners = { "a", "b" },
                     mark = 128, mark_label = "T=128", xlabel = "position",
                     ylabel = "bpc", y = "log" },
    rs.view.bars{ matrix = "half_life", learner = "b", vmin = 0 },
    rs.view.text{ matrix = "loss_text", title = "loss", vmin = 0, vmax = 8,
                  learners = { "b", "a" } },
    rs.view.bars{ matrix = "counts" },
  },
}
]])
local sc = tap.scene(path)
tap.ok(sc:setup(), "sequence views: setup")
local views = sc:views()
tap.has(views, '{"kind":"profile","learners":["a","b"],"mark":128,' ..
        '"mark_label":"T=128","matrices":["a/loss_by_pos","b/loss_by_pos"],' ..
        '"matrix":"loss_by_pos","title":"loss_by_pos","x":"linear",' ..
        '"xlabel":"position","y":"log","ylabel":"bpc"}',
        "profile: a matrix per learner, the mark and the axes")
tap.has(views, '{"kind":"bars","learners":["b"],"matrices":["b/half_life"],' ..
        '"matrix":"half_life","title":"half_life","vmin":0}',
        "bars: learner b's matrix")
tap.has(views, '{"kind":"text","learners":["b","a"],"matrices":' ..
        '["b/loss_text","a/loss_text"],"matrix":"loss_text","title":"loss",' ..
        '"vmax":8,"vmin":0}', "text: in the order given, vmin and vmax")
tap.has(views, '{"kind":"bars","matrices":["counts"],"matrix":"counts",' ..
        '"title":"counts"}', "bars: without learners, the matrix as written")

path = scene_file("unknown.lua", head .. [[
return rs.scene{
  setup = function(p) return { L('a') } end,
  views = { rs.view.profile{ matrix = "m", learners = { "a", "z" } } },
}
]])
local _, msg = tap.scene(path):setup()
tap.is(msg, path .. ": views[1]: no learner named 'z' (learners: a)",
       "profile: an unknown learner is named")

-- a scene publishing a labelled row and showing it three ways
path = scene_file("row.lua", [[
local rs = require "repscope"
return rs.scene{
  title = "a row",
  step = function(ctx)
    rs.matrix("row", rs.tensor.from({ { 1, 3, 2 }, { 10, 20, 30 } }),
              { cols = { "a", "b", "c" } })
  end,
  views = { rs.view.profile{ matrix = "row", mark = 15 },
            rs.view.bars{ matrix = "row" },
            rs.view.text{ matrix = "row" } },
}
]])
sc = tap.scene(path)
tap.ok(sc:setup() and sc:run(2), "a row scene runs")
local rows, cols = sc:matrix("row")
tap.is(rows .. "x" .. cols, "2x3", "it publishes a 2 x 3 matrix")
local v = sc:views()
tap.has(v, '"kind":"profile"', "shown as a profile")
tap.has(v, '"kind":"text"', "and as text")

tap.done()
