-- t_objlua.lua: objectives written only in Lua (rs.objective.lua, through
-- the autograd handle rs.graph) against the C objectives. A Lua
-- cross-entropy and a Lua L2-to-anchor regulariser give the loss of
-- classify and of l2_anchor(classify) to 1e-5 on a fixed batch (the same
-- learner state, step by step), train a model as well as the C ones,
-- report accuracy through (correct, count), and errors in the function
-- come back naming it. A step written out in Lua (next_batch, rs.graph,
-- learner:apply) equals the C step.
local tap = require "tap"
local rs = require "repscope"

local data = rs.data.modular{ p = 11, train_frac = 0.5, seed = 3 }
local classes = data:classes()

local function mlp()
  rs.seed(7)
  return rs.nn.mlp{ input = data:input_dim(), width = 32, depth = 2,
                    output = classes }
end

-- how many rows of out (a graph tensor) have their argmax at the label
local function correct(out, y)
  local hit = 0
  for i, j in ipairs(out:value():argmax()) do
    if j - 1 == y[i] then hit = hit + 1 end
  end
  return hit
end

-- cross-entropy from graph ops: -sum(onehot * log_softmax) / n
local function lua_ce(g, model, batch)
  local out = g:forward(model, batch.x)
  local ce = -(g:onehot(batch.y, classes) * out:log_softmax()):sum() / batch.n
  return ce, correct(out, batch.y), batch.n
end

-- the same plus lambda / 2 * |theta - anchor|^2, the anchor a copy of
-- the initial parameters
local function lua_l2(lambda, anchor)
  return function(g, model, batch)
    local ce, c, n = lua_ce(g, model, batch)
    local term = nil
    for name, p in pairs(model:params()) do
      local d = (g:param(p) - g:input(anchor[name])):square():sum()
      term = term and term + d or d
    end
    return ce + lambda / 2 * term, c, n
  end
end

local function learner(objective, optim)
  return rs.learner{ model = mlp(), data = data, objective = objective,
                     batch = 32, eval_every = 0, seed = 5,
                     optim = optim or rs.optim.sgd{ lr = 0.1 } }
end

-- (1) the Lua cross-entropy equals classify, step by step
local adam = rs.optim.adamw{ lr = 0.01 }
local c_l = learner(rs.objective.classify{}, adam)
local lua_l = learner(rs.objective.lua{ loss = lua_ce }, adam)
local worst = 0
for _ = 1, 20 do
  local a, b = c_l:step(), lua_l:step()
  worst = math.max(worst, math.abs(a - b))
end
tap.ok(worst <= 1e-5, string.format(
       "Lua cross-entropy = classify's loss over 20 steps (max diff %.2g)", worst))
local cl, ca = c_l:eval("test")
local ll, la = lua_l:eval("test")
tap.ok(math.abs(cl - ll) <= 1e-5, "eval loss agrees")
tap.ok(math.abs(ca - la) <= 1e-9, "eval accuracy agrees (correct, count)")
for _ = 1, 280 do c_l:step() lua_l:step() end
local _, acc = lua_l:eval("train")
tap.ok(acc > 0.9, string.format("the Lua objective trains the model (train acc %.2f)", acc))

-- (2) an L2 pull to the initial weights, written in Lua, equals l2_anchor
local lambda = 0.5
local anchor = {}
for name, p in pairs(mlp():params()) do anchor[name] = p:clone() end
local c_r = learner(rs.objective.l2_anchor{ base = rs.objective.classify{},
                                            lambda = lambda })
local lua_r = learner(rs.objective.lua{ loss = lua_l2(lambda, anchor) })
worst = 0
for _ = 1, 20 do
  local a, b = c_r:step(), lua_r:step()
  worst = math.max(worst, math.abs(a - b))
end
tap.ok(worst <= 1e-5, string.format(
       "Lua L2-to-anchor = l2_anchor(classify) over 20 steps (max diff %.2g)", worst))
local wc = c_r:params()["l1.weight"]
local wl = lua_r:params()["l1.weight"]
local d = (wc - wl):norm()
tap.ok(d <= 1e-4, string.format("and the weights agree (|diff| %.2g)", d))

-- (3) a step written out in Lua: next_batch, a forward and backward on
-- an own graph, then apply -- the same as the C step, bit for bit
local c_s = learner(rs.objective.classify{})
local lua_s = learner(rs.objective.classify{})
for _ = 1, 10 do
  c_s:step()
  local b = lua_s:next_batch()
  local g = rs.graph()
  local loss = g:cross_entropy(g:forward(lua_s:model(), b.x), b.y)
  g:backward(loss)
  lua_s:apply(loss)
end
local wd = (c_s:params()["l2.weight"] - lua_s:params()["l2.weight"]):norm()
tap.ok(lua_s:steps() == 10 and wd <= 1e-6, string.format(
       "next_batch + rs.graph + apply = step (10 steps, |dw| %.2g)", wd))

-- (4) errors inside the function come back as the step's error
local bad = learner(rs.objective.lua{ loss = function(g, model, batch)
  return 42
end })
local ok, msg = pcall(bad.step, bad)
tap.ok(not ok and msg:find("rs.objective.lua: the loss function returned a number", 1, true),
       "a loss that is not a graph tensor: " .. tostring(msg))
local raise = learner(rs.objective.lua{ loss = function(g, model, batch)
  error("no loss today")
end })
ok, msg = pcall(raise.step, raise)
tap.ok(not ok and msg:find("no loss today", 1, true), "an error in the function")
tap.is(raise:steps(), 0, "a failed step is not counted")
tap.error_is(function() return rs.objective.lua{} end,
  "rs.objective.lua: field 'loss' is required", "loss required")
tap.error_is(function() return rs.objective.lua{ loss = 3 } end,
  "rs.objective.lua: bad field 'loss' (function expected, got number)", "loss type")

tap.done()
