-- t_surgery.lua: learner:remove_units and learner:cuts, and the other
-- change of a learner mid-run that a checkpoint must know of: its data. Units are
-- numbered from 1 (the columns of model:activation(layer)); the list is
-- checked with messages in those numbers; the layer shrinks, training
-- goes on; a scene that cuts at step 10 resumes from a later checkpoint
-- bit for bit (a fresh setup builds the full width, the load replays the
-- cut).
local tap = require "tap"
local rs = require "repscope"

local data = rs.data.modular{ p = 7, train_frac = 0.5, seed = 1 }
local function learner()
  rs.seed(3)
  return rs.learner{
    model = rs.nn.mlp{ input = 14, width = 16, depth = 2, output = 7 },
    data = data, batch = 16, eval_every = 0,
    optim = rs.optim.adam{ lr = 0.01 } }
end

local l = learner()
for _ = 1, 5 do l:step() end
local fn = "learner:remove_units"
tap.error_is(function() return l:remove_units("l1", { 1, 17 }) end,
  fn .. ": layer 'l1': unit 17 (entry 2) out of range 1..16",
  "out of range, in Lua numbers")
tap.error_is(function() return l:remove_units("l1", { 2, 5, 2 }) end,
  fn .. ": layer 'l1': unit 2 given twice (entries 1 and 3)", "a repeat")
tap.error_is(function() return l:remove_units("l1", { 1.5 }) end,
  fn .. ": layer 'l1': entry 1 is not an integer", "not an integer")
local all = {}
for u = 1, 16 do all[u] = u end
tap.error_is(function() return l:remove_units("l1", all) end,
  fn .. ": layer 'l1': cannot remove all 16 units (at least one must remain)",
  "not all of them")
tap.error_is(function() return l:remove_units("l9", { 1 }) end,
  fn .. ": no layer 'l9' (layers: l1, l2)", "an unknown layer")
tap.is(l:cuts(), "", "no cut yet")
tap.is(l:remove_units("l2", { 16, 1, 8 }), 13, "three units of l2 go")
tap.is(l:cuts(), "l2:15,0,7;", "the cut is recorded (0-based, as C keeps it)")
tap.is(l:model():param("l2.weight"):shape()[1], 13, "l2.weight has 13 rows")
tap.is(l:model():param("l3.weight"):shape()[2], 13, "l3.weight 13 columns")
local before = l:eval("train")
for _ = 1, 30 do l:step() end
local after = l:eval("train")
tap.ok(after < before, string.format("training goes on: %.3f -> %.3f",
                                     before, after))

-- a scene that cuts at step 10, resumed from step 20
local scene = tap.srcdir() .. "/tests/data/scenes/cut_midrun.lua"
local whole = tap.scene(scene)
whole:setup{ seed = 2, total = 30 }
tap.ok(whole:run(30), "the cutting scene runs 30 steps")
tap.is(whole:series("units/l1")[1], 4, "4 of 16 units left")
local first = tap.scene(scene)
first:setup{ seed = 2, total = 30 }
first:run(20)
local ck = first:save()
first:close()
local second = tap.scene(scene)
second:setup{ seed = 2, total = 30 }
tap.ok(second:load(ck, 20), "a full-width setup loads the cut checkpoint")
tap.ok(second:run(10), "and runs on")
local ok, where = second:save():equal(whole:save())
tap.ok(ok, "the resumed run ends bit for bit where the whole run ends")
if not ok then tap.diag("first difference: " .. tostring(where)) end

-- a learner whose data was swapped at step 5: its checkpoint refuses a
-- setup still on the first task (a normal load, same data, is every
-- other resume test)
local swap = tap.srcdir() .. "/tests/data/scenes/swap_data.lua"
local sw = tap.scene(swap)
sw:setup{ seed = 1, total = 20 }
sw:run(10)
local sck = sw:save()
sw:close()
local fresh = tap.scene(swap)
fresh:setup{ seed = 1, total = 20 }
local okl, msg = fresh:load(sck, 10)
tap.ok(not okl and tostring(msg):find("learner '_' was saved training on " ..
       "other data than its dataset source now serves", 1, true),
       "a checkpoint after a data swap refuses the first task: " ..
       tostring(msg))
tap.done()
