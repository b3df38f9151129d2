-- repscope - MIT licence, see COPYING.
--
-- bench/lua_objective.lua: the per-step cost of an objective written in
-- Lua (rs.objective.lua over rs.graph) against the C objective, on the
-- grokking MLP (p = 97, 6 x 256, batch 512, AdamW with clip, one BLAS
-- thread). Three learners with the same model, data and optimiser:
--   c         rs.objective.classify{} (the C loss)
--   lua       rs.objective.lua, cross-entropy composed from graph ops:
--             -sum(onehot(y) * log_softmax(out)) / n
--   lua_fused rs.objective.lua returning g:cross_entropy(out, y)
-- stepped in interleaved blocks (BLOCKS of BLOCK steps each, CPU time
-- from os.clock); medians of the per-block ms/step. Output lines:
--   bench lua-objective c=MS lua=MS lua_fused=MS
--   bench summary lua-objective/c ratio=R want<=1.1 ok|MISS
--   bench summary lua-fused/c ratio=R
-- Run by `make bench` (repscope --test bench/lua_objective.lua).
local rs = require "repscope"

local BLOCK = tonumber(os.getenv("BLOCK") or "10")
local BLOCKS = tonumber(os.getenv("BLOCKS") or "9")

local data = rs.data.modular{ p = 97, train_frac = 0.5, seed = 1 }
local classes = data:classes()

local function ce_composed(g, model, batch)
  local out = g:forward(model, batch.x)
  return -(g:onehot(batch.y, classes) * out:log_softmax()):sum() / batch.n
end

local function ce_fused(g, model, batch)
  return g:cross_entropy(g:forward(model, batch.x), batch.y)
end

local function learner(objective)
  return rs.learner{
    model = rs.nn.mlp{ input = data:input_dim(), width = 256, depth = 6,
                       output = classes, init = "kaiming", seed = 1 },
    data = data, objective = objective, batch = 512, eval_every = 0,
    log_every = 10, seed = 1,
    optim = rs.optim.adamw{ lr = 2e-3, weight_decay = 1.0, clip = 1.0 } }
end

local runs = {
  { name = "c", l = learner(rs.objective.classify{}) },
  { name = "lua", l = learner(rs.objective.lua{ loss = ce_composed }) },
  { name = "lua_fused", l = learner(rs.objective.lua{ loss = ce_fused }) },
}
for _, r in ipairs(runs) do
  r.ms = {}
  for _ = 1, 3 do r.l:step() end -- warm-up: buffers, arena, BLAS
end
for _ = 1, BLOCKS do
  for _, r in ipairs(runs) do
    local t0 = os.clock()
    for _ = 1, BLOCK do r.l:step() end
    r.ms[#r.ms + 1] = (os.clock() - t0) * 1000 / BLOCK
  end
end

local function median(t)
  table.sort(t)
  local n = #t
  return n % 2 == 1 and t[(n + 1) // 2] or (t[n // 2] + t[n // 2 + 1]) / 2
end
local med = {}
for _, r in ipairs(runs) do med[r.name] = median(r.ms) end
io.write(string.format("bench lua-objective c=%.3g lua=%.3g lua_fused=%.3g" ..
                       " (ms/step, medians of %d blocks of %d)\n", med.c,
                       med.lua, med.lua_fused, BLOCKS, BLOCK))
local ratio = med.lua / med.c
io.write(string.format("bench summary lua-objective/c ratio=%.3g want<=1.1 %s\n",
                       ratio, ratio <= 1.1 and "ok" or "MISS"))
io.write(string.format("bench summary lua-fused/c ratio=%.3g\n",
                       med.lua_fused / med.c))
