-- t_data.lua: rs.data.modular - sizes, every label against (a op b) mod p
-- computed here, one-hot inputs, splits, seeds and argument errors.
local tap = require "tap"
local rs = require "repscope"

local function inverse(b, p)
  for x = 1, p - 1 do
    if (b * x) % p == 1 then return x end
  end
end

local ops = {
  ["+"] = function(a, b, p) return (a + b) % p end,
  ["-"] = function(a, b, p) return (a - b) % p end,
  ["*"] = function(a, b, p) return (a * b) % p end,
  ["/"] = function(a, b, p) return (a * inverse(b, p)) % p end,
}

for _, op in ipairs{ "+", "-", "*", "/" } do
  local p = 7
  local d = rs.data.modular{ p = p, op = op, train_frac = 0.5, seed = 1 }
  local total = op == "/" and p * (p - 1) or p * p
  tap.is(d:count("train") + d:count("test"), total, op .. ": every pair once")
  local labels_ok, onehot_ok, seen = true, true, {}
  for _, split in ipairs{ "train", "test" } do
    local x, y = d:batch(split)
    for i = 1, d:count(split) do
      local a, b, label = d:example(split, i)
      seen[a * p + b] = (seen[a * p + b] or 0) + 1
      if label ~= ops[op](a, b, p) or y[i] ~= label then labels_ok = false end
      for j = 1, 2 * p do
        local want = (j == a + 1 or j == p + b + 1) and 1 or 0
        if x[{ i, j }] ~= want then onehot_ok = false end
      end
    end
  end
  local dup = false
  for _, n in pairs(seen) do dup = dup or n > 1 end
  tap.ok(labels_ok, op .. ": labels are (a " .. op .. " b) mod p")
  tap.ok(onehot_ok, op .. ": inputs are one-hot a then b")
  tap.ok(not dup, op .. ": no pair in both splits")
end

local d = rs.data.modular{ p = 11, train_frac = 0.3, seed = 4 }
tap.is(d:input_dim(), 22, "input_dim 2p")
tap.is(d:classes(), 11, "classes p")
tap.is(d:kind(), "modular", "kind")
tap.is(d:count("train"), math.floor(0.3 * 121 + 0.5), "train share")
local x, y = d:batch("test", 3, 2)
tap.is(table.concat(x:shape(), "x"), "2x22", "batch(first, n) shape")
local _, _, l3 = d:example("test", 3)
tap.is(y[1], l3, "batch(first, n) starts at first")
local xi, yi = d:batch("train", { 5, 1 })
local _, _, l5 = d:example("train", 5)
tap.is(yi[1], l5, "batch with an index list")
tap.is(table.concat(xi:shape(), "x"), "2x22", "index list shape")

local same = rs.data.modular{ p = 11, train_frac = 0.3, seed = 4 }
local other = rs.data.modular{ p = 11, train_frac = 0.3, seed = 5 }
local function order(ds)
  local t = {}
  for i = 1, 10 do
    local a, b = ds:example("train", i)
    t[i] = a * 11 + b
  end
  return table.concat(t, ",")
end
tap.is(order(same), order(d), "same seed, same split")
tap.ok(order(other) ~= order(d), "another seed, another split")
tap.like(tostring(d), "^dataset modular %(36 train, 85 test, 22 inputs, 11 classes%)$",
         "tostring")

tap.error_is(function() return rs.data.modular{ p = 1 } end,
  "rs.data.modular: bad field 'p' (1 is outside 2..1000)", "p range")
tap.error_is(function() return rs.data.modular{ op = "^" } end,
  "rs.data.modular: bad field 'op' ('+', '-', '*' or '/' expected, got '^')",
  "op")
tap.error_is(function() return rs.data.modular{ train_frac = 1 } end,
  "rs.data.modular: bad field 'train_frac' (1 is outside (0, 1))",
  "train_frac")
tap.error_is(function() return rs.data.modular{ q = 3 } end,
  "rs.data.modular: unknown field 'q' (known: p, op, train_frac, seed)",
  "unknown field")
tap.error_like(function() return rs.data.modular{ p = 8, op = "/" } end,
  "^[^:]+:%d+: rs%.data%.modular: .*prime", "division needs a prime")
tap.error_is(function() return d:count("val") end,
  "dataset:count: bad argument #1 'split' ('train' or 'test' expected, got 'val')",
  "split name")
tap.error_is(function() return d:batch("train", 0) end,
  "dataset:batch: bad argument #2 'first' (examples 0..36 outside 1..36)",
  "batch range")
tap.error_is(function() return d:example("test", 86) end,
  "dataset:example: bad argument #2 'index' (86 is outside 1..85)",
  "example range")
d:release()
tap.error_is(function() return d:classes() end,
  "dataset:classes: attempt to use a released dataset", "released dataset")

tap.done()
