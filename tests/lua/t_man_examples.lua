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
        or name:match("^probe/") or name:match("^norm/")
        or name:match("^eval/") then
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

-- Is Fashion-MNIST installed (the imgtext and picture examples read it)?
local function have_fmnist()
  local d = rs.data.fmnist{ test_n = 1 }
  if d == nil then return false, "Fashion-MNIST data" end
  d:release()
  return true
end

-- Are the values of a list all within [lo, hi]?
local function within(list, lo, hi)
  for _, v in ipairs(list) do
    if not (v >= lo and v <= hi) then return false end
  end
  return #list > 0
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
  clip_sparc = {
    needs = have_fmnist,
    overrides = { "train_n=300", "every=5" },
    steps = 10,
    run = function(sc)
      local all, bare = names(sc)
      tap.is(bare, "", "clip_sparc: no bare names")
      tap.ok(all["clip/train/loss_g"] and all["clip/train/loss_f"]
             and all["sparc/train/loss_g"] and all["sparc/train/loss_f"],
             "clip_sparc: */train/loss_g and */train/loss_f")
      -- sparc's loss is lambda_g loss_g + lambda_f loss_f (0.5 and 1)
      local l, g, f = sc:series("sparc/train/loss")[1],
        sc:series("sparc/train/loss_g")[1], sc:series("sparc/train/loss_f")[1]
      tap.is_near(l, 0.5 * g + f, 1e-4 * l,
                  "clip_sparc: train/loss = 0.5 loss_g + loss_f")
      tap.is_near(sc:series("clip/train/loss")[1],
                  sc:series("clip/train/loss_g")[1], 1e-6,
                  "clip_sparc: clip's loss is its loss_g")
      local pa, mass = sc:series("clip/eval/patch_acc"),
        sc:series("sparc/eval/align_mass")
      tap.ok(#pa == 3 and within(pa, 0, 1) and #mass == 3
             and within(mass, 0, 1) and all["sparc/eval/r1"]
             and all["clip/eval/align_entropy"],
             "clip_sparc: rs.probe.sparc at steps 1, 5 and 10")
      local rows, cols, _, labels = sc:matrix("sparc/align")
      tap.is(rows and (rows .. "x" .. cols), "4x16",
             "clip_sparc: sparc/align, 4 words by 16 patches")
      local words = 0
      for _ in (labels or ""):gmatch("[^|]+") do words = words + 1 end
      tap.is(words, 4, "clip_sparc: its rows labelled by the words")
      local tr, tc, truth = sc:matrix("align_truth")
      tap.ok(tr == 4 and tc == 1 and within(truth, 0, 3),
             "clip_sparc: align_truth, an item 0..3 per word")
      tap.has(sc:views(), '"kind":"align"', "clip_sparc: the align view")
    end,
  },
  imgtext = {
    needs = have_fmnist,
    steps = 12,
    run = function(sc)
      local rows, cols = sc:matrix("composite")
      tap.is(rows and (rows .. "x" .. cols), "28x28",
             "imgtext: the composite, 28x28")
      rows, cols = sc:matrix("patch_classes")
      tap.is(rows and (rows .. "x" .. cols), "4x4",
             "imgtext: 4x4 patch classes")
      local acc = sc:series("test/acc")
      tap.ok(#acc == 1 and acc[1] >= 0 and acc[1] <= 1,
             "imgtext: test/acc from (correct, count)")
      local words = 0
      for _ in (sc:printed()[1] or ""):gmatch("%S+") do words = words + 1 end
      tap.is(words, 4, "imgtext: the caption printed, 4 words")
      tap.has(sc:views(), '"kind":"image"', "imgtext: a picture view")
    end,
  },
  dual_encoder = {
    steps = 12,
    run = function(sc)
      local loss = sc:series("train/loss")
      tap.ok(#loss == 1 and loss[1] > 0, "dual_encoder: train/loss at 10")
      local acc = sc:series("test/acc")
      tap.ok(#acc == 1 and acc[1] >= 0 and acc[1] <= 1,
             "dual_encoder: test/acc (R@1 from correct, count)")
    end,
  },
  picture = {
    needs = have_fmnist,
    steps = 3,
    run = function(sc)
      local rows, cols, values = sc:matrix("sample")
      tap.ok(rows == 28 and cols == 28 and within(values, 0, 1),
             "picture: sample, 28x28 pixels in [0, 1]")
      tap.is(#sc:printed(), 1, "picture: its class printed once")
      tap.has(sc:views(), '"kind":"image"', "picture: the image view")
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
  ppo = {
    needs = function() return rs.rl ~= nil, "rs.rl.ppo" end,
    steps = 2,
    run = function(sc)
      local all, bare = names(sc)
      tap.is(bare, "", "ppo: no bare names")
      -- a session step is one update: 4 copies x 256 steps each
      local env = sc:series("base/rl/env_steps")
      tap.ok(#env == 2 and env[2] == 2048 and all["pfo/rl/env_steps"],
             "ppo: */rl/env_steps, 1024 env steps per update")
      tap.ok(all["base/actor/approx_rank"] and all["pfo/ppo/ratio_below"]
             and all["pfo/ppo/frac_above"] and all["base/critic/dead"]
             and all["pfo/time/env_steps_per_s"],
             "ppo: the driver's instruments under the learners' names")
      -- the manual: loss = loss_pi - ent_coef entropy + pfo pfo
      -- + vf_coef loss_v (means since the last log)
      local l, pi, h, f, v = sc:series("pfo/train/loss")[2],
        sc:series("pfo/train/loss_pi")[2], sc:series("pfo/train/entropy")[2],
        sc:series("pfo/train/pfo")[2], sc:series("pfo/train/loss_v")[2]
      tap.is_near(l, pi - 0.01 * h + f + 0.5 * v, 1e-4 * math.abs(l) + 1e-6,
                  "ppo: train/loss from its terms, as the manual writes it")
      local rows, cols = sc:matrix("base/env/frame")
      tap.is(rows and (rows .. "x" .. cols), "9x31",
             "ppo: base/env/frame, CartPole's 9x31 picture")
      tap.has(sc:views(), '"kind":"frame"', "ppo: the frame view")
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
