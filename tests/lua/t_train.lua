-- t_train.lua: rs.train (sugar over rs.learner: it returns a learner), the
-- C step loop - learning, logging cadence and values (against the step
-- losses and a loss computed here), evaluation against a manual forward,
-- a name, live changes, determinism and errors.
local tap = require "tap"
local rs = require "repscope"
local T = rs.tensor

local data = rs.data.modular{ p = 11, seed = 2 }
local function trainer(extra)
  rs.seed(7)
  local cfg = { model = rs.nn.mlp{ input = 22, width = 32, depth = 2,
                                   output = 11 },
                data = data, batch = 32, eval_every = 10, log_every = 5,
                optim = rs.optim.adamw{ lr = 0.01 } }
  for k, v in pairs(extra or {}) do cfg[k] = v end
  return rs.train(cfg)
end

-- cadence and values of the logged metrics
tap.clear()
local tr = trainer()
local losses = {}
for i = 1, 20 do losses[i] = tr:step() end
tap.is(tr:steps(), 20, "steps")
local logged = tap.series("train/loss")
tap.is(#logged, 4, "train/loss every log_every = 5 steps")
tap.is_near(logged[1], (losses[1] + losses[2] + losses[3] + losses[4] +
                        losses[5]) / 5, 1e-12, "train/loss is the window mean")
tap.is(#tap.series("test/acc"), 3, "evaluated at steps 1, 10 and 20")
tap.is(#tap.series("train/acc"), 3, "train/acc with each evaluation")
tap.is(tap.series("train/lr")[1], tr:lr(), "train/lr is the rate")

-- it learns
for _ = 1, 300 do tr:step() end
local series = tap.series("train/loss")
tap.ok(series[#series] < 0.5 * series[1], "the training loss falls")
local _, acc = tr:eval("train")
tap.ok(acc > 0.9, "train accuracy after 320 steps > 0.9")

-- eval against a forward and a loss computed here
local model = tr:model()
local x, y = data:batch("train", 1, 10)
local out = model:forward(x):totable()
local ce, correct = 0, 0
for i = 1, 10 do
  local mx = -math.huge
  for j = 1, 11 do mx = math.max(mx, out[i][j]) end
  local z = 0
  for j = 1, 11 do z = z + math.exp(out[i][j] - mx) end
  ce = ce - (out[i][y[i] + 1] - mx - math.log(z)) / 10
  local best = 1
  for j = 2, 11 do if out[i][j] > out[i][best] then best = j end end
  if best == y[i] + 1 then correct = correct + 1 end
end
local el, ea = tr:eval("train", 10)
tap.is_near(el, ce, 1e-5, "eval loss = cross-entropy of the forward")
tap.is(ea, correct / 10, "eval accuracy = argmax matches")

-- step_on returns the loss of its batch before the update
local xb, yb = data:batch("test", 1, 8)
local before = tr:eval("test", 8)
tap.is_near(tr:step_on(xb, yb), before, 1e-5, "step_on loss")

-- mse_onehot
local tm = trainer{ loss = "mse_onehot" }
local xo, yo = data:batch("train", 1, 4)
local o2 = tm:model():forward(xo):totable()
local mse = 0
for i = 1, 4 do
  for j = 1, 11 do
    local t = (j == yo[i] + 1) and 1 or 0
    mse = mse + (o2[i][j] - t) ^ 2 / 44
  end
end
tap.is_near(tm:eval("train", 4), mse, 1e-6, "mse_onehot loss")

-- the same seeds give the same run
local a, b = trainer(), trainer()
local same = true
for _ = 1, 10 do same = same and a:step() == b:step() end
tap.ok(same, "same seeds, same losses")
local c = trainer{ seed = 99 }
tap.ok(c:step() ~= trainer():step(), "another batch seed, another loss")

-- a name (the learner's): every metric behind it
tap.clear()
local named = trainer{ name = "m1" }
named:step()
tap.is(named:name(), "m1", "rs.train takes name=")
tap.is(#tap.series("m1/test/acc"), 1, "and logs m1/...")

-- live changes
local w = a:model():param("l1.weight")
local frozen = w:clone()
a:set{ lr = 0, weight_decay = 0 }
a:step()
tap.ok(w:equal(frozen), "lr = 0 leaves the weights")
a:set{ lr = 0.01, eval_every = 0 }
tap.is(a:config().eval_every, 0, "eval_every changed")
tap.is_near(a:lr(), 0.01, 1e-9, "lr changed")

-- schedules take lr from the optimiser and total from the run
local ts = trainer{ schedule = rs.sched.linear{ total = 20 } }
tap.clear()
for _ = 1, 5 do ts:step() end
tap.is_near(tap.series("train/lr")[1], 0.01 * (1 - 4 / 20), 1e-9,
            "linear schedule: rate of step 5")
tap.is(ts:config().schedule, "linear", "config schedule")
tap.is(ts:config().loss, "cross_entropy", "config loss")
tap.like(tostring(ts), "^learner %(mlp on modular, 5 steps%)$", "tostring")
local last = ts:last()
tap.is(last.step, 5, "last().step")
tap.ok(last.grad_norm > 0 and last.weight_norm > 0, "last() norms")

-- errors, word for word
local mlp = rs.nn.mlp{ input = 22, width = 4, output = 11 }
tap.error_is(function() return rs.train{} end,
  "rs.train: field 'model' is required", "model required")
tap.error_is(function() return rs.train{ model = 3, data = data } end,
  "rs.train: bad field 'model' (module expected, got number)", "model type")
tap.error_is(function() return rs.train{ model = mlp } end,
  "rs.train: field 'data' is required", "data required")
tap.error_is(function()
  return rs.train{ model = rs.nn.mlp{ input = 10, width = 4, output = 11 },
                   data = data }
end, "rs.train: the model takes 10 inputs but the dataset gives 22",
  "input mismatch")
tap.error_is(function()
  return rs.train{ model = rs.nn.mlp{ input = 22, width = 4, output = 5 },
                   data = data }
end, "rs.train: the model gives 5 outputs but the dataset has 11 classes",
  "output mismatch")
tap.error_is(function() return rs.train{ model = mlp, data = data, loss = "hinge" } end,
  "rs.train: bad field 'loss' ('cross_entropy' or 'mse_onehot' expected, got 'hinge')",
  "loss name")
tap.error_is(function() return rs.train{ model = mlp, data = data, batch = 0 } end,
  "rs.train: bad field 'batch' (0 is outside 1..1048576)", "batch range")
tap.error_is(function()
  return rs.train{ model = mlp, data = data, schedule = rs.sched.cosine{} }
end, "rs.train: bad field 'schedule' ('cosine' needs total= (the run has no planned length))",
  "schedule without total")
tap.error_is(function() return rs.train{ model = mlp, data = data, optim = "adam" } end,
  "rs.train: bad field 'optim' (optim spec expected, got string)", "optim type")
tap.error_is(function() return rs.train{ model = mlp, data = data, epochs = 3 } end,
  "rs.train: unknown field 'epochs' (known: model, data, optim, loss, batch, schedule, eval_every, eval_n, log_every, seed, prec, name)",
  "unknown field")
tap.error_is(function() return tr:eval("val") end,
  "learner:eval: bad argument #1 'split' ('train' or 'test' expected, got 'val')",
  "eval split")
tap.error_is(function() return tr:step_on(T.zeros(2, 3), { 1, 2 }) end,
  "learner:step_on: bad argument #1 'x' ((n, 22) tensor expected)",
  "step_on x shape")
tap.error_is(function() return tr:step_on(T.zeros(2, 22), { 1, 20 }) end,
  "learner:step_on: label 20 of example 2 outside 0..10",
  "step_on label range")
tap.error_is(function() return tr:set{ momentun = 1 } end,
  "learner:set: unknown field 'momentun' (known: lr, weight_decay, clip, momentum, eval_every, eval_n, eval_len)",
  "set: unknown field")
tap.error_is(function() return tr:set{ lr = -1 } end,
  "learner:set: bad field 'lr' (-1 is not a finite number >= 0)", "set: lr")
tr:release()
tap.error_is(function() return tr:step() end,
  "learner:step: attempt to use a released learner", "released trainer")

tap.done()
