-- repscope - MIT licence, see COPYING.
--
-- match_diff.lua: tests/t_lua_match.c's differential check of the
-- pattern matcher (lua/host_match.c) against Lua's own string library.
-- Called with Lua's functions (a table: find, match, gmatch, gsub), a
-- seed and a number of patterns; runs each pattern through every
-- function on random subjects, start positions and replacements, with
-- both libraries, and returns per function {cases, errors, found,
-- mismatches, first}: errors counts the cases both raised (the same
-- message), found those that matched, first describes the first
-- mismatch.
local real, seed, npat = ...

math.randomseed(seed)
local function pick(t) return t[math.random(#t)] end

local atoms = {
    "a", "b", "c", ".", "%a", "%d", "%s", "%w", "%A", "%l", "%u", "%p",
    "%x", "%c", "%g", "%.", "%%", "%]", "%z", "[ab]", "[^a]", "[a-c]",
    "[%d%s]", "[]]", "[^]a]", "[a-]", "[%a-z]", "[-a]", "[a-%]", "%b()",
    "%bab", "%f[%w]", "%f[%W]", "%f[a]", "(", ")", "()", "%1", "%2",
    "%0", "x", "-", "^", "$", "\0", "(a)", "(.-)", "(%w+)",
}
local quants = {"", "", "", "*", "+", "-", "?"}
local broken = {"%", "[", "[^", "%b", "%ba", "%f", "%fa", "(", ")", "[a%"}
local letters = {"a", "a", "b", "b", "c", "(", ")", " ", "1", "x", ".", "]",
                 "\0", "-", "^", "$", "A", "%", "\n", "\255"}

local function pattern()
    local parts = {}
    if math.random() < 0.2 then parts[#parts + 1] = "^" end
    for _ = 1, math.random(0, 6) do
        parts[#parts + 1] = pick(atoms) .. pick(quants)
    end
    if math.random() < 0.05 then parts[#parts + 1] = pick(broken) end
    if math.random() < 0.2 then parts[#parts + 1] = "$" end
    return table.concat(parts)
end

local function subject()
    local t = {}
    for i = 1, math.random(0, 14) do t[i] = pick(letters) end
    return table.concat(t)
end

local inits = {false, 1, 2, 3, -1, -2, -5, 0, 13, 40}
local function init() return pick(inits) or nil end

local repls = {
    "<%0>", "%1", "%2", "%%", "x%", "%a", "", 7,
    {a = "A", b = false, ["("] = 1.5, [1] = "one"},
    {a = {}},
    function(...) return select("#", ...) .. tostring((...)) end,
    function(c) if c == "a" then return nil end return c .. c end,
    function() return {} end,
}

-- Same values, same types (math.type tells 1 from 1.0).
local function same(a, b)
    if a.n ~= b.n then return false end
    for i = 1, a.n do
        local x, y = a[i], b[i]
        if type(x) ~= type(y) or x ~= y then return false end
        if type(x) == "number" and math.type(x) ~= math.type(y) then
            return false
        end
    end
    return true
end

local function show(r)
    local t = {}
    for i = 1, r.n do
        local v = r[i]
        t[i] = type(v) == "string" and string.format("%q", v) or tostring(v)
    end
    return "{" .. table.concat(t, ", ") .. "}"
end

-- gmatch's matches, flattened, the first 40 at most; an error raised
-- while iterating ends the list with it.
local function gather(gmatch, s, p, i)
    local out = {}
    local ok, err = pcall(function()
        local it = gmatch(s, p, i)
        for _ = 1, 40 do
            local r = table.pack(it())
            if r[1] == nil then break end
            for k = 1, r.n do out[#out + 1] = r[k] end
            out[#out + 1] = "|"
        end
    end)
    if not ok then out[#out + 1] = "error: " .. tostring(err) end
    return out
end

local stats = {}
for _, name in ipairs{"find", "match", "gmatch", "gsub"} do
    stats[name] = {name = name, cases = 0, errors = 0, found = 0,
                   mismatches = 0}
end

local function record(name, desc, want, got)
    local st = stats[name]
    st.cases = st.cases + 1
    if same(want, got) then
        local raised = want[1] == false
        if name == "gmatch" then
            raised = want.n > 0 and tostring(want[want.n]):sub(1, 6) == "error:"
        end
        if raised then
            st.errors = st.errors + 1
        elseif want[1] == true and want[2] ~= nil or
            name == "gmatch" and want.n > 0 then
            st.found = st.found + 1
        end
        return
    end
    st.mismatches = st.mismatches + 1
    if not st.first then
        st.first = string.format("%s: Lua %s, repscope %s", desc,
                                 show(want), show(got))
    end
end

-- Fixed cases at the limits: depth, capture count, long subjects.
local fixed = {
    {("a"):rep(300), ("a?"):rep(199)}, {("a"):rep(300), ("a?"):rep(250)},
    {("a"):rep(40), ("(a)"):rep(32)}, {("a"):rep(40), ("(a)"):rep(33)},
    {"abc", ("()"):rep(40)}, {("x"):rep(100), ("(x)"):rep(20) .. "%20"},
    {("(("):rep(50) .. ("))"):rep(50), "%b()"},
    {"THE (quick) fox", "%f[%a]%a+"}, {"a\0b", "%z"},
    {"hello world from Lua", "(%w+) (%w+)"}, {"  trim  ", "^%s*(.-)%s*$"},
}
for _, c in ipairs(fixed) do
    local s, p = c[1], c[2]
    local desc = string.format("(%q, %q)", s:sub(1, 20), p:sub(1, 20))
    record("find", "find" .. desc, table.pack(pcall(real.find, s, p)),
           table.pack(pcall(string.find, s, p)))
    record("match", "match" .. desc, table.pack(pcall(real.match, s, p)),
           table.pack(pcall(string.match, s, p)))
    local a, b = gather(real.gmatch, s, p), gather(string.gmatch, s, p)
    a.n, b.n = #a, #b
    record("gmatch", "gmatch" .. desc, a, b)
    record("gsub", "gsub" .. desc, table.pack(pcall(real.gsub, s, p, "%0")),
           table.pack(pcall(string.gsub, s, p, "%0")))
end

for _ = 1, npat do
    local p = pattern()
    for _ = 1, 3 do
        local s, i = subject(), init()
        local desc = string.format("(%q, %q, %s)", s, p, tostring(i))
        local plain = math.random() < 0.1 or nil
        record("find", "find" .. desc .. (plain and " plain" or ""),
               table.pack(pcall(real.find, s, p, i, plain)),
               table.pack(pcall(string.find, s, p, i, plain)))
        record("match", "match" .. desc,
               table.pack(pcall(real.match, s, p, i)),
               table.pack(pcall(string.match, s, p, i)))
        local a, b = gather(real.gmatch, s, p, i), gather(string.gmatch, s, p, i)
        a.n, b.n = #a, #b
        record("gmatch", "gmatch" .. desc, a, b)
        local r = pick(repls)
        local n = math.random() < 0.3 and math.random(0, 3) or nil
        record("gsub", string.format("gsub(%q, %q, %s, %s)", s, p,
                                     type(r) == "string" and
                                         string.format("%q", r) or type(r),
                                     tostring(n)),
               table.pack(pcall(real.gsub, s, p, r, n)),
               table.pack(pcall(string.gsub, s, p, r, n)))
    end
end
return stats.find, stats.match, stats.gmatch, stats.gsub
