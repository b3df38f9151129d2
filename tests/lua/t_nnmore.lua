-- t_nnmore.lua: rs.nn.embedding, rs.nn.position, rs.nn.reshape and
-- rs.nn.scalar: forwards against loops, sequentials of them (the image
-- and text encoders of the image-text scene, at its sizes), a learner
-- training such a dual encoder with a contrastive loss written in Lua
-- (rs.objective.lua), and the error messages.
local tap = require "tap"
local rs = require "repscope"
local T = rs.tensor

local function shape(t) return table.concat(t:shape(), "x") end

-- embedding: rows of the table
rs.seed(1)
local emb = rs.nn.embedding{ vocab = 5, d = 3 }
tap.is(emb:kind(), "embedding", "kind")
tap.is(table.concat(emb:param_names(), ","), "weight", "one table 'weight'")
tap.is(shape(emb:param("weight")), "5x3", "weight (vocab, d)")
tap.is(emb:out_features(), 3, "out_features is d")
local W = emb:param("weight")
local e = emb:forward(T.from{ { 1, 4, 0 } })
tap.is(shape(e), "1x3x3", "ids (1, 3) -> (1, 3, 3)")
local same = true
for t, id in ipairs{ 1, 4, 0 } do
  for c = 1, 3 do
    same = same and e[{ 1, t, c }] == W[{ id + 1, c }]
  end
end
tap.ok(same, "each position is its id's row (ids 0-based)")
tap.ok(rs.nn.embedding{ vocab = 4, d = 2, seed = 3 }:param("weight"):equal(
         rs.nn.embedding{ vocab = 4, d = 2, seed = 3 }:param("weight")),
       "seed= gives the same table")
local big = rs.nn.embedding{ vocab = 200, d = 50, std = 0.5, seed = 2 }
local sd = big:param("weight"):norm() / math.sqrt(200 * 50)
tap.ok(math.abs(sd - 0.5) < 0.025, string.format("std = 0.5 (rms %.3f)", sd))

-- position: x + table[1:T]
local pos = rs.nn.position{ n = 4, d = 3, std = 1, seed = 5 }
tap.is(shape(pos:param("weight")), "4x3", "position weight (n, d)")
local P = pos:param("weight")
local x = T.randn(2, 3, 3)
local y = pos:forward(x)
local ok = true
for b = 1, 2 do
  for t = 1, 3 do
    for c = 1, 3 do
      ok = ok and math.abs(y[{ b, t, c }] - x[{ b, t, c }] - P[{ t, c }]) < 1e-6
    end
  end
end
tap.ok(ok, "position adds rows 1..T of the table (T = 3 < n = 4)")

-- reshape
local rsh = rs.nn.reshape{ shape = { 4, 3 } }
tap.is(shape(rsh:forward(T.zeros(2, 12))), "2x4x3", "reshape (2, 12) -> (2, 4, 3)")
tap.is(shape(rs.nn.reshape(2, 6):forward(T.zeros(5, 12))), "5x2x6",
       "rs.nn.reshape(a, b)")
tap.is(rsh:in_features(), 12, "in_features = a * b")

-- scalar
local tau = rs.nn.scalar{ value = math.log(10) }
tap.is(shape(tau:forward(T.zeros(1))), "1", "scalar forward is (1)")
tap.ok(math.abs(tau:param("value")[1] - math.log(10)) < 1e-6, "initial value")
tap.is(rs.nn.scalar(2):param("value")[1], 2.0, "rs.nn.scalar(v)")
tap.is(rs.nn.scalar():param("value")[1], 0.0, "rs.nn.scalar() is 0")

-- the two encoders of the image-text scene: 16 patches of 14x14, h 64, d 32
local function image_encoder(P, q, h, d)
  return rs.nn.sequential{
    rs.nn.reshape{ shape = { P, q } }, rs.nn.linear(q, h),
    rs.nn.position{ n = P, d = h }, rs.nn.relu(), rs.nn.linear(h, h),
    rs.nn.relu(), rs.nn.linear(h, d) }
end
local function text_encoder(V, h, d)
  return rs.nn.sequential{
    rs.nn.embedding{ vocab = V, d = h }, rs.nn.relu(), rs.nn.linear(h, h),
    rs.nn.relu(), rs.nn.linear(h, d) }
end
local img = image_encoder(16, 196, 64, 32)
tap.is(shape(img:forward(T.rand(2, 16 * 196))), "2x16x32",
       "image encoder: (2, 3136) -> (2, 16, 32)")
tap.is(table.concat(img:param_names(), ","),
       "2.weight,2.bias,3.weight,5.weight,5.bias,7.weight,7.bias",
       "image encoder parameters")
local txt = text_encoder(21, 64, 32)
tap.is(shape(txt:forward(T.from{ { 3, 1, 7, 0 }, { 2, 2, 0, 0 } })), "2x4x32",
       "text encoder: ids (2, 4) -> (2, 4, 32)")
tap.is(txt:in_features(), 0, "a token sequential has in_features 0")
tap.ok(txt:activation("2") ~= nil, "its layers are recorded")

-- a learner trains a dual encoder: modular pairs (two one-hot "patches"
-- of 5) against windows of a corpus (4-token "captions"), a symmetric
-- contrastive loss with a learned log-temperature, written in Lua
local data = rs.data.modular{ p = 5, train_frac = 0.5, seed = 3 }
local ids = {}
for i = 1, 76 do ids[i] = (i * 7 + i // 5) % 11 + 1 end
local corpus = rs.data.corpus{ ids = ids, vocab = 12, T = 3, test_frac = 0.49 }
tap.ok(corpus:count("train") == data:count("train") and
       corpus:count("test") == data:count("test"), "the two sources pair up")
rs.seed(4)
local vis = rs.nn.sequential{
  rs.nn.reshape{ shape = { 2, 5 } }, rs.nn.linear(5, 16),
  rs.nn.position{ n = 2, d = 16 }, rs.nn.relu(), rs.nn.linear(16, 8) }
local lang = rs.nn.sequential{
  rs.nn.embedding{ vocab = 12, d = 16 }, rs.nn.relu(), rs.nn.linear(16, 8) }
local logt = rs.nn.scalar{ value = 0 }
local function clip(g, model, batch)
  local v = g:forward(model, batch.x):mean(2)                -- (B, 8)
  local t = g:forward(lang, T.from(batch.ids2)):mean(2)       -- (B, 8)
  local s = g:forward(logt, batch.x):exp()                    -- (1)
  local labels = {}
  for i = 1, batch.n do labels[i] = i - 1 end
  local i2t = g:cross_entropy(g:matmul(v, t, false, true) * s, labels)
  local t2i = g:cross_entropy(g:matmul(t, v, false, true) * s, labels)
  return (i2t + t2i) / 2
end
local l = rs.learner{ model = { vis, lang, logt }, data = rs.data.zip(data, corpus),
                      objective = rs.objective.lua{ loss = clip }, batch = 13,
                      optim = rs.optim.adamw{ lr = 0.01 }, eval_every = 0,
                      seed = 6 }
local first = l:step()
local last
for _ = 1, 300 do last = l:step() end
tap.ok(last < 0.25 * first, string.format(
       "the learner trains it (loss %.3f -> %.3f)", first, last))
tap.ok(logt:param("value")[1] > 0.1, string.format(
       "the log-temperature is learned (%.3f)", logt:param("value")[1]))
local tl = l:eval("train")
tap.ok(tl < 0.5 * first, string.format("eval through the Lua loss (%.3f)", tl))

-- a token sequential under a C objective: embedding -> relu -> linear is
-- a bigram model, and next_token feeds it the batch's ids (forward_ids
-- through the sequential); the corpus above steps by 7 mod 11 with a
-- skip every 5th token, so the current token mostly gives the next
local bigram = rs.nn.sequential{ rs.nn.embedding{ vocab = 12, d = 16, seed = 8 },
                                 rs.nn.relu(), rs.nn.linear(16, 12) }
local lm = rs.learner{ model = bigram, data = corpus,
                       objective = rs.objective.next_token{}, batch = 8,
                       optim = rs.optim.adamw{ lr = 0.05 }, eval_every = 0,
                       seed = 9 }
first = lm:step()
for _ = 1, 200 do last = lm:step() end
local _, acc = lm:eval("train")
tap.ok(last < 0.3 * first and acc > 0.6, string.format(
       "next_token trains a token sequential (loss %.3f -> %.3f, acc %.2f)",
       first, last, acc))

-- errors
tap.error_is(function() return emb:forward(T.from{ { 1, 5 } }) end,
  "module:forward: in embedding: id 5 at (0, 1) is not an integer in [0, 5)",
  "an id past the vocab names its place")
tap.error_is(function() return emb:forward(T.from{ 1, 2 }) end,
  "module:forward: in embedding: ids have 1 dims, expected 2 (B, T)",
  "ids must be (B, T)")
tap.error_is(function() return pos:forward(T.zeros(2, 5, 3)) end,
  "module:forward: in position: input is (..., 5, 3), expected (..., T, 3) with T <= 4",
  "position: T > n")
tap.error_is(function() return rsh:forward(T.zeros(2, 10)) end,
  "module:forward: in reshape: input has 10 features, expected 12",
  "reshape: wrong width")
tap.error_is(function() return rs.nn.embedding{ vocab = 3 } end,
  "rs.nn.embedding: fields 'vocab' and 'd' are required", "vocab and d required")
tap.error_is(function() return rs.nn.embedding{ vocab = 3, d = 2, std = -1 } end,
  "rs.nn.embedding: bad field 'std' (-1 is not a finite number >= 0)", "std >= 0")
tap.error_is(function() return rs.nn.position{ n = 0, d = 2 } end,
  "rs.nn.position: bad field 'n' (0 is outside 1..2147483647)", "n >= 1")
tap.error_is(function() return rs.nn.reshape{ shape = { 2, "a" } } end,
  "rs.nn.reshape: bad field 'shape' (size 2 is not a positive integer)",
  "reshape sizes")
tap.error_is(function() return rs.nn.reshape{ shape = { 1, 2, 3, 4 } } end,
  "rs.nn.reshape: bad field 'shape' (1..3 sizes expected, got 4)",
  "reshape dims")
tap.error_is(function() return rs.nn.scalar{ value = 1 / 0 } end,
  "rs.nn.scalar: scalar value = inf (must be finite)", "scalar finite")
tap.error_is(function() return rs.nn.scalar{ vlue = 1 } end,
  "rs.nn.scalar: unknown field 'vlue' (known: value)", "scalar fields")
tap.error_is(function()
  return rs.nn.sequential{ rs.nn.embedding{ vocab = 3, d = 4 }, rs.nn.linear(5, 2) }
end, "rs.nn.sequential: child 2 ('2', linear) takes 5 features but child 1 ('1') gives 4",
  "sizes checked after an embedding")

tap.done()
