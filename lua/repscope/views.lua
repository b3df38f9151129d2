-- repscope - MIT licence, see COPYING.
--
-- repscope.views: view specs, rs.view.curves{...}, spectrum{...},
-- rank_heatmap{...}, neurons{...}, heatmap{...}, image{...}, frame{...}
-- (learner= shows a learner's names), align{...} and patches{...}
-- (learners=: one matrix per learner), profile{...}, bars{...} and
-- text{...} (learner= or learners=), scatter{...} (two series per
-- learner, learner= or learners=), and their resolution after setup:
-- the default views when a scene declares none, and each view resolved
-- against its learner's model into concrete layers and full bus names,
-- built with rs.name (core/names.h), never pasted here. repscope.scene
-- validates a scene's views with spec and resolves them with resolve; the
-- shapes are documented in repscope-lua(7).

local json = require "repscope.json"
local check = require "repscope.check"

local fail, public, typename = check.fail, check.public, check.typename
local check_fields, field_type = check.check_fields, check.field_type
local opt, opt_enum, string_list = check.opt, check.opt_enum,
    check.string_list
local layer_list, owner, find_learner = check.layer_list, check.owner,
    check.find_learner

local M = {}

local VIEW = { __name = "repscope.view" }

local view_fields = {
  curves = { "kind", "title", "series", "x", "y", "ymin", "ymax", "markers",
             "xlabel", "xfrom", "band", "learner", "groups" },
  spectrum = { "kind", "title", "layer", "log", "learner" },
  rank_heatmap = { "kind", "title", "layers", "metric", "learner" },
  neurons = { "kind", "title", "layer", "learner" },
  heatmap = { "kind", "title", "matrix", "rows", "cols", "vmin", "vmax",
              "learner" },
  image = { "kind", "title", "matrix", "vmin", "vmax", "learner" },
  frame = { "kind", "title", "matrix", "glyphs", "colors", "wide", "labels",
            "learner" },
  align = { "kind", "title", "learners", "matrix", "truth", "grid", "vmin",
            "vmax" },
  patches = { "kind", "title", "learners", "matrix", "truth" },
  profile = { "kind", "title", "matrix", "learners", "learner", "mark",
              "mark_label", "x", "y", "ymin", "ymax", "xlabel", "ylabel" },
  bars = { "kind", "title", "matrix", "learners", "learner", "vmin",
           "vmax" },
  text = { "kind", "title", "matrix", "learners", "learner", "vmin",
           "vmax" },
  scatter = { "kind", "title", "x", "y", "learners", "learner", "xlabel",
              "ylabel", "x_log", "y_log", "xmin", "xmax", "ymin", "ymax" },
}
local view_kinds = { "curves", "spectrum", "rank_heatmap", "neurons",
                     "heatmap", "image", "align", "patches", "frame",
                     "profile", "bars", "text", "scatter" }

-- The views that read one matrix per learner, named in learner= or
-- learners= (or none: the matrix as written).
local per_learner = { profile = true, bars = true, text = true }

-- The most learners an align or patches view shows side by side
-- (RS_VIEWSPEC_SERIES_MAX in ui/viewspec.h).
local LEARNERS_MAX = 8

-- vmin/vmax of a view, checked: numbers, vmin below vmax.
local function value_range(fn, t, v)
  v.vmin = opt(fn, t, "vmin", "number", nil)
  v.vmax = opt(fn, t, "vmax", "number", nil)
  if v.vmin ~= nil and v.vmax ~= nil and not (v.vmin < v.vmax) then
    fail("%s: vmin (%g) must be below vmax (%g)", fn, v.vmin, v.vmax)
  end
end

-- The most codes a frame view draws (RS_FRAME_CODES_MAX in ui/frame.h).
local CODES_MAX = 63

-- glyphs= and colors= of a frame view: one printable ASCII character per
-- code; one colour letter (k r g y b m c w, upper case bold) or '-' (the
-- terminal's colour) per code, no more letters than glyphs.
local function frame_style(fn, t, v)
  v.glyphs = opt(fn, t, "glyphs", "string", nil)
  if v.glyphs ~= nil and (#v.glyphs < 1 or #v.glyphs > CODES_MAX
                          or v.glyphs:find("[^\32-\126]")) then
    fail("%s: bad field 'glyphs' (1 to %d printable ASCII characters " ..
         "expected, one per code)", fn, CODES_MAX)
  end
  v.colors = opt(fn, t, "colors", "string", nil)
  if v.colors ~= nil then
    local bad = v.colors:find("[^krgybmcwKRGYBMCW%-]")
    if bad then
      fail("%s: bad field 'colors' ('%s' at %d is no colour: one of " ..
           "k r g y b m c w per code, upper case bold, '-' none)", fn,
           v.colors:sub(bad, bad), bad)
    end
    local most = v.glyphs and #v.glyphs or CODES_MAX
    if #v.colors > most then
      fail("%s: bad field 'colors' (%d letters for %d %s)", fn, #v.colors,
           most, v.glyphs and "glyphs" or "codes at most")
    end
  end
  v.wide = opt(fn, t, "wide", "boolean", false)
end

-- The most rows a frame view labels and the most characters of a label
-- (RS_VIEWSPEC_ROWLABELS_MAX in ui/viewspec.h, RS_FRAME_LABEL_W in
-- ui/frame.h).
local LABELS_MAX, LABEL_LEN = 16, 15

-- labels= of a frame view: one string per row from the top ("" for
-- none), at most LABELS_MAX of them, each of at most LABEL_LEN
-- characters of UTF-8.
local function row_labels(fn, t)
  if t.labels == nil then return nil end
  if type(t.labels) ~= "table" then
    field_type(fn, "labels", "list of strings", t.labels)
  end
  local l = {}
  for i, s in ipairs(t.labels) do
    if type(s) ~= "string" then
      fail("%s: bad field 'labels' (entry %d: string expected, got %s)", fn,
           i, typename(s))
    end
    local n = utf8.len(s)
    if n == nil then
      fail("%s: bad field 'labels' (entry %d is not UTF-8)", fn, i)
    elseif n > LABEL_LEN then
      fail("%s: bad field 'labels' (entry %d has %d characters, at most %d)",
           fn, i, n, LABEL_LEN)
    end
    l[i] = s
  end
  if #l > LABELS_MAX then
    fail("%s: bad field 'labels' (at most %d labels, one per row, got %d)",
         fn, LABELS_MAX, #l)
  end
  return l
end

-- learners= of an align or patches view: 1 .. LEARNERS_MAX names.
local function learner_names(fn, t)
  if t.learners == nil then fail("%s: field 'learners' is required", fn) end
  local l = string_list(fn, "learners", t.learners, false)
  if #l > LEARNERS_MAX then
    fail("%s: bad field 'learners' (at most %d learners, got %d)", fn,
         LEARNERS_MAX, #l)
  end
  return l
end

local function view_spec(kind, fn, t)
  if type(t) ~= "table" then
    fail("%s: bad argument #1 'spec' (table expected, got %s)", fn,
         typename(t))
  end
  check_fields(fn, t, view_fields[kind])
  local v = { kind = kind, title = opt(fn, t, "title", "string", nil) }
  -- learner=: the names shown are that learner's ("a" -> a/train/loss);
  -- curves may name several learners, one series per learner and name
  -- (align and patches name theirs in learners=)
  if (per_learner[kind] or kind == "scatter") and t.learner ~= nil
      and t.learners ~= nil then
    fail("%s: give learner= or learners=, not both", fn)
  end
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
    v.xfrom = opt_enum(fn, t, "xfrom", { "zero", "data" }, "zero")
    v.band = opt(fn, t, "band", "boolean", false)
    -- groups=: owners the scene logs under itself (rs.log("vanilla/eval/
    -- far", v): a mean over several learners), not learners
    if t.groups ~= nil then
      if t.learner ~= nil then
        fail("%s: give learner= or groups=, not both", fn)
      end
      v.groups = string_list(fn, "groups", t.groups, false)
    end
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
    value_range(fn, t, v)
  elseif kind == "image" then
    if t.matrix == nil then fail("%s: field 'matrix' is required", fn) end
    v.matrix = opt(fn, t, "matrix", "string", nil)
    value_range(fn, t, v)
  elseif kind == "frame" then
    v.matrix = opt(fn, t, "matrix", "string", "env/frame")
    frame_style(fn, t, v)
    v.labels = row_labels(fn, t)
  elseif kind == "align" then
    v.learners = learner_names(fn, t)
    v.matrix = opt(fn, t, "matrix", "string", "align")
    v.truth = opt(fn, t, "truth", "string", nil)
    v.grid = opt(fn, t, "grid", "integer", 2)
    if v.grid < 1 or v.grid > 16 then
      fail("%s: bad field 'grid' (items per side, 1 to 16, got %d)", fn,
           v.grid)
    end
    value_range(fn, t, v)
  elseif kind == "patches" then
    v.learners = learner_names(fn, t)
    if t.matrix == nil then fail("%s: field 'matrix' is required", fn) end
    v.matrix = opt(fn, t, "matrix", "string", nil)
    v.truth = opt(fn, t, "truth", "string", nil)
  elseif kind == "scatter" then
    for _, f in ipairs({ "x", "y" }) do
      if t[f] == nil then fail("%s: field '%s' is required", fn, f) end
      v[f] = opt(fn, t, f, "string", nil)
    end
    if t.learners ~= nil then v.learners = learner_names(fn, t) end
    v.x_log = opt(fn, t, "x_log", "boolean", false)
    v.y_log = opt(fn, t, "y_log", "boolean", false)
    for _, a in ipairs({ "x", "y" }) do
      local lo = opt(fn, t, a .. "min", "number", nil)
      local hi = opt(fn, t, a .. "max", "number", nil)
      if lo ~= nil and hi ~= nil and not (lo < hi) then
        fail("%s: %smin (%g) must be below %smax (%g)", fn, a, lo, a, hi)
      end
      if lo ~= nil and lo <= 0 and v[a .. "_log"] then
        fail("%s: %smin (%g) must be positive on a log axis", fn, a, lo)
      end
      v[a .. "min"], v[a .. "max"] = lo, hi
    end
    v.xlabel = opt(fn, t, "xlabel", "string", nil)
    v.ylabel = opt(fn, t, "ylabel", "string", nil)
  elseif per_learner[kind] then
    if t.matrix == nil then fail("%s: field 'matrix' is required", fn) end
    v.matrix = opt(fn, t, "matrix", "string", nil)
    if t.learners ~= nil then v.learners = learner_names(fn, t) end
    if kind == "profile" then
      v.mark = opt(fn, t, "mark", "number", nil)
      v.mark_label = opt(fn, t, "mark_label", "string", nil)
      v.x = opt_enum(fn, t, "x", { "linear", "log" }, "linear")
      v.y = opt_enum(fn, t, "y", { "linear", "log" }, "linear")
      v.ymin = opt(fn, t, "ymin", "number", nil)
      v.ymax = opt(fn, t, "ymax", "number", nil)
      if v.ymin ~= nil and v.ymax ~= nil and not (v.ymin < v.ymax) then
        fail("%s: ymin (%g) must be below ymax (%g)", fn, v.ymin, v.ymax)
      end
      v.xlabel = opt(fn, t, "xlabel", "string", nil)
      v.ylabel = opt(fn, t, "ylabel", "string", nil)
    else
      value_range(fn, t, v)
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

-- v is a view spec made by rs.view.*.
function M.is_view(v)
  return getmetatable(v) == VIEW
end

-- kind is a view kind.
function M.is_kind(kind)
  return view_fields[kind] ~= nil
end

M.spec = view_spec

-- ---- resolution after setup ----------------------------------------------

local function middle(list)
  return list[(#list + 1) // 2]
end

-- rs.name (core/names.h through l_learner.c), set by M.install.
local name_of

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
    local owners = v.groups or type(v.learner) == "table" and v.learner
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
    out.xfrom = v.xfrom == "data" and "data" or nil
    -- the UI reads each series' <name>_lo and <name>_hi for it
    out.band = v.band or nil
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
  elseif v.kind == "align" or v.kind == "patches" then
    -- each learner's matrix under its prefix; the truth as written
    local mats = {}
    for k, n in ipairs(v.learners) do
      mats[k] = name_of(owner(find_learner(fn, state, n)), v.matrix)
    end
    out.matrices = json.array(mats)
    out.learners = json.array(v.learners)
    out.truth = v.truth
    out.grid = v.grid
    out.vmin, out.vmax = v.vmin, v.vmax
    out.title = out.title or (v.kind == "align" and "alignment"
                              or "patch classes")
  elseif v.kind == "scatter" then
    -- each learner's two series under its prefix, else as written; in
    -- the JSON the x series are series[] (x and y are the axes' scales,
    -- as for curves)
    local names = v.learners or (type(v.learner) == "string"
                                 and { v.learner }) or nil
    local xs, ys = {}, {}
    for k, n in ipairs(names or {}) do
      local who = owner(find_learner(fn, state, n))
      xs[k], ys[k] = name_of(who, v.x), name_of(who, v.y)
    end
    if names == nil then xs[1], ys[1] = v.x, v.y end
    out.series, out.yseries = json.array(xs), json.array(ys)
    out.learners = names and json.array(names) or nil
    out.x = v.x_log and "log" or "linear"
    out.y = v.y_log and "log" or "linear"
    out.xmin, out.xmax, out.ymin, out.ymax = v.xmin, v.xmax, v.ymin, v.ymax
    out.xlabel, out.ylabel = v.xlabel or v.x, v.ylabel or v.y
    out.title = out.title or (v.y .. " by " .. v.x)
  elseif per_learner[v.kind] then
    -- one matrix per learner under its prefix, else as written
    local names = v.learners or (type(v.learner) == "string"
                                 and { v.learner }) or nil
    local mats = {}
    for k, n in ipairs(names or {}) do
      mats[k] = name_of(owner(find_learner(fn, state, n)), v.matrix)
    end
    if names == nil then mats[1] = v.matrix end
    out.matrix = v.matrix
    out.matrices = json.array(mats)
    out.learners = names and json.array(names) or nil
    out.mark, out.mark_label = v.mark, v.mark_label
    out.x, out.y, out.ymin, out.ymax = v.x, v.y, v.ymin, v.ymax
    out.xlabel, out.ylabel = v.xlabel, v.ylabel
    out.vmin, out.vmax = v.vmin, v.vmax
    out.title = out.title or v.matrix
  elseif v.kind == "image" then
    out.matrix = type(v.learner) == "string" and name_of(o, v.matrix)
        or v.matrix
    out.vmin, out.vmax = v.vmin, v.vmax
    out.title = out.title or v.matrix
  elseif v.kind == "frame" then
    -- a learner with an env (rs.rl.ppo) publishes the frame under its
    -- name and lends its env's glyphs and colours; another matrix without
    -- learner= is the scene's own (rs.matrix), read as named
    local info = l ~= nil and l:env_info() or nil
    local own = type(v.learner) == "string"
        or (info ~= nil and v.matrix == "env/frame")
    out.matrix = own and name_of(o, v.matrix) or v.matrix
    out.glyphs = v.glyphs or (info and info.glyphs)
    out.colors = v.colors or (v.glyphs == nil and info and info.colors)
        or nil
    out.wide = v.wide
    out.labels = v.labels and json.array(v.labels) or nil
    out.title = out.title or out.matrix
  else
    out.matrix = type(v.learner) == "string" and name_of(o, v.matrix)
        or v.matrix
    out.rows, out.cols = v.rows, v.cols
    out.vmin, out.vmax = v.vmin, v.vmax
    out.title = out.title or v.matrix
  end
  return out
end

-- The view specs of a scene after setup (its own, or the defaults for
-- probes), resolved: a list of tables for the view-spec JSON.
function M.resolve(state, probes)
  local scene = state.scene
  local learners = state.learners or {}
  if #learners == 0 then learners = state.all_learners or {} end
  local views = #scene.views > 0 and scene.views
      or default_views(probes, learners)
  local out = {}
  local has_model = #learners > 0
  local needs_model = { spectrum = true, neurons = true, rank_heatmap = true }
  for i, v in ipairs(views) do
    if needs_model[v.kind] and not has_model then
      -- a default view without a model is simply left out
      if #scene.views > 0 then resolve_view(i, v, state) end
    else
      out[#out + 1] = resolve_view(i, v, state)
    end
  end
  return out
end

-- Take rs.name (set by repscope.scene's install).
function M.install(rs)
  name_of = rs.name
end

return M
