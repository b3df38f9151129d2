-- t_corridor.lua: rs.env.corridor from Lua - its fields and defaults,
-- e:corridor() (layout, expert, raw observations), e:walk() with tables
-- and logits against stepping the env, and every error word for word.
local tap = require "tap"
local rs = require "repscope"

local e = rs.env.corridor{ seed = 1 }
local info = e:info()
tap.is(info.kind, "corridor", "kind")
tap.is(info.obs_dim, 37, "obs_dim: 35 cells + pit bit + door bit")
tap.is(info.actions, 2, "two actions")
tap.is(info.frame_h .. "x" .. info.frame_w, "2x35", "frame 2 x 35")
tap.is(info.glyphs, " .O" .. "x|G@", "glyphs")
tap.like(tostring(e), "^env %(corridor, 1 copy%)$", "tostring")

local c = e:corridor()
tap.is(c.cells, 35, "cells")
tap.is(c.close, 20, "close")
tap.is(c.far, 15, "far")
tap.is(c.goal, 34, "goal")
tap.is(c.door, 26, "door (a cell)")
tap.is(c.pit_every, 4, "pit_every")
tap.is(c.start[1] .. ".." .. c.start[2], "0..0", "start")
tap.is(c.far_visible, false, "far_visible")
tap.is(c.step_cost, 0.01, "step_cost")
tap.is(table.concat(c.pits, " "), "4 8 12 16 21 23 25 28 30 32", "pits")
tap.is(table.concat(c.actions, " "), "step jump", "action names")
tap.is(#c.expert, 35, "one expert entry per cell")
tap.is(table.concat(c.expert, "", 1, 20),
  "0001-1001-1001-1001-1000", "expert in CLOSE: jump before a pit")
tap.is(table.concat(c.expert, " ", 21, 35),
  "1 -1 1 -1 1 -1 0 1 -1 1 -1 1 -1 1 -1", "expert in FAR: jump, door step")
tap.is(table.concat(c.obs:shape(), "x"), "35x37", "obs (cells, obs_dim)")
local rows_ok = true
for cell = 0, 34 do
  local sum = 0
  for j = 1, 35 do sum = sum + c.obs[{ cell + 1, j }] end
  if sum ~= 1 or c.obs[{ cell + 1, cell + 1 }] ~= 1 then rows_ok = false end
end
tap.ok(rows_ok, "obs rows: the one-hot of their cell")
tap.is(c.obs[{ 4, 36 }], 1, "cell 3: pit bit (4 ahead)")
tap.is(c.obs[{ 21, 36 }], 0, "cell 20: no pit bit (21 is dark)")
tap.is(c.obs[{ 27, 37 }], 1, "cell 26: door bit")
tap.is(c.obs[{ 26, 37 }], 0, "cell 25: no door bit")

-- The observation the env gives is the row of its cell.
local o = e:obs()
local same = true
for j = 1, 37 do
  if o[{ 1, j }] ~= c.obs[{ 1, j }] then same = false end
end
tap.ok(same, "e:obs() on cell 0 == obs row 1")
local ob, rew, term = e:step{ 0 }
tap.is(ob[{ 1, 2 }], 1, "step: cell 1")
tap.is_near(rew[1], -0.01, 1e-7, "reward -0.01")
tap.is(term[1], false, "not terminated")

-- Walks: the expert table (its -1s on pits and the goal are ignored).
local w = e:walk(c.expert, 0)
tap.ok(w.goal and not w.fell, "expert from 0 reaches the goal")
tap.is(w.last, 34, "last: the goal")
tap.is(w.furthest, 34, "furthest")
w = e:walk(c.expert, 20)
tap.is(w.steps, 8, "expert from close: 8 steps")
local jump = {}
for i = 1, 35 do jump[i] = 1 end
w = e:walk(jump, 0)
tap.ok(w.fell and not w.goal, "jumping everywhere falls")
tap.is(w.last, 4, "at 4")
tap.is(w.steps, 2, "after 2 steps")
w = e:walk(c.expert, 0, 5)
tap.ok(not w.goal and not w.fell, "max_steps 5: neither")
tap.is(w.last, 6, "stopped on 6")
tap.is(w.steps, 5, "5 steps")

-- Logits: argmax per row, ties to step (the lowest).
local logits = rs.tensor.zeros(35, 2)
w = e:walk(logits, 0)
tap.ok(w.fell and w.last == 4, "all ties: step everywhere, falls at 4")
for cell = 0, 34 do
  if c.expert[cell + 1] == 1 then logits[{ cell + 1, 2 }] = 0.5 end
end
w = e:walk(logits, 0)
tap.ok(w.goal and w.steps == 24, "expert logits reach the goal in 24 steps")
local wt = e:walk(c.expert, 0)
tap.is(wt.steps, w.steps, "table and logits walks agree")

-- A walk is the greedy episode: step a corridor started on the same cell.
local pol = {}
for i = 1, 35 do pol[i] = (i * 7) % 3 == 0 and 1 or 0 end
for _, start in ipairs{ 0, 5, 20, 27 } do
  local s = rs.env.corridor{ seed = 2, start = start }
  local wk = s:walk(pol, start)
  local cell, steps, last, goal, fell = start, 0, nil, false, false
  repeat
    local _, r2, t2, _, inf = s:step{ pol[cell + 1] }
    steps = steps + 1
    local fin = inf.final_obs
    for j = 1, 35 do
      if fin[{ 1, j }] == 1 then last = j - 1 end
    end
    if t2[1] then
      goal = r2[1] > 0
      fell = not goal
    end
    cell = last
  until t2[1]
  tap.ok(wk.steps == steps and wk.last == last and wk.goal == goal and
    wk.fell == fell, "walk from " .. start .. " == the env's episode")
end

-- max_steps defaults to the horizon.
local h = rs.env.corridor{ seed = 3, horizon = 4 }
tap.is(h:walk(c.expert, 0).steps, 4, "default max_steps: the horizon")
tap.is(e:walk(c.expert, 0).steps, 24, "without one: cells (never binds)")

-- Fields.
local v = rs.env.corridor{ seed = 4, close = 9, far = 7, pit_every = 3,
  door = 3, start = { 9, 13 }, far_visible = true, step_cost = 0,
  copies = 2, horizon = 30, time_obs = true }
local vc = v:corridor()
tap.is(vc.cells .. " " .. vc.goal .. " " .. vc.door, "16 15 12",
  "cells, goal, door")
tap.is(table.concat(vc.pits, " "), "3 6 10 14",
  "pits for close 9, far 7, door 3")
tap.is(vc.start[1] .. ".." .. vc.start[2], "9..13", "start range")
tap.is(vc.obs[{ 10, 17 }], 1, "far_visible: cell 9 shows the pit at 10")
tap.is(v:info().obs_dim, 19, "obs_dim with the time feature: 16 + 2 + 1")
tap.is(table.concat(vc.obs:shape(), "x"), "16x18", "e:corridor().obs is raw")
local starts_ok = true
for _ = 1, 20 do
  local ob3 = v:reset()
  for i = 1, 2 do
    local at
    for j = 1, 16 do
      if ob3[{ i, j }] == 1 then at = j - 1 end
    end
    if at < 9 or at > 13 or at == 10 then starts_ok = false end
  end
end
tap.ok(starts_ok, "starts on the floor cells of 9..13")
local _, r0 = v:step{ 1, 1 }
tap.ok(r0[1] == 0 or r0[1] == 1, "step_cost 0: reward 0 or 1")

-- Errors name the field and the value.
local fn = "rs.env.corridor: "
tap.error_is(function() rs.env.corridor{ close = 3 } end,
  fn .. "bad field 'close' (3 is outside 4..200)", "close 3")
tap.error_is(function() rs.env.corridor{ far = 201 } end,
  fn .. "bad field 'far' (201 is outside 3..200)", "far 201")
tap.error_is(function() rs.env.corridor{ pit_every = 21 } end,
  fn .. "bad field 'pit_every' (21 is outside 2..20)", "pit_every 21")
tap.error_is(function() rs.env.corridor{ pit_every = 1 } end,
  fn .. "bad field 'pit_every' (1 is outside 2..20)", "pit_every 1")
tap.error_is(function() rs.env.corridor{ door = 14 } end,
  fn .. "bad field 'door' (14 is outside 1..13)", "door 14")
tap.error_is(function() rs.env.corridor{ door = 0 } end,
  fn .. "bad field 'door' (0 is outside 1..13)", "door 0")
tap.error_is(function() rs.env.corridor{ far = 6 } end,
  fn .. "bad field 'door' (the default 6 is outside 1..4 (far = 6))",
  "far too short for the default door")
tap.error_is(function() rs.env.corridor{ start = 4 } end,
  fn .. "bad field 'start' (cell 4 is a pit)", "start on a pit")
tap.error_is(function() rs.env.corridor{ start = { 0, 21 } } end,
  fn .. "bad field 'start' (cell 21 is a pit)", "start range ending on a pit")
tap.error_is(function() rs.env.corridor{ start = 34 } end,
  fn .. "bad field 'start' (34 is outside 0..33)", "start on the goal")
tap.error_is(function() rs.env.corridor{ start = -1 } end,
  fn .. "bad field 'start' (-1 is outside 0..33)", "start -1")
tap.error_is(function() rs.env.corridor{ start = { 5, 3 } } end,
  fn .. "bad field 'start' ({5, 3} is not a range in 0..33)", "lo > hi")
tap.error_is(function() rs.env.corridor{ start = { 0, 40 } } end,
  fn .. "bad field 'start' ({0, 40} is not a range in 0..33)", "hi too big")
tap.error_is(function() rs.env.corridor{ start = "far" } end,
  fn .. "bad field 'start' (integer or {lo, hi} expected, got string)",
  "start a string")
tap.error_is(function() rs.env.corridor{ start = { 1, 2, 3 } } end,
  fn .. "bad field 'start' (integer or {lo, hi} expected, got table)",
  "start of three")
tap.error_is(function() rs.env.corridor{ start = 1.5 } end,
  fn .. "bad field 'start' (integer or {lo, hi} expected, got number)",
  "start 1.5")
tap.error_is(function() rs.env.corridor{ fall_cost = -1 } end,
  fn .. "bad field 'fall_cost' (-1 is not a finite number >= 0)",
  "negative fall_cost")
tap.is(rs.env.corridor{ fall_cost = 0.25 }:corridor().fall_cost, 0.25,
       "fall_cost in the layout")
tap.error_is(function() rs.env.corridor{ step_cost = -0.5 } end,
  fn .. "bad field 'step_cost' (-0.5 is not a finite number >= 0)",
  "negative step_cost")
tap.error_like(function() rs.env.corridor{ step_cost = 0 / 0 } end,
  "bad field 'step_cost' %(%-?nan is not a finite number >= 0%)",
  "NaN step_cost")
tap.error_is(function() rs.env.corridor{ far_visible = 1 } end,
  fn .. "bad field 'far_visible' (boolean expected, got number)",
  "far_visible a number")
tap.error_like(function() rs.env.corridor{ doors = 3 } end,
  "unknown field 'doors'", "a typo in a field")
tap.error_is(function() rs.env.corridor{ copies = 0 } end,
  fn .. "bad field 'copies' (0 is outside 1..4096)", "wrapper fields too")

-- Method errors.
tap.error_is(function() e:walk({ 0, 1 }, 0) end,
  "env:walk: bad argument #1 'actions' (2 actions for 35 cells)",
  "a short table")
local bad = {}
for i = 1, 35 do bad[i] = 0 end
bad[3] = 2
tap.error_is(function() e:walk(bad, 0) end,
  "env:walk: bad argument #1 'actions' (entry 3 (cell 2) is not an action " ..
  "in 0..1)", "action 2")
bad[3] = 0
bad[5] = "anything"
tap.is(e:walk(bad, 0).last, 4, "entries on pits are ignored")
tap.error_is(function() e:walk(rs.tensor.zeros(35, 3), 0) end,
  "env:walk: bad argument #1 'actions' (a (35, 2) tensor of logits " ..
  "expected)", "a logits tensor of the wrong shape")
tap.error_is(function() e:walk("step", 0) end,
  "env:walk: bad argument #1 'actions' (table or tensor expected, got " ..
  "string)", "actions a string")
tap.error_is(function() e:walk(c.expert, 34) end,
  "env:walk: bad argument #2 'start' (34 is outside 0..33)", "start 34")
tap.error_is(function() e:walk(c.expert) end,
  "env:walk: bad argument #2 'start' (integer expected, got no value)",
  "start missing")
tap.error_is(function() e:walk(c.expert, 0, -1) end,
  "env:walk: bad argument #3 'max_steps' (-1 is outside 0..2147483647)",
  "max_steps -1")
local cp = rs.env.cartpole{ seed = 1 }
tap.error_is(function() cp:corridor() end,
  "env:corridor: bad self (corridor env expected, got cartpole env)",
  "e:corridor on a cartpole")
tap.error_is(function() cp:walk(c.expert, 0) end,
  "env:walk: bad self (corridor env expected, got cartpole env)",
  "e:walk on a cartpole")
e:release()
tap.error_is(function() e:corridor() end,
  "env:corridor: attempt to use a released env", "released")
tap.error_is(function() e:walk(c.expert, 0) end,
  "env:walk: attempt to use a released env", "released walk")
tap.done()
