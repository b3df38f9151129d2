-- repscope - MIT licence, see COPYING.
--
-- collapse.lua: representational collapse (Barbero et al. 2024, "Transformers
-- need glasses!", arXiv 2406.04267, Thm 4.2 / B.3). For a sequence
-- v = 1 1 ... 1 0 of n tokens and v* = v followed by one more 0 (the last
-- token repeated), the last token's final representation y of a causal
-- decoder becomes the same for v and v* as n grows: the distance falls like
-- 1/n. A low-precision model stops telling them apart once the distance is
-- below its resolution (2^-8 |y|_inf for bf16, 2^-11 for fp16).
--
-- No training by default (train_steps > 0 first trains the main model to
-- count ones in strings of up to 12 digits): a random pre-norm decoder (d 64, 2 layers, one
-- head, GELU MLP of 4d, weights ~ N(0, 1/d)). The run's step is the
-- sequence length n: at each n of a doubling grid (with midpoints) one
-- run.jsonl record holds n, fp32/dist, bf16/dist, fp16/dist (L-inf), the
-- */l1 distances, bf16/res and fp16/res, sep/fp32/dist and sep/bf16/dist
-- (a separator ',' after every sep_every tokens in both sequences),
-- pos/<kind>/fp32/dist for the four positional encodings (rope, alibi,
-- sinusoidal, none: each its own model from the same seed), and alt/tv:
-- the total variation between the last token's first-layer attention for
-- 1010... and 0101... (Prop. B.4: it stays away from 0). bf16/fp16 are
-- emulated: every op output and every weight rounded to nearest even,
-- accumulation in fp32. Events mark the first n where the fp32 distance
-- falls below each resolution.

local rs = require "repscope"

local ONE, ZERO, SEP = 1, 0, 11 -- token ids (rs.data.tokens "1", "0", ",")

local S -- the run's models and state, made by setup

-- The lengths measured: n in {2, 3, 4, 6, 8, 12, 16, ...}, the powers of
-- two and the midpoints 3 * 2^k between them.
local function measured(n)
  if n < 2 then return false end
  local m = n % 3 == 0 and n // 3 or n
  return m & (m - 1) == 0
end

-- n - 1 ones then a zero, with a separator after every `sep` tokens
-- (0: none; never after the last), and the pair with the zero repeated.
local function pair(n, sep)
  local v = {}
  for i = 1, n do
    v[#v + 1] = i < n and ONE or ZERO
    if sep > 0 and i % sep == 0 and i < n then v[#v + 1] = SEP end
  end
  local vs = { table.unpack(v) }
  vs[#vs + 1] = ZERO
  return v, vs
end

local function alternating(n, first)
  local x = {}
  for i = 1, n do x[i] = (i + first) % 2 == 0 and ONE or ZERO end
  return x
end

-- Over-squashing on random models of growing depth (Thm B.5, Prop. B.8):
-- for a fixed 32-token 0/1 sequence, the share of the last token's
-- sensitivity that each position gets (rows: depth 1, 2, 4, 8, 16), and
-- the same rows of the bound ((Abar + I)/2)^L for each model's own
-- attention, both as log10(share / 0.1%), floored at 0. Logged once, at
-- step 1: sens/first/L<k>, sens/last/L<k>, bound/first/L<k> and
-- sens/corr/L<k> (correlation of the two rows' shares).
local DEPTHS = { 1, 2, 4, 8, 16 }
local function sensitivity_by_depth(p)
  local ids, labels = {}, {}
  for i = 1, 32 do
    ids[i] = (i * 7 % 3 == 0) and ZERO or ONE
    labels[i] = tostring(i)
  end
  local T = #ids
  local sens = rs.tensor.zeros({ #DEPTHS, T })
  local bound = rs.tensor.zeros({ #DEPTHS, T })
  local rows = {}
  for r, L in ipairs(DEPTHS) do
    rows[r] = "L" .. L
    local tf = rs.nn.transformer{ vocab = 13, ctx = T, d = p.d,
                                  heads = p.heads, layers = L, pos = p.pos,
                                  seed = p.init_seed }
    local S, B = rs.probe.sensitivity(tf, ids)
    local tot, a, b = 0, {}, {}
    for i = 1, T do tot = tot + S:get(L, i) end
    for i = 1, T do
      a[i], b[i] = S:get(L, i) / tot, B:get(L, i)
      -- decades above a 0.1% share: the U shape spans two of them
      sens:set(r, i, math.max(0, 3 + math.log(a[i], 10)))
      bound:set(r, i, math.max(0, 3 + math.log(math.max(b[i], 1e-30), 10)))
    end
    local ma, mb, sab, saa, sbb = 0, 0, 0, 0, 0
    for i = 1, T do ma, mb = ma + a[i] / T, mb + b[i] / T end
    for i = 1, T do
      sab = sab + (a[i] - ma) * (b[i] - mb)
      saa, sbb = saa + (a[i] - ma) ^ 2, sbb + (b[i] - mb) ^ 2
    end
    rs.log{ ["sens/first/L" .. L] = a[1], ["sens/last/L" .. L] = a[T],
            ["bound/first/L" .. L] = b[1],
            ["sens/corr/L" .. L] = sab / math.sqrt(saa * sbb) }
  end
  rs.matrix("sens/depth", sens, { rows = rows, cols = labels })
  rs.matrix("bound/depth", bound, { rows = rows, cols = labels })
end

local POS = { "rope", "alibi", "sinusoidal", "none" }
local CTX = 16384 -- longest sequence the models take (with separators)

return rs.scene{
  title = "Representational collapse: the last token cannot tell 1..10 from 1..100",
  notes = [[
Two sequences that differ only in a repeated last token, v = 1...10 and
v* = 1...100, reach the final layer of a causal decoder ever closer as
they grow: the distance (log scale) falls like 1/n. A bf16 model resolves
only about 2^-8 of the value's size (bf16/res; fp16/res is 2^-11):
below that line it cannot tell the two inputs apart, so counting and
copying must fail. Emulated bf16 does not follow fp32 down: it flattens
at its own rounding noise. Separators (',' every few tokens) keep the
pair apart longer. The alternating pair 1010.../0101... never collapses:
its attention TV stays bounded away from 0.
Every step is one sequence length n (x axis); --steps sets the longest.]],
  steps = 2048,
  params = {
    d = { 64, min = 2, max = 512 },
    layers = { 2, min = 1, max = 16 },
    heads = { 1, min = 1, max = 16 },
    pos = { "rope", choices = POS, help = "the model the main curves use" },
    sep_every = { 4, min = 1, max = 64, help = "separator spacing" },
    init_seed = { 1, min = 0, help = "weights of the random models" },
    train_steps = { 0, min = 0, max = 100000,
                    help = "first train the pos model to count ones "
                        .. "(lengths 1..12) for this many steps" },
  },

  setup = function(p)
    local st = { models = {}, crossed = {} }
    for _, kind in ipairs(POS) do
      st.models[kind] = rs.nn.transformer{
        vocab = 13, ctx = CTX, d = p.d, heads = p.heads,
        layers = p.layers, pos = kind, norm = "pre", seed = p.init_seed }
    end
    S = st
    if p.train_steps > 0 then
      -- a trained model: the same measurements after it has learned to
      -- count the ones in 0/1 strings of up to 12 digits
      local task = rs.data.seqtask{ task = "count", min_len = 1,
                                    max_len = 12 }
      local tr = rs.train.seq{ model = st.models[p.pos], task = task,
                               batch = 64, lr = 1e-3, clip = 1.0, seed = 1 }
      local loss = 0
      for k = 1, p.train_steps do
        loss = tr:step()
        if k % 500 == 0 or k == p.train_steps then
          print(string.format("training the %s model: step %d/%d, loss %.3g",
                              p.pos, k, p.train_steps, loss))
        end
      end
      local _, acc = tr:eval(12, 512)
      print(string.format("count accuracy at 12 digits: %.3f", acc))
      tr:release()
    end
  end,

  step = function(ctx)
    local p, n = ctx.p, ctx.step
    if n == 1 then sensitivity_by_depth(p) end
    if not measured(n) or 2 * n + 2 > CTX then return end
    local tf = S.models[p.pos]
    local v, vs = pair(n, 0)
    local rec = { n = n }
    for _, prec in ipairs({ "fp32", "bf16", "fp16" }) do
      local c = rs.probe.collapse(tf, v, vs, prec)
      rec[prec .. "/dist"] = c.linf
      rec[prec .. "/l1"] = c.l1
      if prec == "fp32" then
        rec["bf16/res"] = c.ymax * 2 ^ -8
        rec["fp16/res"] = c.ymax * 2 ^ -11
      end
    end
    local sv, svs = pair(n, p.sep_every)
    local c32 = rs.probe.collapse(tf, sv, svs, "fp32")
    rec["sep/fp32/dist"] = c32.linf
    rec["sep/bf16/dist"] = rs.probe.collapse(tf, sv, svs, "bf16").linf
    rec["sep/bf16/res"] = c32.ymax * 2 ^ -8
    for _, kind in ipairs(POS) do
      rec["pos/" .. kind .. "/fp32/dist"] =
          kind == p.pos and rec["fp32/dist"]
          or rs.probe.collapse(S.models[kind], v, vs, "fp32").linf
    end
    rec["alt/tv"] = rs.probe.attn_tv(tf, alternating(n, 1),
                                     alternating(n, 0), 1)
    rs.log(rec)
    local function mark(key, dist, res, what)
      if not S.crossed[key] and dist < res then
        S.crossed[key] = n
        rs.event(string.format("n=%d: %s", n, what))
      end
    end
    mark("bf16", rec["fp32/dist"], rec["bf16/res"],
         "fp32 distance below bf16 resolution")
    mark("fp16", rec["fp32/dist"], rec["fp16/res"],
         "fp32 distance below fp16 resolution")
    mark("sep", rec["sep/fp32/dist"], rec["sep/bf16/res"],
         "with separators: below bf16 resolution")
  end,

  views = {
    rs.view.curves{ title = "collapse: |y(v) - y(v*)|_inf of the last token",
                    series = { "fp32/dist", "bf16/dist", "fp16/dist",
                               "bf16/res", "fp16/res" },
                    x = "log", y = "log", xlabel = "n" },
    rs.view.curves{ title = "separators every sep_every tokens",
                    series = { "fp32/dist", "sep/fp32/dist", "sep/bf16/dist",
                               "bf16/res" },
                    x = "log", y = "log", xlabel = "n" },
    rs.view.curves{ title = "positional encodings (fp32)",
                    series = { "pos/rope/fp32/dist", "pos/alibi/fp32/dist",
                               "pos/sinusoidal/fp32/dist",
                               "pos/none/fp32/dist" },
                    x = "log", y = "log", xlabel = "n" },
    rs.view.heatmap{ title = "sensitivity share by depth, log10(share/0.1%)",
                     matrix = "sens/depth", rows = "depth",
                     cols = "position" },
    rs.view.heatmap{ title = "bound ((A+I)/2)^L, log10(share/0.1%)",
                     matrix = "bound/depth", rows = "depth",
                     cols = "position" },
    rs.view.curves{ title = "alternating 1010 vs 0101: attention TV",
                    series = { "alt/tv" }, x = "log", xlabel = "n",
                    ymin = 0 },
  },
}
