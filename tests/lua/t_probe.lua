-- t_probe.lua: rs.probe on matrices of known rank and layers with planted
-- dead units, and probe specs run on a trainer (values cross-checked with
-- the direct functions on the same activations).
local tap = require "tap"
local rs = require "repscope"
local T = rs.tensor
local P = rs.probe

-- diag(3, 2, 1) in a 6 x 5 matrix: singular values 3, 2, 1, 0, 0
local d = T.zeros(6, 5)
d[{ 1, 1 }], d[{ 2, 2 }], d[{ 3, 3 }] = 3, 2, 1
local s = P.spectrum(d)
tap.is(s:numel(), 5, "spectrum has min(N, C) values")
tap.is_near(s[1], 3, 1e-5, "s1")
tap.is_near(s[3], 1, 1e-5, "s3")
tap.is_near(s[5], 0, 1e-5, "s5")
tap.is(P.srank(d), 3, "srank_0.01 of diag(3, 2, 1) is 3")
tap.is(P.srank(d, 0.2), 2, "srank_0.2: 3 + 2 >= 0.8 * 6")
tap.is(P.approx_rank(d, 0.01), 3, "approx rank 0.01")
tap.is(P.approx_rank(d, 0.1), 2, "approx rank 0.1: 9 + 4 >= 0.9 * 14")
local p1, p2, p3 = 3 / 6, 2 / 6, 1 / 6
tap.is_near(P.erank(d), math.exp(-(p1 * math.log(p1) + p2 * math.log(p2) +
                                   p3 * math.log(p3))), 1e-5, "effective rank")
tap.is_near(P.stable_rank(d), 14 / 9, 1e-5, "stable rank")
tap.is(P.numerical_rank(d), 3, "numerical rank")
tap.is(P.numerical_rank(d, 1.5), 2, "numerical rank above a tolerance")

-- a random rank-3 product (8 x 3)(3 x 6)
rs.seed(11)
local low = T.randn(8, 3):matmul(T.randn(3, 6))
tap.is(P.numerical_rank(low), 3, "rank-3 product has numerical rank 3")
tap.ok(P.srank(low) <= 3, "srank of a rank-3 matrix is at most 3")
tap.is(P.srank(T.eye(4)), 4, "srank of the identity")
tap.is_near(P.erank(T.eye(4)), 4, 1e-5, "erank of the identity")
tap.is(P.srank(T.zeros(3, 3)), 0, "zero matrix has srank 0")

-- covariance rank: samples in a 2-D subspace of R^5
local coef = T.randn(20, 2)
local basis = T.randn(2, 5)
tap.is(P.cov_rank(coef:matmul(basis)), 2, "covariance rank 2")

-- planted dead units: unit 2 never > 0, unit 4 always 0, unit 1 always on
local act = T.from{
  { 1, -1, 0.5, 0 },
  { 2, 0, -0.5, 0 },
  { 0.5, -3, 1, 0 },
  { 1, -0.1, 0, 0 },
}
local frac, freq = P.dead(act)
tap.is(frac, 0.5, "dead fraction 2 of 4")
local f = freq:totable()
tap.is(table.concat(f, ","), "1.0,0.0,0.5,0.0", "activation frequency")
local never, always, freq2 = P.activity(act)
tap.is(never, 2, "never active")
tap.is(always, 1, "always active")
tap.ok(freq2:equal(freq), "activity frequency")
local count, score = P.dormant(act, 0.1)
local means, total = {}, 0
for j = 1, 4 do
  local m = 0
  for i = 1, 4 do m = m + math.abs(act[{ i, j }]) / 4 end
  means[j] = m
  total = total + m / 4
end
tap.is_near(score[2], means[2] / total, 1e-6, "dormant score")
tap.is(count, 1, "one dormant unit at tau 0.1 (the zero one)")

-- probe specs run on a trainer
rs.seed(1)
local data = rs.data.modular{ p = 11, seed = 2 }
local tr = rs.train{ model = rs.nn.mlp{ input = 22, width = 12, depth = 2,
                                       output = 11 },
                     data = data, batch = 16, eval_every = 0 }
for _ = 1, 5 do tr:step() end
local model = tr:model()
local x = data:batch("test", 1, 20)
tap.clear()
local res = P.run(P.rank{ n = 20 }, tr)
model:forward(x) -- the same first 20 test examples, for the references
tap.is(res["probe/srank/l1"], P.srank(model:activation("l1", "preact")),
       "rank probe: srank of l1's pre-activation")
tap.is_near(res["probe/erank/l2"], P.erank(model:activation("l2", "preact")),
            1e-9, "rank probe: erank of l2")
tap.is(tap.logged()["probe/srank/l2"], res["probe/srank/l2"],
       "rank probe logs through rs.log's sink")
local rows, cols, vals = tap.matrix("spectrum/l1")
tap.is(rows, 1, "spectrum matrix is one row")
tap.is(cols, 12, "spectrum matrix has min(N, C) columns")
tap.is_near(vals[1], P.spectrum(model:activation("l1", "preact"))[1], 1e-5,
            "spectrum matrix values")
tap.is(res["probe/covrank/l1"], nil, "no covrank unless asked")
res = P.run(P.rank{ n = 20, covrank = true, delta = 0.5 }, tr)
model:forward(x)
tap.is(res["probe/covrank/l2"], P.cov_rank(model:activation("l2", "preact")),
       "rank probe covrank = rs.probe.cov_rank of l2's pre-activation")
tap.is(res["probe/srank/l1"], P.srank(model:activation("l1", "preact"), 0.5),
       "rank probe delta = 0.5 reaches the srank")
res = P.run(P.dead{ n = 20, layers = { "l2" } }, tr)
model:forward(x)
local dfrac, dfreq = P.dead(model:activation("l2"))
tap.is(res["probe/dead/l2"], dfrac, "dead probe on l2's activation")
tap.is(res["probe/dead/l1"], nil, "dead probe only on the layers asked")
local _, ncols, nvals = tap.matrix("neurons/l2")
tap.is(ncols, 12, "neurons matrix one column per unit")
tap.is(nvals[3], dfreq[3], "neurons matrix is the frequency")
res = P.run(P.norms{ per_layer = true }, tr)
tap.is_near(res["norm/weight"], model:weight_norm(), 1e-9, "norm/weight")
tap.is_near(res["norm/grad"], tr:last().grad_norm, 1e-9, "norm/grad")
tap.is_near(res["norm/weight/l3"], model:weight_norm("l3"), 1e-9,
            "norm/weight per layer")

-- errors, word for word
tap.error_is(function() return P.srank(5) end,
  "rs.probe.srank: bad argument #1 'features' (tensor expected, got number)",
  "srank: type")
tap.error_is(function() return P.srank(d, 1.5) end,
  "rs.probe.srank: bad argument #2 'delta' (1.5 is outside [0, 1))",
  "srank: delta")
tap.error_is(function() return P.dormant(act, "x") end,
  "rs.probe.dormant: bad argument #2 'tau' (number expected, got string)",
  "dormant: tau")
tap.error_is(function() return P.rank{ every = 0 } end,
  "rs.probe.rank: bad field 'every' (0 is not >= 1)", "spec: every")
tap.error_is(function() return P.rank{ layer = "l1" } end,
  "rs.probe.rank: unknown field 'layer' (known: every, split, n, layers, on, centre, learner, delta, covrank)",
  "spec: unknown field")
tap.error_is(function() return P.dead{ on = "x" } end,
  "rs.probe.dead: bad field 'on' ('preact' or 'act' expected, got 'x')",
  "spec: on")
tap.error_is(function() return P.norms{ learner = 3 } end,
  "rs.probe.norms: bad field 'learner' (learner name or learner expected, got number)",
  "spec: learner type")
tap.error_is(function() return P.run(P.rank{ layers = { "l9" } }, tr) end,
  "rs.probe.run: bad field 'layers' (the model has no layer 'l9')",
  "run: unknown layer")
tap.error_is(function() return P.run(P.rank{}, 3) end,
  "rs.probe.run: bad argument #2 'learner' (learner expected, got number)",
  "run: learner type")

-- ---- rs.probe.linear -------------------------------------------------------

-- The spec: defaults and field validation, word for word.
local lin = P.linear{}
tap.is(lin.kind, "linear", "linear spec: kind")
tap.is(lin.every, 250, "linear spec: every defaults to 250")
tap.is(lin.n, 1024, "linear spec: n defaults to 1024")
tap.is(lin.lambda, 1e-2, "linear spec: lambda defaults to 1e-2")
tap.is(lin.layers, "all", "linear spec: layers default to all")
lin = P.linear{ every = 10, n = 0, layers = { "l2" }, lambda = 3 }
tap.is(lin.every * 1000 + lin.n, 10000, "linear spec: every and n kept")
tap.is(lin.layers[1], "l2", "linear spec: layers kept")
tap.is(math.type(lin.lambda), "float", "linear spec: an integer lambda is kept as a float")
tap.error_is(function() return P.linear(5) end,
  "rs.probe.linear: bad argument #1 'spec' (table expected, got number)",
  "linear spec: not a table")
tap.error_is(function() return P.linear{ split = "test" } end,
  "rs.probe.linear: unknown field 'split' (known: every, n, layers, lambda, learner)",
  "linear spec: split is not a field (it uses both)")
tap.error_is(function() return P.linear{ on = "preact" } end,
  "rs.probe.linear: unknown field 'on' (known: every, n, layers, lambda, learner)",
  "linear spec: on is not a field (activations only)")
tap.error_is(function() return P.linear{ every = 0 } end,
  "rs.probe.linear: bad field 'every' (0 is not >= 1)", "linear spec: every")
tap.error_is(function() return P.linear{ n = 1 } end,
  "rs.probe.linear: bad field 'n' (1 is not 0 (all) or >= 2)",
  "linear spec: n = 1")
tap.error_is(function() return P.linear{ n = -2 } end,
  "rs.probe.linear: bad field 'n' (-2 is not 0 (all) or >= 2)",
  "linear spec: n < 0")
tap.error_is(function() return P.linear{ n = 2.5 } end,
  "rs.probe.linear: bad field 'n' (integer expected, got number)",
  "linear spec: n not an integer")
tap.error_is(function() return P.linear{ lambda = 0 } end,
  "rs.probe.linear: bad field 'lambda' (0 is not a finite number > 0)",
  "linear spec: lambda 0")
tap.error_is(function() return P.linear{ lambda = -1e-3 } end,
  "rs.probe.linear: bad field 'lambda' (-0.001 is not a finite number > 0)",
  "linear spec: lambda < 0")
tap.error_is(function() return P.linear{ lambda = math.huge } end,
  "rs.probe.linear: bad field 'lambda' (inf is not a finite number > 0)",
  "linear spec: lambda inf")
tap.error_is(function() return P.linear{ lambda = "big" } end,
  "rs.probe.linear: bad field 'lambda' (number expected, got string)",
  "linear spec: lambda type")
tap.error_is(function() return P.linear{ layers = {} } end,
  "rs.probe.linear: bad field 'layers' ('all' or list of strings expected, got table)",
  "linear spec: empty layers")
tap.error_is(function() return P.linear{ learner = {} } end,
  "rs.probe.linear: bad field 'learner' (learner name or learner expected, got table)",
  "linear spec: learner type")
-- the C side checks a hand-made spec too
tap.error_is(function() return P.run({ kind = "linear", lambda = -1 }, tr) end,
  "rs.probe.run: bad field 'lambda' (-1 is not a finite number > 0)",
  "run linear: lambda checked in C")
tap.error_is(function() return P.run({ kind = "linear", n = 1 }, tr) end,
  "rs.probe.run: bad field 'n' (1 is not 0 (all) or >= 2)",
  "run linear: n checked in C")
tap.error_is(function() return P.run(P.linear{ layers = { "l9" } }, tr) end,
  "rs.probe.run: bad field 'layers' (the model has no layer 'l9')",
  "run linear: unknown layer")

-- An independent ridge probe in Lua: standardise with the train mean and
-- sample std (a column without spread weighs 0), solve the full augmented
-- normal equations ([Z 1]^T [Z 1] + lambda I) W = [Z 1]^T onehot(y) by
-- Gauss-Jordan elimination, then argmax (first on a tie), in double.
local function ridge_acc(htr, ytr, hte, yte, classes, lambda)
  local n, w = #htr, #htr[1]
  local mean, inv = {}, {}
  for j = 1, w do
    local s = 0
    for i = 1, n do s = s + htr[i][j] end
    mean[j] = s / n
    local ss = 0
    for i = 1, n do ss = ss + (htr[i][j] - mean[j]) ^ 2 end
    local sd = math.sqrt(ss / (n - 1))
    inv[j] = (sd > 0 and sd > 2 ^ -23 * math.abs(mean[j])) and 1 / sd or 0
  end
  local d = w + 1
  local function feat(row)
    local z = {}
    for j = 1, w do z[j] = (row[j] - mean[j]) * inv[j] end
    z[d] = 1
    return z
  end
  local A = {} -- [X^T X + lambda I | X^T Y]
  for p = 1, d do
    A[p] = {}
    for q = 1, d + classes do A[p][q] = p == q and lambda or 0 end
  end
  for i = 1, n do
    local z = feat(htr[i])
    for p = 1, d do
      for q = 1, d do A[p][q] = A[p][q] + z[p] * z[q] end
      A[p][d + ytr[i] + 1] = A[p][d + ytr[i] + 1] + z[p]
    end
  end
  for c = 1, d do
    local piv = c
    for r = c + 1, d do
      if math.abs(A[r][c]) > math.abs(A[piv][c]) then piv = r end
    end
    A[c], A[piv] = A[piv], A[c]
    for r = 1, d do
      if r ~= c then
        local f = A[r][c] / A[c][c]
        for q = c, d + classes do A[r][q] = A[r][q] - f * A[c][q] end
      end
    end
  end
  local function acc(h, y)
    local hits = 0
    for i = 1, #h do
      local z = feat(h[i])
      local best, bs = 0, -math.huge
      for k = 1, classes do
        local s = 0
        for p = 1, d do s = s + z[p] * A[p][d + k] / A[p][p] end
        if s > bs then best, bs = k - 1, s end
      end
      if best == y[i] then hits = hits + 1 end
    end
    return hits / #h
  end
  return acc(htr, ytr), acc(hte, yte)
end

-- the activations and labels of the first n examples of each split
local function acts(layer, n)
  local ntr, nte = math.min(n, data:count("train")), math.min(n, data:count("test"))
  local xtr, ytr = data:batch("train", 1, ntr)
  local xte, yte = data:batch("test", 1, nte)
  model:forward(xtr)
  local htr = model:activation(layer):totable()
  model:forward(xte)
  local hte = model:activation(layer):totable()
  return htr, ytr, hte, yte
end

tap.clear()
local step0 = tr:steps()
res = P.run(P.linear{ n = 20, lambda = 0.5 }, tr)
for _, l in ipairs({ "l1", "l2" }) do
  local htr, ytr, hte, yte = acts(l, 20)
  local atr, ate = ridge_acc(htr, ytr, hte, yte, data:classes(), 0.5)
  tap.is(res["probe/linear/" .. l], ate,
         "linear probe: test accuracy of " .. l .. " = an independent ridge fit")
  tap.is(res["probe/linear_train/" .. l], atr,
         "linear probe: train accuracy of " .. l)
end
tap.is(tap.logged()["probe/linear/l2"], res["probe/linear/l2"],
       "linear probe logs through rs.log's sink")
-- n beyond the splits: all of each
local spec_all = P.linear{ layers = { "l2" } }
res = P.run(spec_all, tr)
do
  local htr, ytr, hte, yte = acts("l2", 1024)
  tap.ok(#htr < 1024 and #hte < 1024, "the splits are smaller than n")
  local atr, ate = ridge_acc(htr, ytr, hte, yte, data:classes(), 1e-2)
  tap.is(res["probe/linear/l2"], ate, "linear probe on whole splits: test")
  tap.is(res["probe/linear_train/l2"], atr, "linear probe on whole splits: train")
  tap.is(res["probe/linear/l1"], nil, "linear probe only on the layers asked")
end

-- the history matrix: layers x probe steps, labelled
local spec = P.linear{ n = 20 }
local r1 = P.run(spec, tr)
local mrows, mcols, mvals, rlab, clab = tap.matrix("linear")
tap.is(mrows, 2, "linear matrix: one row per layer")
tap.is(mcols, 1, "linear matrix: one column per probe")
tap.is(rlab, "l1|l2", "linear matrix: rows labelled by layer")
tap.is(clab, tostring(step0), "linear matrix: columns labelled by step")
tap.is_near(mvals[2], r1["probe/linear/l2"], 1e-6, "linear matrix: values")
P.run(spec, tr)
_, mcols = tap.matrix("linear")
tap.is(mcols, 1, "linear matrix: the same step probed again replaces")
tr:step()
local r2 = P.run(spec, tr)
mrows, mcols, mvals, _, clab = tap.matrix("linear")
tap.is(mcols, 2, "linear matrix: a later step adds a column")
tap.is(clab, step0 .. "|" .. (step0 + 1), "linear matrix: step labels")
tap.is_near(mvals[1], r1["probe/linear/l1"], 1e-6, "linear matrix: l1, first")
tap.is_near(mvals[4], r2["probe/linear/l2"], 1e-6, "linear matrix: l2, second")
for _ = 1, 205 do
  tr:step()
  P.run(spec, tr)
end
_, mcols, _, _, clab = tap.matrix("linear")
tap.is(mcols, 200, "linear matrix: capped at 200 probe times")
tap.is(clab:match("^(%d+)|"), tostring(tr:steps() - 199),
       "linear matrix: the oldest columns drop out")
-- a restart (a fresh trainer, or a checkpoint from earlier) starts over
rs.seed(1)
local tr2 = rs.train{ model = rs.nn.mlp{ input = 22, width = 12, depth = 2,
                                        output = 11 },
                      data = data, batch = 16, eval_every = 0 }
P.run(spec, tr2)
_, mcols, _, _, clab = tap.matrix("linear")
tap.is(mcols, 1, "linear matrix: a probe at an earlier step drops the later ones")
tap.is(clab, "0", "linear matrix: restarted at step 0")

-- a model without probe-able layers: nothing to probe, an empty result
local tr3 = rs.train{ model = rs.nn.linear(22, 11), data = data, batch = 16,
                      eval_every = 0 }
res = P.run(P.linear{}, tr3)
tap.is(type(res), "table", "linear probe on a model without layers: a table")
tap.is(next(res), nil, "linear probe on a model without layers: empty")

tap.done()
