-- t_transformer.lua: rs.nn.transformer: the resolved config, the parameter
-- count against the formula, forward/layer_last/attention shapes, the
-- final LayerNorm identity y = LN(v_L) recomputed here, NoPE/learned
-- embeddings, attention rows and windows, bf16 calls that give bf16 values
-- and leave the float32 weights intact, and argument errors word for word.
local tap = require "tap"
local rs = require "repscope"

local function vals(t)
  local r = t:totable()
  return r
end

local function maxdiff(a, b)
  local x, y = vals(a), vals(b)
  local m = 0
  for i = 1, #x do m = math.max(m, math.abs(x[i] - y[i])) end
  return m
end

-- config and parameter count
local tf = rs.nn.transformer{ vocab = 7, ctx = 8, d = 8, heads = 2,
                              layers = 2, pos = "learned" }
local c = tf:config()
tap.is(c.vocab, 7, "vocab")
tap.is(c.mlp, 32, "mlp defaults to 4d")
tap.is(c.out, 7, "out defaults to vocab")
tap.is_near(c.init_std, 1 / math.sqrt(8), 1e-7, "init_std defaults to 1/sqrt(d)")
tap.is(c.pos, "learned", "pos")
tap.is(c.norm, "pre", "norm defaults to pre")
tap.is(c.window, 0, "window defaults to 0")
tap.is(c.seed, 1, "seed defaults to 1")
tap.is(rs.nn.transformer{ vocab = 3, ctx = 4, d = 4 }:config().pos, "rope",
       "pos defaults to rope")
do
  local d, V, M, L, ctx = 8, 7, 32, 2, 8
  local layer = 4 * d + 3 * d * d + 3 * d + d * d + d + d * M + M + M * d + d
  local want = V * d + ctx * d + L * layer + 2 * d + V * d + V
  tap.is(tf:params(), want, "params() by the formula")
end
tap.like(tostring(tf), "^transformer%(vocab 7, ctx 8, d 8, 2 heads", "tostring")

-- forward: logits and y of the last token
local ids = { 3, 1, 4, 1, 5 }
local lg, y = tf:forward(ids)
tap.is(table.concat(lg:shape(), "x"), "7", "logits (out)")
tap.is(table.concat(y:shape(), "x"), "8", "y (d)")
local lg2 = tf:forward(ids)
tap.is(maxdiff(lg, lg2), 0.0, "forward is deterministic")

-- pre-norm: y = LN(v_L) with gain 1, shift 0 at init
do
  local v = vals(tf:layer_last(ids, 2))
  local mu, var = 0, 0
  for i = 1, #v do mu = mu + v[i] end
  mu = mu / #v
  for i = 1, #v do var = var + (v[i] - mu) ^ 2 end
  var = var / #v
  local yy, m = vals(y), 0
  for i = 1, #v do
    m = math.max(m, math.abs(yy[i] - (v[i] - mu) / math.sqrt(var + 1e-5)))
  end
  tap.ok(m < 1e-5, "y = layernorm(v_L) at the last token (err " .. m .. ")")
end

-- v0: NoPE sees only the token; learned positions add a row per position
do
  local none = rs.nn.transformer{ vocab = 7, ctx = 8, d = 8, heads = 2,
                                  pos = "none", seed = 5 }
  tap.is(maxdiff(none:layer_last({ 2 }, 0), none:layer_last({ 6, 0, 2 }, 0)),
         0.0, "none: v0 of the last token is its embedding")
  tap.ok(maxdiff(tf:layer_last({ 2 }, 0), tf:layer_last({ 6, 0, 2 }, 0)) > 1e-3,
         "learned: v0 depends on the position")
end

-- attention rows
do
  local a = tf:attention(ids, 1)
  tap.is(table.concat(a:shape(), "x"), "2x5", "attention (heads, T)")
  local ok = true
  for _, row in ipairs(vals(a)) do
    local s = 0
    for _, p in ipairs(row) do
      s = s + p
      ok = ok and p >= 0
    end
    ok = ok and math.abs(s - 1) < 1e-5
  end
  tap.ok(ok, "each head's row is a distribution")
  local w = rs.nn.transformer{ vocab = 7, ctx = 8, d = 8, heads = 2,
                               window = 2, pos = "alibi" }
  local r = vals(w:attention(ids, 2))
  tap.ok(r[1][1] == 0 and r[1][3] == 0 and r[2][3] == 0 and r[1][4] > 0 and
         r[1][5] > 0, "window = 2: only the last two keys")
end

-- bf16: values are bf16 numbers; the float32 weights come back exactly
do
  local function is_bf16(x)
    return string.unpack("<I4", string.pack("<f", x)) & 0xFFFF == 0
  end
  local lb, yb = tf:forward(ids, "bf16")
  local ok = true
  for _, x in ipairs(vals(lb)) do ok = ok and is_bf16(x) end
  for _, x in ipairs(vals(yb)) do ok = ok and is_bf16(x) end
  tap.ok(ok, "bf16 forward: logits and y are bf16 values")
  local d = maxdiff(lb, lg)
  tap.ok(d > 0 and d < 0.2, "bf16 close to fp32 (diff " .. d .. ")")
  tap.is(maxdiff(tf:forward(ids, "fp32"), lg), 0.0,
         "fp32 forward after a bf16 call is unchanged")
  tap.ok(maxdiff(tf:forward(ids, "fp16"), lg) > 0, "fp16 forward differs")
end

-- seeds
do
  local function mk(s)
    return rs.nn.transformer{ vocab = 5, ctx = 4, d = 4, seed = s }
  end
  tap.is(maxdiff(mk(3):forward{ 1, 2 }, mk(3):forward{ 1, 2 }), 0.0,
         "same seed, same model")
  tap.ok(maxdiff(mk(3):forward{ 1, 2 }, mk(4):forward{ 1, 2 }) > 0,
         "another seed, another model")
end

-- errors, word for word
local F = "rs.nn.transformer"
tap.error_is(function() return rs.nn.transformer{ vocab = 5, ctx = 4 } end,
  F .. ": field 'd' is required", "d required")
tap.error_is(function() return rs.nn.transformer(3) end,
  F .. ": bad argument #1 'config' (table expected, got number)", "not a table")
tap.error_is(function()
  return rs.nn.transformer{ vocab = 5, ctx = 4, d = 4, dim = 4 }
end, F .. ": unknown field 'dim' (known: vocab, ctx, d, heads, layers, mlp, "
  .. "out, pos, norm, window, init_std, rope_base, ln_eps, seed)",
  "unknown field")
tap.error_is(function()
  return rs.nn.transformer{ vocab = 5, ctx = 4, d = 4, pos = "abs" }
end, F .. ": bad field 'pos' ('none', 'learned', 'sinusoidal', 'rope' or "
  .. "'alibi' expected, got 'abs')", "bad pos")
tap.error_is(function()
  return rs.nn.transformer{ vocab = 5, ctx = 4, d = 4, norm = "mid" }
end, F .. ": bad field 'norm' ('pre' or 'post' expected, got 'mid')",
  "bad norm")
tap.error_is(function()
  return rs.nn.transformer{ vocab = 5, ctx = 4, d = 6, heads = 4 }
end, F .. ": heads = 4 does not divide d = 6", "heads | d")
tap.error_is(function()
  return rs.nn.transformer{ vocab = 5, ctx = 4, d = 6, heads = 2 }
end, F .. ": head size d / heads = 6 / 2 = 3 is odd "
  .. "(rope rotates pairs)", "rope needs an even head size")
tap.error_is(function()
  return rs.nn.transformer{ vocab = 5, ctx = 4, d = 4, layers = 65 }
end, F .. ": bad field 'layers' (65 is outside 1..64)", "layers range")
tap.error_is(function()
  return rs.nn.transformer{ vocab = 5, ctx = 4, d = 4, window = -1 }
end, F .. ": bad field 'window' (-1 is outside 0..2147483647)", "window < 0")

local small = rs.nn.transformer{ vocab = 5, ctx = 4, d = 4, layers = 2 }
tap.error_is(function() return small:forward{ 1, 5 } end,
  "transformer:forward: bad argument #1 'ids' (entry 2: token id 5 outside "
  .. "0..4 (vocab 5))", "id out of range")
tap.error_is(function() return small:forward{ 1, -1 } end,
  "transformer:forward: bad argument #1 'ids' (entry 2: token id -1 outside "
  .. "0..4 (vocab 5))", "negative id")
tap.error_is(function() return small:forward{ 1, 2.5 } end,
  "transformer:forward: bad argument #1 'ids' (entry 2: integer expected, "
  .. "got number)", "fractional id")
tap.error_is(function() return small:forward{ 1, 2, 3, 4, 0 } end,
  "transformer:forward: bad argument #1 'ids' (1..4 token ids expected "
  .. "(ctx), got 5)", "longer than ctx")
tap.error_is(function() return small:forward{} end,
  "transformer:forward: bad argument #1 'ids' (1..4 token ids expected "
  .. "(ctx), got 0)", "empty sequence")
tap.error_is(function() return small:forward("1 2") end,
  "transformer:forward: bad argument #1 'ids' (table expected, got string)",
  "ids not a table")
tap.error_is(function() return small:forward({ 1 }, "fp8") end,
  "transformer:forward: bad argument #2 'prec' ('fp32', 'bf16', 'fp16', "
  .. "'f32' or 'f16' expected, got 'fp8')", "bad prec")
local y32 = select(2, small:forward({ 1 }, "f32"))
local y16 = select(2, small:forward({ 1 }, "f16"))
local z16 = select(2, small:forward({ 1 }, "fp16"))
tap.ok(y32:get(1) == select(2, small:forward({ 1 })):get(1) and
       y16:get(1) == z16:get(1), "'f32' and 'f16' spell fp32 and fp16")
tap.error_is(function() return small:layer_last({ 1 }, 3) end,
  "transformer:layer_last: bad argument #2 'l' (layer 3 outside 0..2)",
  "layer_last range")
tap.error_is(function() return small:attention({ 1 }, 0) end,
  "transformer:attention: bad argument #2 'l' (layer 0 outside 1..2)",
  "attention range")
tap.error_is(function() return small.forward(rs.nn.relu(), { 1 }) end,
  "transformer:forward: bad self (transformer expected, got module)",
  "bad self")

tap.done()
