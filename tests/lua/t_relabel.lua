-- t_relabel.lua: rs.data.relabel - a task switch changes labels, never
-- inputs (bit for bit); exactly round(frac * N) examples re-drawn and no
-- other label moved; deterministic per (seed, task); the test split kept;
-- a relabel of a relabel reads the root; labels = "index"; a learner
-- switching tasks with l:set_data; field errors; Fashion-MNIST when
-- installed (skipped otherwise).
local tap = require "tap"
local rs = require "repscope"

local function same(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do
    if a[i] ~= b[i] then return false end
  end
  return true
end

-- the labels that differ between old and now all lie in the chosen set
-- (a list of 1-based indices); returns that and how many differ
local function moved_within(old, now, chosen)
  local in_set = {}
  for _, i in ipairs(chosen) do in_set[i] = true end
  local changed, ok = 0, true
  for i = 1, #old do
    if old[i] ~= now[i] then
      changed = changed + 1
      if not in_set[i] then ok = false end
    end
  end
  return ok, changed
end

local m = rs.data.modular{ p = 31, op = "+", train_frac = 0.5, seed = 1 }
local N = m:count("train")
local old, old_test = m:labels("train"), m:labels("test")
local _, y = m:batch("train")
tap.ok(same(old, y), "labels() agrees with batch() on the modular table")

local r = rs.data.relabel(m, { frac = 1, seed = 1, task = 1 })
tap.is(r:kind(), "relabel", "kind")
tap.is(r:count("train"), N, "train count")
tap.is(r:count("test"), m:count("test"), "test count")
tap.is(r:classes(), 31, "classes of the dataset")
tap.is(r:input_dim(), m:input_dim(), "input_dim")
for _, split in ipairs{ "train", "test" } do
  local xa = m:batch(split)
  local xb, yb = r:batch(split)
  tap.ok(xa:equal(xb), split .. ": every input identical, bit for bit")
  tap.ok(same(yb, r:labels(split)), split .. ": batch labels are labels()")
end
tap.ok(same(r:labels("test"), old_test), "test labels unchanged")
local chosen = r:relabelled()
tap.is(#chosen, N, "frac 1: every example chosen")
local ok, changed = moved_within(old, r:labels("train"), chosen)
tap.ok(ok, "frac 1: only chosen labels moved")
tap.ok(changed > N * 0.9 and changed < N,
       ("frac 1: %d of %d changed (30/31 expected)"):format(changed, N))

for _, frac in ipairs{ 0, 0.1, 0.25, 0.5, 2 / 3 } do
  local q = rs.data.relabel(m, { frac = frac, seed = 3, task = 4 })
  local c = q:relabelled()
  tap.is(#c, math.floor(frac * N + 0.5),
         ("frac %g: round(frac * %d) chosen"):format(frac, N))
  local asc = true
  for i = 2, #c do
    if c[i] <= c[i - 1] then asc = false end
  end
  tap.ok(asc and (#c == 0 or (c[1] >= 1 and c[#c] <= N)),
         ("frac %g: ascending indices in 1..N"):format(frac))
  tap.ok((moved_within(old, q:labels("train"), c)),
         ("frac %g: no label outside the chosen set moved"):format(frac))
end

-- deterministic per (seed, task)
local function labels(ds, cfg)
  return rs.data.relabel(ds, cfg):labels("train")
end
local base = labels(m, { seed = 1, task = 1 })
tap.ok(same(base, r:labels("train")), "defaults are frac 1, seed 1, task 1")
tap.ok(same(base, labels(m, { seed = 1, task = 1 })), "same seed, task: same")
tap.ok(not same(base, labels(m, { seed = 1, task = 2 })), "another task")
tap.ok(not same(base, labels(m, { seed = 2, task = 1 })), "another seed")
local s1 = rs.data.relabel(m, { frac = 0.2, seed = 9, task = 3 }):relabelled()
local s2 = rs.data.relabel(m, { frac = 0.2, seed = 9, task = 3 }):relabelled()
local s3 = rs.data.relabel(m, { frac = 0.2, seed = 9, task = 5 }):relabelled()
tap.ok(same(s1, s2), "same (seed, task): same chosen set")
tap.ok(not same(s1, s3), "another task: another chosen set")

-- tasks compose: task 2 starts from task 1's labels and reads m's inputs
local r2 = rs.data.relabel(r, { frac = 0.1, seed = 1, task = 2 })
tap.is(r2:root():kind(), "modular", "relabel of a relabel: root is modular")
tap.is(r:root():kind(), "modular", "the root of a relabel")
tap.is(m:root():kind(), "modular", "the root of a root is itself")
local ok2 = moved_within(r:labels("train"), r2:labels("train"),
                         r2:relabelled())
tap.ok(ok2, "task 2 moves only its chosen labels of task 1's")
tap.is(#r2:relabelled(), math.floor(0.1 * N + 0.5), "task 2: 10% re-drawn")
local l2 = r2:labels("train")
r:release()
collectgarbage()
tap.ok(m:batch("train"):equal(r2:batch("train")),
       "task 2 reads the root's inputs after task 1 is released")
tap.ok(same(l2, r2:labels("train")), "task 2's labels kept")
tap.is(#r2:labels("train"), N, "task 2 count")

-- index labels
local ix = rs.data.relabel(m, { labels = "index" })
tap.is(ix:classes(), math.max(N, m:count("test")), "index: classes")
local li, lt = ix:labels("train"), ix:labels("test")
local idx_ok = true
for i = 1, #li do
  if li[i] ~= i - 1 then idx_ok = false end
end
for i = 1, #lt do
  if lt[i] ~= i - 1 then idx_ok = false end
end
tap.ok(idx_ok, "index: label i - 1 for example i, both splits")
tap.is(#ix:relabelled(), 0, "index: nothing re-drawn")
tap.ok(m:batch("test"):equal(ix:batch("test")), "index: inputs identical")
tap.is(ix:class_name(5), "5", "index: class names are numbers")

-- a learner switches tasks; the step count goes on
local l = rs.learner{
  model = rs.nn.mlp{ input = m:input_dim(), width = 16, depth = 1,
                     output = 31, seed = 2 },
  data = m, batch = 32, eval_every = 0, seed = 1 }
l:step()
local t1 = rs.data.relabel(m, { task = 1 })
l:set_data(t1)
l:step()
tap.is(l:steps(), 2, "a learner steps on a relabelled task")
tap.is(l:data():kind(), "relabel", "l:data() is the task")

-- errors name the field
tap.error_is(function() rs.data.relabel(m, { frac = 1.5 }) end,
  "rs.data.relabel: bad field 'frac' (1.5 is outside [0, 1])", "frac > 1")
tap.error_like(function() rs.data.relabel(m, { frac = -0.1 }) end,
  "bad field 'frac'", "frac < 0")
tap.error_like(function() rs.data.relabel(m, { frac = 0 / 0 }) end,
  "bad field 'frac'", "frac NaN")
tap.error_like(function() rs.data.relabel(m, { seed = -1 }) end,
  "bad field 'seed'", "negative seed")
tap.error_like(function() rs.data.relabel(m, { task = 1.5 }) end,
  "bad field 'task'", "fractional task")
tap.error_like(function() rs.data.relabel(m, { labels = "shuffle" }) end,
  "bad field 'labels'", "unknown labels mode")
tap.error_is(function() rs.data.relabel(m, { labels = "index", frac = 1 }) end,
  "rs.data.relabel: bad field 'frac' (not used with labels = \"index\")",
  "index takes no frac")
tap.error_like(function()
  rs.data.relabel(m, { labels = "index", task = 2 })
end, "bad field 'task'", "index takes no task")
tap.error_like(function() rs.data.relabel(m, { fraction = 1 }) end,
  "unknown field 'fraction'", "unknown field")
tap.error_like(function() rs.data.relabel(5, {}) end,
  "bad argument #1 'dataset'", "not a dataset")
tap.error_like(function() rs.data.relabel(m, 5) end,
  "bad argument #2 'config'", "config must be a table")
tap.error_like(function() m:labels("val") end, "bad argument #1 'split'",
  "labels: bad split")

-- Fashion-MNIST (the real files), when installed
local f = rs.data.fmnist{ train_n = 300, test_n = 50 }
if f == nil then
  tap.skip(6, "Fashion-MNIST not installed")
else
  local fr = rs.data.relabel(f, { frac = 0.5, seed = 2, task = 7 })
  tap.ok(f:batch("train"):equal(fr:batch("train")),
         "fmnist: train images identical, bit for bit")
  tap.ok(f:batch("test"):equal(fr:batch("test")), "fmnist: test images")
  tap.is(#fr:relabelled(), 150, "fmnist: 150 of 300 chosen")
  tap.ok((moved_within(f:labels("train"), fr:labels("train"),
                       fr:relabelled())), "fmnist: only chosen labels moved")
  tap.is(fr:class_name(9), "Ankle boot", "fmnist relabel keeps class names")
  tap.is(rs.data.relabel(f, { labels = "index" }):classes(), 300,
         "fmnist index: classes = 300")
end

tap.done()
