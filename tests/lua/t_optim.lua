-- t_optim.lua: rs.optim specs and optimisers, rs.sched schedules; updates
-- and rates computed by hand from the PyTorch rules.
local tap = require "tap"
local rs = require "repscope"
local T = rs.tensor

-- One (1, 2) parameter with data p and gradient g; returns the module and
-- the weight tensor.
local function param(p, g)
  local m = rs.nn.linear(2, 1, { bias = false })
  local w = m:param("weight")
  w:copy(T.from{ p })
  w:set_grad(T.from{ g })
  return m, w
end

local function is_vec(t, want, tol, name)
  local got = t:totable()[1]
  local ok = true
  for i = 1, #want do
    if math.abs(got[i] - want[i]) > tol then ok = false end
  end
  tap.ok(ok, name)
  if not ok then
    tap.diag(string.format("got %.9g %.9g, want %.9g %.9g", got[1], got[2],
                           want[1], want[2]))
  end
end

-- plain SGD: p -= lr g
local m, w = param({ 1, 2 }, { 0.5, -1 })
local o = rs.optim.new(rs.optim.sgd{ lr = 0.1 }, m)
local gn = o:step()
is_vec(w, { 0.95, 2.1 }, 1e-7, "sgd step")
tap.is_near(gn, math.sqrt(1.25), 1e-7, "step returns the gradient norm")
tap.is(o:steps(), 1, "steps counted")
tap.is(o:state(1), nil, "plain sgd keeps no state")

-- SGD with momentum 0.9: buf = g, then buf = 0.9 buf + g
m, w = param({ 1, 1 }, { 0.5, 0.5 })
o = rs.optim.new(rs.optim.sgd{ lr = 0.1, momentum = 0.9 }, m)
o:step()
is_vec(w, { 0.95, 0.95 }, 1e-7, "momentum step 1")
is_vec(o:state(1), { 0.5, 0.5 }, 1e-7, "momentum buffer after step 1")
o:step()
is_vec(w, { 0.95 - 0.1 * 0.95, 0.95 - 0.1 * 0.95 }, 1e-6, "momentum step 2")

-- Nesterov: update = g + 0.9 buf
m, w = param({ 1, 1 }, { 0.5, 0.5 })
o = rs.optim.new(rs.optim.sgd{ lr = 0.1, momentum = 0.9, nesterov = true }, m)
o:step()
is_vec(w, { 1 - 0.1 * 0.95, 1 - 0.1 * 0.95 }, 1e-6, "nesterov step")

-- Adam: the bias-corrected step is lr * g / (|g| + eps) while g is constant
m, w = param({ 1, -1 }, { 0.5, -0.25 })
o = rs.optim.new(rs.optim.adam{ lr = 0.1 }, m)
o:step()
is_vec(w, { 0.9, -0.9 }, 1e-6, "adam step 1")
is_vec(o:state(1, "m"), { 0.05, -0.025 }, 1e-8, "adam first moment")
is_vec(o:state(1, "v"), { 0.001 * 0.25, 0.001 * 0.0625 }, 1e-9,
       "adam second moment")
o:step()
is_vec(w, { 0.8, -0.8 }, 1e-6, "adam step 2")

-- AdamW: decoupled decay p *= 1 - lr wd, then the Adam step
m, w = param({ 1, 2 }, { 0.5, 0.5 })
o = rs.optim.new(rs.optim.adamw{ lr = 0.1, weight_decay = 0.1 }, m)
o:step()
is_vec(w, { 0.99 - 0.1, 1.98 - 0.1 }, 1e-6, "adamw step")

-- global-norm clipping: grads (3, 4) have norm 5, clipped to 1
m, w = param({ 0, 0 }, { 3, 4 })
o = rs.optim.new(rs.optim.sgd{ lr = 1, clip = 1 }, m)
tap.is_near(o:step(), 5, 1e-6, "norm before clipping")
is_vec(w, { -0.6, -0.8 }, 1e-6, "clipped step")
o:zero_grad()
tap.is(w:grad():norm(), 0.0, "zero_grad")

-- specs
local spec = rs.optim.adamw{}
tap.is(spec:config().kind, "adamw", "spec kind")
tap.is_near(spec:config().weight_decay, 0.01, 1e-9, "adamw default decay")
tap.is_near(spec:config().betas[2], 0.999, 1e-7, "default beta2")
tap.is_near(rs.optim.adam{ betas = { 0.8, 0.95 } }:config().betas[1], 0.8,
            1e-7, "betas")

-- schedules: s:lr(k) is the rate of step k (1-based)
local c = rs.sched.constant{ lr = 1, warmup = 10 }
tap.is(c:lr(1), 0.0, "warmup starts at 0")
tap.is(c:lr(6), 0.5, "warmup is linear")
tap.is(c:lr(11), 1.0, "warmup ends at lr")
tap.is(c:kind(), "constant", "kind")
local lin = rs.sched.linear{ lr = 1, lr_min = 0.2, total = 10 }
tap.is(lin:lr(1), 1.0, "linear at the start")
tap.is_near(lin:lr(6), 1 - 0.8 * 0.5, 1e-7, "linear half way")
tap.is_near(lin:lr(11), 0.2, 1e-7, "linear at total")
tap.is_near(lin:lr(50), 0.2, 1e-7, "linear after total")
local cos = rs.sched.cosine{ lr = 2, total = 10 }
tap.is_near(cos:lr(6), 1.0, 1e-6, "cosine half way")
tap.is_near(cos:lr(1), 2.0, 1e-6, "cosine at the start")
local cw = rs.sched.cosine{ lr = 1, warmup = 4, total = 12 }
tap.is_near(cw:lr(9), 0.5, 1e-6, "cosine after warmup")
local one = rs.sched.onecycle{ lr = 1, total = 100 }
tap.is_near(one:lr(1), 1 / 25, 1e-7, "onecycle starts at lr/div")
tap.is_near(one:lr(30), 1.0, 1e-6, "onecycle peak at pct_start")
tap.is_near(one:lr(100), 1 / 25 / 1e4, 1e-9, "onecycle end")

-- errors, word for word
tap.error_is(function() return rs.optim.adamw{ lr = -1 } end,
  "rs.optim.adamw: bad field 'lr' (-1 is not a finite number >= 0)",
  "negative lr")
tap.error_is(function() return rs.optim.adam{ betas = { 0.9 } } end,
  "rs.optim.adam: bad field 'betas' (a table of 2 numbers expected)",
  "betas length")
tap.error_is(function() return rs.optim.adam{ betas = { 0.9, 1.0 } } end,
  "rs.optim.adam: bad field 'betas' (beta2 = 1 is outside [0, 1))",
  "beta2 range")
tap.error_is(function() return rs.optim.sgd{ nesterov = true } end,
  "rs.optim.sgd: nesterov needs momentum > 0 and dampening 0 (got 0, 0)",
  "nesterov without momentum")
tap.error_is(function() return rs.optim.sgd{ momentum = "x" } end,
  "rs.optim.sgd: bad field 'momentum' (number expected, got string)",
  "momentum type")
tap.error_is(function() return rs.optim.sgd{ betas = { 0.9, 0.9 } } end,
  "rs.optim.sgd: unknown field 'betas' (known: lr, momentum, dampening, nesterov, weight_decay, clip)",
  "sgd has no betas")
tap.error_is(function() return rs.optim.adamw(0.1) end,
  "rs.optim.adamw: bad argument #1 'config' (table expected, got number)",
  "spec config type")
tap.error_is(function() return rs.sched.cosine{ total = 5, warmup = 5 } end,
  "rs.sched.cosine: bad field 'total' (5 is not after the warmup (5))",
  "total within warmup")
tap.error_is(function() return rs.sched.onecycle{ warmup = 5 } end,
  "rs.sched.onecycle: unknown field 'warmup' (known: lr, total, pct_start, div_factor, final_div)",
  "onecycle has no warmup")
tap.error_is(function() return c:lr(0) end,
  "schedule:lr: bad argument #1 'step' (0 is not >= 1)", "lr(0)")
tap.error_is(function() return rs.sched.cosine{}:lr(1) end,
  "schedule:lr: the schedule has no lr (give lr=)", "no lr")
tap.error_is(function() return rs.sched.cosine{ lr = 1 }:lr(1) end,
  "schedule:lr: the schedule has no total (give total=)", "no total")
tap.error_is(function() return rs.optim.new(spec, 5) end,
  "rs.optim.new: bad argument #2 'params' (module or table of tensors expected, got number)",
  "new: params type")
tap.error_is(function() return rs.optim.new(spec, { T.zeros(2) }) end,
  "rs.optim.new: parameter 0 (-) is not a trainable parameter tensor",
  "new: not a parameter")
tap.error_is(function() return rs.optim.new({}, m) end,
  "rs.optim.new: bad argument #1 'spec' (optim spec expected, got table)",
  "new: spec type")
o:release()
tap.error_is(function() return o:step() end,
  "optimiser:step: attempt to use a released optimiser", "released optimiser")

tap.done()
