-- t_ckpt.lua: checkpoints of a scene resume bit for bit: a run of 40
-- steps and a run of 20 steps + save + load into a fresh scene + 20 steps
-- end with identical checkpoints (every parameter, optimiser buffer,
-- sampling state and RNG) and identical logged values. Learners are
-- saved under their names (format "repscope-lua 2"); a format-1
-- checkpoint (tests/data/ckpt_v1_tiny.bin, written by the version before
-- learners from tiny.lua) is refused with the reason.
local tap = require "tap"
local dir = tap.srcdir() .. "/tests/data/scenes/"
local tiny = dir .. "tiny.lua"

local function tail(t, n)
  local out = {}
  for i = #t - n + 1, #t do out[#out + 1] = string.format("%.17g", t[i]) end
  return table.concat(out, ",")
end

local whole = tap.scene(tiny)
whole:setup{ seed = 5, total = 40 }
tap.ok(whole:run(40), "40 steps in one go")
local ck_whole = whole:save()
tap.ok(ck_whole ~= nil, "save")

local first = tap.scene(tiny)
first:setup{ seed = 5, total = 40 }
first:run(20)
local ck_half = first:save()
first:close()
local names = table.concat(ck_half:names(), " ")
tap.has(names, "learner/_/param/l1.weight", "parameters by name")
tap.has(names, "learner/_/optim/0/m", "optimiser first moments")
tap.has(names, "learner/_/optim/5/v", "optimiser second moments")
tap.has(names, "learner/_/state", "sampling state")
tap.has(names, "lua/rng", "the Lua-side RNG")
tap.is(ck_half:text("lua/format"), "repscope-lua 2", "format version 2")
tap.is(ck_half:text("lua/learners"), "_", "the unnamed learner")
tap.is(ck_half:text("lua/params"),
       '{"bias":true,"clip":0.0,"depth":2,"lr":0.01,"norm":"none","p":11,"width":16}',
       "params recorded")

local second = tap.scene(tiny)
second:setup{ seed = 5, total = 40 }
tap.ok(second:load(ck_half, 20), "load into a fresh scene")
tap.ok(second:run(20), "20 more steps")
local ok, where = second:save():equal(ck_whole)
tap.ok(ok, "resumed run ends bit for bit where the whole run ends")
if not ok then tap.diag("first difference: " .. tostring(where)) end
tap.is(tail(second:series("train/loss"), 4), tail(whole:series("train/loss"), 4),
       "the same train/loss values after the resume")
tap.is(tail(second:series("probe/srank/l2"), 2),
       tail(whole:series("probe/srank/l2"), 2), "the same probe values")

-- through a file
local tmp = tap.tmpdir() .. "/lua_ckpt"
os.execute("mkdir -p '" .. tmp .. "'")
tap.ok(ck_half:write(tmp .. "/ckpt.bin"), "write the checkpoint")
local read = tap.read_ckpt(tmp .. "/ckpt.bin")
local third = tap.scene(tiny)
third:setup{ seed = 5, total = 40 }
third:load(read, 20)
third:run(20)
tap.ok(third:save():equal(ck_whole), "resume from the file, bit for bit")

-- a resume that restores a param needing a rebuild (the session applies
-- the checkpoint's params after setup, then loads)
local fourth = tap.scene(tiny, { "depth=3" })
fourth:setup{ seed = 5, total = 40 }
tap.ok(fourth:set("depth", "2"), "restore depth = 2")
tap.ok(fourth:load(ck_half, 20), "load rebuilds with the restored depth")
fourth:run(20)
tap.ok(fourth:save():equal(ck_whole), "and continues bit for bit")

-- a self-driven scene: two named learners and the ctx RNG
local sd = dir .. "self_driven.lua"
local a = tap.scene(sd)
a:setup{ seed = 3 }
a:run(10)
local b = tap.scene(sd)
b:setup{ seed = 3 }
b:run(5)
local ck = b:save()
tap.has(table.concat(ck:names(), " "), "learner/b/param/l1.weight",
        "every learner of the scene, by name")
tap.is(ck:text("lua/learners"), "a b", "the learners' names")
local c = tap.scene(sd)
c:setup{ seed = 3 }
c:load(ck, 5)
c:run(5)
tap.is(tail(c:series("coin"), 5), tail(a:series("coin"), 5),
       "ctx.rng continues its stream")
tap.is(tail(c:series("b/loss"), 5), tail(a:series("b/loss"), 5),
       "both learners continue")
tap.ok(c:save():equal(a:save()), "self-driven resume bit for bit")

-- refused checkpoints change nothing and say why
local deep = tap.scene(tiny, { "depth=3" })
deep:setup{ total = 40 }
local _, msg = deep:load(ck_half)
tap.is(msg, "the checkpoint's section 'learner/_/param/l3.weight' has 176 floats, the learner's has 256",
       "a shape mismatch names the section")
_, msg = deep:load(ck)
tap.is(msg, "the checkpoint has the learners 'a b', the scene built '_'",
       "learners by name")

-- a checkpoint of format 1 (trainers by creation order, written by the
-- version before learners) is refused, saying why
local v1 = tap.read_ckpt(tap.srcdir() .. "/tests/data/ckpt_v1_tiny.bin")
tap.is(v1:text("lua/format"), "repscope-lua 1", "the fixture is format 1")
local fresh = tap.scene(tiny)
fresh:setup{ seed = 5, total = 40 }
_, msg = fresh:load(v1, 8)
tap.is(msg, "checkpoint format 1 (trainers by creation order, before learners) cannot be resumed by this version: start the run again",
       "format 1 is refused with the reason")

tap.done()
