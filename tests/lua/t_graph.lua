-- t_graph.lua: rs.graph, autograd from Lua. Losses composed from graph
-- ops against the engine's fused ops and closed forms (values and
-- parameter gradients), a finite-difference check of a composed loss,
-- optimiser steps through the handle, and the handle errors word for
-- word (stale handles, mixed graphs, bad backward calls).
local tap = require "tap"
local rs = require "repscope"
local T = rs.tensor

-- max |a - b| over two heap tensors of one shape
local function maxdiff(a, b)
  local d = a - b
  return math.max(d:max(), -d:min())
end

-- the gradients of every parameter of m, by name (copies)
local function grads(m)
  local out = {}
  for name, p in pairs(m:params()) do out[name] = p:grad() end
  return out
end

local function same_grads(a, b, tol, what)
  local worst, where = 0, "-"
  for name, ga in pairs(a) do
    local d = maxdiff(ga, b[name])
    if d > worst then worst, where = d, name end
  end
  tap.ok(worst <= tol, what)
  tap.diag(string.format("  max |diff| %.3g (%s)", worst, where))
end

local data = rs.data.modular{ p = 11, train_frac = 0.5, seed = 3 }
local classes = data:classes()
local x, y = data:batch("train", 1, 32)
local n = #y
local mlp = rs.nn.mlp{ input = data:input_dim(), width = 16, depth = 2,
                       output = classes, init = "kaiming", seed = 7 }

-- (1) cross-entropy from log_softmax against the fused op ---------------
local g = rs.graph()
tap.is(tostring(g), "graph (0 nodes)", "a new graph is empty")

mlp:zero_grad()
local out = g:forward(mlp, x)
tap.is(table.concat(out:shape(), ","), n .. "," .. classes,
       "forward gives (n, classes)")
local ce = g:cross_entropy(out, y)
g:backward(ce)
local want_ce, want_grads = ce:item(), grads(mlp)

g:reset()
mlp:zero_grad()
out = g:forward(mlp, x)
local onehot = g:onehot(y, classes)
local lua_ce = -(onehot * out:log_softmax()):sum() / n
g:backward(lua_ce)
tap.is_near(lua_ce:item(), want_ce, 1e-6,
            "-sum(onehot * log_softmax) / n equals cross_entropy")
same_grads(grads(mlp), want_grads, 1e-6,
           "and gives the same parameter gradients")

-- the same as a row reduction: mean over rows of -sum over classes
g:reset()
mlp:zero_grad()
out = g:forward(mlp, x)
local rows = (g:onehot(y, classes) * g:log_softmax(out)):sum(2)
tap.is(table.concat(rows:shape(), ","), tostring(n), "sum(2) drops dim 2")
local ce2 = -rows:mean()
g:backward(ce2)
tap.is_near(ce2:item(), want_ce, 1e-6, "mean of row sums equals it too")
same_grads(grads(mlp), want_grads, 1e-6, "with the same gradients")

-- (2) MSE and an L2 penalty against closed forms ------------------------
local target = T.randn(n, classes)
g:reset()
mlp:zero_grad()
out = g:forward(mlp, x)
local mse = ((out - target):square()):mean()
local o = out:value()
local s = 0
for i = 1, n do
  for k = 1, classes do s = s + (o:get(i, k) - target:get(i, k)) ^ 2 end
end
tap.is_near(mse:item(), s / (n * classes), 1e-6,
            "mean((out - t)^2) equals the closed form")
tap.is_near(g:mse(out, target):item(), mse:item(), 1e-6,
            "and the fused mse op")

local lambda = 0.3
local w = mlp:param("l1.weight")
g:reset()
mlp:zero_grad()
local pw = g:param(w)
local l2 = lambda / 2 * (pw:square()):sum()
g:backward(l2)
tap.is_near(l2:item(), lambda / 2 * w:norm() ^ 2, 1e-5 * l2:item(),
            "lambda/2 |w|^2 equals the closed form")
tap.ok(maxdiff(w:grad(), w * lambda) <= 1e-7,
       "its gradient is lambda w, accumulated into the parameter")
tap.ok(maxdiff(pw:grad(), w:grad()) == 0, "x:grad() of a param reads it")

-- (3) finite differences of a composed loss w.r.t. a parameter ----------
local lin = rs.nn.linear(5, 6, { seed = 11 })
local xs = T.randn(4, 5)
local emb = T.randn(7, 3)
local goal = T.randn(2, 12)
local function composed(gr)
  local h = gr:forward(lin, xs)                       -- (4, 6)
  local a = h:slice(1, 3):tanh()                      -- (4, 3)
  local b = h:slice(4, 3):sigmoid() + 0.5             -- (4, 3)
  local e = gr:embedding(gr:input(emb), { 1, 6, 0, 3 })  -- (4, 3)
  local c = gr:concat(a * b, e:gelu(), h:softplus())  -- (4, 12)
  local r = c:reshape(2, 2, 12):mean(2)               -- (2, 12)
  local ln = r:layernorm()
  local q = (ln:exp() + 1):log():sqrt() / 3 - ln:relu() * 0.25
  return q:square():mean(1):sum() + gr:mse(r, goal)
end
local wl = lin:param("weight")
g:reset()
lin:zero_grad()
local loss = composed(g)
g:backward(loss)
local analytic = wl:grad()
local worst, eps = 0, 1e-2
for i = 1, 6 do
  for j = 1, 5 do
    local v = wl:get(i, j)
    wl:set(i, j, v + eps)
    g:reset()
    local up = composed(g):item()
    wl:set(i, j, v - eps)
    g:reset()
    local down = composed(g):item()
    wl:set(i, j, v)
    local fd = (up - down) / (2 * eps)
    local err = math.abs(fd - analytic:get(i, j)) /
        math.max(1e-2, math.abs(fd))
    worst = math.max(worst, err)
  end
end
tap.ok(worst < 2e-2, "finite differences match the composed gradient")
tap.diag(string.format("  worst relative error %.3g", worst))

-- (4) optimiser steps through the handle lower the loss -----------------
local function train(spec, steps)
  local m = rs.nn.mlp{ input = data:input_dim(), width = 32, depth = 1,
                       output = classes, seed = 5 }
  local opt = rs.optim.new(spec, m)
  local gr = rs.graph()
  local first, last
  for _ = 1, steps do
    gr:reset()
    local logits = gr:forward(m, x)
    local l = -(gr:onehot(y, classes) * logits:log_softmax()):sum() / n
    gr:backward(l)
    opt:step()
    opt:zero_grad()
    first = first or l:item()
    last = l:item()
  end
  return first, last
end
local f0, f1 = train(rs.optim.sgd{ lr = 0.5, momentum = 0.9 }, 30)
tap.ok(f1 < 0.8 * f0, string.format("30 sgd steps: loss %.3f -> %.3f", f0,
                                    f1))
f0, f1 = train(rs.optim.adam{ lr = 1e-2 }, 30)
tap.ok(f1 < 0.5 * f0, string.format("30 adam steps: loss %.3f -> %.3f", f0,
                                    f1))

-- detach stops the gradient: d/dx sum(x * stop(x)) = x
g:reset()
local xd = g:input(T.from{ 1, -2, 3 }, true)
tap.is(xd:detach():requires_grad(), false, "a detached copy takes no grad")
g:backward((xd * xd:detach()):sum())
tap.is(maxdiff(xd:grad(), T.from{ 1, -2, 3 }), 0.0, "and stops the gradient")

-- heap tensors are borrowed: a parameter given straight to an op takes
-- gradients as through g:param; g:input(param) is a constant; g:input(t,
-- true) a copy whose gradient stays in the graph
g:reset()
lin:zero_grad()
local w6 = T.full({ 6, 5 }, 2)
g:backward(g:mul(w6, wl):sum() + g:mul(w6, g:input(wl)):sum())
tap.is(maxdiff(wl:grad(), w6), 0.0,
       "a parameter as an operand gets its gradient, g:input(param) none")
g:reset()
local data_t = T.ones(2, 2)
local leaf = g:input(data_t, true)
g:backward((leaf * 3):sum())
tap.is(data_t:grad(), nil, "g:input(t, true) leaves t without a gradient")
tap.is(maxdiff(leaf:grad(), T.full({ 2, 2 }, 3)), 0.0,
       "and its copy holds it")
local borrowed = g:input(data_t)
data_t:fill(5)
tap.is(borrowed:value():get(1, 1), 5.0, "g:input(t) borrows t")

-- gradients of two backward passes over one forward add up
g:reset()
lin:zero_grad()
local h = g:forward(lin, xs)
g:backward(h:sum())
local once = wl:grad()
g:backward((h * 2):sum())
tap.ok(maxdiff(wl:grad(), once * 3) <= 1e-5,
       "a second backward adds its own gradient once")
g:zero_grad()
tap.is(wl:grad():norm(), 0.0, "g:zero_grad clears the parameters it used")

-- (5) errors --------------------------------------------------------------
g:reset()
local old = g:input(T.ones(2, 3), true)
local oldloss = old:sum()
g:reset()
tap.error_is(function() return old:relu() end,
             "graph_tensor:relu: graph tensor from before g:reset()",
             "a stale handle raises")
tap.error_is(function() return old + 1 end,
             "graph_tensor:add: graph tensor from before g:reset()",
             "also in arithmetic")
tap.error_is(function() g:backward(oldloss) end,
             "graph:backward: graph tensor from before g:reset()",
             "and as a loss")
tap.error_is(function() return old:value() end,
             "graph_tensor:value: graph tensor from before g:reset()",
             "and when read")
tap.is(tostring(old), "graph tensor (stale)", "tostring says stale")

local g2 = rs.graph()
local a, b = g:input(T.ones(3)), g2:input(T.ones(3))
tap.error_is(function() return a + b end,
             "graph_tensor:add: bad argument #1 'b' (graph tensor of "
                 .. "another graph)",
             "tensors of two graphs do not mix")
tap.error_is(function() return g:mul(a, b) end,
             "graph:mul: bad argument #2 'b' (graph tensor of another graph)",
             "through the graph either")
tap.error_is(function() g2:backward(a:sum()) end,
             "graph:backward: bad argument #1 'loss' (graph tensor of "
                 .. "another graph)",
             "nor backward across graphs")

local v = g:input(T.ones(2, 3), true)
tap.error_is(function() g:backward(v * 2) end,
             "graph:backward: loss has 6 elements, expected a scalar",
             "backward from a non-scalar")
tap.error_is(function() g:backward(g:input(T.ones(1)):sum()) end,
             "graph:backward: output does not depend on any tensor that "
                 .. "requires grad",
             "backward from a constant")
local ng = rs.graph{ grad = false }
tap.error_is(function() ng:backward(ng:input(T.ones(2), true):sum()) end,
             "graph:backward: the graph records no gradients "
                 .. "(rs.graph{grad=false})",
             "backward on a no-grad graph")
tap.error_is(function() return v:item() end,
             "graph_tensor:item: bad self (1 element expected, got (2, 3))",
             "item of a non-scalar")
tap.error_is(function() return g:param(T.ones(2)) end,
             "graph:param: bad argument #1 't' (a parameter expected (it "
                 .. "has no gradient; use g:input for data))",
             "param of a plain tensor")
tap.error_is(function() return v:sum(3) end,
             "graph_tensor:sum: bad argument #1 'dim' (3 is outside 1..2)",
             "a reduction dim out of range")
tap.error_is(function() return g:matmul(v, v) end,
             "graph:matmul: inner dimensions differ: (2, 3) and (2, 3)",
             "an op's shape error")
tap.error_is(function() return v:relu() end,
             "graph_tensor:relu: the graph failed earlier (matmul: inner "
                 .. "dimensions differ: (2, 3) and (2, 3)); call g:reset()",
             "the graph stays failed until reset")
g:reset()
tap.ok(g:input(T.ones(2)):relu() ~= nil, "and works again after it")
tap.error_is(function() return g:cross_entropy(g:input(T.ones(2, 3)), {1}) end,
             "graph:cross_entropy: bad argument #2 'labels' (2 entries "
                 .. "expected, got 1)",
             "labels counted against rows")
tap.error_is(function()
               return g:cross_entropy(g:input(T.ones(2, 3)), { 0, 3 })
             end,
             "graph:cross_entropy: bad argument #2 'labels' (entry 2 is not "
                 .. "an integer in 0..2)",
             "labels checked against the logits' width")
tap.error_is(function() return g:onehot({ 0, 3 }, 3) end,
             "graph:onehot: bad argument #1 'labels' (entry 2 is not an "
                 .. "integer in 0..2)",
             "labels checked against classes")
tap.error_is(function() return g:relu(3) end,
             "graph:relu: bad argument #1 'x' (graph tensor or tensor "
                 .. "expected, got number)",
             "an operand of the wrong type")
tap.error_is(function() return rs.graph{ grads = true } end,
             "rs.graph: unknown field 'grads' (known: grad, prec)",
             "unknown options")
tap.error_is(function() return g:reset() or g.reset(v) end,
             "graph:reset: bad self (graph expected, got graph_tensor)",
             "a graph method on a tensor")
g:release()
tap.error_is(function() return a:exp() end,
             "graph_tensor:exp: attempt to use a released graph",
             "tensors of a released graph")
tap.error_is(function() return g:input(T.ones(1)) end,
             "graph:input: attempt to use a released graph",
             "and the graph itself")
