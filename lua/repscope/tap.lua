-- repscope - MIT licence, see COPYING.
--
-- repscope.tap (preloaded as `tap` by `repscope --test FILE`): a TAP
-- producer for Lua tests in the spirit of c-tap-harness, on stdout.
--
--   tap.plan(n)                      (or no plan: printed at the end)
--   tap.ok(cond, name)
--   tap.is(got, want, name)          got == want
--   tap.is_near(got, want, tol, name)  |got - want| <= tol
--   tap.like(s, pattern, name)       string.find(s, pattern)
--   tap.has(s, text, name)           plain substring
--   tap.error_like(f, pattern, name) f() raises, the message matches
--   tap.error_is(f, text, name)      f() raises exactly text (after the
--                                    "file:line: " position)
--   tap.skip(n, why), tap.diag(...), tap.done()
-- plus the recorder and scene runner of repscope.test (tap.logged(),
-- tap.series(name), tap.matrix(name), tap.printed(), tap.events(),
-- tap.clear(), tap.scene(path, overrides, opts), tap.read_ckpt(path),
-- tap.srcdir()). The runner calls tap.finish() after the file: it prints
-- the plan if needed and returns the exit status.

local T = require "repscope.test"

local M = {}
local planned, count, failed, finished = nil, 0, 0, false

for k, v in pairs(T) do M[k] = v end

-- T.out writes a line on stdout without io (repscope --safe --test)
local out = T.out

function M.diag(...)
  local parts = table.pack(...)
  for i = 1, parts.n do parts[i] = tostring(parts[i]) end
  local text = table.concat(parts, " ")
  for line in (text .. "\n"):gmatch("(.-)\n") do out("# " .. line) end
end

function M.plan(n)
  assert(planned == nil, "tap.plan: plan already set")
  planned = n
  out("1.." .. n)
end

function M.ok(cond, name)
  count = count + 1
  local line = (cond and "ok " or "not ok ") .. count
  if name ~= nil and name ~= "" then line = line .. " - " .. name end
  out(line)
  if not cond then
    failed = failed + 1
    -- the first caller outside this file
    for level = 2, 12 do
      local dbg = rawget(_G, "debug") -- nil under --safe
      local info = dbg and dbg.getinfo(level, "Sl")
      if info == nil then break end
      if not info.short_src:find("tap%.lua$") and info.currentline > 0 then
        M.diag(string.format("  failed at %s:%d", info.short_src,
                             info.currentline))
        break
      end
    end
  end
  return cond and true or false
end

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  if math.type(v) == "float" then return string.format("%.17g", v) end
  return tostring(v)
end

function M.is(got, want, name)
  local ok = M.ok(got == want, name)
  if not ok then
    M.diag("       got: " .. show(got))
    M.diag("  expected: " .. show(want))
  end
  return ok
end

function M.is_near(got, want, tol, name)
  local ok = type(got) == "number" and math.abs(got - want) <= tol
  M.ok(ok, name)
  if not ok then
    M.diag("       got: " .. show(got))
    M.diag("  expected: " .. show(want) .. " +- " .. show(tol))
  end
  return ok
end

function M.like(s, pattern, name)
  local ok = type(s) == "string" and s:find(pattern) ~= nil
  M.ok(ok, name)
  if not ok then
    M.diag("    string: " .. show(s))
    M.diag("   pattern: " .. show(pattern))
  end
  return ok
end

function M.has(s, text, name)
  local ok = type(s) == "string" and s:find(text, 1, true) ~= nil
  M.ok(ok, name)
  if not ok then
    M.diag("    string: " .. show(s))
    M.diag("  contains: " .. show(text))
  end
  return ok
end

-- The message of an error raised by f(...), or nil if it returned.
local function raised(f, ...)
  local ok, err = pcall(f, ...)
  if ok then return nil end
  return tostring(err)
end

-- msg without a leading "chunk:line: " position.
function M.strip_position(msg)
  return (msg:gsub("^[^\n]-:%d+: ", "", 1))
end

function M.error_like(f, pattern, name)
  local msg = raised(f)
  if msg == nil then
    M.ok(false, name)
    M.diag("  no error raised")
    return nil
  end
  M.like(msg, pattern, name)
  return msg
end

function M.error_is(f, text, name)
  local msg = raised(f)
  if msg == nil then
    M.ok(false, name)
    M.diag("  no error raised")
    return nil
  end
  M.is(M.strip_position(msg), text, name)
  return msg
end

function M.skip(n, why)
  for _ = 1, n do
    count = count + 1
    out("ok " .. count .. " # SKIP " .. (why or ""))
  end
end

function M.done()
  if finished then return end
  finished = true
  if planned == nil then out("1.." .. count) end
end

-- Called by the runner after the test file: the exit status.
function M.finish()
  M.done()
  if planned ~= nil and planned ~= count then
    M.diag(string.format("planned %d tests but ran %d", planned, count))
    return 1
  end
  return failed > 0 and 1 or 0
end

return M
