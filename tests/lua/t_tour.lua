-- t_tour.lua: a scene's tour in Lua: the page fields checked with errors
-- naming the page and the field, the tour in the view-spec JSON (what
-- ui/tour.h reads; restart values as text), and views = function(p)
-- giving each chapter its own panels.
local tap = require "tap"
local rs = require "repscope"
local dir = tap.srcdir() .. "/tests/data/scenes/"

local function scene(tour)
  return function()
    rs.scene{ params = { chapter = { "a", choices = { "a", "b" } } },
              step = function() end, tour = tour }
  end
end

local cases = {
  { "x", "rs.scene: bad field 'tour' (list of pages expected, got string)" },
  { {}, "rs.scene: bad field 'tour' (1 to 64 pages expected, got 0)" },
  { { 3 }, "rs.scene: tour[1]: a page table expected, got number" },
  { { { text = "a" }, { title = "b" } },
    "rs.scene: tour[2]: field 'text' is required" },
  { { { text = "a", colour = 1 } },
    "rs.scene: tour[1]: unknown field 'colour' (known: title, text, why, " ..
    "focus, zoom, at_step, when, restart)" },
  { { { text = "a", focus = 0 } },
    "rs.scene: tour[1]: bad field 'focus' (panel title or index >= 1 " ..
    "expected, got number)" },
  { { { text = "a", zoom = true } },
    "rs.scene: tour[1]: zoom needs focus= (the panel to zoom)" },
  { { { text = "a", at_step = -1 } },
    "rs.scene: tour[1]: bad field 'at_step' (-1 is not >= 0)" },
  { { { text = "a", at_step = 1, when = { series = "s", above = 1 } } },
    "rs.scene: tour[1]: give at_step= or when=, not both" },
  { { { text = "a", when = { series = "s" } } },
    "rs.scene: tour[1]: bad field 'when' (give one of above= or below=)" },
  { { { text = "a", when = { series = "s", above = 1, below = 2 } } },
    "rs.scene: tour[1]: bad field 'when' (give one of above= or below=)" },
  { { { text = "a", when = { above = 1 } } },
    "rs.scene: tour[1]: bad field 'when' (series= a series name expected)" },
  { { { text = "a", when = { series = "s", above = "x" } } },
    "rs.scene: tour[1]: bad field 'when' (above= a number expected, got " ..
    "string)" },
  { { { text = "a", when = { series = "s", over = 1 } } },
    "rs.scene: tour[1].when: unknown field 'over' (known: series, above, " ..
    "below)" },
  { { { text = "a", why = "because" } },
    "rs.scene: tour[1]: why= says why the run paused: give at_step= or " ..
    "when=" },
  { { { text = "a", restart = { lr = 1 } } },
    "rs.scene: tour[1]: bad field 'restart' (unknown param 'lr' (known: " ..
    "chapter))" },
  { { { text = "a", restart = { chapter = "c" } } },
    "rs.scene: tour[1]: bad field 'restart' (param 'chapter': 'c' is not " ..
    "one of a, b)" },
  { { { text = "a", restart = {} } },
    "rs.scene: tour[1]: bad field 'restart' (1 to 8 params expected, got 0)" },
}
for i, c in ipairs(cases) do
  tap.error_is(scene(c[1]), c[2], "tour error " .. i)
end

-- the tour in the view-spec JSON, and the views of each chapter
local sc, err = tap.scene(dir .. "tour_mini.lua")
tap.ok(sc ~= nil, "tour_mini loads")
if sc == nil then tap.diag(err) end
tap.ok(sc:setup{ seed = 1, total = 10 }, "setup")
local v = sc:views()
tap.has(v, '"tour":[{"focus":"accuracy","text":"MINI PAGE ONE: the ' ..
        'accuracy panel has the focus.","title":"start"}', "the first page")
tap.has(v, '"at_step":30,"focus":"loss"', "at_step and focus by title")
tap.has(v, '"focus":3,"text"', "focus by index")
tap.has(v, '"when":{"above":0,"series":"norm/weight"}', "when")
tap.has(v, '"restart":{"chapter":"b"}', "restart, values as text")
tap.has(v, '"title":"accuracy"', "chapter a's views")
local sb = tap.scene(dir .. "tour_mini.lua", { "chapter=b" })
tap.ok(sb ~= nil and sb:setup{ seed = 1, total = 10 }, "chapter b setup")
local vb = sb and sb:views() or ""
tap.has(vb, '"title":"norms in chapter b"', "chapter b's views")
tap.ok(not vb:find('"title":"accuracy"', 1, true), "not chapter a's")
tap.has(vb, '"title":"start"', "the same tour")

tap.done()
