-- t_env.lua: rs.env from Lua - build CartPole and Breakout, step them,
-- auto-reset and the time feature, frames, info, argument errors that
-- name the field, and the handle's lifetime.
local tap = require "tap"
local rs = require "repscope"

-- CartPole, 3 copies, horizon 4 with the time feature.
local e = rs.env.cartpole{ copies = 3, seed = 5, horizon = 4, time_obs = true }
local info = e:info()
tap.is(info.kind, "cartpole", "kind")
tap.is(info.obs_dim, 5, "obs_dim 4 + time")
tap.is(info.actions, 2, "two actions")
tap.is(info.copies, 3, "copies")
tap.is(info.frame_h .. "x" .. info.frame_w, "9x31", "frame size")
tap.is(#info.glyphs, #info.colors, "one colour per glyph")
tap.is(info.horizon, 4, "horizon")
tap.is(info.time_obs, true, "time_obs")
tap.like(tostring(e), "^env %(cartpole, 3 copies%)$", "tostring")

local o = e:obs()
tap.is(table.concat(o:shape(), "x"), "3x5", "obs (3, 5)")
local start_ok = true
for i = 1, 3 do
  for j = 1, 4 do
    if math.abs(o[{ i, j }]) > 0.05 then start_ok = false end
  end
  if o[{ i, 5 }] ~= 0 then start_ok = false end
end
tap.ok(start_ok, "starts in [-0.05, 0.05], time 0")

local times, rewards_ok, last = {}, true, nil
for s = 1, 4 do
  local obs, rew, term, trunc, inf = e:step{ 0, 1, s % 2 }
  times[s] = obs[{ 1, 5 }]
  for i = 1, 3 do
    if rew[i] ~= 1 or term[i] then rewards_ok = false end
  end
  last = { obs = obs, trunc = trunc, info = inf }
end
tap.ok(rewards_ok, "reward 1 per step, no fall in 4 steps")
tap.is(times[1], 0.25, "t / horizon after step 1")
tap.is(times[3], 0.75, "t / horizon after step 3")
tap.is(times[4], 0, "step 4: truncated, the next episode starts at time 0")
tap.ok(last.trunc[1] and last.trunc[2] and last.trunc[3], "all truncated")
tap.is(last.info.final_obs[{ 2, 5 }], 1, "final_obs has t / horizon = 1")
tap.is(last.info.ep_len[3], 4, "ep_len")
tap.is(last.info.ep_return[1], 4, "ep_return")
tap.is(e:info().episodes, 3, "three episodes")
tap.is(e:info().steps, 12, "twelve env steps")

local f = e:frame(2)
tap.is(table.concat(f:shape(), "x"), "9x31", "frame (9, 31)")
local track = true
for c = 1, 31 do
  if f[{ 9, c }] ~= 1 then track = false end
end
tap.ok(track, "the bottom row is the track")
local r = e:reset()
tap.is(r[{ 1, 5 }], 0, "reset: time 0")

-- Same seed, same episodes; copies do not depend on the number of copies.
local a = rs.env.cartpole{ copies = 1, seed = 9 }
local b = rs.env.cartpole{ copies = 4, seed = 9 }
local same = true
for _ = 1, 50 do
  local oa = a:step{ 1 }
  local ob = b:step{ 1, 0, 0, 1 }
  for j = 1, 4 do
    if oa[{ 1, j }] ~= ob[{ 1, j }] then same = false end
  end
end
tap.ok(same, "copy 1 is the same with 1 and 4 copies")

-- Breakout: the layout of the first observation.
local br = rs.env.breakout{ copies = 2, seed = 1, size = 10 }
local bi = br:info()
tap.is(bi.obs_dim, 400, "breakout obs 4 x 10 x 10")
tap.is(bi.actions, 3, "three actions")
tap.is(bi.glyphs, " =o.#", "glyphs")
local bo = br:obs()
local paddle, bricks = 0, 0
for k = 1, 100 do
  paddle = paddle + bo[{ 1, k }]
  bricks = bricks + bo[{ 1, 300 + k }]
end
tap.is(paddle, 1, "one paddle cell")
tap.is(bo[{ 1, 95 }], 1, "paddle at (9, 4)")
tap.is(bricks, 30, "30 bricks")
local fr = br:frame()
tap.is(fr[{ 10, 5 }], 1, "frame: the paddle code")
tap.is(fr[{ 2, 5 }], 4, "frame: a brick code")
local ended = false
for _ = 1, 40 do
  local _, _, term = br:step{ 0, 0 }
  if term[1] then ended = true end
end
tap.ok(ended, "a passive paddle loses the ball")
tap.ok(br:info().episodes >= 2, "both copies lost it")

-- Errors name the function and the field.
tap.error_is(function() rs.env.cartpole{ copies = 0 } end,
  "rs.env.cartpole: bad field 'copies' (0 is outside 1..4096)",
  "copies out of range")
tap.error_is(function() rs.env.cartpole{ horizon = -3 } end,
  "rs.env.cartpole: bad field 'horizon' (-3 is outside 0..2147483647)",
  "negative horizon")
tap.error_is(function() rs.env.cartpole{ time_obs = true } end,
  "rs.env.cartpole: bad field 'time_obs' (needs a horizon (horizon = 0))",
  "time_obs without horizon")
tap.error_is(function() rs.env.cartpole{ switch_length = 0 } end,
  "rs.env.cartpole: bad field 'switch_length' (0 is outside (0, 100])",
  "switch_length 0")
tap.error_like(function() rs.env.cartpole{ swich_every = 3 } end,
  "unknown field 'swich_every'", "typo in a field")
tap.error_is(function() rs.env.breakout{ size = 4 } end,
  "rs.env.breakout: bad field 'size' (4 is outside 6..32)", "size 4")
tap.error_like(function() rs.env.breakout{ size = 2.5 } end,
  "bad field 'size' %(integer expected", "size not an integer")
tap.error_is(function() br:step{ 0 } end,
  "env:step: bad argument #1 'actions' (1 actions for 2 copies)",
  "wrong number of actions")
tap.error_is(function() br:step{ 0, 3 } end,
  "env:step: bad argument #1 'actions' (entry 2 is not an action in 0..2)",
  "action out of range")
tap.error_is(function() br:step{ 0, "left" } end,
  "env:step: bad argument #1 'actions' (entry 2 is not an action in 0..2)",
  "action not an integer")
tap.error_is(function() br:frame(3) end,
  "env:frame: bad argument #1 'copy' (3 is outside 1..2)", "frame copy")

-- The handle's lifetime.
br:release()
tap.error_is(function() br:obs() end,
  "env:obs: attempt to use a released env", "released env")
tap.is(tostring(br), "env (released)", "tostring of a released env")
do
  local c <close> = rs.env.cartpole{}
  tap.is(c:info().copies, 1, "defaults: one copy")
end
-- Without seed=, the host stream (rs.seed) decides.
rs.seed(3)
local s1 = rs.env.cartpole{}:obs()
rs.seed(3)
local s2 = rs.env.cartpole{}:obs()
local s3 = rs.env.cartpole{}:obs()
tap.is(s1[{ 1, 1 }], s2[{ 1, 1 }], "rs.seed fixes the default seed")
tap.ok(s1[{ 1, 1 }] ~= s3[{ 1, 1 }], "the next env draws another seed")
tap.done()
