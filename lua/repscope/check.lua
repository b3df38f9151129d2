-- repscope - MIT licence, see COPYING.
--
-- repscope.check: the checks shared by the declarative layer
-- (repscope.scene, repscope.views): option fields of a spec table, with
-- errors that name the function and the field; the public wrapper that
-- reports the caller's file:line; and the lookups that check a name
-- against a scene's learners or a model's layers.

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

-- wanted ("all" or a list) checked against the model's layers.
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

-- The owner part of a learner's names ("" for the unnamed learner).
local function owner(l)
  return l and l:name() or ""
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

return {
  fail = fail,
  public = public,
  typename = typename,
  check_fields = check_fields,
  field_type = field_type,
  opt = opt,
  opt_enum = opt_enum,
  opt_positive = opt_positive,
  string_list = string_list,
  check_learner = check_learner,
  layer_list = layer_list,
  owner = owner,
  find_learner = find_learner,
}
