-- t_sparcprobe.lua: rs.probe.sparc, the image-text instruments on a
-- learner of an imgtext source: its values and names (prefixed with the
-- learner's name), the alignment matrix of the chosen composite with its
-- caption words as row labels and rows that are distributions over the
-- patches, and the refusals. Needs Fashion-MNIST (skipped otherwise).
local tap = require "tap"
local rs = require "repscope"

local data, why = rs.data.imgtext{ train_n = 300, test_n = 64, seed = 3 }
if data == nil then
  tap.skip(1, why)
  tap.done()
  return
end
local lay = data:layout()

local function learner(name, objective)
  rs.seed(4)
  local P, q, h, d = lay.patches, lay.patch_pixels, 16, 8
  local image = rs.nn.sequential{
    rs.nn.reshape{ shape = { P, q } }, rs.nn.linear(q, h),
    rs.nn.position{ n = P, d = h }, rs.nn.relu(), rs.nn.linear(h, d) }
  local text = rs.nn.sequential{
    rs.nn.embedding{ vocab = lay.vocab, d = h }, rs.nn.relu(),
    rs.nn.linear(h, d) }
  return rs.learner{ name = name, data = data, objective = objective,
                     model = { image, text, rs.nn.scalar{ value = math.log(0.07) } },
                     optim = rs.optim.adamw{ lr = 3e-3 }, batch = 16,
                     eval_every = 0, seed = 2 }
end

local sp = learner("sp", rs.objective.sparc{})
for _ = 1, 20 do sp:step() end
tap.clear()
local r = rs.probe.sparc(sp, { n = 64, example = 2 })
for _, k in ipairs({ "patch_acc", "r1", "align_mass" }) do
  tap.ok(r[k] >= 0 and r[k] <= 1, k .. " in [0, 1]: " .. r[k])
end
tap.ok(r.align_entropy >= 0 and r.align_entropy <= math.log(lay.patches) + 1e-9,
       "align_entropy in [0, ln P]: " .. r.align_entropy)
tap.is(r.r1, (r.r1_i2t + r.r1_t2i) / 2, "r1 is the mean of both directions")
local logged = tap.logged()
tap.is(logged["sp/eval/patch_acc"], r.patch_acc, "logged as sp/eval/patch_acc")
tap.is(logged["sp/eval/align_mass"], r.align_mass, "and sp/eval/align_mass")
tap.is(logged["eval/patch_acc"], nil, "no bare name for a named learner")
local rows, cols, vals, rl = tap.matrix("sp/align")
tap.is(rows .. "x" .. cols, lay.len .. "x" .. lay.patches,
       "sp/align is caption words x patches")
local words = {}
for i, id in ipairs(data:tokens("test", 2)) do words[i] = data:word(id) end
tap.is(rl, table.concat(words, "|"), "its rows are composite 2's words")
local sums_ok = true
for i = 1, rows do
  local s = 0
  for j = 1, cols do s = s + vals[(i - 1) * cols + j] end
  if math.abs(s - 1) > 1e-4 then sums_ok = false end
end
tap.ok(sums_ok, "every word's weights sum to 1 over the patches")

local pr, pc, pv = tap.matrix("sp/patch_pred")
local classes_ok = pr == 1 and pc == lay.patches
for _, v in ipairs(pv or {}) do
  if v ~= math.floor(v) or v < 0 or v > 9 then classes_ok = false end
end
tap.ok(classes_ok, "sp/patch_pred: 1 x P classes 0..9")

-- the same evaluation set on every call: equal values without a step
local again = rs.probe.sparc(sp, { n = 64, example = 2 })
tap.is(again.patch_acc, r.patch_acc, "a second call without a step agrees")

-- read = "own": a softmax-alignment learner read with its own rule
local so = learner("so", rs.objective.sparc{ align = "softmax" })
for _ = 1, 5 do so:step() end
local mine = rs.probe.sparc(so, { n = 32, read = "own" })
local common = rs.probe.sparc(so, { n = 32 })
tap.is(mine.patch_acc, common.patch_acc, "the reading rule leaves patch_acc")
tap.ok(mine.align_entropy ~= common.align_entropy,
       "but changes the weights read (entropy " .. mine.align_entropy ..
       " own, " .. common.align_entropy .. " min-max)")
tap.error_like(function() return rs.probe.sparc(so, { read = "mine" }) end,
  "read", "an unknown reading rule")

-- refusals
tap.error_like(function() return rs.probe.sparc(sp, { n = 8, example = 9 }) end,
  "example", "an example beyond n")
local mod = rs.data.modular{ p = 5, seed = 1 }
local other = rs.learner{ model = rs.nn.mlp{ input = 10, width = 4, output = 5 },
                          data = mod, eval_every = 0 }
tap.error_like(function() return rs.probe.sparc(other) end,
  "imgtext source expected", "a learner of other data")
tap.done()
