-- t_learner.lua: rs.learner and what goes with it. A scene with two named
-- learners (tests/data/scenes/two_learners.lua) logs only a/... and
-- b/... keys, its views name both, and a save at step 15, a load into a
-- fresh driver and 15 more steps end bit for bit where an uninterrupted
-- run of 30 ends (checkpoint and every logged series). Then naming
-- (rs.name, reserved and clashing names), objectives as values, sources
-- (corpus, zip, a task swapped mid-run), the one return order of :eval,
-- the warm-up rule, and errors word for word.
local tap = require "tap"
local rs = require "repscope"
local dir = tap.srcdir() .. "/tests/data/scenes/"
local two = dir .. "two_learners.lua"

local function tail(t, n)
  local out = {}
  for i = #t - n + 1, #t do out[#out + 1] = string.format("%.17g", t[i]) end
  return table.concat(out, ",")
end

-- ---- two named learners in one scene ---------------------------------------

local whole = tap.scene(two)
tap.ok(whole:setup{ seed = 4, total = 30 }, "two learners: setup")
tap.ok(whole:run(30), "30 steps")
local bare, owned, total = {}, { a = 0, b = 0 }, 0
for name in pairs(whole:logged()) do
  total = total + 1
  local owner = name:match("^([^/]+)/")
  if owned[owner] ~= nil then
    owned[owner] = owned[owner] + 1
  else
    bare[#bare + 1] = name
  end
end
tap.is(table.concat(bare, ", "), "", "only a/... and b/... keys")
tap.ok(owned.a > 0 and owned.b > 0, string.format(
       "both learners log (%d a/, %d b/ of %d names)", owned.a, owned.b, total))
tap.is(#whole:series("a/train/loss"), 6, "a/train/loss every 5 steps")
tap.is(#whole:series("b/test/acc"), 7, "b/test/acc at 1, 5, ..., 30")
tap.is(#whole:series("a/probe/srank/l1"), 6, "the rank probe runs on a")
tap.is(#whole:series("b/probe/srank/l2"), 6, "and on b")
tap.is(#whole:series("b/probe/dead/l1"), 3, "the dead probe is b's")
tap.is(#whole:series("a/probe/dead/l1"), 0, "and not a's")
tap.is(#whole:series("a/norm/weight"), 6, "norms are per learner")
local rows, cols = whole:matrix("b/neurons/l1")
tap.is(rows .. "x" .. cols, "1x16", "b/neurons/l1 is 1 x b's width")
local views = whole:views()
tap.has(views, '"series":["a/train/loss","a/test/acc","b/train/loss","b/test/acc"]',
        "views: curves of both learners")
tap.has(views, '"series":["a/probe/srank/l1","a/probe/srank/l2"]',
        "views: a's rank heatmap")
tap.has(views, '"series":["b/probe/srank/l1","b/probe/srank/l2"]',
        "views: b's rank heatmap")
tap.has(views, '"matrix":"b/neurons/l1"', "views: b's units")
tap.has(views, '"matrix":"a/spectrum/l1"', "views: a's spectrum")

local first = tap.scene(two)
first:setup{ seed = 4, total = 30 }
first:run(15)
local half = first:save()
first:close()
tap.is(half:text("lua/learners"), "a b", "the checkpoint names both")
tap.has(table.concat(half:names(), " "), "learner/a/state", "a's sections")
tap.has(table.concat(half:names(), " "), "learner/b/param/l1.weight",
        "b's sections")
tap.has(table.concat(half:names(), " "), "learner/b/obj/l2_anchor.anchor.l1.weight",
        "b's objective tensors")
local second = tap.scene(two)
second:setup{ seed = 4, total = 30 }
tap.ok(second:load(half, 15), "load into a fresh driver")
tap.ok(second:run(15), "15 more steps")
local ok, where = second:save():equal(whole:save())
tap.ok(ok, "the resumed run ends bit for bit where the whole run ends")
if not ok then tap.diag("first difference: " .. tostring(where)) end
for _, name in ipairs({ "a/train/loss", "b/train/loss", "a/test/acc",
                        "b/test/loss", "a/probe/srank/l2",
                        "b/probe/erank/l1", "b/norm/grad" }) do
  local n = #second:series(name)
  tap.ok(n > 0 and tail(second:series(name), n)
         == tail(whole:series(name), n), "the same " .. name .. " after the resume")
end

-- --set lr reaches every learner setup returned (no on_set in the scene)
tap.ok(whole:set("lr", "0.02"), "set lr live")
whole:eval("rs.log('lr_a', learners.a:config().lr) rs.log('lr_b', learners.b:config().lr)")
tap.ok(math.abs(whole:logged().lr_a - 0.02) < 1e-9 and
       math.abs(whole:logged().lr_b - 0.02) < 1e-9, "both learners took it")

-- ---- naming ----------------------------------------------------------------

tap.is(rs.name("a", "probe/srank", "l2"), "a/probe/srank/l2", "rs.name")
tap.is(rs.name(nil, "train", "loss"), "train/loss", "rs.name: bare")
tap.is(rs.name("", "train/loss"), "train/loss", "rs.name: empty owner")
tap.error_is(function() return rs.name("test", "x") end,
  "rs.name: bad argument #1 'owner' (learner name 'test' is reserved (bare metric names start with it))",
  "rs.name: a reserved owner")

local data = rs.data.modular{ p = 7, train_frac = 0.5, seed = 1 }
local function mlp(out) return rs.nn.mlp{ input = 14, width = 8, output = out or 7 } end
tap.error_is(function() return rs.learner{ name = "train", model = mlp(), data = data } end,
  "rs.learner: bad field 'name' (learner name 'train' is reserved (bare metric names start with it))",
  "a reserved name")
tap.error_is(function() return rs.learner{ name = "a/b", model = mlp(), data = data } end,
  "rs.learner: bad field 'name' (learner name 'a/b': character '/' is not a letter, digit or '_')",
  "a name with a slash")

local tmp = tap.tmpdir() .. "/lua_learner"
os.execute("mkdir -p '" .. tmp .. "'")
local function scene_file(name, text)
  local path = tmp .. "/" .. name
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end
local head = [[
local rs = require "repscope"
local d = rs.data.modular{ p = 5 }
local function L(name)
  return rs.learner{ name = name, data = d,
                     model = rs.nn.mlp{ input = 10, width = 4, output = 5 } }
end
]]
local path = scene_file("clash.lua", head ..
  "return rs.scene{ setup = function(p) return { L('a'), L('a') } end }\n")
local _, msg = tap.scene(path):setup()
tap.is(msg, path .. ": two learners are named 'a' (give each learner its own name=)",
       "two learners with one name")
path = scene_file("unnamed.lua", head ..
  "return rs.scene{ setup = function(p) return { L('a'), L() } end }\n")
_, msg = tap.scene(path):setup()
tap.is(msg, path .. ": setup returned 2 learners and learner 2 has no name (give each learner its own name=)",
       "two learners need names")
path = scene_file("unnamed_made.lua", head ..
  "local x, y\nreturn rs.scene{ setup = function(p) x, y = L(), L() end,\n" ..
  "  step = function(ctx) x:step() y:step() end }\n")
_, msg = tap.scene(path):setup()
tap.is(msg, path .. ": the scene made two learners without a name (give each learner its own name=)",
       "a self-driven scene with two unnamed learners")
path = scene_file("badlist.lua", head ..
  "return rs.scene{ setup = function(p) return { L('a'), 5 } end }\n")
_, msg = tap.scene(path):setup()
tap.is(msg, path .. ": setup returned a list whose entry 2 is a number (learners expected)",
       "a list of learners only")
path = scene_file("probe_unknown.lua", head ..
  "return rs.scene{ setup = function(p) return L('a') end,\n" ..
  "  probes = { rs.probe.rank{ learner = 'c' } } }\n")
_, msg = tap.scene(path):setup()
tap.is(msg, path .. ": probes[1]: no learner named 'c' (learners: a)",
       "a probe bound to an unknown learner")
path = scene_file("view_unknown.lua", head ..
  "return rs.scene{ setup = function(p) return L('a') end,\n" ..
  "  views = { rs.view.curves{ series = { 'train/loss' }, learner = 'z' } } }\n")
_, msg = tap.scene(path):setup()
tap.is(msg, path .. ": views[1]: no learner named 'z' (learners: a)",
       "a view of an unknown learner")
-- a single named learner names its metrics too
path = scene_file("single_named.lua", head ..
  "return rs.scene{ setup = function(p) return L('solo') end,\n" ..
  "  probes = { rs.probe.rank{ every = 2, n = 10 } } }\n")
local sn = tap.scene(path)
tap.ok(sn:setup{ seed = 1 }, "single named learner: setup")
sn:run(10)
tap.is(#sn:series("solo/train/loss"), 1, "solo/train/loss")
tap.is(#sn:series("solo/probe/srank/l1"), 5, "solo/probe/srank/l1")
tap.is(#sn:series("train/loss"), 0, "no bare names")
tap.has(sn:views(), '"series":["solo/train/loss","solo/test/loss"]',
        "default views name the learner")

-- rs.train.seq's learner returned by setup is stepped by the driver
path = scene_file("seq_setup.lua", [[
local rs = require "repscope"
return rs.scene{ setup = function(p)
  local tf = rs.nn.transformer{ vocab = 13, ctx = 8, d = 8, layers = 1,
                                out = 10, seed = 1 }
  return rs.train.seq{ model = tf, batch = 4, log_every = 2,
    task = rs.data.seqtask{ task = "copy_first", min_len = 2, max_len = 3 } }
end }
]])
local sq = tap.scene(path)
tap.ok(sq:setup{ seed = 1 }, "setup may return rs.train.seq's learner")
tap.ok(sq:run(4), "and the driver steps it")
tap.is(#sq:series("train/loss"), 2, "train/loss every 2 steps")

-- ---- the learner handle ------------------------------------------------------

tap.clear()
local l = rs.learner{ name = "m", model = mlp(), data = data, batch = 8,
                      eval_every = 0, log_every = 1, seed = 3,
                      optim = rs.optim.sgd{ lr = 0.1 } }
tap.is(tostring(l), "learner m (mlp on modular, 0 steps)", "tostring")
tap.is(l:name(), "m", "name")
local loss, acc = l:step()
tap.ok(loss > 0 and acc >= 0 and acc <= 1, "step -> loss, acc")
tap.is(tap.series("m/train/loss")[1], loss, "m/train/loss is the step's loss")
local el, ea = l:eval("test")
tap.ok(el > 0 and ea >= 0 and ea <= 1, "eval -> loss, acc (loss first)")
tap.is(l:objective(), "classify", "the default objective on a dataset")
tap.is(l:config().loss, "cross_entropy", "with cross-entropy")
tap.ok(l:model() == l:models()[1], "model() is models()[1]")
local p = l:params()
tap.ok(p["l1.weight"] ~= nil and p["l2.bias"] ~= nil, "params by name")
local b = l:next_batch()
tap.is(b.n, 8, "next_batch: n")
tap.is(table.concat(b.x:shape(), "x"), "8x14", "next_batch: x (n, 14)")
tap.is(#b.y, 8, "next_batch: labels")
tap.is(l:steps(), 1, "next_batch is not a step")
l:apply(1.5)
tap.is(l:steps(), 2, "apply counts a step")
tap.is(tap.series("m/train/loss")[2], 1.5, "and logs the loss it is given")
tap.error_is(function() return l:apply("x") end,
  "learner:apply: bad argument #1 'loss' (tensor expected, got string)",
  "apply: a number or a tensor")

-- objectives as values: one spec, fresh objectives per learner
local mse = rs.objective.classify{ loss = "mse_onehot" }
tap.is(tostring(mse), "objective (classify)", "objective tostring")
local l1 = rs.learner{ model = mlp(), data = data, objective = mse, seed = 1 }
local l2 = rs.learner{ model = mlp(), data = data, objective = mse, seed = 1 }
tap.is(l1:config().loss, "mse_onehot", "objective= taken")
tap.ok(l1:objective() == mse, "objective() is the spec given")
l1:set_objective(rs.objective.classify{})
tap.is(l1:config().loss, "cross_entropy", "set_objective")
tap.error_is(function()
  return rs.learner{ model = mlp(5), data = data }
end, "rs.learner: the model gives 5 outputs but the dataset has 7 classes",
  "objective/model mismatch")
tap.error_is(function()
  return rs.learner{ model = mlp(), data = data, objective = rs.objective.last_token{} }
end, "rs.learner: the source gives features (a token source is needed) (last_token)",
  "last_token on features")
tap.error_is(function() return rs.learner{ model = mlp(), data = data, objective = "ce" } end,
  "rs.learner: bad field 'objective' (objective expected, got string)",
  "objective type")
tap.error_is(function() return rs.objective.classify{ loss = "hinge" } end,
  "rs.objective.classify: bad field 'loss' ('cross_entropy' or 'mse_onehot' expected, got 'hinge')",
  "classify loss")

-- regularisers over any objective, and next_token
-- an mlp with initial weights from seed s
local function seeded(s)
  rs.seed(s)
  return mlp()
end
local function run(objective, steps, seed)
  local m = seeded(7)
  local x = rs.learner{ model = m, data = data, seed = seed or 2,
                        eval_every = 0, objective = objective,
                        optim = rs.optim.sgd{ lr = 0.5 } }
  local losses = {}
  for i = 1, steps do losses[i] = x:step() end
  return x, losses
end
local function same(a, b)
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return #a == #b
end
local ce = rs.objective.classify{}
local base_l, base_losses = run(ce, 5)
local _, l2_0 = run(rs.objective.l2_anchor{ base = ce, lambda = 0 }, 5)
tap.ok(same(base_losses, l2_0), "l2_anchor with lambda 0 = its base, bit for bit")
local _, kl_0 = run(rs.objective.kl_teacher{ base = ce, teacher = seeded(9),
                                             beta = 0 }, 5)
tap.ok(same(base_losses, kl_0), "kl_teacher with beta 0 = its base")
local function dist(x)
  local d, w0 = 0, seeded(7):params()
  for name, t in pairs(x:params()) do
    local a, b = t:totable(), w0[name]:totable()
    local function walk(u, v)
      if type(u) == "table" then
        for i = 1, #u do walk(u[i], v[i]) end
      else
        d = d + (u - v) ^ 2
      end
    end
    walk(a, b)
  end
  return d
end
local pulled = run(rs.objective.l2_anchor{ base = ce, lambda = 1 }, 20)
local free = run(ce, 20)
tap.ok(dist(pulled) < 0.5 * dist(free), string.format(
       "l2_anchor keeps the weights near the anchor (%.3g vs %.3g)",
       dist(pulled), dist(free)))
local kl = run(rs.objective.kl_teacher{ base = ce, teacher = seeded(9) }, 0)
local bl, ba = base_l:eval("test")
local kll, kla = kl:eval("test")
local fresh_base = run(ce, 0)
local fl, fa = fresh_base:eval("test")
tap.ok(kll == fl and kla == fa, "kl_teacher evaluates as its base")
tap.ok(bl ~= nil and ba ~= nil, "eval after training")
local ewc = run(rs.objective.ewc{ base = ce, lambda = 100, fisher_batches = 2 }, 3)
tap.is(ewc:objective().kind, "ewc", "an ewc learner steps")
ewc:reanchor()
tap.ok(true, "reanchor an ewc")
tap.error_is(function() return base_l:reanchor() end,
  "learner:reanchor: the classify objective has no anchor",
  "reanchor without an anchor")
local sw = run(ce, 3)
sw:set_objective(rs.objective.ewc{ base = ce, lambda = 1, fisher_batches = 2 })
sw:set_data(rs.data.modular{ p = 7, train_frac = 0.5, seed = 9 })
sw:step()
tap.is(sw:steps(), 4, "set_objective(ewc), then a new task")
tap.error_is(function() return rs.objective.l2_anchor{ lambda = 1 } end,
  "rs.objective.l2_anchor: field 'base' is required", "base required")
tap.error_is(function() return rs.objective.l2_anchor{ base = ce, lambda = -1 } end,
  "rs.objective.l2_anchor: bad field 'lambda' (-1 is not a finite number >= 0)",
  "lambda range")
tap.error_is(function() return rs.objective.kl_teacher{ base = ce, teacher = 3 } end,
  "rs.objective.kl_teacher: bad field 'teacher' (module expected, got number)",
  "teacher type")
tap.error_is(function()
  return rs.objective.kl_teacher{ base = ce, teacher = mlp(), tau = 0 }
end, "rs.objective.kl_teacher: bad field 'tau' (0 is not a finite number > 0)",
  "tau range")
local own = seeded(3)
tap.error_is(function()
  return rs.learner{ model = own, data = data,
                     objective = rs.objective.kl_teacher{ base = ce, teacher = own } }
end, "rs.learner: the teacher's l1.weight is trained by this learner (a frozen teacher is needed) (kl_teacher)",
  "a teacher the learner trains")

-- sources: a task swapped mid-run, a corpus, a zip
local tf = rs.nn.transformer{ vocab = 13, ctx = 16, d = 8, layers = 1, out = 10,
                              seed = 1 }
local t1 = rs.data.seqtask{ task = "copy_first", min_len = 3, max_len = 4 }
local seql = rs.learner{ name = "s", model = tf, data = t1, batch = 4,
                         eval_every = 0, seed = 2 }
tap.is(seql:objective(), "last_token", "the default objective on a task")
seql:step()
local t2 = rs.data.seqtask{ task = "copy_last", min_len = 3, max_len = 4 }
seql:set_data(t2)
seql:step()
tap.ok(seql:data() == t2, "set_data swaps the task")
local el4, ea4 = seql:eval(4, 16)
tap.ok(el4 > 0 and ea4 >= 0, "eval(len, n) on a generator: loss, acc")
tap.error_is(function() return seql:set_data(5) end,
  "learner:set_data: bad argument #1 'data' (source expected, got number)",
  "set_data type")
local ids = {}
for i = 1, 100 do ids[i] = (i * 7) % 13 end
local corpus = rs.data.corpus{ ids = ids, vocab = 13, T = 8, test_frac = 0.25 }
tap.is(corpus:kind(), "corpus", "corpus kind")
tap.is(corpus:info().kind[1], "tokens", "corpus gives tokens")
tap.ok(corpus:count("train") > 0 and corpus:count("test") > 0,
       "corpus: train and test windows")
tap.error_is(function() return rs.data.corpus{ ids = { 1, 20 }, vocab = 13, T = 4 } end,
  "rs.data.corpus: bad field 'ids' (entry 2 is not an id in 0..12)", "corpus ids")
local lmtf = rs.nn.transformer{ vocab = 13, ctx = 9, d = 16, layers = 1,
                                seed = 1 }
local lm = rs.learner{ model = lmtf, data = corpus, batch = 8, eval_every = 0,
                       optim = rs.optim.adamw{ lr = 1e-2 } }
tap.is(lm:objective(), "next_token", "the default objective on a corpus")
local lm0 = lm:step()
for _ = 1, 100 do lm:step() end
local lml, lma = lm:eval("test")
tap.ok(lml < 0.5 * lm0 and lma > 0.5, string.format(
       "next_token learns the corpus (loss %.3f -> %.3f, test acc %.2f)",
       lm0, lml, lma))
tap.error_is(function()
  return rs.learner{ model = mlp(), data = rs.data.zip(data, data) }
end, "rs.learner: a zip source has no default objective (give objective=)",
  "no default objective for a zip")
local z = rs.data.zip(data, data)
tap.is(z:info().inputs, 2, "zip: two inputs")
tap.error_is(function() return rs.data.zip(data, 3) end,
  "rs.data.zip: bad argument #2 'b' (source expected, got number)", "zip type")

-- the one rule for a warm-up longer than the run (here: no session, so
-- the schedule's own total decides; the rule needs a planned length)
tap.error_is(function()
  return rs.learner{ model = mlp(), data = data, schedule = rs.sched.cosine{} }
end, "rs.learner: bad field 'schedule' ('cosine' needs total= (the run has no planned length))",
  "a decaying schedule needs a length")

-- errors of the constructor and methods, word for word
tap.error_is(function() return rs.learner{ data = data } end,
  "rs.learner: field 'model' is required", "model required")
tap.error_is(function() return rs.learner{ model = mlp() } end,
  "rs.learner: field 'data' is required", "data required")
tap.error_is(function() return rs.learner{ model = 3, data = data } end,
  "rs.learner: bad field 'model' (module or list of modules expected, got number)",
  "model type")
tap.error_is(function() return rs.learner{ model = { mlp(), 4 }, data = data } end,
  "rs.learner: bad field 'model' (entry 2: module expected, got number)",
  "a list of modules")
tap.error_is(function() return rs.learner{ model = mlp(), data = mlp() } end,
  "rs.learner: bad field 'data' (dataset, seqtask or source expected, got module)",
  "data type")
tap.error_is(function() return rs.learner{ model = mlp(), data = data, epochs = 2 } end,
  "rs.learner: unknown field 'epochs' (known: name, model, objective, data, optim, schedule, batch, eval_every, eval_n, eval_len, log_every, seed, prec)",
  "unknown field")
tap.error_is(function() return l:eval("val") end,
  "learner:eval: bad argument #1 'split' ('train' or 'test' expected, got 'val')",
  "eval split")
tap.error_is(function() return l:model(2) end,
  "learner:model: bad argument #1 'i' (2 is outside 1..1)", "model index")
l:release()
tap.error_is(function() return l:step() end,
  "learner:step: attempt to use a released learner", "released")

tap.done()
