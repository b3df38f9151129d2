-- repscope - MIT licence, see COPYING.
--
-- repscope.scene: the declarative layer of the Lua API (C stays small, Lua
-- does the sugar; doc/design.md, "The Lua host and the scene driver").
--
--   rs.scene{title=, notes=, steps=, params={...}, setup=function(p),
--            step=function(ctx), on_set=function(key, value, ctx),
--            probes={...} or function(p), views={...}}
--   rs.probe.rank{...}, rs.probe.dead{...}, rs.probe.norms{...},
--   rs.probe.linear{...}                 (learner= binds one to a learner)
--   rs.view.curves{...}, spectrum{...}, rank_heatmap{...}, neurons{...},
--   heatmap{...}                         (learner= shows a learner's names)
--
-- setup returns a learner, a list of learners or nil; state.learners is
-- what it returned, state.all_learners every live learner the scene made
-- (both set by lua/l_scene.c). A probe without learner= runs on every
-- returned learner (every made one when none was returned); names are
-- built with rs.name (core/names.h), never pasted here.
--
-- and the helpers lua/l_scene.c calls to drive a scene: environment,
-- check, params (the --set overrides), prepare (probes and the view-spec
-- JSON), ctx, run_probes, set_param, params_json, eval. Every validation
-- error names the function and the field; constructors report the
-- caller's file:line. The shapes are documented in repscope-lua(7).

local json = require "repscope.json"
local probe_c = require "repscope.probe"
local rng_mod = require "repscope.rng"

local M = {}

local SCENE = { __name = "repscope.scene" }
local PROBE = { __name = "repscope.probe_spec" }
local VIEW = { __name = "repscope.view" }

-- Raise msg without position: the public wrappers add the caller's.
local function fail(fmt, ...)
  error(string.format(fmt, ...), 0)
end

-- Run f(...) and re-raise its error at the caller of the caller.
local function public(f)
  return function(...)
    local ok, res = pcall(f, ...)
    if not ok then error(res, 2) end
    return res
  end
end

local function typename(v)
  local mt = getmetatable(v)
  if type(mt) == "table" and type(mt.__name) == "string" then
    return (mt.__name:gsub("^repscope%.", ""))
  end
  if math.type(v) == "float" then return "number" end
  return type(v)
end

local function check_fields(fn, t, allowed)
  local set = {}
  for _, k in ipairs(allowed) do set[k] = true end
  for k in pairs(t) do
    if not set[k] then
      local known = table.concat(allowed, ", ")
      fail("%s: unknown field '%s' (known: %s)", fn, tostring(k), known)
    end
  end
end

local function field_type(fn, key, expected, v)
  fail("%s: bad field '%s' (%s expected, got %s)", fn, key, expected,
       typename(v))
end

local function opt(fn, t, key, ty, default)
  local v = t[key]
  if v == nil then return default end
  if ty == "integer" then
    if math.type(v) ~= "integer" then
      if math.type(v) == "float" and math.tointeger(v) then
        return math.tointeger(v)
      end
      field_type(fn, key, "integer", v)
    end
  elseif type(v) ~= ty then
    field_type(fn, key, ty, v)
  end
  return v
end

local function opt_enum(fn, t, key, names, default)
  local v = opt(fn, t, key, "string", default)
  for _, n in ipairs(names) do
    if v == n then return v end
  end
  fail("%s: bad field '%s' ('%s' expected, got '%s')", fn, key,
       table.concat(names, "' or '"), tostring(v))
end

local function opt_positive(fn, t, key, default)
  local v = opt(fn, t, key, "integer", default)
  if v < 1 then fail("%s: bad field '%s' (%d is not >= 1)", fn, key, v) end
  return v
end

local function string_list(fn, key, v, allow_all)
  if allow_all and v == "all" then return "all" end
  if type(v) ~= "table" or #v == 0 then
    field_type(fn, key, allow_all and "'all' or list of strings"
               or "non-empty list of strings", v)
  end
  for i, s in ipairs(v) do
    if type(s) ~= "string" then
      fail("%s: bad field '%s' (entry %d: string expected, got %s)", fn, key,
           i, typename(s))
    end
  end
  return v
end

-- learner=: a learner's name (bound after setup) or a learner handle.
local function check_learner(fn, v)
  if v ~= nil and type(v) ~= "string" and typename(v) ~= "learner" then
    field_type(fn, "learner", "learner name or learner", v)
  end
  return v
end

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

-- ---- view specs ----------------------------------------------------------

local view_fields = {
  curves = { "kind", "title", "series", "x", "y", "ymin", "ymax", "markers",
             "xlabel", "learner" },
  spectrum = { "kind", "title", "layer", "log", "learner" },
  rank_heatmap = { "kind", "title", "layers", "metric", "learner" },
  neurons = { "kind", "title", "layer", "learner" },
  heatmap = { "kind", "title", "matrix", "rows", "cols", "vmin", "vmax",
              "learner" },
}
local view_kinds = { "curves", "spectrum", "rank_heatmap", "neurons",
                     "heatmap" }

local function view_spec(kind, fn, t)
  if type(t) ~= "table" then
    fail("%s: bad argument #1 'spec' (table expected, got %s)", fn,
         typename(t))
  end
  check_fields(fn, t, view_fields[kind])
  local v = { kind = kind, title = opt(fn, t, "title", "string", nil) }
  -- learner=: the names shown are that learner's ("a" -> a/train/loss);
  -- curves may name several learners, one series per learner and name
  if t.learner ~= nil then
    if kind == "curves" and type(t.learner) == "table" then
      v.learner = string_list(fn, "learner", t.learner, false)
    elseif type(t.learner) == "string" then
      v.learner = t.learner
    else
      field_type(fn, "learner", kind == "curves"
                 and "learner name or list of names" or "learner name",
                 t.learner)
    end
  end
  if kind == "curves" then
    if t.series == nil then fail("%s: field 'series' is required", fn) end
    v.series = string_list(fn, "series", t.series, false)
    v.x = opt_enum(fn, t, "x", { "linear", "log" }, "linear")
    v.y = opt_enum(fn, t, "y", { "linear", "log" }, "linear")
    v.ymin = opt(fn, t, "ymin", "number", nil)
    v.ymax = opt(fn, t, "ymax", "number", nil)
    v.markers = opt(fn, t, "markers", "boolean", true)
    v.xlabel = opt(fn, t, "xlabel", "string", nil)
  elseif kind == "spectrum" then
    v.layer = opt(fn, t, "layer", "string", nil)
    v.log = opt(fn, t, "log", "boolean", true)
  elseif kind == "rank_heatmap" then
    v.layers = string_list(fn, "layers", t.layers or "all", true)
    v.metric = opt_enum(fn, t, "metric", { "srank", "erank" }, "srank")
  elseif kind == "neurons" then
    v.layer = opt(fn, t, "layer", "string", nil)
  elseif kind == "heatmap" then
    if t.matrix == nil then fail("%s: field 'matrix' is required", fn) end
    v.matrix = opt(fn, t, "matrix", "string", nil)
    v.rows = opt(fn, t, "rows", "string", nil)
    v.cols = opt(fn, t, "cols", "string", nil)
    v.vmin = opt(fn, t, "vmin", "number", nil)
    v.vmax = opt(fn, t, "vmax", "number", nil)
    if v.vmin ~= nil and v.vmax ~= nil and not (v.vmin < v.vmax) then
      fail("%s: vmin (%g) must be below vmax (%g)", fn, v.vmin, v.vmax)
    end
  end
  return setmetatable(v, VIEW)
end

M.view = {}
for _, kind in ipairs(view_kinds) do
  M.view[kind] = public(function(t)
    return view_spec(kind, "rs.view." .. kind, t)
  end)
end

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
                       "on_set", "probes", "views" }

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
  s.views = {}
  for i, v in ipairs(opt(fn, def, "views", "table", {})) do
    if getmetatable(v) ~= VIEW then
      if type(v) ~= "table" or view_fields[v.kind] == nil then
        fail("%s: bad field 'views' (entry %d: rs.view.* or {kind=...} " ..
             "expected, got %s)", fn, i, typename(v))
      end
      v = view_spec(v.kind, fn .. ": views[" .. i .. "]", v)
    end
    s.views[i] = v
  end
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

local function layer_list(fn, model, wanted)
  local names = model:layers()
  if wanted == "all" then return names end
  local set = {}
  for _, n in ipairs(names) do set[n] = true end
  for _, n in ipairs(wanted) do
    if not set[n] then
      fail("%s: the model has no layer '%s' (layers: %s)", fn, n,
           #names > 0 and table.concat(names, ", ") or "none")
    end
  end
  return wanted
end

local function middle(list)
  return list[(#list + 1) // 2]
end

-- rs.name (core/names.h through l_learner.c), set by M.install.
local name_of

-- The owner part of a learner's names ("" for the unnamed learner).
local function owner(l)
  return l and l:name() or ""
end

-- The default views when a scene declares none: loss and accuracy of
-- every learner, then per probe kind one view per learner it runs on.
local function default_views(probes, learners)
  local names = {}
  for i, l in ipairs(learners) do names[i] = owner(l) end
  if #names == 0 then names[1] = "" end
  local function series(...)
    local out = {}
    for _, o in ipairs(names) do
      for _, part in ipairs({ ... }) do out[#out + 1] = name_of(o, part) end
    end
    return out
  end
  local v = {
    view_spec("curves", "views", { title = "loss", x = "log", y = "log",
                                   series = series("train/loss",
                                                   "test/loss") }),
    view_spec("curves", "views", { title = "accuracy", x = "log",
                                   series = series("train/acc",
                                                   "test/acc") }),
  }
  for _, p in ipairs(probes) do
    for _, l in ipairs(learners) do
      local o = owner(l)
      if p.learner == nil or p.learner == l or p.learner == o then
        local who = o ~= "" and (" " .. o) or ""
        if p.kind == "rank" then
          v[#v + 1] = view_spec("rank_heatmap", "views", {
            layers = p.layers, learner = o ~= "" and o or nil,
            title = "srank by layer" .. who })
          v[#v + 1] = view_spec("spectrum", "views", {
            learner = o ~= "" and o or nil })
        elseif p.kind == "dead" then
          v[#v + 1] = view_spec("neurons", "views", {
            learner = o ~= "" and o or nil })
        elseif p.kind == "norms" then
          v[#v + 1] = view_spec("curves", "views", {
            title = "norms" .. who, x = "log",
            series = { name_of(o, "norm/weight"), name_of(o, "norm/grad") } })
        elseif p.kind == "linear" then
          v[#v + 1] = view_spec("heatmap", "views", {
            title = "linear probe: test accuracy by layer" .. who,
            matrix = name_of(o, "linear"), rows = "layer", cols = "step" })
        end
      end
    end
  end
  return v
end

-- The learner a spec or view names: nil (the default given), a handle,
-- or a name looked up among the scene's learners.
local function find_learner(fn, state, want, default)
  if want == nil then return default end
  if type(want) ~= "string" then return want end
  for _, l in ipairs(state.all_learners or {}) do
    if owner(l) == want then return l end
  end
  local known = {}
  for _, l in ipairs(state.all_learners or {}) do
    known[#known + 1] = owner(l) ~= "" and owner(l) or "(unnamed)"
  end
  fail("%s: no learner named '%s' (learners: %s)", fn, want,
       #known > 0 and table.concat(known, ", ") or "none")
end

-- One view spec resolved against its learner's model: concrete layers
-- and the full (owner-prefixed) bus names of what it shows.
local function resolve_view(i, v, state)
  local fn = "views[" .. i .. "]"
  local out = { kind = v.kind, title = v.title }
  local single = state.learners and #state.learners == 1
      and state.learners[1] or nil
  local l, o = nil, ""
  if type(v.learner) == "string" then
    l = find_learner(fn, state, v.learner)
    o = owner(l)
  elseif v.learner == nil then
    -- the single learner, else the first setup returned (or made)
    l = single or (state.learners and state.learners[1])
        or (state.all_learners and state.all_learners[1])
    o = owner(l)
  end
  local model = l and l:model() or nil
  local function need_model()
    if model == nil then
      fail("%s: a %s view needs a learner's model (setup returned none; " ..
           "give learner=)", fn, v.kind)
    end
  end
  if v.kind == "curves" then
    local series = {}
    local owners = type(v.learner) == "table" and v.learner
        or { type(v.learner) == "string" and o or nil }
    if type(v.learner) == "table" then
      for _, n in ipairs(owners) do find_learner(fn, state, n) end
    end
    for _, who in ipairs(owners) do
      for _, sname in ipairs(v.series) do
        series[#series + 1] = name_of(who, sname)
      end
    end
    if #owners == 0 then
      for k, sname in ipairs(v.series) do series[k] = sname end
    end
    out.series = json.array(series)
    out.x, out.y, out.markers = v.x, v.y, v.markers
    out.ymin, out.ymax, out.xlabel = v.ymin, v.ymax, v.xlabel
    out.title = out.title or table.concat(series, ", ")
  elseif v.kind == "spectrum" or v.kind == "neurons" then
    need_model()
    local layers = model:layers()
    local layer = v.layer or middle(layers)
    if layer == nil then fail("%s: the model has no layers to show", fn) end
    layer_list(fn, model, { layer })
    out.layer = layer
    if v.kind == "spectrum" then
      out.matrix = name_of(o, "spectrum", layer)
      out.log = v.log
      out.series = json.array({ name_of(o, "probe/srank", layer),
                                name_of(o, "probe/erank", layer) })
      out.title = out.title or ("spectrum " .. layer)
    else
      out.matrix = name_of(o, "neurons", layer)
      out.series = json.array({ name_of(o, "probe/dead", layer) })
      out.title = out.title or ("units " .. layer)
    end
  elseif v.kind == "rank_heatmap" then
    need_model()
    local layers = layer_list(fn, model, v.layers)
    out.layers = json.array(layers)
    out.metric = v.metric
    local series = {}
    for k, layer in ipairs(layers) do
      series[k] = name_of(o, "probe", v.metric, layer)
    end
    out.series = json.array(series)
    out.title = out.title or (v.metric .. " by layer")
  else
    out.matrix = type(v.learner) == "string" and name_of(o, v.matrix)
        or v.matrix
    out.rows, out.cols = v.rows, v.cols
    out.vmin, out.vmax = v.vmin, v.vmax
    out.title = out.title or v.matrix
  end
  return out
end

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
  local learners = state.learners or {}
  if #learners == 0 then learners = state.all_learners or {} end
  local views = #scene.views > 0 and scene.views
      or default_views(probes, learners)
  local out = {}
  local has_model = #learners > 0
  for i, v in ipairs(views) do
    if (v.kind ~= "curves" and v.kind ~= "heatmap") and not has_model then
      -- a default view without a model is simply left out
      if #scene.views > 0 then resolve_view(i, v, state) end
    else
      out[#out + 1] = resolve_view(i, v, state)
    end
  end
  local text = json.encode({ version = 1, title = scene.title,
                             notes = scene.notes, views = json.array(out) },
                           "views")
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

-- A change of a param: the text of the event and whether it applied at
-- once (else it waits for a restart). Without on_set, lr and weight_decay
-- go to every learner setup returned.
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
  name_of = rs.name
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
