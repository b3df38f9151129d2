-- t_sandbox.lua: --safe against a list of escapes, each refused with the
-- message asserted here. Run by tests/sh/t_sandbox.sh as
--   repscope --safe --lua-mem 64M --test tests/lua/t_sandbox.lua
-- so this file itself runs in the restricted state (a scene loaded with
-- --safe gets the same globals through its guarded environment). The
-- list, with what each refusal says, is in repscope-lua(7), SANDBOX.
local tap = require "tap"
local rs = require "repscope"

if not rs.safe then
  tap.skip(1, "run with --safe (tests/sh/t_sandbox.sh does)")
  tap.done()
  return
end

local function gone(name)
  return name .. " is not available in --safe mode"
end

-- 1. files, processes, the environment: io, os, dofile/loadfile
tap.error_is(function() return io.open("/etc/passwd") end, gone("io"),
             "io.open")
tap.error_is(function() return io.popen("id") end, gone("io"), "io.popen")
tap.error_is(function() for l in io.lines("/etc/passwd") do end end,
             gone("io"), "io.lines")
for _, f in ipairs{ "execute", "remove", "rename", "exit", "getenv",
                    "tmpname", "setlocale" } do
  tap.error_is(function() return os[f]("x") end, gone("os." .. f),
               "os." .. f)
end
tap.error_is(function() return dofile("/etc/passwd") end, gone("dofile"),
             "dofile")
tap.error_is(function() return loadfile("/etc/passwd") end,
             gone("loadfile"), "loadfile")
tap.ok(type(os.time()) == "number" and type(os.clock()) == "number" and
       os.date("%Y"):match("^%d+$") ~= nil, "os.time, os.clock, os.date stay")
tap.is(rawget(_G, "io"), nil, "rawget(_G, 'io') is nil: nothing to reach")

-- 2. native code: package.loadlib, cpath, the C searchers
tap.error_is(function() return package.loadlib("libc.so.6", "system") end,
             gone("package.loadlib"), "package.loadlib")
tap.error_is(function() return package.searchpath("passwd", "/etc/?") end,
             gone("package.searchpath"),
             "package.searchpath (a file-existence oracle)")
tap.is(package.cpath, "", "package.cpath is empty")
tap.is(#package.searchers, 2, "two searchers: preload and Lua files")
package.cpath = "/usr/lib/x86_64-linux-gnu/lua/5.4/?.so;" ..
                "/usr/local/lib/lua/5.4/?.so"
local msg = tap.error_like(function() return require "lpeg" end,
                           "module 'lpeg' not found",
                           "a C module is not found even with a cpath set")
tap.ok(msg and not msg:find("%.so"), "no C path was searched")
package.cpath = ""
table.insert(package.searchers, 1, function(name)
  return function() return "mine" end
end)
tap.is(require "my_own_thing", "mine",
       "a searcher written in Lua runs Lua only (allowed)")
table.remove(package.searchers, 1)
package.loaded.my_own_thing = nil

-- 3. debug
tap.error_is(function() return debug.getregistry() end, gone("debug"),
             "debug.getregistry")
tap.error_is(function() return debug.sethook() end, gone("debug"),
             "debug.sethook")
tap.error_is(function() return debug.getupvalue(print, 1) end, gone("debug"),
             "debug.getupvalue")

-- 4. bytecode: no string.dump, and load takes text only
tap.error_is(function() return string.dump(print) end, gone("string.dump"),
             "string.dump")
tap.error_is(function() return ("x"):dump() end, gone("string.dump"),
             "(''):dump through the string metatable")
local f, err = load("\27Lua\84\0\25\147\13\10\26\10\4\8\8", "=evil")
tap.is(f, nil, "a hand-made \\27Lua chunk is refused")
tap.like(err, "attempt to load a binary chunk %(mode is 't'%)",
         "with Lua's message")
f, err = load("\27Lua", "=evil", "b")
tap.like(err, "mode is 't'", "mode 'b' is forced to 't'")
local parts = { "\27Lu", "a\84\0" }
f, err = load(function() return table.remove(parts, 1) end, "=evil")
tap.like(err, "binary chunk", "a reader function handing out bytecode")

-- 5. memory: a clean "not enough memory" under the cap (64M here)
tap.error_is(function() return string.rep("x", 1 << 30) end,
             "not enough memory", "string.rep bomb")
tap.error_is(function()
  local s = "x"
  while true do s = s .. s end
end, "not enough memory", "string doubling")
tap.error_is(function()
  local t = {}
  for i = 1, 1e9 do t[i] = { i } end
end, "not enough memory", "table bomb")
collectgarbage("stop")
tap.error_is(function()
  local t = {}
  for i = 1, 1e9 do t[i] = i end
end, "not enough memory", "table bomb with the collector stopped")
tap.ok(not collectgarbage("isrunning"), "the collector is still stopped")
collectgarbage("restart")
msg = tap.error_like(function() return rs.tensor.zeros{ 100000, 100000 } end,
                     "rs.tensor.zeros: not enough memory %(a tensor of " ..
                     "38146 MiB; the memory limit is 64 MiB",
                     "a huge tensor is refused before it is allocated")
collectgarbage("stop")
local made = 0
for _ = 1, 100 do -- 100 x 4e6 bytes, garbage each time, collector stopped
  local t = rs.tensor.zeros{ 1000, 1000 }
  made = made + t:numel()
end
tap.is(made, 100 * 1000 * 1000,
       "tensors the collector must reclaim (stopped) do not fail")
local keep = {}
tap.error_like(function()
  for i = 1, 100 do keep[i] = rs.tensor.zeros{ 1000, 1000 } end
end, "not enough memory", "tensors kept past the cap fail")
-- 64 MiB / 4e6 bytes: 16 at most, less what the Lua heap holds
tap.ok(#keep >= 10 and #keep <= 16, "after " .. #keep .. " of 4e6 bytes")
keep = nil
collectgarbage("restart")
collectgarbage()
tap.ok(rs.tensor.zeros{ 1000, 1000 }:numel() == 1e6,
       "tensors work again once freed")
tap.ok(rs.mem() < 16 << 20, "the Lua heap is back down")

-- 6. deep recursion: Lua stack and C stack
msg = tap.error_like(function()
  local function f() return 1 + f() end
  return f()
end, "", "Lua recursion fails")
tap.ok(msg and (msg:find("stack overflow") or msg:find("not enough memory")),
       "with a stack overflow or a memory error: " .. tostring(msg and
       msg:sub(1, 60)))
tap.error_like(function()
  local t = setmetatable({}, {
    __tostring = function(s) return tostring(s) end,
  })
  return tostring(t)
end, "C stack overflow", "__tostring recursion")
tap.error_like(function()
  local function g(s) return (string.gsub(s, ".", g)) end
  return g("x")
end, "C stack overflow", "string.gsub recursion")
tap.error_like(function()
  local function w() return coroutine.wrap(w)() end
  return w()
end, "C stack overflow", "coroutine.wrap recursion")
tap.error_like(function()
  local t = setmetatable({}, {})
  getmetatable(t).__index = t
  return t.x
end, "'__index' chain too long", "an __index loop")

-- C loops out of the count hook's reach, with nothing to allocate
tap.error_is(function() return table.move({}, 1, 1 << 40, 2) end,
             "table.move: more than 16777216 elements in --safe mode",
             "table.move of 2^40 nils (hours in one C call)")
tap.error_is(function() return table.move({}, -(1 << 62), 1 << 62, 1) end,
             "table.move: more than 16777216 elements in --safe mode",
             "table.move from a negative index")
tap.is(#table.move({ 1, 2, 3 }, 1, 3, 2), 4, "a plain table.move works")
tap.is(string.rep("", 1 << 50), "", "string.rep('', 2^50) returns at once")
tap.is(string.rep("", 1 << 50, ""), "", "with an empty separator too")
tap.is(("ab"):rep(3, "-"), "ab-ab-ab", "string.rep works")
tap.error_like(function() return string.rep() end,
               "bad argument #1 to 'rep'", "its argument errors")

-- names: each series lives in the bus and the run log for the whole run,
-- outside the memory cap, so a safe state gets 4096 distinct names
tap.error_is(function()
  for i = 1, 5000 do rs.log("n" .. i, 1) end
end, "rs.log: more than 4096 distinct names in --safe mode",
   "rs.log of 5000 new names")
tap.ok(pcall(rs.log, "n1", 2), "a name already used still logs")
tap.error_is(function() rs.matrix("m_new", rs.tensor.zeros{ 2, 2 }) end,
             "rs.matrix: more than 4096 distinct names in --safe mode",
             "rs.matrix under a new name counts too")

-- 7. metatables: the string metatable and the handles' are not handed out
tap.is(getmetatable(""), false, "getmetatable('') is false")
tap.error_like(function() rawset(getmetatable(""), "__index", {}) end,
               "bad argument #1 to 'rawset' %(table expected, got boolean%)",
               "rawset on it has no table")
tap.error_like(function() setmetatable("", {}) end,
               "bad argument #1 to 'setmetatable' %(table expected",
               "setmetatable on a string")
tap.is(("abc"):upper(), "ABC", "string methods still work")
local t = rs.tensor.zeros{ 2 }
local mt = getmetatable(t)
tap.is(mt.__name, "repscope.tensor", "a handle's metatable: a copy with __name")
tap.is(mt.__gc, nil, "without __gc")
mt.__index = function() error("hijacked") end
tap.is(t:numel(), 2, "changing it changes nothing")
tap.error_like(function() setmetatable(_G, nil) end,
               "cannot change a protected metatable",
               "_G's guard cannot be removed")
tap.error_like(function() setmetatable(os, {}) end,
               "cannot change a protected metatable",
               "nor os's")
tap.error_is(function() setmetatable({}, { __gc = function() end }) end,
             "setmetatable: a __gc metamethod is not allowed in --safe " ..
             "mode (a finalizer cannot be canceled)",
             "__gc (a finalizer runs with the count hook off)")
tap.ok(setmetatable({}, { __close = function() end }),
       "other metamethods are fine")

-- 8. require: plain names on the host's path only
-- (the climb is spelled in pieces: tests/sh/t_paths.sh reads this file)
local up = ".." .. "/"
for _, name in ipairs{ up .. "x", "/etc/passwd", "a/b", "x..y", ".x", "x." } do
  tap.error_is(function() return require(name) end,
               "require: module name '" .. name .. "' is not allowed in " ..
               "--safe mode (dot-separated words of letters, digits, '_' " ..
               "and '-')", "require '" .. name .. "'")
end
tap.ok(require "repscope.scene", "require of a builtin module works")
local saved = package.path
package.path = "/etc/?;" .. saved
tap.error_is(function() return require "passwd" end,
             "require: package.path was changed: --safe mode searches only " ..
             "the builtin library and the scene's directory",
             "a changed package.path is refused")
package.path = saved
tap.error_like(function() return require "no_such_module" end,
               "module 'no_such_module' not found", "a missing module")

-- files through repscope's own readers: names, or paths inside the
-- scene's directory / the builtin library (no scene here: the library)
local function outside(fn, key, path)
  return fn .. ": bad field '" .. key .. "' ('" .. path .. "': outside " ..
         "the scene's directory, not allowed in --safe mode)"
end
tap.error_is(function() return rs.data.text{ sources = { "/etc/passwd" } } end,
             outside("rs.data.text", "sources", "/etc/passwd"),
             "rs.data.text of a file elsewhere")
local climb = up:rep(6) .. "etc/passwd"
tap.error_is(function() return rs.data.text{ sources = { climb } } end,
             outside("rs.data.text", "sources", climb),
             "rs.data.text of a relative path out")
tap.error_is(function() return rs.data.fmnist{ dir = "/etc" } end,
             outside("rs.data.fmnist", "dir", "/etc"),
             "rs.data.fmnist{dir = ...} elsewhere")
tap.error_is(function() return rs.data.imgtext{ dir = "/etc" } end,
             outside("rs.data.imgtext", "dir", "/etc"),
             "rs.data.imgtext{dir = ...} elsewhere")
local own = tap.srcdir() .. "/lua/repscope/tap.lua"
local ok_text = rs.data.text{ sources = { own }, test_frac = 0 }
tap.ok(ok_text ~= nil, "a file of the builtin library is allowed")

-- 9. collectgarbage tricks are harmless under the cap
tap.ok(collectgarbage("count") > 0, "collectgarbage('count')")
tap.ok(collectgarbage("step", 1 << 20) ~= nil, "a huge step returns")
collectgarbage("incremental", 0, 0)
collectgarbage("generational")
tap.ok(collectgarbage("isrunning"), "running after mode changes")

-- 10. what stays
tap.is(rs.safe, true, "rs.safe")
tap.ok(type(coroutine.wrap) == "function" and type(utf8.char) == "function",
       "coroutine and utf8 stay")
tap.is(load("return 6 * 7")(), 42, "load of text works")

tap.done()
