-- t_seq.lua: the sequence-model API from Lua: tokens <-> text, a task's
-- samples and labels, the sequence probes on a random decoder (shapes,
-- the bound's rows summing to 1, collapse and TV against their
-- definitions), rs.train.seq with a schedule, and argument errors.
local tap = require "tap"
local rs = require "repscope"

-- tokens and text
local ids = rs.data.tokens("10 1,?")
tap.is(table.concat(ids, " "), "1 0 1 11 12", "tokens: digits, ',' and '?'")
tap.is(rs.data.token_text(ids), "101,?", "text inverts tokens")
tap.error_like(function() rs.data.tokens("1a") end, "'a' at position 2",
               "tokens: a bad character is named with its position")

-- a task and its labels
local task = rs.data.seqtask{ task = "count", min_len = 3, max_len = 9,
                              sep_every = 2 }
local x, y = task:sample(7, 5)
local ones, seps = 0, 0
for _, id in ipairs(x) do
  if id == 1 then ones = ones + 1 elseif id == 11 then seps = seps + 1 end
end
tap.is(y, ones, "count: the answer is the number of ones")
tap.is(seps, 3, "seven digits, a ',' after every 2: three separators")
tap.is(#x, task:seq_len(7), "the sample has seq_len tokens")
tap.is(x[#x], 12, "the query comes last")
tap.is(task:classes(), 10, "count classes: max_len + 1")

-- probes on a random decoder
local tf = rs.nn.transformer{ vocab = 13, ctx = 64, d = 16, heads = 2,
                              layers = 3, seed = 4 }
local seq = rs.data.tokens("1101001011?")
local S, B, U = rs.probe.sensitivity(tf, seq)
tap.is(table.concat(S:shape(), "x"), "3x11", "sensitivity: layers x tokens")
tap.is(table.concat(B:shape(), "x"), "3x11", "bound: layers x tokens")
for l = 1, 3 do
  local sb, su = 0, 0
  for i = 1, 11 do sb, su = sb + B:get(l, i), su + U:get(l, i) end
  tap.is_near(sb, 1, 1e-5, "bound row " .. l .. " sums to 1")
  tap.is_near(su, 1, 1e-5, "uniform bound row " .. l .. " sums to 1")
end
tap.ok(S:get(1, 1) > 0 and S:get(3, 11) > 0, "sensitivities are positive")

local v = rs.data.tokens("1111110")
local vs = rs.data.tokens("11111100")
local c = rs.probe.collapse(tf, v, vs)
local _, y1 = tf:forward(v)
local _, y2 = tf:forward(vs)
local linf, l1, ymax = 0, 0, 0
for i = 1, 16 do
  local dd = math.abs(y1:get(i) - y2:get(i))
  linf, l1 = math.max(linf, dd), l1 + dd
  ymax = math.max(ymax, math.abs(y1:get(i)))
end
tap.is_near(c.linf, linf, 1e-6, "collapse linf = |y(v) - y(v*)|_inf")
tap.is_near(c.l1, l1, 1e-5, "collapse l1")
tap.is_near(c.ymax, ymax, 1e-6, "collapse ymax = |y(v)|_inf")
tap.is(rs.probe.collapse(tf, v, v, "bf16").linf, 0.0,
       "the same sequence: distance 0 in bf16")
tap.is(rs.probe.attn_tv(tf, v, v, 2), 0.0, "TV of a sequence with itself")
local alt = rs.probe.attn_tv(tf, rs.data.tokens("101010"),
                             rs.data.tokens("010101"))
tap.ok(alt > 0 and alt <= 2, "TV of 101010 vs 010101 is in (0, 2]")
tap.error_like(function() rs.probe.attn_tv(tf, v, v, 4) end, "layer",
               "attn_tv: a layer outside 1..3")
tap.error_like(function() rs.probe.collapse(tf, v, vs, "fp8") end, "fp8",
               "collapse: an unknown precision")

-- a trainer with a schedule (rs.train.seq is sugar: it returns a learner)
local small = rs.nn.transformer{ vocab = 13, ctx = 16, d = 16, layers = 1,
                                 out = 10, seed = 2 }
local copy = rs.data.seqtask{ task = "copy_first", min_len = 3, max_len = 5 }
local tr = rs.train.seq{ model = small, task = copy, batch = 32, lr = 3e-3,
                         schedule = rs.sched.cosine{ warmup = 5, total = 200 } }
local first = tr:step()
for _ = 2, 200 do tr:step() end
local _, acc = tr:eval(4, 256)
tap.ok(acc > 0.9, string.format("copy_first learned with a cosine "
                                 .. "schedule (acc %.2f, first loss %.2f)",
                                 acc, first))
tap.is_near(tr:lr(), 0, 1e-6, "the cosine rate reached 0 at its total")
tap.error_like(function()
  rs.train.seq{ model = small, task = copy, warmup = 3,
                schedule = rs.sched.constant{} }
end, "give the warmup to the schedule", "warmup twice is refused")
tap.is(rs.train.seq{ model = small, task = copy, name = "s1" }:name(), "s1",
       "rs.train.seq takes name=")
local spec = rs.optim.sgd{ lr = 0.05, momentum = 0.9, clip = 1.0 }
local sq = rs.train.seq{ model = small, task = copy, optim = spec }
local cfg = sq:config()
tap.ok(cfg.optim == "sgd" and math.abs(cfg.lr - 0.05) < 1e-7
       and math.abs(cfg.momentum - 0.9) < 1e-7 and cfg.clip == 1.0,
       "rs.train.seq takes an optim spec, as rs.learner does")
tap.error_is(function()
  rs.train.seq{ model = small, task = copy, optim = spec, lr = 0.1 }
end, "rs.train.seq: bad field 'lr' (give it to the optim spec)",
  "a spec and lr= both: refused")
tap.ok(type(rs.train) == "table" and rs.train.new ~= nil,
       "rs.train is the train module")

-- the handle (what t_algo_seqtrain.c checked of the old Lua trainer)
tap.clear()
local seq = rs.train.seq
local task = rs.data.seqtask{ task = "copy_first", min_len = 4, max_len = 6 }
local tf3 = rs.nn.transformer{ vocab = 13, ctx = 16, d = 16, heads = 2,
                               layers = 1, out = 10, pos = "learned",
                               seed = 3 }
local st = seq{ model = tf3, task = task, batch = 32, lr = 3e-3, clip = 1,
                seed = 7, log_every = 5 }
tap.is(tostring(st), "learner (transformer on copy_first, 0 steps)", "made")
local l0 = st:step()
for _ = 2, 150 do st:step() end
local el, ea = st:eval(5)
local el2, ea2 = st:eval(5)
tap.is(st:steps(), 150, "150 steps")
tap.ok(ea >= 0.9, string.format("copy_first learned (acc %.3f)", ea))
tap.ok(ea == ea2 and el == el2, "eval repeats bit for bit")
tap.ok(el < l0, "the loss falls")
local nlogs = 0
for _, n in ipairs({ "train/loss", "train/acc", "train/lr" }) do
  nlogs = nlogs + #tap.series(n)
end
tap.is(nlogs, 90, "3 metrics every 5 steps reach the sink")
local with_sep = {}
task:set_sep(2)
for len = 4, 6 do with_sep[task:seq_len(len)] = true end
st:set_data(task)
st:step()
tap.ok(with_sep[st:last().T], "set_data takes the new separators (T "
       .. st:last().T .. ")")
task:set_sep(0)
st:step()
tap.ok(with_sep[st:last().T], "the learner copied the task")
tap.ok(st:model() == tf3, "model() is the model")
st:set{ lr = 1e-3, clip = 0.5 }
local c = st:config()
tap.is(string.format("%g %g %s", c.lr, c.clip, c.optim), "0.001 0.5 adamw",
       "set changes lr and clip")
tap.error_is(function() return seq{ task = task } end,
  "rs.train.seq: field 'model' is required", "model required")
tap.error_is(function() return seq{ model = task, task = task } end,
  "rs.train.seq: bad field 'model' (transformer expected, got seqtask)",
  "model type checked")
tap.error_is(function() return seq{ model = tf3, task = tf3 } end,
  "rs.train.seq: bad field 'task' (seqtask expected, got transformer)",
  "task type checked")
tap.error_like(function() return seq{ model = tf3, task = task, batch = 0 } end,
  "bad field 'batch' %(0 is outside", "batch checked")
tap.error_like(function() return seq{ model = tf3, task = task, optim = "lbfgs" } end,
  "'lbfgs'", "optim checked")
tap.error_like(function()
  return seq{ model = tf3, task = rs.data.seqtask{ task = "count", max_len = 12 } }
end, "out = 10", "a task the model cannot answer")
tap.error_like(function() return st:eval(16) end, "ctx = 16", "eval beyond ctx")
tap.error_is(function() return st:eval(0) end,
  "learner:eval: bad argument #1 'len' (0 is not >= 1)", "eval len checked")
st:release()
tap.is(tostring(st), "learner (released)", "release")
tap.error_is(function() return st:step() end,
  "learner:step: attempt to use a released learner", "a released learner raises")
