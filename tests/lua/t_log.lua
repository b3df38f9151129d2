-- t_log.lua: rs.log, rs.matrix, rs.event and print reach the sink (the
-- test runner's recorder stands in for the session).
local tap = require "tap"
local rs = require "repscope"
local T = rs.tensor

tap.clear()
rs.log("a/b", 1.5)
tap.is(tap.logged()["a/b"], 1.5, "rs.log(name, value)")
rs.log{ x = 1, ["probe/custom"] = 2.25 }
tap.is(tap.logged().x, 1.0, "rs.log{...} first")
tap.is(tap.logged()["probe/custom"], 2.25, "rs.log{...} second")
rs.log("a/b", 2.5)
tap.is(table.concat(tap.series("a/b"), ","), "1.5,2.5", "series keeps order")
rs.log("i", 3)
tap.is(tap.logged().i, 3.0, "integers are logged as numbers")

rs.matrix("m", T.from{ { 1, 2, 3 }, { 4, 5, 6 } })
local rows, cols, v = tap.matrix("m")
tap.is(rows, 2, "matrix rows")
tap.is(cols, 3, "matrix cols")
tap.is(table.concat(v, ","), "1.0,2.0,3.0,4.0,5.0,6.0", "matrix data row-major")
rs.matrix("v", T.from{ 7, 8 })
rows, cols = tap.matrix("v")
tap.is(rows .. "x" .. cols, "1x2", "a 1-D tensor is one row")
rs.matrix("lab", T.from{ { 1, 2, 3 }, { 4, 5, 6 } },
          { rows = { "l1", "l2" }, cols = { "a", "b", "c" } })
local _, _, _, rl, cl = tap.matrix("lab")
tap.is(rl, "l1|l2", "row labels reach the sink")
tap.is(cl, "a|b|c", "column labels reach the sink")
rs.matrix("lab", T.from{ 1, 2 }, { cols = { "x", "y" } })
_, _, _, rl, cl = tap.matrix("lab")
tap.is(tostring(rl) .. " " .. cl, "nil x|y", "only column labels")

rs.event("switched task")
tap.is(tap.events()[1], "switched task", "rs.event")
print("hello", 42)
local printed = tap.printed()
tap.is(printed[#printed], "hello\t42", "print goes to the sink")
tap.clear()
tap.is(next(tap.logged()), nil, "clear")

tap.error_is(function() rs.log(3) end,
  "rs.log: bad argument #1 'name' (string or table expected, got number)",
  "log: name type")
tap.error_is(function() rs.log("x", "y") end,
  "rs.log: bad argument #2 'value' (number expected, got string)",
  "log: value type")
tap.error_is(function() rs.log{ x = "y" } end,
  "rs.log: bad field 'x' (number expected, got string)", "log: field type")
tap.error_is(function() rs.log{ 5 } end,
  "rs.log: bad argument #1 'values' (string keys expected, got number)",
  "log: array entries")
tap.error_is(function() rs.log("", 1) end,
  "rs.log: bad argument #1 'name' (a name of 1..95 characters expected, got 0)",
  "log: empty name")
tap.error_is(function() rs.matrix("m", T.zeros(2, 2, 2)) end,
  "rs.matrix: bad argument #2 'matrix' (1-D or 2-D tensor expected, got 3-D)",
  "matrix: 3-D")
tap.error_is(function() rs.matrix("m", { 1, 2 }) end,
  "rs.matrix: bad argument #2 'matrix' (tensor expected, got table)",
  "matrix: a table")
tap.error_is(function()
  rs.matrix("m", T.zeros(2, 3), { rows = { "a" } })
end, "rs.matrix: field 'rows' has 1 labels, the matrix 2 rows",
  "matrix: label count")
tap.error_is(function()
  rs.matrix("m", T.zeros(1, 2), { cols = { "a", 2 } })
end, "rs.matrix: cols[2] is a number, expected a string", "matrix: label type")
tap.error_like(function() rs.matrix("m", T.zeros(1, 2), { rowz = {} }) end,
  "rowz", "matrix: unknown option")
tap.error_is(function() rs.event(1) end,
  "rs.event: bad argument #1 'text' (string expected, got number)",
  "event: type")
tap.error_is(function() rs.seed("x") end,
  "rs.seed: bad argument #1 'seed' (integer expected, got string)",
  "seed: type")

tap.done()
