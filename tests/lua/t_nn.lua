-- t_nn.lua: rs.nn builders, named parameters (shared with the model),
-- recorded activations, sequential composition; forwards checked against
-- the same computation written out with tensor ops and loops.
local tap = require "tap"
local rs = require "repscope"
local T = rs.tensor

local function close(a, b, tol)
  local x, y = a:totable(), b:totable()
  local function walk(p, q)
    if type(p) == "number" then return math.abs(p - q) <= tol end
    if #p ~= #q then return false end
    for i = 1, #p do
      if not walk(p[i], q[i]) then return false end
    end
    return true
  end
  return walk(x, y)
end

-- linear: y = x W^T + b against a loop
rs.seed(1)
local lin = rs.nn.linear(3, 2)
tap.is(lin:kind(), "linear", "kind")
tap.is(table.concat(lin:param_names(), ","), "weight,bias", "linear params")
local W, b = lin:param("weight"), lin:param("bias")
tap.is(table.concat(W:shape(), "x"), "2x3", "weight (out, in)")
local x = T.from{ { 1, 2, 3 }, { -1, 0.5, 2 } }
local y = lin:forward(x)
local want = {}
for i = 1, 2 do
  want[i] = {}
  for j = 1, 2 do
    local s = b[j]
    for k = 1, 3 do s = s + x[{ i, k }] * W[{ j, k }] end
    want[i][j] = s
  end
end
tap.ok(close(y, T.from(want), 1e-5), "linear forward")
tap.ok(close(lin(x), y, 0), "module(x) is module:forward(x)")
-- torch default init: |w| <= 1/sqrt(in)
tap.ok(W:max() <= 1 / math.sqrt(3) and W:min() >= -1 / math.sqrt(3),
       "torch init bound")
-- parameters share storage with the model
W:fill(0)
b:fill(1)
tap.is(lin:forward(x):sum(), 4.0, "writing a param changes the model")
tap.is(table.concat(rs.nn.linear{ ["in"] = 3, out = 2, bias = false }
                      :param_names(), ","), "weight", "bias = false")
tap.is(rs.nn.linear(3, 2, { init = "zeros" }):param("weight"):norm(), 0.0,
       "init = zeros")
tap.ok(rs.nn.linear{ ["in"] = 4, out = 4, seed = 3 }:param("weight"):equal(
         rs.nn.linear{ ["in"] = 4, out = 4, seed = 3 }:param("weight")),
       "seed= gives the same weights")
tap.ok(W:name() == "weight", "param tensor knows its name")

-- activations
local xa = T.from{ { -2, -0.5, 0, 1.5 } }
local function act(m) return m:forward(xa):totable()[1] end
tap.is(table.concat(act(rs.nn.relu()), ","), "0.0,0.0,0.0,1.5", "relu")
tap.is_near(act(rs.nn.leaky_relu(0.1))[1], -0.2, 1e-7, "leaky_relu slope")
tap.is_near(act(rs.nn.leaky_relu{ slope = 0.2 })[2], -0.1, 1e-7,
            "leaky_relu{slope}")
tap.is_near(act(rs.nn.tanh())[4], math.tanh(1.5), 1e-6, "tanh")
tap.is_near(act(rs.nn.sigmoid())[1], 1 / (1 + math.exp(2)), 1e-6, "sigmoid")
local g = 0.5 * 1.5 * (1 + math.tanh(math.sqrt(2 / math.pi) *
                                      (1.5 + 0.044715 * 1.5 ^ 3)))
tap.is_near(act(rs.nn.gelu())[4], g, 1e-6, "gelu (tanh form)")
tap.is(act(rs.nn.identity())[1], -2.0, "identity")
tap.is(table.concat(rs.nn.relu():layers(), ","), "relu",
       "an activation is one probe-able layer")

-- norms
local xn = T.from{ { 1, 2, 3, 6 }, { -1, -1, 1, 1 } }
local ln = rs.nn.layernorm(4):forward(xn):totable()
for i = 1, 2 do
  local mean, var = 0, 0
  for j = 1, 4 do mean = mean + ln[i][j] / 4 end
  for j = 1, 4 do var = var + (ln[i][j] - mean) ^ 2 / 4 end
  tap.ok(math.abs(mean) < 1e-5 and math.abs(var - 1) < 1e-3,
         "layernorm row " .. i .. " has mean 0, variance 1")
end
local rn = rs.nn.rmsnorm{ width = 4, affine = false }:forward(xn):totable()
local ms = (1 + 4 + 9 + 36) / 4
tap.is_near(rn[1][4], 6 / math.sqrt(ms + 1e-5), 1e-5, "rmsnorm")
tap.is(table.concat(rs.nn.layernorm(4):param_names(), ","), "weight,bias",
       "layernorm affine params")
tap.is(#rs.nn.rmsnorm{ width = 4, affine = false }:param_names(), 0,
       "rmsnorm without affine has no params")

-- mlp: forward equals the composition written with tensor ops
rs.seed(2)
local mlp = rs.nn.mlp{ input = 4, width = 8, depth = 2, output = 3 }
tap.is(table.concat(mlp:layers(), ","), "l1,l2", "mlp layers")
tap.is(table.concat(mlp:param_names(), ","),
       "l1.weight,l1.bias,l2.weight,l2.bias,l3.weight,l3.bias",
       "mlp param names")
tap.is(mlp:num_params(), 4 * 8 + 8 + 8 * 8 + 8 + 8 * 3 + 3, "num_params")
tap.is(mlp:in_features(), 4, "in_features")
tap.is(mlp:out_features(), 3, "out_features")
local xm = T.randn(5, 4)
local out = mlp:forward(xm)
local function layer(h, k)
  return h:matmul(mlp:param("l" .. k .. ".weight"):t()) +
         mlp:param("l" .. k .. ".bias")
end
local z1 = layer(xm, 1)
local h1 = z1:relu()
local z2 = layer(h1, 2)
local manual = layer(z2:relu(), 3)
tap.ok(close(out, manual, 1e-5), "mlp forward = composition")
tap.ok(close(mlp:activation("l1", "preact"), z1, 1e-5), "preact of l1")
tap.ok(close(mlp:activation("l1"), h1, 1e-5), "act of l1")
tap.ok(close(mlp:activation("l2", "preact"), z2, 1e-5), "preact of l2")
local ss = 0
for _, name in ipairs(mlp:param_names()) do
  ss = ss + mlp:param(name):norm() ^ 2
end
tap.is_near(mlp:weight_norm(), math.sqrt(ss), 1e-6, "weight_norm")
tap.is_near(mlp:weight_norm("l2"), math.sqrt(mlp:param("l2.weight"):norm() ^ 2 +
                                             mlp:param("l2.bias"):norm() ^ 2),
            1e-6, "weight_norm of one layer")
tap.is(#rs.nn.mlp{ input = 2, depth = 0, output = 2 }:layers(), 0,
       "depth 0 has no hidden layers")
local normed = rs.nn.mlp{ input = 2, width = 4, depth = 1, output = 2,
                          norm = "layernorm" }
tap.is(table.concat(normed:param_names(), ","),
       "l1.weight,l1.bias,l1.norm.weight,l1.norm.bias,l2.weight,l2.bias",
       "mlp with layernorm")
tap.like(tostring(mlp), "^mlp%(4 %-> 3, 2 layers, 139 parameters%)$",
         "mlp tostring")

-- sequential
rs.seed(3)
local seq = rs.nn.sequential{
  { "fc1", rs.nn.linear(4, 8) },
  rs.nn.tanh(),
  { "out", rs.nn.linear(8, 3) },
}
tap.is(table.concat(seq:param_names(), ","),
       "fc1.weight,fc1.bias,out.weight,out.bias", "sequential param names")
tap.is(table.concat(seq:layers(), ","), "2", "sequential layers: the activation")
local xs = T.randn(2, 4)
local fc1, fco = seq:child("fc1"), seq:child(3)
local ms_out = fco:forward(fc1:forward(xs):tanh())
tap.ok(close(seq:forward(xs), ms_out, 1e-5), "sequential forward")
tap.ok(close(seq:activation("2", "preact"), fc1:forward(xs), 1e-5),
       "sequential preact of the activation")
seq:param("fc1.bias"):fill(0.25)
tap.is(fc1:param("bias")[1], 0.25, "sequential shares the child's tensors")
local nested = rs.nn.sequential{ { "enc", rs.nn.mlp{ input = 3, width = 5,
                                                     depth = 2, output = 4 } },
                                 rs.nn.relu() }
tap.is(table.concat(nested:layers(), ","), "enc.l1,enc.l2,2", "nested layers")

-- handles
local tmp = rs.nn.relu()
tmp:release()
tap.error_is(function() return tmp:layers() end,
  "module:layers: attempt to use a released module", "released module")

-- argument errors, word for word
tap.error_is(function() return rs.nn.mlp{ width = 4, output = 2 } end,
  "rs.nn.mlp: field 'input' is required", "mlp: input required")
tap.error_is(function() return rs.nn.mlp{ input = 2, width = "4", output = 2 } end,
  "rs.nn.mlp: bad field 'width' (integer expected, got string)",
  "mlp: width type")
tap.error_is(function() return rs.nn.mlp{ input = 2, width = 4.5, output = 2 } end,
  "rs.nn.mlp: bad field 'width' (integer expected, got non-integer number)",
  "mlp: width not an integer")
tap.error_is(function() return rs.nn.mlp{ input = 2, width = 4, output = 2, act = "relux" } end,
  "rs.nn.mlp: bad field 'act' ('relu', 'leaky_relu', 'gelu', 'tanh', 'sigmoid' or 'identity' expected, got 'relux')",
  "mlp: unknown activation")
tap.error_is(function() return rs.nn.mlp{ input = 2, widht = 4, output = 2 } end,
  "rs.nn.mlp: unknown field 'widht' (known: input, width, depth, output, act, norm, bias, init, scale, slope, affine, eps, seed)",
  "mlp: unknown field")
tap.error_is(function() return rs.nn.mlp{ input = 2, width = 4, depth = -1, output = 2 } end,
  "rs.nn.mlp: bad field 'depth' (-1 is outside 0..256)", "mlp: depth range")
tap.error_is(function() return rs.nn.mlp(3) end,
  "rs.nn.mlp: bad argument #1 'config' (table expected, got number)",
  "mlp: config type")
tap.error_is(function() return rs.nn.linear(0, 2) end,
  "rs.nn.linear: bad argument #1 'in' (0 is not >= 1)", "linear: in")
tap.error_is(function() return rs.nn.linear(2, 2, { init = "glorot" }) end,
  "rs.nn.linear: bad field 'init' ('zeros', 'constant', 'normal', 'uniform', 'kaiming', 'kaiming_uniform', 'xavier', 'xavier_uniform', 'lecun' or 'torch' expected, got 'glorot')",
  "linear: init")
tap.error_is(function() return rs.nn.relu(1) end,
  "rs.nn.relu: takes no arguments", "relu: no arguments")
tap.error_is(function() return rs.nn.layernorm{ width = 0 } end,
  "rs.nn.layernorm: bad field 'width' (0 is outside 1..2147483647)",
  "layernorm: width")
tap.error_is(function()
  return rs.nn.sequential{ rs.nn.linear(4, 8), rs.nn.relu(), rs.nn.linear(9, 2) }
end,
  "rs.nn.sequential: child 3 ('3', linear) takes 9 features but child 1 ('1') gives 8",
  "sequential: size mismatch")
tap.error_is(function() return rs.nn.sequential{ rs.nn.relu(), 5 } end,
  "rs.nn.sequential: bad argument #1 'modules' (entry 2: module expected, got number)",
  "sequential: bad entry")
local shared = rs.nn.linear(2, 2)
tap.error_is(function() return rs.nn.sequential{ shared, shared } end,
  "rs.nn.sequential: child 2 ('2') shares parameter '1.weight' with an earlier child",
  "sequential: a module twice")
tap.error_is(function() return rs.nn.sequential{ { "a.b", rs.nn.relu() } } end,
  "rs.nn.sequential: child 1 name 'a.b' (must be 1..31 characters without '.')",
  "sequential: bad name")
tap.error_is(function() return mlp:param("nope") end,
  "module:param: bad argument #1 'name' (no parameter 'nope')",
  "param: unknown name")
tap.error_is(function() return mlp:activation("l9") end,
  "module:activation: bad argument #1 'layer' (no layer 'l9' (layers: l1, l2))",
  "activation: unknown layer")
tap.error_is(function() return rs.nn.mlp{ input = 2, width = 2, output = 2 }:activation("l1") end,
  "module:activation: no recorded forward (call module:forward(x) first)",
  "activation before forward")
tap.error_is(function() return mlp:forward(T.zeros(2, 5)) end,
  "module:forward: in linear: input width differs from weight IN: (2, 5) and (8, 4)",
  "forward: shape mismatch")

tap.done()
