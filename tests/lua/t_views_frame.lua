-- t_views_frame.lua: rs.view.frame. Its constructor refuses bad fields
-- word for word (the field named); after setup it resolves to the
-- view-spec JSON: env/frame by default, a learner's matrix prefixed, a
-- bare one as written, glyphs, colors, wide and labels passed on. A
-- scene that publishes a grid of codes with rs.matrix shows it.
local tap = require "tap"

local tmp = tap.tmpdir() .. "/lua_views_frame"
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
  { "rs.view.frame{ matrix = 3 }",
    "rs.view.frame: bad field 'matrix' (string expected, got number)" },
  { "rs.view.frame{ glyphs = '' }",
    "rs.view.frame: bad field 'glyphs' (1 to 63 printable ASCII characters expected, one per code)" },
  { "rs.view.frame{ glyphs = ' \\tx' }",
    "rs.view.frame: bad field 'glyphs' (1 to 63 printable ASCII characters expected, one per code)" },
  { "rs.view.frame{ glyphs = ' ' .. ('#'):rep(63) }",
    "rs.view.frame: bad field 'glyphs' (1 to 63 printable ASCII characters expected, one per code)" },
  { "rs.view.frame{ glyphs = ' \\xc2\\xb7' }",
    "rs.view.frame: bad field 'glyphs' (1 to 63 printable ASCII characters expected, one per code)" },
  { "rs.view.frame{ glyphs = ' #', colors = 'kq' }",
    "rs.view.frame: bad field 'colors' ('q' at 2 is no colour: one of k r g y b m c w per code, upper case bold, '-' none)" },
  { "rs.view.frame{ glyphs = ' #', colors = 'kwy' }",
    "rs.view.frame: bad field 'colors' (3 letters for 2 glyphs)" },
  { "rs.view.frame{ colors = ('k'):rep(64) }",
    "rs.view.frame: bad field 'colors' (64 letters for 63 codes at most)" },
  { "rs.view.frame{ wide = 1 }",
    "rs.view.frame: bad field 'wide' (boolean expected, got number)" },
  { "rs.view.frame{ learner = 3 }",
    "rs.view.frame: bad field 'learner' (learner name expected, got number)" },
  { "rs.view.frame{ vmin = 0 }",
    "rs.view.frame: unknown field 'vmin' (known: kind, title, matrix, glyphs, colors, wide, labels, learner)" },
  { "rs.view.frame{ labels = 'a' }",
    "rs.view.frame: bad field 'labels' (list of strings expected, " ..
    "got string)" },
  { "rs.view.frame{ labels = { 'a', 2 } }",
    "rs.view.frame: bad field 'labels' (entry 2: string expected, " ..
    "got number)" },
  { "rs.view.frame{ labels = { 'layout', ('x'):rep(16) } }",
    "rs.view.frame: bad field 'labels' (entry 2 has 16 characters, " ..
    "at most 15)" },
  { "rs.view.frame{ labels = { '\xff' } }",
    "rs.view.frame: bad field 'labels' (entry 1 is not UTF-8)" },
  { "rs.view.frame{ labels = (function() local l = {} for i = 1, 17 do " ..
    "l[i] = 'r' .. i end return l end)() }",
    "rs.view.frame: bad field 'labels' (at most 16 labels, one per " ..
    "row, got 17)" },
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
    rs.view.frame{ learner = "b", glyphs = " #o", colors = "-wY" },
    rs.view.frame{ matrix = "grid", title = "the grid", wide = true },
    rs.view.frame{ matrix = "strip", labels = { "layout", "", "vanilla" } },
  },
}
]])
local sc = tap.scene(path)
tap.ok(sc:setup(), "frame views: setup")
local views = sc:views()
tap.has(views, '{"colors":"-wY","glyphs":" #o","kind":"frame",' ..
        '"matrix":"b/env/frame","title":"b/env/frame","wide":false}',
        "frame: learner b's env/frame, glyphs and colors")
tap.has(views, '{"kind":"frame","matrix":"grid","title":"the grid",' ..
        '"wide":true}', "frame: a bare matrix as written, wide")
tap.has(views, '{"kind":"frame","labels":["layout","","vanilla"],' ..
        '"matrix":"strip","title":"strip","wide":false}',
        "frame: its row labels in order, an empty one kept")

path = scene_file("unknown.lua", head .. [[
return rs.scene{
  setup = function(p) return { L('a') } end,
  views = { rs.view.frame{ learner = "z" } },
}
]])
local _, msg = tap.scene(path):setup()
tap.is(msg, path .. ": views[1]: no learner named 'z' (learners: a)",
       "frame: an unknown learner is named")

-- a scene publishing a grid of codes and showing it
path = scene_file("grid.lua", [[
local rs = require "repscope"
return rs.scene{
  title = "a grid",
  step = function(ctx)
    local rows = {}
    for r = 1, 5 do
      rows[r] = {}
      for c = 1, 7 do
        rows[r][c] = (r == 1 or r == 5) and 1 or (c == ctx.step and 2 or 0)
      end
    end
    rs.matrix("grid", rs.tensor.from(rows))
  end,
  views = { rs.view.frame{ matrix = "grid", glyphs = " =o", colors = "kwy" } },
}
]])
sc = tap.scene(path)
tap.ok(sc:setup() and sc:run(3), "a grid scene runs")
local rows, cols = sc:matrix("grid")
tap.is(rows .. "x" .. cols, "5x7", "it publishes a 5 x 7 matrix")
tap.has(sc:views(), '"kind":"frame"', "and shows it as a frame")

tap.done()
