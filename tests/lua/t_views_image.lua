-- t_views_image.lua: rs.view.image, rs.view.align and rs.view.patches.
-- Their constructors refuse bad fields word for word (the field named);
-- after setup they resolve to the view-spec JSON: align and patches read
-- each learner's matrix under its prefix (a/align, b/align) and the
-- truth as written; an image of a learner's matrix is prefixed, a bare
-- one is not; an unknown learner is named. A scene publishes a picture
-- with rs.matrix and shows it.
local tap = require "tap"

local tmp = tap.tmpdir() .. "/lua_views_image"
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
  { "rs.view.image{ title = 'x' }",
    "rs.view.image: field 'matrix' is required" },
  { "rs.view.image{ matrix = 3 }",
    "rs.view.image: bad field 'matrix' (string expected, got number)" },
  { "rs.view.image{ matrix = 'm', vmin = 2, vmax = 1 }",
    "rs.view.image: vmin (2) must be below vmax (1)" },
  { "rs.view.image{ matrix = 'm', learners = { 'a' } }",
    "rs.view.image: unknown field 'learners' (known: kind, title, matrix, vmin, vmax, learner)" },
  { "rs.view.align{ matrix = 'align' }",
    "rs.view.align: field 'learners' is required" },
  { "rs.view.align{ learners = 'a' }",
    "rs.view.align: bad field 'learners' (non-empty list of strings expected, got string)" },
  { "rs.view.align{ learners = { 'a', 2 } }",
    "rs.view.align: bad field 'learners' (entry 2: string expected, got number)" },
  { "rs.view.align{ learners = { '1','2','3','4','5','6','7','8','9' } }",
    "rs.view.align: bad field 'learners' (at most 8 learners, got 9)" },
  { "rs.view.align{ learners = { 'a' }, grid = 0 }",
    "rs.view.align: bad field 'grid' (items per side, 1 to 16, got 0)" },
  { "rs.view.align{ learners = { 'a' }, grid = 1.5 }",
    "rs.view.align: bad field 'grid' (integer expected, got number)" },
  { "rs.view.align{ learners = { 'a' }, truth = true }",
    "rs.view.align: bad field 'truth' (string expected, got boolean)" },
  { "rs.view.align{ learners = { 'a' }, learner = 'a' }",
    "rs.view.align: unknown field 'learner' (known: kind, title, learners, matrix, truth, grid, vmin, vmax)" },
  { "rs.view.patches{ learners = { 'a' } }",
    "rs.view.patches: field 'matrix' is required" },
  { "rs.view.patches{ matrix = 'pred' }",
    "rs.view.patches: field 'learners' is required" },
  { "rs.view.patches{ learners = { 'a' }, matrix = 'pred', grid = 2 }",
    "rs.view.patches: unknown field 'grid' (known: kind, title, learners, matrix, truth)" },
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
    rs.view.image{ matrix = "sample", vmin = 0, vmax = 1 },
    rs.view.image{ matrix = "w", learner = "b", title = "b's weights" },
    rs.view.align{ learners = { "a", "b" }, truth = "align_truth" },
    rs.view.patches{ learners = { "b" }, matrix = "patch_pred",
                     truth = "patch_truth", title = "patches" },
  },
}
]])
local sc = tap.scene(path)
tap.ok(sc:setup(), "image, align and patches views: setup")
local views = sc:views()
tap.has(views, '{"kind":"image","matrix":"sample","title":"sample","vmax":1,"vmin":0}',
        "image: a bare matrix as written, its range")
tap.has(views, '"matrix":"b/w","title":"b\'s weights"', "image: learner b's matrix")
tap.has(views, '{"grid":2,"kind":"align","learners":["a","b"],' ..
        '"matrices":["a/align","b/align"],"title":"alignment",' ..
        '"truth":"align_truth"}', "align: a/align, b/align, the truth bare")
tap.has(views, '"matrices":["b/patch_pred"]', "patches: b's predictions")
tap.has(views, '"truth":"patch_truth"', "patches: the truth bare")

path = scene_file("unknown.lua", head .. [[
return rs.scene{
  setup = function(p) return { L('a') } end,
  views = { rs.view.align{ learners = { "a", "z" } } },
}
]])
local _, msg = tap.scene(path):setup()
tap.is(msg, path .. ": views[1]: no learner named 'z' (learners: a)",
       "align: an unknown learner is named")

-- the manual's example: a scene publishing a picture and showing it
path = scene_file("picture.lua", [[
local rs = require "repscope"
return rs.scene{
  title = "a picture",
  step = function(ctx)
    local rows = {}
    for r = 1, 28 do
      rows[r] = {}
      for c = 1, 28 do rows[r][c] = (r + c - 2) / 54 end
    end
    rs.matrix("sample", rs.tensor.from(rows))
  end,
  views = { rs.view.image{ title = "sample", matrix = "sample",
                           vmin = 0, vmax = 1 } },
}
]])
sc = tap.scene(path)
tap.ok(sc:setup() and sc:run(1), "a picture scene runs")
local rows, cols = sc:matrix("sample")
tap.is(rows .. "x" .. cols, "28x28", "it publishes a 28 x 28 matrix")
tap.has(sc:views(), '"kind":"image"', "and shows it as an image")

tap.done()
