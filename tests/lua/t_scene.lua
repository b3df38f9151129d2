-- t_scene.lua: scenes through the session driver (run without a session
-- by tap.scene): params and --set overrides, setup, the C step loop with
-- probes, the view-spec JSON, live param changes, the console, a scene
-- that drives itself, and broken scenes reporting file:line.
local tap = require "tap"
local dir = tap.srcdir() .. "/tests/data/scenes/"
local tiny = dir .. "tiny.lua"

local function count(t) return #t end

-- a scene, its params and a full run
local sc, err = tap.scene(tiny)
tap.ok(sc ~= nil, "tiny loads")
if sc == nil then tap.diag(err) end
tap.is(sc:params_json(),
       '{"bias":true,"clip":0.0,"depth":2,"lr":0.01,"norm":"none","p":11,"width":16}',
       "params JSON with the defaults")
tap.ok(sc:setup{ seed = 1, total = 40 }, "setup")
local views = sc:views()
tap.has(views, '"title":"tiny"', "views: title")
tap.has(views, '"notes":"test fixture"', "views: notes")
tap.has(views, '{"kind":"curves","markers":true,"series":["train/loss","test/loss"],"title":"train/loss, test/loss","x":"log","y":"linear"}',
        "views: curves")
tap.has(views, '{"kind":"rank_heatmap","layers":["l1","l2"],"metric":"srank","series":["probe/srank/l1","probe/srank/l2"],"title":"srank by layer"}',
        "views: rank heatmap over all layers")
tap.has(views, '"layer":"l2","log":true,"matrix":"spectrum/l2"', "views: spectrum of l2")
tap.has(views, '"layer":"l1","matrix":"neurons/l1"', "views: neurons default to the middle layer")
tap.has(views, '{"kind":"heatmap","matrix":"custom/matrix","title":"custom"}', "views: heatmap")
tap.has(views, '"title":"n/dist","x":"log","xfrom":"data","xlabel":"n"',
        "views: curves with an x axis name, starting at the data")
tap.has(views, '{"kind":"heatmap","matrix":"lin","title":"lin","vmax":1,"vmin":0}',
        "views: a heatmap with a fixed value range")
tap.ok(sc:run(40), "40 steps")
tap.is(count(sc:series("train/loss")), 8, "train/loss every 5 steps")
tap.is(count(sc:series("test/acc")), 5, "test/acc at 1, 10, 20, 30, 40")
tap.is(count(sc:series("probe/srank/l1")), 4, "rank probe every 10 steps")
tap.is(count(sc:series("probe/erank/l2")), 4, "erank with it")
tap.is(count(sc:series("probe/dead/l2")), 2, "dead probe every 20 steps")
tap.is(count(sc:series("probe/dead/l1")), 0, "dead probe only on l2")
tap.is(count(sc:series("norm/weight")), 8, "norms every 5 steps")
tap.is(count(sc:series("norm/weight/l3")), 8, "per-layer norms")
local rows, cols = sc:matrix("spectrum/l1")
tap.is(rows .. "x" .. cols, "1x16", "spectrum/l1 is 1 x width")
rows, cols = sc:matrix("neurons/l2")
tap.is(rows .. "x" .. cols, "1x16", "neurons/l2 is 1 x units")
tap.is(sc:steps(), 40, "steps run")

-- live changes: on_set applies lr, the rest waits for a restart
tap.ok(sc:set("lr", "0.05"), "set lr")
sc:eval("rs.log('base_lr', tr:config().lr)")
tap.is_near(sc:logged().base_lr, 0.05, 1e-8, "on_set changed the trainer")
tap.is(sc:params_json(),
       '{"bias":true,"clip":0.0,"depth":2,"lr":0.05,"norm":"none","p":11,"width":16}',
       "params JSON follows the change")
tap.ok(sc:set("depth", "3"), "set depth")
local printed = sc:printed()
tap.is(printed[#printed], "depth = 3 (takes effect on restart)",
       "a structural change waits for a restart")
tap.ok(sc:setup{ total = 40 }, "restart")
tap.has(sc:views(), '"layers":["l1","l2","l3"]', "the restart used depth 3")
local ok, msg = sc:set("nope", "1")
tap.is(msg, "unknown param 'nope' (known: bias, clip, depth, lr, norm, p, width)",
       "set: unknown param")
ok, msg = sc:set("lr", "fast")
tap.is(msg, "param 'lr': 'fast' is not a number", "set: bad number")
ok, msg = sc:set("lr", "1e999")
tap.is(msg, "param 'lr': '1e999' is not a finite number",
       "set: a number that overflows to infinity")
ok, msg = sc:set("lr", "-0x1p99999")
tap.is(msg, "param 'lr': '-0x1p99999' is not a finite number",
       "set: and to minus infinity")

-- the console
sc:eval("1 + 1")
printed = sc:printed()
tap.is(printed[#printed], "2", "eval prints an expression's value")
ok, msg = sc:eval("x = = 1")
tap.is(msg, "console:1: unexpected symbol near '='", "eval: syntax error")
ok, msg = sc:eval("error('boom')")
tap.is(msg, "console:1: boom", "eval: runtime error")
sc:eval("rs.log('depth_now', p.depth)")
tap.is(sc:logged().depth_now, 3.0, "console sees p")
tap.ok(sc:eval("add_probe(rs.probe.rank{ every = 3, layers = { 'l3' } })"),
       "add a probe from the console")
sc:clear()
sc:run(6)
tap.is(count(sc:series("probe/srank/l3")), 2, "the new probe runs every 3 steps")
ok, msg = sc:eval("add_probe(42)")
tap.is(msg, "add_probe: rs.probe.rank{...}, dead{...}, norms{...} or linear{...} expected, got number",
       "add_probe checks its argument")
sc:close()
tap.error_is(function() sc:run(1) end,
  "runner:run: attempt to use a closed scene runner", "closed runner")

-- --set overrides
sc = tap.scene(tiny, { "depth=3", "lr=3e-4", "norm=layernorm", "bias=false",
                       " width = 8" })
tap.is(sc:params_json(),
       '{"bias":false,"clip":0.0,"depth":3,"lr":0.0003,"norm":"layernorm","p":11,"width":8}',
       "overrides applied and typed")
tap.ok(sc:setup{ total = 10 } and sc:run(10), "runs with the overrides")
local function set_error(list)
  local s, m = tap.scene(tiny, list)
  return s == nil and m or "loaded"
end
tap.is(set_error{ "dpeth=3" },
       "unknown param 'dpeth' (known: bias, clip, depth, lr, norm, p, width)",
       "--set: unknown key lists the known ones")
tap.is(set_error{ "depth=abc" }, "param 'depth': 'abc' is not a number",
       "--set: bad number")
tap.is(set_error{ "depth=2.5" }, "param 'depth': '2.5' is not an integer",
       "--set: not an integer")
tap.is(set_error{ "depth=99" }, "param 'depth': 99 is above the maximum 8",
       "--set: above the maximum")
tap.is(set_error{ "norm=batchnorm" },
       "param 'norm': 'batchnorm' is not one of none, layernorm, rmsnorm",
       "--set: not a choice")
tap.is(set_error{ "bias=maybe" },
       "param 'bias': 'maybe' is not a boolean (true or false)",
       "--set: not a boolean")
tap.is(set_error{ "depth" }, "--set 'depth': key=value expected",
       "--set: no '='")
tap.is(set_error{ "lr=1e-2" }, "loaded", "--set: exponent notation")

-- a scene that drives itself (setup returns nil, step(ctx) runs two
-- named learners and logs through ctx)
sc = tap.scene(dir .. "self_driven.lua")
tap.ok(sc:setup(), "self-driven setup")
tap.ok(sc:run(10), "self-driven steps")
tap.is(count(sc:series("a/loss")), 10, "ctx:log{...} every step")
tap.is(count(sc:series("b/loss")), 10, "both models")
local coin = sc:logged().coin
tap.ok(coin >= 0 and coin < 1, "ctx.rng")
rows, cols = sc:matrix("w")
tap.is(rows .. "x" .. cols, "8x14", "ctx:matrix")
printed = sc:printed()
tap.is(printed[#printed], "step 10", "ctx:print")
tap.has(sc:views(), '"series":["a/train/loss","a/test/loss","b/train/loss","b/test/loss"]',
        "default views: both learners' curves")
tap.ok(not sc:views():find("spectrum", 1, true), "no spectrum without a probe")
tap.is(count(sc:series("a/train/loss")), 1, "learner a logs a/... (every 10)")
tap.is(count(sc:series("train/loss")), 0, "no bare names with named learners")

-- broken scenes name the file and line
local function load_error(name)
  local s, m, code = tap.scene(dir .. name)
  return s == nil and m or "loaded", code
end
local m, code = load_error("syntax_error.lua")
tap.is(m, dir .. "syntax_error.lua:5: unexpected symbol near ','",
       "syntax error: file:line")
tap.is(code, "bad format", "syntax error status")
tap.is(load_error("bad_field.lua"),
       dir .. "bad_field.lua: rs.scene: unknown field 'setpu' (known: title, notes, steps, params, setup, step, on_set, probes, views, tour)",
       "validation error names the file and field")
tap.is(load_error("not_scene.lua"),
       dir .. "not_scene.lua: the scene must return rs.scene{...} (got number)",
       "not a scene")
tap.is(load_error("missing.lua"),
       "cannot read scene '" .. dir .. "missing.lua': No such file or directory",
       "missing file")
sc = tap.scene(dir .. "setup_error.lua")
ok, msg = sc:setup()
tap.is(msg, dir .. "setup_error.lua:7: attempt to index a nil value (local 'cfg')",
       "runtime error in setup: file:line")
tap.like(table.concat(sc:printed(), "\n"), "stack traceback:",
         "the traceback goes to the console")
sc = tap.scene(dir .. "step_badarg.lua")
sc:setup()
local step
ok, msg, code, step = sc:run(5)
tap.is(msg, dir .. "step_badarg.lua:8: rs.tensor.zeros: bad argument #1 'shape' (table of up to 4 positive integers expected, got string)",
       "bad argument inside step: file:line and the function")
tap.is(step, 3, "at the step that failed")
sc = tap.scene(dir .. "global_typo.lua")
sc:setup()
ok, msg = sc:run(1)
tap.is(msg, dir .. "global_typo.lua:7: undefined global 'undefined_thing'",
       "undefined global: file:line")

-- scenes written here
local tmp = tap.tmpdir() .. "/lua_scene"
os.execute("mkdir -p '" .. tmp .. "'")
local function scene_file(name, text)
  local path = tmp .. "/" .. name
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end
local head = 'local rs = require "repscope"\n'
local path = scene_file("ret5.lua", head ..
  "return rs.scene{ setup = function(p) return 5 end }\n")
ok, msg = tap.scene(path):setup()
tap.is(msg, path .. ": setup returned a number (a learner, a list of learners or nil expected)",
       "setup must return learners or nil")
path = scene_file("nostep.lua", head ..
  "return rs.scene{ setup = function(p) return nil end }\n")
ok, msg = tap.scene(path):setup()
tap.is(msg, path .. ": setup returned nil and the scene has no step(ctx)",
       "nil setup needs step")
path = scene_file("probe_notrainer.lua", head ..
  "return rs.scene{ step = function(ctx) end, probes = { rs.probe.rank{} } }\n")
ok, msg = tap.scene(path):setup()
tap.is(msg, path .. ": probes[1]: rs.probe.rank needs a learner (setup returned none; give learner=)",
       "a probe needs a learner")
path = scene_file("badview.lua", head .. [[
local d = rs.data.modular{ p = 5 }
return rs.scene{
  setup = function(p)
    return rs.train{ model = rs.nn.mlp{ input = 10, width = 4, output = 5 },
                     data = d }
  end,
  views = { rs.view.spectrum{ layer = "l9" } },
}
]])
ok, msg = tap.scene(path):setup()
tap.is(msg, path .. ": views[1]: the model has no layer 'l9' (layers: l1, l2)",
       "a view of an unknown layer")
path = scene_file("global_write.lua", head .. "counter = 0\n" ..
  "return rs.scene{ step = function(ctx) end }\n")
tap.is(select(2, tap.scene(path)),
       path .. ":2: assignment to undeclared global 'counter' (declare it local)",
       "scenes cannot create globals")
-- a path longer than Lua's 60-byte chunk names is named whole
path = scene_file(string.rep("long_name_", 8) .. "global.lua", head ..
  "counter = 0\nreturn rs.scene{ step = function(ctx) end }\n")
tap.is(select(2, tap.scene(path)),
       path .. ":2: assignment to undeclared global 'counter' (declare it local)",
       "a long scene path is named whole in errors")
path = scene_file("view_field.lua", head ..
  "local v = rs.view.curves{ series = { 'a' }, x = 'loglog' }\n" ..
  "return rs.scene{ step = function(ctx) end, views = { v } }\n")
tap.is(select(2, tap.scene(path)),
       path .. ":2: rs.view.curves: bad field 'x' ('linear' or 'log' expected, got 'loglog')",
       "view constructors check fields")
path = scene_file("view_range.lua", head ..
  "local v = rs.view.heatmap{ matrix = 'm', vmin = 1, vmax = 1 }\n" ..
  "return rs.scene{ step = function(ctx) end, views = { v } }\n")
tap.is(select(2, tap.scene(path)),
       path .. ":2: rs.view.heatmap: vmin (1) must be below vmax (1)",
       "a heatmap's value range must not be empty")
path = scene_file("param_type.lua", head ..
  "return rs.scene{ params = { f = function() end }, step = function(ctx) end }\n")
tap.is(select(2, tap.scene(path)),
       path .. ": rs.scene: bad param 'f' (number, boolean, string or {default, ...} expected, got function)",
       "param defaults are typed")
path = scene_file("uses_helper.lua", head ..
  "local h = require 'scene_helper'\n" ..
  "return rs.scene{ step = function(ctx) ctx:log('h', h.value) end }\n")
scene_file("scene_helper.lua", "return { value = 42 }\n")
sc = tap.scene(path)
sc:setup()
sc:run(1)
tap.is(sc:logged().h, 42.0, "a scene requires modules from its own directory")

tap.done()
