-- t_tensor.lua: rs.tensor - construction, shape, indexing, arithmetic
-- (checked against values computed here by hand or with plain loops),
-- conversion to and from tables, handles and argument errors.
local tap = require "tap"
local rs = require "repscope"
local T = rs.tensor

-- construction and shape
local z = T.zeros(2, 3)
tap.is(z:dim(), 2, "zeros: 2 dimensions")
tap.is(z:numel(), 6, "zeros: 6 elements")
tap.is(#z, 6, "#t is numel")
tap.is(table.concat(z:shape(), "x"), "2x3", "zeros(2, 3) shape")
tap.is(table.concat(T.zeros{4}:shape(), "x"), "4", "zeros{4} shape")
tap.is(T.ones{2, 2}:sum(), 4.0, "ones sum")
tap.is(T.full({3}, 2.5):sum(), 7.5, "full sum")
tap.is(T.eye(3):sum(), 3.0, "eye trace")
tap.is(T.eye(3)[{2, 2}], 1.0, "eye diagonal")
tap.is(T.eye(3)[{1, 2}], 0.0, "eye off-diagonal")
local ar = T.arange(5)
tap.is(ar[1], 0.0, "arange starts at 0")
tap.is(ar[5], 4.0, "arange ends at n-1")
tap.is(z:size(2), 3, "size(2)")
tap.ok(T.is_tensor(z) and not T.is_tensor({}), "is_tensor")

-- from / totable round trip
local a = T.from{ { 1, 2, 3 }, { 4, 5, 6 } }
tap.is(table.concat(a:shape(), "x"), "2x3", "from: shape inferred")
local back = a:totable()
tap.is(back[2][3], 6.0, "totable [2][3]")
tap.is(#back, 2, "totable rows")
tap.is(T.from(7):dim(), 0, "from(number) is a scalar")
tap.is(T.from(7):totable(), 7.0, "scalar totable")
local cube = T.from{ { { 1, 2 }, { 3, 4 } }, { { 5, 6 }, { 7, 8 } } }
tap.is(cube[{ 2, 1, 2 }], 6.0, "3-D index")

-- indexing and assignment (1-based)
tap.is(a[{ 1, 1 }], 1.0, "t[{1, 1}]")
tap.is(a:get(2, 1), 4.0, "get(2, 1)")
a:set(2, 1, 40)
tap.is(a[{ 2, 1 }], 40.0, "set then read")
a[{ 2, 1 }] = 4
tap.is(a:get(2, 1), 4.0, "t[{i, j}] = v")
local v = T.zeros(3)
v[2] = 9
tap.is(v[2], 9.0, "1-D t[i] = v")

-- arithmetic, checked against loops over the tables
local b = T.from{ { 10, 20, 30 }, { 40, 50, 60 } }
local function each(t, f)
  local r = {}
  for i, row in ipairs(t:totable()) do
    r[i] = {}
    for j, x in ipairs(row) do r[i][j] = f(x, i, j) end
  end
  return r
end
local bt = b:totable()
local function same(t, want, name)
  local got = t:totable()
  local ok = #got == #want
  for i = 1, #want do
    for j = 1, #want[i] do
      if math.abs(got[i][j] - want[i][j]) > 1e-5 * math.max(1, math.abs(want[i][j])) then
        ok = false
      end
    end
  end
  tap.ok(ok, name)
end
same(a + b, each(a, function(x, i, j) return x + bt[i][j] end), "a + b")
same(a - b, each(a, function(x, i, j) return x - bt[i][j] end), "a - b")
same(a * b, each(a, function(x, i, j) return x * bt[i][j] end), "a * b")
same(b / a, each(b, function(x, i, j) return x / a:totable()[i][j] end), "b / a")
same(a + 1, each(a, function(x) return x + 1 end), "a + 1")
same(2 * a, each(a, function(x) return 2 * x end), "2 * a")
same(10 - a, each(a, function(x) return 10 - x end), "10 - a")
same(12 / a, each(a, function(x) return 12 / x end), "12 / a")
same(-a, each(a, function(x) return -x end), "-a")
same(a:add(b), (a + b):totable(), "a:add(b)")
-- broadcasting a row over the rows
local row = T.from{ 1, 0, -1 }
same(a + row, each(a, function(x, _, j) return x + ({ 1, 0, -1 })[j] end),
     "a + row broadcasts")
same(row + a, (a + row):totable(), "row + a broadcasts (commutative)")

-- matmul against a naive loop
local m = a:matmul(b:t())
local at = a:totable()
local want = {}
for i = 1, 2 do
  want[i] = {}
  for j = 1, 2 do
    local s = 0
    for k = 1, 3 do s = s + at[i][k] * bt[j][k] end
    want[i][j] = s
  end
end
same(m, want, "a @ b^T")
tap.is(table.concat(b:t():shape(), "x"), "3x2", "transpose shape")

-- reductions and unary ops
tap.is(a:sum(), 21.0, "sum")
tap.is(a:mean(), 3.5, "mean")
tap.is_near(a:norm(), math.sqrt(91), 1e-9, "norm")
local mx, imx = a:max()
tap.is(mx, 6.0, "max value")
tap.is(imx, 6, "max flat index")
local mn, imn = a:min()
tap.is(mn, 1.0, "min value")
tap.is(imn, 1, "min flat index")
tap.is(T.from{ 3, 9, 2 }:argmax(), 2, "argmax 1-D")
tap.is(table.concat(T.from{ { 1, 5 }, { 7, 2 } }:argmax(), ","), "2,1",
       "argmax per row")
same(T.from{ { -1, 2 } }:relu(), { { 0, 2 } }, "relu")
same(T.from{ { 0, 1 } }:exp(), { { 1, math.exp(1) } }, "exp")
local sm = T.from{ { 1, 2, 3 } }:softmax():totable()[1]
local e = { math.exp(1), math.exp(2), math.exp(3) }
local es = e[1] + e[2] + e[3]
tap.is_near(sm[3], e[3] / es, 1e-6, "softmax")
same(T.from{ { 4, 9 } }:sqrt(), { { 2, 3 } }, "sqrt")

-- copies, views, reshape
local c = a:clone()
c[{ 1, 1 }] = 100
tap.is(a[{ 1, 1 }], 1.0, "clone is a copy")
local r = a:reshape{ 3, 2 }
tap.is(r[{ 3, 2 }], 6.0, "reshape keeps the order")
local view = a:rows(2)
view[{ 1, 1 }] = -4
tap.is(a[{ 2, 1 }], -4.0, "rows() shares storage")
a[{ 2, 1 }] = 4
tap.ok(a:equal(T.from{ { 1, 2, 3 }, { 4, 5, 6 } }), "equal")
tap.ok(a == T.from{ { 1, 2, 3 }, { 4, 5, 6 } }, "== compares contents")
tap.ok(not (a == b), "~= contents")
tap.is(T.zeros(2):fill(3):sum(), 6.0, "fill")
tap.is(T.zeros(2, 3):copy(a):sum(), 21.0, "copy")
tap.like(tostring(T.from{ 1, 2 }), "^tensor%(2%) %[1, 2%]$", "tostring")

-- random tensors are reproducible through rs.seed and rs.rng
rs.seed(5)
local r1 = T.randn(4)
rs.seed(5)
tap.ok(r1:equal(T.randn(4)), "rs.seed makes randn reproducible")
local g = rs.rng(9)
local u1 = T.rand({ 3 }, g)
tap.ok(u1:max() < 1 and u1:min() >= 0, "rand in [0, 1)")
tap.ok(u1:equal(T.rand({ 3 }, rs.rng(9))), "rand with an rng is reproducible")

-- handles
local h = T.zeros(2)
h:release()
tap.error_is(function() return h:shape() end,
             "tensor:shape: attempt to use a released tensor",
             "released handle raises")
tap.is(tostring(h), "tensor (released)", "released tostring")
do
  local scoped <close> = T.ones(2)
  tap.is(scoped:sum(), 2.0, "to-be-closed tensor usable in scope")
end

-- argument errors, word for word
tap.error_is(function() return T.zeros("x") end,
  "rs.tensor.zeros: bad argument #1 'shape' (table of up to 4 positive integers expected, got string)",
  "zeros: bad shape type")
tap.error_is(function() return T.zeros{ 2, 0 } end,
  "rs.tensor.zeros: bad argument #1 'shape' (dimension 2 is not a positive integer)",
  "zeros: zero dimension")
tap.error_is(function() return T.zeros(1, 2, 3, 4, 5) end,
  "rs.tensor.zeros: bad argument #1 'shape' (5 dimensions (at most 4))",
  "zeros: too many dimensions")
tap.error_is(function() return T.from{ { 1, 2 }, { 3 } } end,
  "rs.tensor.from: bad argument #1 'data' (ragged: a level-2 entry is not a table of 2)",
  "from: ragged")
tap.error_is(function() return T.from{ { 1, "x" } } end,
  "rs.tensor.from: bad argument #1 'data' (number expected, got string)",
  "from: non-number")
tap.error_is(function() return T.full(3, 1) end,
  "rs.tensor.full: bad argument #1 'shape' (table expected, got number)",
  "full: shape must be a table")
tap.error_is(function() return a:matmul(3) end,
  "tensor:matmul: bad argument #1 'other' (tensor expected, got number)",
  "matmul: other must be a tensor")
tap.error_is(function() return a.matmul(3, a) end,
  "tensor:matmul: bad self (tensor expected, got number)",
  "matmul: bad self")
tap.error_is(function() return a:matmul(a) end,
  "tensor:matmul: inner dimensions differ: (2, 3) and (2, 3)",
  "matmul: shape mismatch names the op")
tap.error_is(function() return a + "x" end,
  "tensor:add: bad argument #1 'b' (tensor or number expected, got string)",
  "add: string operand")
tap.error_is(function() return a:get(3, 1) end,
  "tensor:get: bad argument #1 'index' (3 is outside 1..2)",
  "get: index out of range")
tap.error_is(function() return v[4] end,
  "tensor index: 4 is outside 1..3", "t[i] out of range")
tap.error_is(function() return a[1] end,
  "tensor index: a 2-D tensor takes a table index t[{i, j}], not a number",
  "t[i] on a matrix")
tap.error_is(function() return a:reshape{ 4, 2 } end,
  "tensor:reshape: bad argument #1 'shape' (8 elements, the tensor has 6)",
  "reshape: element count")
tap.error_is(function() return T.eye(0) end,
  "rs.tensor.eye: bad argument #1 'n' (0 is outside 1..65536)", "eye: n")
tap.error_is(function() return T.zeros(2):set_grad(T.zeros(2)) end,
  "tensor:set_grad: not a parameter (it has no gradient)",
  "set_grad on a plain tensor")

tap.done()
