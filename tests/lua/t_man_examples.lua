-- t_man_examples.lua: the complete examples of repscope-lua(7) run, so
-- the manual cannot drift from the code. Each example in
-- man/repscope-lua.7.in follows a comment line
--   .\" example: <name> (run by tests/lua/t_man_examples.lua)
-- and sits between .nf and .fi; this test cuts it out, undoes the roff
-- escapes (\- \(aq \(ha \(ti \e \&), writes it to a scene file, and
-- drives it a few steps with tap.scene, checking what it logs. Every
-- example listed below must be in the page and every marked example must
-- be listed (a new one needs its checks here).
local tap = require "tap"
local rs = require "repscope"

local page = tap.srcdir() .. "/man/repscope-lua.7.in"
local tmp = tap.tmpdir() .. "/lua_man_examples"
os.execute("mkdir -p '" .. tmp .. "'")

-- ---- the examples of the page -----------------------------------------

local unescape = {
  ["\\-"] = "-", ["\\(aq"] = "'", ["\\(ha"] = "^", ["\\(ti"] = "~",
  ["\\(dq"] = '"', ["\\e"] = "\\", ["\\&"] = "",
}

local function plain(line)
  local out = line:gsub("\\%([a-z][a-z]", unescape):gsub("\\[-e&]", unescape)
  return out
end

local examples, order, bad = {}, {}, {}
do
  local f = assert(io.open(page))
  local want, body
  for line in f:lines() do
    if body ~= nil then
      if line == ".fi" then
        examples[want] = table.concat(body, "\n") .. "\n"
        want, body = nil, nil
      else
        local text = plain(line)
        if text:find("\\", 1, true) then
          bad[#bad + 1] = want .. ": " .. line
        end
        body[#body + 1] = text
      end
    elseif want ~= nil then
      if line == ".nf" then body = {} end
    else
      want = line:match('^%.\\" example: ([%w_]+)')
      if want ~= nil then order[#order + 1] = want end
    end
  end
  f:close()
end
tap.is(table.concat(bad, "; "), "", "every escape in the examples is known")

local function scene_file(name)
  local path = tmp .. "/" .. name .. ".lua"
  local f = assert(io.open(path, "w"))
  f:write(examples[name])
  f:close()
  return path
end

-- The names logged so far, and the bare ones among them (train/..., ...).
local function names(sc)
  local all, bare = {}, {}
  for name in pairs(sc:logged()) do
    all[name] = true
    if name:match("^train/") or name:match("^test/")
        or name:match("^probe/") or name:match("^norm/") then
      bare[#bare + 1] = name
    end
  end
  table.sort(bare)
  return all, table.concat(bare, ", ")
end

-- Load, set up and run an example; false and the reason on failure.
local function drive(name, overrides, steps)
  local sc, msg = tap.scene(scene_file(name), overrides)
  if sc == nil then return nil, msg end
  local ok
  ok, msg = sc:setup{ seed = 1, total = steps }
  if not ok then return nil, msg end
  ok, msg = sc:run(steps)
  if not ok then return nil, msg end
  return sc
end

-- Does this build have what an example needs? (the binding of some
-- features lands after the manual: skip rather than fail, and say why)
local function have_learner_method(m)
  local l = rs.learner{ model = rs.nn.mlp{ input = 6, width = 2, output = 3 },
                        data = rs.data.modular{ p = 3 } }
  local yes = l[m] ~= nil
  l:release()
  return yes
end

local checks = {
  learners = {
    steps = 12,
    run = function(sc)
      local all, bare = names(sc)
      tap.is(bare, "", "learners: no bare names")
      tap.ok(all["adam/train/loss"] and all["sgd/train/loss"]
             and all["adam/test/acc"] and all["sgd/test/acc"],
             "learners: adam/... and sgd/...")
      tap.has(table.concat(sc:printed(), "\n"),
              "rs.learner: warmup 200 shortened to 1 (the run plans 12 steps)",
              "learners: the warm-up rule's message, as the manual quotes it")
      tap.has(sc:views(), '"series":["adam/test/acc","sgd/test/acc"]',
              "learners: one view of both")
    end,
  },
  objectives = {
    needs = function() return rs.objective.ewc ~= nil, "rs.objective.ewc" end,
    steps = 600,
    run = function(sc)
      local all, bare = names(sc)
      tap.is(bare, "", "objectives: no bare names")
      local ewc, plain = sc:series("ewc/old/acc"), sc:series("plain/old/acc")
      tap.ok(#ewc == 6 and #plain == 6 and all["ewc/test/acc"],
             "objectives: */old/acc every 50 steps after the switch")
      -- the manual quotes 0.93 and 0.11 at step 600
      tap.ok(ewc[6] > 0.85 and plain[6] < 0.3, string.format(
             "objectives: ewc keeps task + (%.2f), plain forgets it (%.2f)",
             ewc[6], plain[6]))
    end,
  },
  sources = {
    needs = function()
      return rs.objective.next_token ~= nil, "rs.objective.next_token"
    end,
    steps = 12,
    run = function(sc)
      local loss = sc:series("test/loss")
      tap.ok(#loss == 1 and loss[1] > 0 and loss[1] < 4,
             "sources: test/loss in nats per token after step 1")
      tap.is(#sc:series("train/loss"), 1, "sources: train/loss at 10")
    end,
  },
  autograd = {
    needs = function() return rs.objective.lua ~= nil, "rs.objective.lua" end,
    steps = 12,
    run = function(sc)
      local acc = sc:series("test/acc")
      tap.ok(#acc == 1 and acc[1] >= 0 and acc[1] <= 1,
             "autograd: test/acc from (correct, count)")
      tap.is(#sc:series("train/loss"), 1, "autograd: train/loss at 10")
    end,
  },
  surgery = {
    needs = function()
      return have_learner_method("remove_units"), "learner:remove_units"
    end,
    overrides = { "cut_at=3" },
    steps = 5,
    run = function(sc)
      -- l1 (8, 194) + 8, l2 (32, 8) + 32, l3 (97, 32) + 97
      tap.has(table.concat(sc:printed(), "\n"),
              "l1 now has 8 units, the model 5049 parameters",
              "surgery: 24 of 32 units removed")
    end,
  },
  naming = {
    steps = 12,
    run = function(sc)
      local all, bare = names(sc)
      tap.is(bare, "", "naming: no bare names")
      tap.is(#sc:series("gap/train/loss"), 12, "naming: gap/train/loss")
      tap.ok(all["narrow/test/acc"] and all["wide/test/acc"]
             and all["wide/norm/weight"] and not all["narrow/norm/weight"],
             "naming: narrow/..., wide/..., norms of wide only")
    end,
  },
  probes = {
    steps = 50,
    run = function(sc)
      local all, bare = names(sc)
      tap.is(bare, "", "probes: no bare names")
      tap.ok(all["a/probe/srank/l2"] and all["a/probe/erank/l3"]
             and not all["a/probe/srank/l1"] and not all["b/probe/srank/l2"],
             "probes: the rank probe on a's l2 and l3 only")
      tap.is(#sc:series("b/norm/grad"), 5, "probes: norms of b every 10")
      local rows = sc:matrix("a/spectrum/l3")
      tap.ok(rows ~= nil, "probes: a/spectrum/l3")
    end,
  },
  example = {
    steps = 12,
    run = function(sc)
      local all = names(sc)
      tap.ok(all["train/loss"] and all["test/acc"] and all["norm/weight"],
             "example: bare names of the unnamed learner")
    end,
  },
}

local listed = {}
for name in pairs(checks) do listed[#listed + 1] = name end
table.sort(listed)
local found = {}
for _, name in ipairs(order) do found[#found + 1] = name end
table.sort(found)
tap.is(table.concat(found, " "), table.concat(listed, " "),
       "the page's examples are the ones checked here")

for _, name in ipairs(order) do
  local c = checks[name]
  if c ~= nil then
    local ok, what = true, nil
    if c.needs ~= nil then ok, what = c.needs() end
    if not ok then
      tap.skip(1, name .. ": this build has no " .. what)
    else
      tap.clear()
      local sc, msg = drive(name, c.overrides, c.steps)
      tap.ok(sc ~= nil, name .. ": runs " .. c.steps .. " steps"
             .. (sc == nil and (": " .. tostring(msg)) or ""))
      if sc ~= nil then
        c.run(sc)
        sc:close()
      end
    end
  end
end

tap.done()
