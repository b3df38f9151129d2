-- repscope - MIT licence, see COPYING.
--
-- repscope.json: a small JSON encoder for the view specs and the params
-- record. Objects are written with sorted keys (so the text is the same
-- on every run); a table is an array when its keys are exactly 1..n
-- (n >= 1), an object otherwise; json.array(t) marks an empty array.
-- Integers print as integers, other numbers in the shortest form that
-- reads back exactly (15 to 17 significant digits),
-- non-finite numbers as null. Encoding a function, userdata or a cycle is
-- an error naming the path ("views[2].series").

local M = {}

local ARRAY = setmetatable({}, { __mode = "k" })

-- Mark t (possibly empty) as an array; returns t.
function M.array(t)
  ARRAY[t] = true
  return t
end

local escapes = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function is_array(t)
  if ARRAY[t] then return true end
  local n = #t
  if n == 0 then return false end
  local count = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
    count = count + 1
  end
  return count == n
end

local encode

local function encode_table(t, path, seen, out)
  if seen[t] then error("json: cycle at " .. path, 0) end
  seen[t] = true
  if is_array(t) then
    out[#out + 1] = "["
    for i = 1, #t do
      if i > 1 then out[#out + 1] = "," end
      encode(t[i], path .. "[" .. i .. "]", seen, out)
    end
    out[#out + 1] = "]"
  else
    local keys = {}
    for k in pairs(t) do
      if type(k) ~= "string" then
        error("json: non-string key at " .. path, 0)
      end
      keys[#keys + 1] = k
    end
    table.sort(keys)
    out[#out + 1] = "{"
    for i, k in ipairs(keys) do
      if i > 1 then out[#out + 1] = "," end
      out[#out + 1] = quote(k)
      out[#out + 1] = ":"
      encode(t[k], path .. "." .. k, seen, out)
    end
    out[#out + 1] = "}"
  end
  seen[t] = nil
end

encode = function(v, path, seen, out)
  local ty = type(v)
  if ty == "nil" then
    out[#out + 1] = "null"
  elseif ty == "boolean" then
    out[#out + 1] = tostring(v)
  elseif ty == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      out[#out + 1] = "null"
    elseif math.type(v) == "integer" then
      out[#out + 1] = string.format("%d", v)
    else
      local text
      for digits = 15, 17 do
        text = string.format("%." .. digits .. "g", v)
        if tonumber(text) == v then break end
      end
      if not text:find("[%.eEn]") then text = text .. ".0" end
      out[#out + 1] = text
    end
  elseif ty == "string" then
    out[#out + 1] = quote(v)
  elseif ty == "table" then
    encode_table(v, path, seen, out)
  else
    error("json: cannot encode a " .. ty .. " at " .. path, 0)
  end
end

-- The JSON text of v; path names the root in error messages.
function M.encode(v, path)
  local out = {}
  encode(v, path or "value", {}, out)
  return table.concat(out)
end

return M
