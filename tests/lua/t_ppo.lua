-- t_ppo.lua: rs.rl.ppo from Lua. Bad arguments are refused word for word
-- with the field named, before the env is taken (the env handle stays
-- usable); a few CartPole PPO updates run from Lua and count their
-- minibatch steps (epochs * copies * steps / minibatch per update); a
-- live l:set{epochs=} changes the next update's count, and the other
-- fields reach l:ppo(); l:set refuses what a PPO learner does not take;
-- the env's info and frame through the learner; a plain learner's
-- l:update() is its l:step(). Then a scene of two PPO learners: the
-- driver's updates, their metrics and frames under their names, the frame
-- view taking the env's glyphs, a console set of epochs applied to both
-- learners from their next update, and a checkpoint after 3 updates that
-- resumes to the same state as 6 updates in one go.
local tap = require "tap"
local rs = require "repscope"

rs.seed(7)
local function cartpole(copies)
  return rs.env.cartpole{ copies = copies or 4, seed = 3, horizon = 200,
                          time_obs = true }
end
local function net(out, width)
  return rs.nn.mlp{ input = 5, width = width or 16, depth = 1, output = out,
                    act = "tanh" }
end
local function good(over)
  local t = { actor = net(2), critic = net(1), env = cartpole(), steps = 32,
              minibatch = 64, epochs = 2 }
  for k, v in pairs(over or {}) do
    if v == "none" then t[k] = nil else t[k] = v end
  end
  return t
end
local function err_of(t)
  local ok, msg = pcall(rs.rl.ppo, t)
  return ok and "no error" or tap.strip_position(msg)
end

-- ---- bad arguments ---------------------------------------------------------
local known = "name, actor, critic, env, optim, steps, minibatch, epochs, " ..
  "gamma, lambda, clip, ent_coef, vf_coef, pfo, norm_adv, capacity_every, " ..
  "capacity_rows, capacity_minibatch, seed, log_every, instruments, " ..
  "objective"
local bad = {
  { nil, "rs.rl.ppo: bad argument #1 'config' (table expected, got nil)" },
  { { epoch = 4 }, "rs.rl.ppo: unknown field 'epoch' (known: " .. known .. ")" },
  { { actor = net(2) }, "rs.rl.ppo: field 'env' is required" },
  { { env = 3 }, "rs.rl.ppo: bad field 'env' (env expected, got number)" },
  { good{ actor = "none" }, "rs.rl.ppo: field 'actor' is required" },
  { good{ actor = 3 }, "rs.rl.ppo: bad field 'actor' (module expected, got number)" },
  { good{ actor = rs.nn.linear(5, 2) },
    "rs.rl.ppo: bad field 'actor' (an mlp with a hidden layer expected, got linear)" },
  { good{ actor = rs.nn.mlp{ input = 5, depth = 0, output = 2 } },
    "rs.rl.ppo: bad field 'actor' (an mlp with a hidden layer expected, got mlp of depth 0)" },
  { good{ actor = rs.nn.mlp{ input = 4, width = 8, depth = 1, output = 2 } },
    "rs.rl.ppo: bad field 'actor' (maps 4 inputs to 2 outputs; the env needs 5 to 2)" },
  { good{ critic = net(2) },
    "rs.rl.ppo: bad field 'critic' (maps 5 inputs to 2 outputs; the env needs 5 to 1)" },
  { good{ minibatch = 100 },
    "rs.rl.ppo: bad field 'minibatch' (100 does not divide copies * steps = 4 x 32)" },
  { good{ minibatch = 256 },
    "rs.rl.ppo: bad field 'minibatch' (256 is outside 1..128)" },
  { good{ steps = 0 }, "rs.rl.ppo: bad field 'steps' (0 is outside 1..262144)" },
  { good{ epochs = 0 }, "rs.rl.ppo: bad field 'epochs' (0 is outside 1..10000)" },
  { good{ epochs = 1.5 },
    "rs.rl.ppo: bad field 'epochs' (integer expected, got non-integer number)" },
  { good{ gamma = 1.5 }, "rs.rl.ppo: bad field 'gamma' (1.5 is outside [0, 1])" },
  { good{ lambda = -0.1 },
    "rs.rl.ppo: bad field 'lambda' (-0.1 is outside [0, 1])" },
  { good{ clip = 1 }, "rs.rl.ppo: bad field 'clip' (1 is outside (0, 1))" },
  { good{ clip = 0 }, "rs.rl.ppo: bad field 'clip' (0 is outside (0, 1))" },
  { good{ pfo = -1 }, "rs.rl.ppo: bad field 'pfo' (-1 is not a finite number >= 0)" },
  { good{ vf_coef = "x" }, "rs.rl.ppo: bad field 'vf_coef' (number expected, got string)" },
  { good{ norm_adv = 1 }, "rs.rl.ppo: bad field 'norm_adv' (boolean expected, got number)" },
  { good{ capacity_every = -1 },
    "rs.rl.ppo: bad field 'capacity_every' (-1 is outside 0..2147483647)" },
  { good{ optim = 3 }, "rs.rl.ppo: bad field 'optim' (optim spec expected, got number)" },
  { good{ log_every = 0 },
    "rs.rl.ppo: bad field 'log_every' (0 is outside 1..9223372036854775807)" },
}
for _, case in ipairs(bad) do
  tap.is(err_of(case[1]), case[2], case[2])
end
-- the NaN spelling is the C library's: accept either sign
local nan_msg = err_of(good{ ent_coef = 0 / 0 })
tap.like(nan_msg, "^rs.rl.ppo: bad field 'ent_coef' %(%-?nan is not",
         "a NaN coefficient is refused")
local name_msg = err_of(good{ name = "a/b" })
tap.like(name_msg, "^rs%.rl%.ppo: bad field 'name' %(", "a bad name is refused")

-- a refusal leaves the env usable; a given env cannot be given twice
local e = cartpole()
tap.is(err_of(good{ env = e, epochs = 0 }):match("'epochs'"), "'epochs'",
       "refused for epochs")
tap.is(e:info().kind, "cartpole", "the env handle is still usable")
local l = rs.rl.ppo(good{ env = e, name = "one" })
tap.is(err_of(good{ env = e }),
       "rs.rl.ppo: bad field 'env' (env was given to a learner)",
       "an env given to a learner cannot be given again")
tap.error_is(function() e:info() end, "env:info: env was given to a learner",
             "and the handle says so")

-- ---- updates from Lua ------------------------------------------------------
tap.is(tostring(l):match("^learner one"), "learner one", "a learner handle")
tap.is(l:objective(), "ppo", "its objective is ppo")
tap.is(l:updates() .. "/" .. l:steps(), "0/0", "no update yet")
local per = 2 * (4 * 32) // 64 -- epochs * rollout / minibatch
tap.clear()
for _ = 1, 3 do l:update() end
tap.is(l:updates(), 3, "three updates")
tap.is(l:steps(), 3 * per, "each takes epochs * rollout / minibatch steps")
local env_steps = tap.series("one/rl/env_steps")
tap.is(env_steps[#env_steps], 3 * 4 * 32, "one/rl/env_steps counts 4 x 32 "
       .. "per update")
tap.is(#tap.series("one/actor/approx_rank"), 3, "actor/approx_rank per update")
tap.is(#tap.series("one/ppo/ratio_below"), 3, "ppo/ratio_below per update")
local rows, cols = tap.matrix("one/env/frame")
tap.is(rows and (rows .. "x" .. cols), "9x31", "one/env/frame published")
tap.ok(tap.matrix("one/spectrum/l1") ~= nil, "one/spectrum/l1 published (depth 1)")

-- ---- live changes ----------------------------------------------------------
l:set{ epochs = 5 }
local before = l:steps()
l:update()
tap.is(l:steps() - before, 5 * (4 * 32) // 64,
       "a live epochs = 5 makes the next update take 5 passes")
l:set{ minibatch = 32, pfo = 1, clip = 0.1, ent_coef = 0, lr = 1e-3 }
local c = l:ppo()
tap.is(string.format("%d %d %g %g %g", c.epochs, c.minibatch, c.pfo, c.clip,
                     c.ent_coef), "5 32 1 0.1 0", "the fields reach l:ppo()")
tap.is_near(l:lr(), 1e-3, 1e-9, "lr too")
before = l:steps()
l:update()
tap.is(l:steps() - before, 5 * (4 * 32) // 32, "minibatch 32: twice the steps")
local set_bad = {
  { { epochs = 0 }, "learner:set: bad field 'epochs' (0 is outside 1..10000)" },
  { { minibatch = 48 },
    "learner:set: bad field 'minibatch' (48 does not divide copies * steps = 4 x 32)" },
  { { clip = 2 }, "learner:set: bad field 'clip' (2 is outside (0, 1))" },
  { { eval_every = 10 }, "learner:set: unknown field 'eval_every' (known: lr, " ..
    "weight_decay, steps, minibatch, epochs, gamma, lambda, clip, ent_coef, " ..
    "vf_coef, pfo, norm_adv, capacity_every, capacity_rows, " ..
    "capacity_minibatch)" },
}
for _, case in ipairs(set_bad) do
  tap.error_is(function() l:set(case[1]) end, case[2], case[2])
end
tap.is(l:ppo().epochs .. " " .. l:ppo().minibatch, "5 32",
       "a refused set changes nothing")
l:set{ steps = 16, minibatch = 16 }
before = l:steps()
l:update()
tap.is(l:steps() - before, 5 * (4 * 16) // 16, "a live steps = 16")
tap.is(tap.series("one/rl/env_steps")[6], 5 * 4 * 32 + 4 * 16,
       "and the rollout is 4 x 16")

-- ---- the env through the learner -------------------------------------------
local info = l:env_info()
tap.is(info.kind .. " " .. info.copies .. " " .. info.obs_dim, "cartpole 4 5",
       "l:env_info()")
tap.is(#info.glyphs, #info.colors, "its glyphs and colours")
local f = l:env_frame()
tap.is(table.concat(f:shape(), "x"), "9x31", "l:env_frame() is 9 x 31")
local in_range = true
for _, v in ipairs(f:reshape{ 9 * 31 }:totable()) do
  if v < 0 or v >= #info.glyphs or v ~= math.floor(v) then in_range = false end
end
tap.ok(in_range, "its codes index the glyphs")
tap.ok(f:max() > 0, "and draw something")
tap.error_like(function() l:env_frame(5) end, "copy.*5 is outside 1%.%.4",
               "l:env_frame(5) of 4 copies")

-- ---- a plain learner -------------------------------------------------------
local d = rs.data.modular{ p = 5 }
local plain = rs.learner{ data = d, batch = 8, eval_every = 0,
                          model = rs.nn.mlp{ input = 10, width = 4,
                                             output = 5 } }
plain:update()
plain:update()
tap.is(plain:updates() .. " " .. plain:steps(), "2 2",
       "a plain learner's update is one step")
tap.is(plain:ppo(), nil, "no ppo config")
tap.is(plain:env_info(), nil, "no env")
tap.error_like(function() plain:set{ epochs = 2 } end,
               "unknown field 'epochs'", "no ppo fields")
tap.error_is(function() plain:env_frame() end,
             "learner:env_frame: learner '' has no env", "no frame")

-- ---- a scene of two PPO learners -------------------------------------------
local tmp = tap.tmpdir() .. "/lua_ppo"
os.execute("mkdir -p '" .. tmp .. "'")
local path = tmp .. "/two.lua"
local fh = assert(io.open(path, "w"))
fh:write([[
local rs = require "repscope"
local function make(name, pfo, p)
  local env = rs.env.cartpole{ copies = 2, seed = 1, horizon = 200,
                               time_obs = true }
  local function net(out)
    return rs.nn.mlp{ input = 5, width = 8, depth = 1, output = out,
                      act = "tanh", seed = 2 }
  end
  return rs.rl.ppo{ name = name, actor = net(2), critic = net(1), env = env,
                    steps = 16, minibatch = 16, epochs = p.epochs, pfo = pfo,
                    seed = 5 }
end
return rs.scene{
  params = { epochs = 3 },
  setup = function(p) return { make("base", 0, p), make("pfo", 1, p) } end,
  views = { rs.view.frame{ learner = "pfo" }, rs.view.frame{},
            rs.view.curves{ series = { "base/rl/return" } } },
}
]])
fh:close()
local sc = tap.scene(path)
tap.ok(sc:setup() and sc:run(2), "two PPO learners run 2 session steps")
local views = sc:views()
tap.has(views, '"matrix":"pfo/env/frame"', "frame view: pfo's frame")
tap.has(views, '"matrix":"base/env/frame"',
        "frame view without learner=: the first learner's")
tap.has(views, '"colors":"', "the env's colours")
tap.has(views, '"glyphs":"', "the env's glyphs")
local r2, c2 = sc:matrix("base/env/frame")
tap.is(r2 and (r2 .. "x" .. c2), "9x31", "base/env/frame published")
tap.is(#sc:series("pfo/rl/env_steps"), 2, "one pfo/rl/env_steps per step")
tap.is(sc:series("pfo/rl/env_steps")[2], 2 * 2 * 16, "2 updates of 2 x 16")
local printed = #sc:printed()
tap.ok(sc:set("epochs", "6"), "set epochs = 6")
tap.is(#sc:printed(), printed, "applies at once (no 'takes effect on "
       .. "restart')")
sc:run(1)
sc:eval("rs.log('epochs_now', learners.base:ppo().epochs + " ..
        "100 * learners.pfo:ppo().epochs)")
tap.is(sc:logged().epochs_now, 606.0, "both learners take it")
sc:eval("rs.log('steps_now', learners.base:steps())")
tap.is(sc:logged().steps_now, 2 * 3 * 2 + 6 * 2.0,
       "and the next update takes 6 passes (2 minibatches each)")

-- ---- a checkpoint of the scene resumes bit for bit ----------------------
local whole = tap.scene(path)
whole:setup{ seed = 3, total = 6 }
whole:run(6)
local ck_whole = whole:save()
local first = tap.scene(path)
first:setup{ seed = 3, total = 6 }
first:run(3)
local ck_half = first:save()
first:close()
local second = tap.scene(path)
second:setup{ seed = 3, total = 6 }
tap.ok(second:load(ck_half, 3), "two PPO learners load from step 3")
second:run(3)
local same, where = second:save():equal(ck_whole)
tap.ok(same, "3 + 3 updates end as 6 do: every parameter, optimiser and "
       .. "driver word (env and rollout included)" ..
       (where and (" (first difference: " .. tostring(where) .. ")") or ""))
local a, b = whole:series("base/rl/env_steps"), second:series("base/rl/env_steps")
tap.is(b[#b], a[#a], "and the env steps go on from the checkpoint")
local function last3(sc, name)
  local t, out = sc:series(name), {}
  for i = #t - 2, #t do out[#out + 1] = string.format("%.17g", t[i]) end
  return table.concat(out, ",")
end
tap.is(last3(second, "pfo/ppo/kl"), last3(whole, "pfo/ppo/kl"),
       "the same pfo/ppo/kl over the last 3 updates")
tap.is(last3(second, "base/actor/preact_norm"),
       last3(whole, "base/actor/preact_norm"),
       "the same base/actor/preact_norm")

tap.done()
