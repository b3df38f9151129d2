-- t_errors.lua: one prefix per error message, the function the user
-- called. A known-bad call into each part of the engine (and the binding
-- and scene layers on top) must fail with "<fn>: <body>", where <fn> is
-- exactly that function's Lua name and <body> opens with no second
-- "<name>: " prefix: neither a module's own name ("rs.train: train: ...")
-- nor, anywhere in it, one of the module prefixes the engine used to add.
-- A failed graph op may open "in <op>: " (module:forward runs many ops),
-- and only where the case says so.
local tap = require "tap"
local rs = require "repscope"
local T = rs.tensor

-- prefixes the engine's modules used to write on their own messages
local MODULES = { "train", "seqtrain", "learner", "classify", "last_token",
  "next_token", "objective", "source", "optim", "tensor", "sequential",
  "mlp", "linear", "transformer", "seqtask", "modular", "fmnist", "rank",
  "dead", "dormant", "saturated", "collapse", "linprobe", "sensitivity",
  "probe", "session", "attach", "checkpoint", "lua", "trainer state" }

-- The message of f's error without "file:line: ", or nil if none.
local function raised(f)
  local ok, e = pcall(f)
  if ok then return nil end
  return tap.strip_position(tostring(e))
end

-- Check msg against the rule for a call of fn; op: the graph op the
-- body may name first ("in <op>: "), or nil.
local function one_prefix(fn, msg, op, what)
  if msg == nil then
    tap.ok(false, what .. ": raises")
    return
  end
  local prefix, body = msg:match("^([%w_.:]+): (.*)$")
  tap.is(prefix, fn, what .. ": the prefix is the function called")
  body = body or msg
  local inner = body:match("^in ([%a_][%w_]*): ")
  tap.ok(inner == op, what .. ": " .. (op and ("names the op " .. op)
                                          or "names no op") .. ": " .. msg)
  if inner ~= nil then body = body:sub(#inner + 5) end
  local second = body:match("^([%a_][%w_]*): ")
  for _, m in ipairs(MODULES) do
    if second == nil and body:find(m .. ": ", 1, true) then second = m end
  end
  tap.ok(second == nil, what .. ": no second prefix" ..
         (second and (" ('" .. second .. ": ')") or ""))
end

local data = rs.data.modular{ p = 11, train_frac = 0.5, seed = 3 }
local mlp = rs.nn.mlp{ input = 22, width = 8, output = 11 }
local tr = rs.train{ model = mlp, data = data, batch = 8 }
local small = rs.nn.transformer{ vocab = 5, ctx = 4, d = 8, heads = 2 }
local copy = rs.data.seqtask{ task = "copy_first", min_len = 3, max_len = 5 }
local a = T.zeros(2, 3)

local cases = {
  -- algo: supervised and sequence trainers
  { "rs.train", function()
      return rs.train{ model = rs.nn.mlp{ input = 22, width = 4, output = 5 },
                       data = data }
    end },
  { "rs.train", function()
      return rs.train{ model = rs.nn.mlp{ input = 10, width = 4, output = 11 },
                       data = data }
    end },
  { "learner:step_on", function() return tr:step_on(T.zeros(2, 22), { 1, 20 }) end },
  { "learner:set", function() return tr:set{ lr = -1 } end },
  { "rs.train.seq", function()
      return rs.train.seq{ model = rs.nn.transformer{ vocab = 3, ctx = 8, d = 8 },
                           task = copy }
    end },
  -- core: optimiser and tensors
  { "rs.optim.sgd", function() return rs.optim.sgd{ lr = 0.1, nesterov = true } end },
  { "rs.optim.new", function()
      return rs.optim.new(rs.optim.sgd{ lr = 0.1 }, { T.zeros(2) })
    end },
  { "rs.tensor.zeros", function() return T.zeros(1, 2, 3, 4, 5) end },
  -- graph ops: the op is the function, or one of the ops it ran
  { "tensor:matmul", function() return a:matmul(a) end },
  { "tensor:add", function() return a + T.zeros(4, 5) end },
  { "module:forward", function() return mlp:forward(T.zeros(2, 5)) end,
    "linear" },
  -- nn
  { "rs.nn.sequential", function()
      return rs.nn.sequential{ rs.nn.linear{ ["in"] = 4, out = 8 },
                               rs.nn.linear{ ["in"] = 9, out = 2 } }
    end },
  { "rs.nn.transformer", function()
      return rs.nn.transformer{ vocab = 5, ctx = 4, d = 6, heads = 4 }
    end },
  { "transformer:forward", function() return small:forward{ 1, 5 } end },
  -- data
  { "rs.data.modular", function() return rs.data.modular{ p = 8, op = "/" } end },
  { "rs.data.seqtask", function()
      return rs.data.seqtask{ task = "copy_first", min_len = 5, max_len = 2 }
    end },
  -- probes
  { "rs.probe.srank", function() return rs.probe.srank(T.from{ { 0 / 0, 1 }, { 1, 2 } }) end,
    "svd" },
  { "rs.probe.dormant", function() return rs.probe.dormant(T.zeros(2, 3), -1) end },
  { "rs.probe.sensitivity", function() return rs.probe.sensitivity(small, { 1, 9 }) end },
  { "rs.probe.collapse", function()
      return rs.probe.collapse(small, { 1, 2, 3, 4, 1 }, { 1 }, "fp32")
    end },
  -- the scene layer (lua/repscope/scene.lua)
  { "rs.scene", function() return rs.scene{ steps = 0 } end },
  { "rs.probe.rank", function() return rs.probe.rank{ every = 0 } end },
}
for i, c in ipairs(cases) do
  one_prefix(c[1], raised(c[2]), c[3], string.format("case %d (%s)", i, c[1]))
end

-- `return nil, msg` follows the same rule
local none, msg = rs.data.fmnist{ dir = "/nonexistent/fmnist" }
tap.ok(none == nil, "fmnist: nil when missing")
one_prefix("rs.data.fmnist", msg, nil, "fmnist nil, msg")

-- The rule itself can fail: a doubled prefix, a foreign one, a nested
-- module prefix and an unexpected op are each caught (checked here on
-- made-up messages, so a broken rule cannot pass silently).
local function caught(fn, msg, op)
  local prefix, body = msg:match("^([%w_.:]+): (.*)$")
  if prefix ~= fn then return true end
  local inner = body:match("^in ([%a_][%w_]*): ")
  if inner ~= op then return true end
  if inner ~= nil then body = body:sub(#inner + 5) end
  if body:match("^[%a_][%w_]*: ") then return true end
  for _, m in ipairs(MODULES) do
    if body:find(m .. ": ", 1, true) then return true end
  end
  return false
end
tap.ok(caught("rs.train", "rs.train: train: the model gives 5 outputs"),
       "rule: a doubled prefix is caught")
tap.ok(caught("rs.train", "rs.train.seq: lr = -1"),
       "rule: another function's prefix is caught")
tap.ok(caught("rs.probe.linear", "rs.probe.linear: layer 'l1': linprobe: x"),
       "rule: a nested module prefix is caught")
tap.ok(caught("tensor:matmul", "tensor:matmul: in matmul: x"),
       "rule: an op where none is expected is caught")
tap.ok(not caught("module:forward", "module:forward: in linear: x", "linear"),
       "rule: an expected op passes")

tap.done()
