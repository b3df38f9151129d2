-- t_plastprobe.lua: the plasticity instruments on learners with known
-- answers. rs.probe.entk on a linear model (an rs.nn.mlp of depth 0,
-- y = W x + b with k outputs) over one-hot modular inputs: K = k (x_i .
-- x_j + 1) for the sum of the outputs and x_i . x_j + 1 for one output,
-- read from the published matrix; its offdiag and erank from K (erank
-- by rs.probe.erank of K: for a PSD matrix the singular values are the
-- eigenvalues). An MLP whose first layer has zero weights and biases (1,
-- -1, 0.5, -0.5): the dead probe sees 2 dead and 2 zombie units of 4,
-- the rank probe sigma1 = sqrt(n) |b|, and rs.probe.preact_hist the
-- means (1, -1, 0.5, -0.5) in its bins. A learner stepped after an eNTK
-- ends where one stepped without it does, bit for bit. Errors word for
-- word.
local tap = require "tap"
local rs = require "repscope"

local p = 7
local data = rs.data.modular{ p = p, seed = 3 }
local ntrain = data:count("train")

-- ---- the eNTK of a linear model --------------------------------------------

local function linear(seed)
  rs.seed(seed)
  return rs.nn.mlp{ input = 2 * p, depth = 0, output = p }
end
local lin = rs.learner{ name = "lin", model = linear(1), data = data,
                        batch = 8, eval_every = 0 }
local x = data:batch("train", 1, ntrain)
local function dot(i, j)
  local s = 0
  for c = 1, 2 * p do s = s + x[{ i, c }] * x[{ j, c }] end
  return s
end

tap.clear()
local r = rs.probe.entk(lin)
tap.is(r.n, ntrain, "n 64 on a split of " .. ntrain .. ": all of it")
local rows, cols, K = tap.matrix("lin/entk")
tap.is(rows .. "x" .. cols, ntrain .. "x" .. ntrain, "lin/entk is n x n")
local worst, trace, off, diag = 0, 0, 0, 0
for i = 1, ntrain do
  for j = 1, ntrain do
    local want = p * (dot(i, j) + 1)
    local got = K[(i - 1) * ntrain + j]
    worst = math.max(worst, math.abs(got - want) / math.max(1, want))
    if i == j then diag = diag + got else off = off + math.abs(got) end
  end
end
tap.ok(worst < 1e-6, string.format("sum: K = k (x_i . x_j + 1) (%.2g)", worst))
tap.is_near(r.trace, diag, 1e-6 * diag, "trace = sum of K_ii")
tap.is_near(r.offdiag, (off / (ntrain * (ntrain - 1))) / (diag / ntrain),
            1e-6, "offdiag = mean |K_ij| / mean K_ii")
local Kt = rs.tensor.zeros(ntrain, ntrain)
for i = 1, ntrain do
  for j = 1, ntrain do Kt[{ i, j }] = K[(i - 1) * ntrain + j] end
end
tap.is_near(r.erank, rs.probe.erank(Kt), 1e-3 * r.erank,
            "erank = exp(H) of K's eigenvalues (" .. r.erank .. ")")
local logged = tap.logged()
tap.is(logged["lin/probe/entk/erank"], r.erank, "logged lin/probe/entk/erank")
tap.is(logged["lin/probe/entk/offdiag"], r.offdiag,
       "logged lin/probe/entk/offdiag")

tap.clear()
r = rs.probe.entk(lin, { n = 5, output = 2, split = "train" })
rows, cols, K = tap.matrix("lin/entk")
worst = 0
for i = 1, 5 do
  for j = 1, 5 do
    worst = math.max(worst, math.abs(K[(i - 1) * 5 + j] - (dot(i, j) + 1)))
  end
end
tap.ok(r.n == 5 and rows == 5 and worst < 1e-5,
       "output 2, n 5: K = x_i . x_j + 1")
r = rs.probe.entk(lin, { output = "sum", split = "test" })
tap.is(r.n, data:count("test"), "the test split")

-- ---- dead, zombie, sigma1 and the pre-activation histogram ------------------

local b = { 1, -1, 0.5, -0.5 }
local function planted()
  rs.seed(2)
  local m = rs.nn.mlp{ input = 2 * p, width = 4, depth = 1, output = p }
  m:param("l1.weight"):fill(0)
  local bias = m:param("l1.bias")
  for u = 1, 4 do bias[u] = b[u] end
  return m
end
local z = rs.learner{ name = "z", model = planted(), data = data, batch = 8,
                      eval_every = 0 }
local got = rs.probe.run(rs.probe.dead{ n = 10, split = "test" }, z)
tap.is(got["z/probe/dead/l1"], 0.5, "dead: 2 of 4 never fire")
tap.is(got["z/probe/zombie/l1"], 0.5, "zombie: 2 of 4 fire on every input")
got = rs.probe.run(rs.probe.rank{ n = 10, split = "test" }, z)
tap.is_near(got["z/probe/sigma1/l1"], math.sqrt(10 * 2.5), 1e-5,
            "sigma1 of 10 rows of b: sqrt(10) |b| = 5")

tap.clear()
local h = rs.probe.preact_hist(z, { layer = "l1", bins = 4 })
tap.is(table.concat(h.counts, ","), "1,1,0,2",
       "means -1 | -0.5 | . | 0.5 1 in 4 bins of [-1, 1]")
tap.ok(h.lo == -1 and h.hi == 1, "r = max |mean| = 1")
local hr, hc, hv, _, hcl = tap.matrix("z/preact_hist/l1")
tap.is(hr .. "x" .. hc, "1x4", "z/preact_hist/l1 is 1 x bins")
tap.is(hcl, "-0.75|-0.25|0.25|0.75", "labelled with the bin centres")
tap.is(hv[4], 2, "its counts")
h = rs.probe.preact_hist(z, { layer = "l1", bins = 3, range = 0.6,
                              split = "test", n = 5 })
tap.is(table.concat(h.counts, ","), "2,0,2",
       "range 0.6: the outer means clamp into the end bins")
tap.ok(h.lo == -0.6 and h.hi == 0.6, "[-0.6, 0.6]")
h = rs.probe.preact_hist(z, { layer = "l1" })
tap.is(#h.counts, 32, "32 bins by default")

-- ---- the learner is left alone ----------------------------------------------

local function stepped(with_entk)
  rs.seed(9)
  local m = rs.nn.mlp{ input = 2 * p, width = 16, depth = 2, output = p,
                       norm = "layernorm" }
  local l = rs.learner{ model = m, data = data, batch = 8, eval_every = 0,
                        seed = 5 }
  for _ = 1, 3 do l:step() end
  if with_entk then
    rs.probe.entk(l, { n = 12, output = 1 })
    rs.probe.preact_hist(l, { layer = "l1" })
  end
  for _ = 1, 3 do l:step() end
  return m, l
end
local ma, la = stepped(true)
local mb, lb = stepped(false)
local same, count = true, 0
for name, t in pairs(ma:params()) do
  same = same and t:equal(mb:params()[name])
  count = count + 1
end
tap.ok(same and count == 10,
       "steps after an eNTK equal steps without it, bit for bit (" .. count ..
       " parameters)")
tap.is(la:last().loss, lb:last().loss, "the same last loss")

-- ---- errors -----------------------------------------------------------------

tap.error_is(function() return rs.probe.entk(3) end,
  "rs.probe.entk: bad argument #1 'learner' (learner expected, got number)")
tap.error_is(function() return rs.probe.entk(lin, { n = 0 }) end,
  "rs.probe.entk: bad field 'n' (0 is outside 1..4096)")
tap.error_is(function() return rs.probe.entk(lin, { output = "max" }) end,
  "rs.probe.entk: bad field 'output' ('sum' or a class index expected, " ..
  "got 'max')")
tap.error_is(function() return rs.probe.entk(lin, { output = 7 }) end,
  "rs.probe.entk: bad field 'output' (7 is not a class index 0..6)")
tap.error_is(function() return rs.probe.entk(lin, { output = 1.5 }) end,
  "rs.probe.entk: bad field 'output' ('sum' or a class index expected, " ..
  "got number)")
tap.error_is(function() return rs.probe.entk(lin, { split = "val" }) end,
  "rs.probe.entk: bad field 'split' ('train' or 'test' expected, got 'val')")
tap.error_is(function() return rs.probe.entk(lin, { N = 3 }) end,
  "rs.probe.entk: unknown field 'N' (known: n, split, output, params)")
tap.error_is(function() return rs.probe.entk(lin, { params = "biases" }) end,
  "rs.probe.entk: bad field 'params' ('all' or 'weights' expected, got " ..
  "'biases')")
tap.error_is(function() return rs.probe.preact_hist(z) end,
  "rs.probe.preact_hist: bad argument #2 'options' (table expected, got " ..
  "no value)")
tap.error_is(function() return rs.probe.preact_hist(z, {}) end,
  "rs.probe.preact_hist: bad field 'layer' (string expected, got nil)")
tap.error_is(function() return rs.probe.preact_hist(z, { layer = "l9" }) end,
  "rs.probe.preact_hist: bad field 'layer' (the model has no layer 'l9')")
tap.error_is(function()
  return rs.probe.preact_hist(z, { layer = "l1", range = 0 })
end, "rs.probe.preact_hist: bad field 'range' (0 is not a finite number > 0)")
tap.error_is(function()
  return rs.probe.preact_hist(z, { layer = "l1", bins = 0 })
end, "rs.probe.preact_hist: bad field 'bins' (0 is outside 1..4096)")
tap.error_is(function()
  return rs.probe.preact_hist(lin, { layer = "l1" })
end, "rs.probe.preact_hist: bad field 'layer' (the model has no layer 'l1')")

tap.done()
