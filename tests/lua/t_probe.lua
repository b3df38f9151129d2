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
  "rs.probe.rank: unknown field 'layer' (known: every, split, n, layers, on, centre, trainer)",
  "spec: unknown field")
tap.error_is(function() return P.dead{ on = "x" } end,
  "rs.probe.dead: bad field 'on' ('preact' or 'act' expected, got 'x')",
  "spec: on")
tap.error_is(function() return P.norms{ trainer = 3 } end,
  "rs.probe.norms: bad field 'trainer' (trainer expected, got number)",
  "spec: trainer type")
tap.error_is(function() return P.run(P.rank{ layers = { "l9" } }, tr) end,
  "rs.probe.run: bad field 'layers' (the model has no layer 'l9')",
  "run: unknown layer")
tap.error_is(function() return P.run(P.rank{}, 3) end,
  "rs.probe.run: bad argument #2 'trainer' (trainer expected, got number)",
  "run: trainer type")

tap.done()
