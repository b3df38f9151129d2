-- repscope - MIT licence, see COPYING.
--
-- repscope.scene: the declarative layer of the Lua API (C stays small, Lua
-- does the sugar; doc/design.md, "The Lua host and the scene driver").
--
--   rs.scene{title=, notes=, steps=, params={...}, setup=function(p),
--            step=function(ctx), on_set=function(key, value, ctx),
--            probes={...} or function(p), views={...} or function(p),
--            tour={{text=, title=, focus=, zoom=, at_step= | when=,
--                   why=, restart=}, ...}}
--   rs.probe.rank{...}, rs.probe.dead{...}, rs.probe.norms{...},
--   rs.probe.linear{...}                 (learner= binds one to a learner)
--   rs.view.curves{...}, spectrum{...}, rank_heatmap{...}, neurons{...},
--   heatmap{...}, image{...}, frame{...}, align{...}, patches{...},
--   profile{...}, bars{...}, text{...}
--                                        (learner= shows a learner's names;
--                                         repscope.views, which resolves
--                                         them after setup)
--
-- setup returns a learner, a list of learners or nil; state.learners is
-- what it returned, state.all_learners every live learner the scene made
-- (both set by lua/l_scene.c). A probe without learner= runs on every
-- returned learner (every made one when none was returned); names are
-- built with rs.name (core/names.h), never pasted here. The field checks
-- and learner lookups are repscope.check's, shared with repscope.views.
--
-- and the helpers lua/l_scene.c calls to drive a scene: environment,
-- check, params (the --set overrides), prepare (probes and the view-spec
-- JSON), ctx, run_probes, set_param, params_json, eval. Every validation
-- error names the function and the field; constructors report the
-- caller's file:line. The shapes are documented in repscope-lua(7).

local json = require "repscope.json"
local probe_c = require "repscope.probe"
local rng_mod = require "repscope.rng"
local check = require "repscope.check"
local views = require "repscope.views"

local fail, public, typename = check.fail, check.public, check.typename
local check_fields, opt = check.check_fields, check.opt
local field_type = check.field_type
local opt_enum, opt_positive = check.opt_enum, check.opt_positive
local string_list, check_learner = check.string_list, check.check_learner
local layer_list, owner, find_learner = check.layer_list, check.owner,
    check.find_learner

local M = {}

local SCENE = { __name = "repscope.scene" }
local PROBE = { __name = "repscope.probe_spec" }

-- ---- probe specs ---------------------------------------------------------

local function probe_spec(kind, fn, t, every)
  t = t or {}
  if type(t) ~= "table" then
    fail("%s: bad argument #1 'spec' (table expected, got %s)", fn,
         typename(t))
  end
  local spec = { kind = kind, learner = check_learner(fn, t.learner) }
  spec.every = opt_positive(fn, t, "every", every)
  if kind == "norms" then
    check_fields(fn, t, { "every", "per_layer", "learner" })
    spec.per_layer = opt(fn, t, "per_layer", "boolean", false)
  elseif kind == "linear" then
    -- n from each split: fitted on train, scored on test; activations
    check_fields(fn, t, { "every", "n", "layers", "lambda", "learner" })
    spec.n = opt(fn, t, "n", "integer", 1024)
    if spec.n < 0 or spec.n == 1 then
      fail("%s: bad field 'n' (%d is not 0 (all) or >= 2)", fn, spec.n)
    end
    spec.layers = string_list(fn, "layers", t.layers or "all", true)
    spec.lambda = opt(fn, t, "lambda", "number", 1e-2)
    if not (spec.lambda > 0 and spec.lambda < math.huge) then
      fail("%s: bad field 'lambda' (%s is not a finite number > 0)", fn,
           tostring(spec.lambda))
    end
    spec.lambda = spec.lambda + 0.0
  else
    check_fields(fn, t, { "every", "split", "n", "layers", "on", "centre",
                          "learner", kind == "rank" and "delta" or nil,
                          kind == "rank" and "covrank" or nil })
    spec.split = opt_enum(fn, t, "split", { "train", "test" }, "test")
    spec.n = opt(fn, t, "n", "integer", 1024)
    if spec.n < 0 then
      fail("%s: bad field 'n' (%d is not >= 0)", fn, spec.n)
    end
    spec.layers = string_list(fn, "layers", t.layers or "all", true)
    spec.on = opt_enum(fn, t, "on", { "preact", "act" },
                       kind == "rank" and "preact" or "act")
    spec.centre = opt(fn, t, "centre", "boolean", false)
    if kind == "rank" then
      spec.delta = opt(fn, t, "delta", "number", 0.01)
      spec.covrank = opt(fn, t, "covrank", "boolean", false)
    end
  end
  return setmetatable(spec, PROBE)
end

M.probe = {
  rank = public(function(t)
    return probe_spec("rank", "rs.probe.rank", t, 100)
  end),
  dead = public(function(t)
    return probe_spec("dead", "rs.probe.dead", t, 100)
  end),
  norms = public(function(t)
    return probe_spec("norms", "rs.probe.norms", t, 10)
  end),
  linear = public(function(t)
    return probe_spec("linear", "rs.probe.linear", t, 250)
  end),
}

M.view = views.view

-- ---- params --------------------------------------------------------------

local function param_spec(name, v)
  local fn = "rs.scene"
  if type(name) ~= "string" or not name:match("^[%a_][%w_]*$") then
    fail("%s: bad param name '%s' (letters, digits and _ expected)", fn,
         tostring(name))
  end
  local spec = { name = name }
  if type(v) == "table" then
    check_fields(fn .. ": param '" .. name .. "'", v,
                 { 1, "min", "max", "choices", "help" })
    spec.default = v[1]
    spec.min, spec.max, spec.help = v.min, v.max, v.help
    spec.choices = v.choices
  else
    spec.default = v
  end
  local d = spec.default
  if math.type(d) == "integer" then
    spec.type = "integer"
  elseif type(d) == "number" then
    spec.type = "number"
  elseif type(d) == "boolean" then
    spec.type = "boolean"
  elseif type(d) == "string" then
    spec.type = "string"
  else
    fail("%s: bad param '%s' (number, boolean, string or {default, ...} " ..
         "expected, got %s)", fn, name, typename(d))
  end
  if spec.choices ~= nil then
    if type(spec.choices) ~= "table" or #spec.choices == 0 then
      fail("%s: param '%s': choices must be a non-empty list", fn, name)
    end
  end
  return spec
end

-- Format a value the way a user types it (--set key=value).
local function show(v)
  if math.type(v) == "float" then
    return string.format("%.10g", v)
  end
  return tostring(v)
end

-- Check v against spec's range and choices; raise naming the param.
local function check_value(spec, v)
  if spec.min ~= nil and v < spec.min then
    fail("param '%s': %s is below the minimum %s", spec.name, show(v),
         show(spec.min))
  end
  if spec.max ~= nil and v > spec.max then
    fail("param '%s': %s is above the maximum %s", spec.name, show(v),
         show(spec.max))
  end
  if spec.choices ~= nil then
    for _, c in ipairs(spec.choices) do
      if c == v then return v end
    end
    local list = {}
    for i, c in ipairs(spec.choices) do list[i] = show(c) end
    fail("param '%s': '%s' is not one of %s", spec.name, show(v),
         table.concat(list, ", "))
  end
  return v
end

-- The value of text for param spec, or an error naming both.
local function parse_value(spec, text)
  local ty = spec.type
  if ty == "string" then
    return check_value(spec, text)
  elseif ty == "boolean" then
    local t = ({ ["true"] = true, yes = true, on = true, ["1"] = true,
                 ["false"] = false, no = false, off = false, ["0"] = false })[
      text:lower()]
    if t == nil then
      fail("param '%s': '%s' is not a boolean (true or false)", spec.name, text)
    end
    return t
  end
  local n = tonumber(text)
  if n == nil then
    fail("param '%s': '%s' is not a number", spec.name, text)
  end
  if n ~= n or n == math.huge or n == -math.huge then -- "1e999"
    fail("param '%s': '%s' is not a finite number", spec.name, text)
  end
  if ty == "integer" then
    local i = math.tointeger(n)
    if i == nil then
      fail("param '%s': '%s' is not an integer", spec.name, text)
    end
    return check_value(spec, i)
  end
  return check_value(spec, n + 0.0)
end

local function known_list(scene)
  local names = {}
  for _, s in ipairs(scene._params) do names[#names + 1] = s.name end
  if #names == 0 then return "the scene has no params" end
  return "known: " .. table.concat(names, ", ")
end

local function find_param(scene, key)
  for _, s in ipairs(scene._params) do
    if s.name == key then return s end
  end
  fail("unknown param '%s' (%s)", tostring(key), known_list(scene))
end

-- A params table: the values, and reads of an unknown name raise.
local function guarded(scene, values)
  return setmetatable(values, {
    __index = function(_, k)
      error(string.format("unknown param '%s' (%s)", tostring(k),
                          known_list(scene)), 2)
    end,
  })
end

-- ---- scenes --------------------------------------------------------------

local function check_probes(fn, list)
  local out = {}
  for i, p in ipairs(list) do
    if getmetatable(p) ~= PROBE then
      fail("%s: bad field 'probes' (entry %d: rs.probe.rank{...}, " ..
           "dead{...}, norms{...} or linear{...} expected, got %s)", fn, i,
           typename(p))
    end
    out[i] = p
  end
  return out
end

local scene_fields = { "title", "notes", "steps", "params", "setup", "step",
                       "on_set", "probes", "views", "tour" }

-- ---- tours ---------------------------------------------------------------

local page_fields = { "title", "text", "why", "focus", "zoom", "at_step",
                      "when", "restart" }
local TOUR_PAGES_MAX, TOUR_SET_MAX = 64, 8 -- ui/tour.h

-- A page of a scene's tour, checked (errors name the page and the
-- field), as the table the view-spec JSON carries (ui/tour.h reads it).
local function tour_page(fn, s, i, t)
  local where = string.format("%s: tour[%d]", fn, i)
  if type(t) ~= "table" then
    fail("%s: a page table expected, got %s", where, typename(t))
  end
  check_fields(where, t, page_fields)
  local pg = { title = opt(where, t, "title", "string", nil),
               why = opt(where, t, "why", "string", nil),
               zoom = opt(where, t, "zoom", "boolean", nil) }
  if t.text == nil then fail("%s: field 'text' is required", where) end
  pg.text = opt(where, t, "text", "string", nil)
  if t.focus ~= nil then
    if type(t.focus) == "string" then
      pg.focus = t.focus
    elseif math.type(t.focus) == "integer" and t.focus >= 1 then
      pg.focus = t.focus
    else
      field_type(where, "focus", "panel title or index >= 1", t.focus)
    end
  end
  if pg.zoom and pg.focus == nil then
    fail("%s: zoom needs focus= (the panel to zoom)", where)
  end
  if t.at_step ~= nil and t.when ~= nil then
    fail("%s: give at_step= or when=, not both", where)
  end
  if t.at_step ~= nil then
    pg.at_step = opt(where, t, "at_step", "integer", nil)
    if pg.at_step < 0 then
      fail("%s: bad field 'at_step' (%d is not >= 0)", where, pg.at_step)
    end
  end
  if t.when ~= nil then
    local w = t.when
    if type(w) ~= "table" then
      field_type(where, "when", "table {series=, above= or below=}", w)
    end
    check_fields(where .. ".when", w, { "series", "above", "below" })
    if type(w.series) ~= "string" or w.series == "" then
      fail("%s: bad field 'when' (series= a series name expected)", where)
    end
    if (w.above == nil) == (w.below == nil) then
      fail("%s: bad field 'when' (give one of above= or below=)", where)
    end
    local lim = w.above or w.below
    if type(lim) ~= "number" then
      fail("%s: bad field 'when' (%s= a number expected, got %s)", where,
           w.above ~= nil and "above" or "below", typename(lim))
    end
    pg.when = { series = w.series, above = w.above, below = w.below }
  end
  if pg.why ~= nil and pg.at_step == nil and pg.when == nil then
    fail("%s: why= says why the run paused: give at_step= or when=", where)
  end
  if t.restart ~= nil then
    if type(t.restart) ~= "table" then
      field_type(where, "restart", "table of params", t.restart)
    end
    local r, n = {}, 0
    for k, v in pairs(t.restart) do
      local ok, spec = pcall(find_param, s, k)
      if not ok then fail("%s: bad field 'restart' (%s)", where, spec) end
      local okv, err = pcall(parse_value, spec, show(v))
      if not okv then fail("%s: bad field 'restart' (%s)", where, err) end
      r[k], n = show(v), n + 1
    end
    if n == 0 or n > TOUR_SET_MAX then
      fail("%s: bad field 'restart' (1 to %d params expected, got %d)",
           where, TOUR_SET_MAX, n)
    end
    pg.restart = r
  end
  return pg
end

local function tour_pages(fn, s, list)
  if list == nil then return nil end
  if type(list) ~= "table" then
    field_type(fn, "tour", "list of pages", list)
  end
  local out = {}
  for i, t in ipairs(list) do out[i] = tour_page(fn, s, i, t) end
  if #out == 0 or #out > TOUR_PAGES_MAX then
    fail("%s: bad field 'tour' (1 to %d pages expected, got %d)", fn,
         TOUR_PAGES_MAX, #out)
  end
  return out
end

local function check_views(fn, list)
  local out = {}
  for i, v in ipairs(list) do
    if not views.is_view(v) then
      if type(v) ~= "table" or not views.is_kind(v.kind) then
        fail("%s: bad field 'views' (entry %d: rs.view.* or {kind=...} " ..
             "expected, got %s)", fn, i, typename(v))
      end
      v = views.spec(v.kind, fn .. ": views[" .. i .. "]", v)
    end
    out[i] = v
  end
  return out
end

local function validate_scene(def)
  local fn = "rs.scene"
  if type(def) ~= "table" then
    fail("%s: bad argument #1 'scene' (table expected, got %s)", fn,
         typename(def))
  end
  check_fields(fn, def, scene_fields)
  local s = {}
  s.title = opt(fn, def, "title", "string", "")
  s.notes = opt(fn, def, "notes", "string", "")
  s.steps = opt(fn, def, "steps", "integer", nil)
  if s.steps ~= nil and s.steps < 1 then
    fail("%s: bad field 'steps' (%d is not >= 1)", fn, s.steps)
  end
  s.setup = opt(fn, def, "setup", "function", nil)
  s.step = opt(fn, def, "step", "function", nil)
  s.on_set = opt(fn, def, "on_set", "function", nil)
  if s.setup == nil and s.step == nil then
    fail("%s: the scene needs setup=function(p) (returning learners) " ..
         "or step=function(ctx)", fn)
  end
  local params = opt(fn, def, "params", "table", {})
  s._params = {}
  for name, v in pairs(params) do
    s._params[#s._params + 1] = param_spec(name, v)
  end
  table.sort(s._params, function(a, b) return a.name < b.name end)
  for _, spec in ipairs(s._params) do
    local ok, err = pcall(check_value, spec, spec.default)
    if not ok then fail("%s: default of %s", fn, err) end
  end
  -- probes: a list, or a function(p) returning one (probes whose
  -- period or size is a param), called when the probes are bound
  if type(def.probes) == "function" then
    s.probes_fn = def.probes
    s.probes = {}
  else
    s.probes = check_probes(fn, opt(fn, def, "probes", "table", {}))
  end
  -- views: a list, or a function(p) returning one (a tour's chapters
  -- show different panels), called after setup
  if type(def.views) == "function" then
    s.views_fn = def.views
    s.views = {}
  else
    s.views = check_views(fn, opt(fn, def, "views", "table", {}))
  end
  s.tour = tour_pages(fn, s, def.tour)
  return setmetatable(s, SCENE)
end

M.scene = public(validate_scene)

-- The environment of a scene chunk: the globals, but reading an undefined
-- name or creating a global raises (typos surface at once).
function M.environment()
  return setmetatable({}, {
    __index = function(_, k)
      local v = _G[k]
      if v == nil then
        error("undefined global '" .. tostring(k) .. "'", 2)
      end
      return v
    end,
    __newindex = function(_, k)
      error("assignment to undeclared global '" .. tostring(k) ..
            "' (declare it local)", 2)
    end,
  })
end

-- What a scene file returned, validated (C: rs_lua_load_scene).
function M.check(value, path)
  if getmetatable(value) == SCENE then return value end
  if type(value) ~= "table" then
    error(string.format("%s: the scene must return rs.scene{...} (got %s)",
                        path, typename(value)), 0)
  end
  local ok, res = pcall(validate_scene, value)
  if not ok then error(path .. ": " .. res, 0) end
  return res
end

function M.info(scene)
  return scene.title, scene.steps or -1, scene.notes
end

-- The params from the defaults and the overrides ("key=value" strings).
function M.params(scene, overrides)
  local values = {}
  for _, s in ipairs(scene._params) do values[s.name] = s.default end
  for _, o in ipairs(overrides or {}) do
    local key, text = o:match("^%s*([^=]-)%s*=(.*)$")
    if key == nil then
      fail("--set '%s': key=value expected", o)
    end
    local spec = find_param(scene, key)
    values[key] = parse_value(spec, text)
  end
  return guarded(scene, values)
end

local function params_json(scene, p)
  local out = {}
  for _, s in ipairs(scene._params) do out[s.name] = rawget(p, s.name) end
  return json.encode(out, "params")
end

-- ---- driving a scene (called from lua/l_scene.c) -------------------------

-- The learners a probe spec runs on: the one it names, else every
-- learner setup returned, else every learner the scene made.
local function probe_targets(fn, state, spec)
  if spec.learner ~= nil then
    return { find_learner(fn, state, spec.learner) }
  end
  local list = state.learners or {}
  if #list == 0 then list = state.all_learners or {} end
  if #list == 0 then
    fail("%s: rs.probe.%s needs a learner (setup returned none; give " ..
         "learner=)", fn, spec.kind)
  end
  return list
end

local function bind_probe(fn, state, spec)
  for _, l in ipairs(probe_targets(fn, state, spec)) do
    if spec.kind ~= "norms" then layer_list(fn, l:model(), spec.layers) end
    state.probes[#state.probes + 1] = { spec = spec, learner = l }
  end
end

-- After setup: bind the probes to learners, build the view-spec JSON.
-- Returns the probe periods (for C's cheap "is any due" test) and the JSON.
function M.prepare(state)
  local scene = state.scene
  local probes = scene.probes
  if scene.probes_fn ~= nil then
    local list = scene.probes_fn(state.p)
    if type(list) ~= "table" then
      fail("probes(p) returned a %s (a list of probes expected)",
           typename(list))
    end
    probes = check_probes("probes(p)", list)
  end
  state.probes = {}
  for i, p in ipairs(probes) do
    bind_probe("probes[" .. i .. "]", state, p)
  end
  if scene.views_fn ~= nil then
    local list = scene.views_fn(state.p)
    if type(list) ~= "table" then
      fail("views(p) returned a %s (a list of views expected)",
           typename(list))
    end
    scene.views = check_views("views(p)", list)
  end
  local out = views.resolve(state, probes)
  local tour = nil
  if scene.tour ~= nil then
    tour = {}
    for i, pg in ipairs(scene.tour) do
      tour[i] = { title = pg.title, text = pg.text, why = pg.why,
                  focus = pg.focus, zoom = pg.zoom, at_step = pg.at_step,
                  when = pg.when, restart = pg.restart }
    end
    tour = json.array(tour)
  end
  local text = json.encode({ version = 1, title = scene.title,
                             notes = scene.notes, views = json.array(out),
                             tour = tour }, "views")
  return M.periods(state), text
end

-- Add a probe at run time (the console's add_probe(rs.probe.rank{...})).
function M.add_probe(state, spec)
  if getmetatable(spec) ~= PROBE then
    fail("add_probe: rs.probe.rank{...}, dead{...}, norms{...} or linear{...} " ..
         "expected, got %s", typename(spec))
  end
  bind_probe("add_probe", state, spec)
end

-- The probe periods, in order (C keeps them to test dueness cheaply).
function M.periods(state)
  local every = {}
  for i, p in ipairs(state.probes or {}) do every[i] = p.spec.every end
  return every
end

function M.run_probes(state, step)
  for _, p in ipairs(state.probes) do
    if step % p.spec.every == 0 then
      probe_c.run(p.spec, p.learner)
    end
  end
end

-- The ctx handed to step(ctx): one table per run, step and loss updated
-- in place by C. ctx:log{...} / ctx:log(name, v), ctx:matrix(name, t),
-- ctx:print(...), ctx:event(text); fields p, learners (what setup
-- returned), learner and trainer (the single one), model, data, rng.
function M.ctx(state, rs, seed)
  local single = state.trainer
  local ctx = { step = 0, p = state.p, learners = state.learners or {},
                learner = single, trainer = single,
                rng = rng_mod.new(seed) }
  if single ~= nil then
    ctx.model = single:model()
    ctx.data = single:data()
  end
  local function strip(a, ...)
    if a == ctx then return ... end
    return a, ...
  end
  ctx.log = function(...) return rs.log(strip(...)) end
  ctx.matrix = function(...) return rs.matrix(strip(...)) end
  ctx.event = function(...) return rs.event(strip(...)) end
  ctx.print = function(...) return print(strip(...)) end
  state.ctx = ctx
  return ctx
end

-- The fields of learner:set that a PPO learner takes (l_ppo.c).
local PPO_KEYS = { steps = true, minibatch = true, epochs = true,
                   gamma = true, lambda = true, clip = true, ent_coef = true,
                   vf_coef = true, pfo = true, norm_adv = true,
                   capacity_every = true, capacity_rows = true,
                   capacity_minibatch = true }

-- A change of a param: the text of the event and whether it applied at
-- once (else it waits for a restart). Without on_set, lr and weight_decay
-- go to every learner setup returned, and a PPO field (epochs, pfo, ...)
-- to every PPO learner among them.
function M.set_param(state, key, text)
  local scene = state.scene
  local spec = find_param(scene, key)
  local value = parse_value(spec, text)
  rawset(state.p, key, value)
  local live = false
  local learners = state.learners or {}
  if scene.on_set ~= nil then
    live = scene.on_set(key, value, state.ctx) and true or false
  elseif #learners > 0 and (key == "lr" or key == "weight_decay") then
    for _, l in ipairs(learners) do l:set({ [key] = value }) end
    live = true
  elseif PPO_KEYS[key] then
    -- a PPO field goes to every PPO learner (from its next update)
    for _, l in ipairs(learners) do
      if l:ppo() ~= nil then
        l:set({ [key] = value })
        live = true
      end
    end
  end
  return string.format("%s = %s%s", key, show(value),
                       live and "" or " (takes effect on restart)"), live
end

function M.params_json(state)
  return params_json(state.scene, state.p)
end

-- Console code: an expression (printed) or a statement, in an environment
-- with p, tr (the single learner), learners (by name; "_" the unnamed),
-- model, data, ctx, rs and add_probe(spec) besides the globals.
function M.eval(state, rs, code)
  local byname = {}
  for _, l in ipairs(state.all_learners or {}) do
    byname[owner(l) ~= "" and owner(l) or "_"] = l
  end
  local env = setmetatable({ p = state.p, tr = state.trainer, rs = rs,
                             learners = byname,
                             ctx = state.ctx,
                             model = state.ctx and state.ctx.model,
                             data = state.ctx and state.ctx.data,
                             add_probe = function(spec)
                               M.add_probe(state, spec)
                             end },
                           { __index = _G })
  local f = load("return " .. code, "=console", "t", env)
  if f == nil then
    local err
    f, err = load(code, "=console", "t", env)
    if f == nil then error(err, 0) end
  end
  local res = table.pack(f())
  if res.n > 0 then
    local parts = {}
    for i = 1, res.n do parts[i] = tostring(res[i]) end
    print(table.concat(parts, "\t"))
  end
end

-- Install the declarative layer into the umbrella table.
function M.install(rs)
  views.install(rs)
  rs.scene = M.scene
  rs.view = M.view
  rs.json = json
  local direct_dead = rs.probe.dead
  rs.probe.rank = M.probe.rank
  rs.probe.norms = M.probe.norms
  rs.probe.linear = M.probe.linear
  -- rs.probe.dead(t) measures a tensor; rs.probe.dead{...} declares a probe
  rs.probe.dead = function(x, ...)
    if typename(x) == "tensor" then return direct_dead(x, ...) end
    local ok, res = pcall(probe_spec, "dead", "rs.probe.dead", x, 100)
    if not ok then error(res, 2) end
    return res
  end
end

return M
