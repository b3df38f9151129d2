-- repscope - MIT licence, see COPYING.
--
-- dyneval.lua: dynamic evaluation, memory in weights after a domain
-- shift (Rannen-Triki et al. 2024, "Revisiting Dynamic Evaluation: Online
-- Adaptation for Large Language Models", arXiv 2403.01518; the procedure
-- of Krause et al. 2018). A small character model (Hawk by default: d 64,
-- 3 recurrent layers) first learns licence prose (domain A) for
-- `pretrain` steps; then five copies of it read one stream side by side,
-- one segment of 64 characters per step: the held-out rest of A, then C
-- headers (domain B), then a last held-out block of A. Each segment is
-- scored before a run may adapt on it (algo/dyneval.h), with the previous
-- 64 characters of its document re-read as context:
--   static       the pretrained weights, never changed;
--   dyn_all      SGD on every weight after each segment;
--   dyn_mlp      SGD on the MLPs only (cheaper backward);
--   dyn_decay    dyn_all pulled back toward the pretrained weights;
--   static_long  static with four times the context (256 characters).
-- Adaptation carries across documents and parts (stream memory); set
-- doc_reset to undo it at every document start.
--
-- Measured (headless, defaults, seeds 1 / 2 / 3, 51-55 s on 2 cores):
-- bpc on the C headers (B): static 5.90 / 5.38 / 6.34, dyn_all 3.44 /
-- 3.37 / 3.32, dyn_mlp 4.13 / 3.99 / 4.06 (69-75% of the gain at 0.031-
-- 0.034 CPU ms/char against 0.038-0.042), dyn_decay 3.52 / 3.43 / 3.38,
-- static_long 5.90 / 5.38 / 6.34 (four times the context buys nothing
-- here). On the held-out licences (A) every dynamic run is below static
-- (dyn_all 1.51 / 1.11 / 1.39 against 1.74 / 1.19 / 1.52). On the first
-- kilobyte of A2, after B, adapting costs: dyn_all +0.40 / +0.12 / +0.12
-- bpc above static, dyn_decay +0.32 / +0.02 / +0.03, dyn_mlp +0.13 /
-- -0.04 / +0.05; over the whole 16 KB block the runs re-adapt (dyn_all
-- -0.33 / -0.37 below static on seeds 2 and 3, +0.09 on seed 1, whose
-- A2 is a near-copy of a training licence). A transformer (--set
-- model=transformer) adapts as well (B 5.65 -> 3.42) but its static_long
-- breaks past its training length (A 5.03).

local rs = require "repscope"

local RUNS = { "static", "dyn_all", "dyn_mlp", "dyn_decay", "static_long" }
local SHORT = { "static", "all", "mlp", "decay", "long" }
local SHADED = { "static", "dyn_all" }
local S = {}

local function model(p)
  if p.model == "transformer" then
    return rs.nn.griffin{ d = p.d, layers = p.layers, heads = p.heads,
                          pattern = "A", window = 0, seed = p.seed }
  end
  return rs.nn.griffin{ d = p.d, layers = p.layers, heads = p.heads,
                        pattern = "R", seed = p.seed }
end

-- The run configs: static, adapt all / mlp, decay, and 4x the context.
local function run_config(name, p)
  local c = { adapt = "none", lr = p.lr, rule = p.rule, context = p.context,
              doc_reset = p.doc_reset }
  if name == "dyn_all" then
    c.adapt = "all"
  elseif name == "dyn_mlp" then
    c.adapt, c.lr = "mlp", p.mlp_lr
  elseif name == "dyn_decay" then
    c.adapt, c.decay = "all", p.decay
  elseif name == "static_long" then
    c.context = 4 * p.context
  end
  return c
end

-- The stream: the held-out licences but the last a2_bytes (at most
-- a_bytes of them when a_bytes > 0), b_bytes of held-out headers, then
-- those last a2_bytes.
local function parts(text, p)
  local info = text:info()
  local a = info.sources[1].test.bytes
  local b = info.sources[2].test.bytes
  if a < p.a2_bytes + 4096 then
    error(string.format("the seed's held-out licences are %d bytes, fewer "
                        .. "than a2_bytes + 4096 = %d: raise test_frac or "
                        .. "change the seed", a, p.a2_bytes + 4096), 0)
  end
  if b < 1 then
    error("no held-out headers: raise test_frac", 0)
  end
  local a1 = a - p.a2_bytes
  if p.a_bytes > 0 then a1 = math.min(a1, p.a_bytes) end
  return {
    { label = "A", source = "licenses", bytes = a1 },
    { label = "B", source = "headers", bytes = math.min(p.b_bytes, b) },
    { label = "A2", source = "licenses", offset = a - p.a2_bytes,
      bytes = p.a2_bytes },
  }
end

local PART_TEXT = {
  A = "held-out licences (domain A)",
  B = "C headers (domain B): the shift",
  A2 = "licences again (A2): what adapting to B cost",
}

-- The last p.show characters a run scored, and their bits (0 where a
-- character was not scored: a document's first).
local function shade(buf, info, show)
  local labels = rs.data.char_labels(info.text)
  for i, c in ipairs(labels) do
    local b = info.bits_of[i]
    buf.cols[#buf.cols + 1] = c
    buf.bits[#buf.bits + 1] = b == b and b or 0
  end
  local over = #buf.cols - show
  if over > 0 then
    table.move(buf.cols, over + 1, #buf.cols, 1)
    table.move(buf.bits, over + 1, #buf.bits, 1)
    for i = #buf.cols, #buf.cols - over + 1, -1 do
      buf.cols[i], buf.bits[i] = nil, nil
    end
  end
end

-- The bits of every character of s but the first under model m (one
-- decoder pass), into buf as shade keeps it: what the text panel shows
-- while the model is still learning A.
local function score_text(m, s, buf)
  local dec = m:decoder{ batch = 1 }
  local labels = rs.data.char_labels(s)
  local logits = dec:prompt(s:sub(1, 1))
  buf.cols, buf.bits = { labels[1] }, { 0 }
  for i = 2, #s do
    local lg = logits:totable()
    local mx = -math.huge
    for _, v in ipairs(lg) do mx = math.max(mx, v) end
    local z = 0
    for _, v in ipairs(lg) do z = z + math.exp(v - mx) end
    buf.cols[i] = labels[i]
    buf.bits[i] = (mx + math.log(z) - lg[s:byte(i) + 1]) / math.log(2)
    logits = dec:step(s:byte(i))
  end
  dec:release()
end

local function publish_text()
  for _, s in ipairs(SHADED) do
    rs.matrix(s .. "/loss_text", rs.tensor.from({ S.text[s].bits }),
              { cols = S.text[s].cols })
  end
end

-- The per-part means of every run, its mean over A2's first kilobyte
-- (where forgetting shows before a run re-adapts), and its CPU time
-- per character, on the console.
local function report()
  print(string.format("%-12s %7s %7s %7s %7s %9s %8s", "run", "A", "B", "A2",
                      "A2:1K", "ms/char", "drift"))
  for _, l in ipairs(S.runs) do
    local d = l:dyneval()
    local row = string.format("%-12s", l:name())
    for _, part in ipairs(d.parts) do
      row = row .. string.format(" %7.3f", part.bits / part.chars)
    end
    local a2 = d.parts[#d.parts]
    row = row .. string.format(" %7.3f", a2.early_bits / a2.early_chars)
    print(row .. string.format(" %9.4f %8.3f", d.cpu_ms / d.chars, d.drift))
  end
end

return rs.scene{
  title = "Dynamic evaluation: memory in weights after a domain shift",
  notes = [[
A character model (Hawk, d 64, 3 layers) learns licence prose for
`pretrain` steps. Then five copies read one stream, one 64-character
segment per step: the held-out licences, then C headers, then licences
again. Each segment is scored before a run may learn from it, with the
previous 64 characters re-read as context. static never changes;
dyn_all takes an SGD step on every weight after each segment, dyn_mlp
on the MLPs only, dyn_decay is pulled back toward the pretrained weights;
static_long reads 4x the context. Watch the switch to C: static stays
high, the dynamic runs recover within a few thousand characters (memory
in weights), and more context does not do the same. The text panel shades
the last characters by the bits each cost under static and dyn_all.]],
  steps = 100000, -- an upper bound: setup sets the stream's own length
  params = {
    model = { "hawk", choices = { "hawk", "transformer" },
              help = "transformer: global MQA, breaks past T" },
    d = { 64, min = 8, max = 512 },
    layers = { 3, min = 1, max = 12 },
    heads = { 2, min = 1, max = 16 },
    T = { 128, min = 16, max = 1024, help = "pretraining context" },
    pretrain = { 1000, min = 1, help = "pretraining steps (~40 s)" },
    batch = { 16, min = 1, max = 256 },
    pretrain_lr = { 3e-3, min = 0 },
    L = { 64, min = 1, max = 4096, help = "segment characters" },
    context = { 64, min = 0, max = 4096,
                help = "characters re-read before a segment" },
    lr = { 1e-2, min = 0, help = "dyn_all and dyn_decay" },
    mlp_lr = { 1e-2, min = 0, help = "dyn_mlp" },
    rule = { "sgd", choices = { "sgd", "rms" } },
    decay = { 1e-3, min = 0, max = 1, help = "dyn_decay's pull to theta0" },
    doc_reset = { false, help = "undo adaptation at document starts" },
    test_frac = { 0.3, min = 0.01, max = 0.9,
                  help = "documents held out (the stream's text)" },
    a_bytes = { 0, min = 0, help = "cap on the first licence part (0: all)" },
    b_bytes = { 32768, min = 64, help = "characters of C headers" },
    a2_bytes = { 16384, min = 64, help = "the last licence block" },
    show = { 320, min = 16, max = 4096, help = "characters shaded" },
    seed = { 1, min = 0 },
  },

  setup = function(p)
    local a, msg = rs.data.text{ sources = { "licenses" }, T = p.T,
                                 seed = p.seed, test_frac = p.test_frac }
    if a == nil then error(msg, 0) end
    local ab
    ab, msg = rs.data.text{ sources = { "licenses", "headers" }, T = p.T,
                            seed = p.seed, test_frac = p.test_frac }
    if ab == nil then error(msg, 0) end
    S.m0 = model(p)
    S.pre = rs.learner{ name = "pretrain", model = S.m0, data = a,
                        optim = rs.optim.adamw{ lr = p.pretrain_lr,
                                                weight_decay = 0.01 },
                        batch = p.batch, eval_every = 0, log_every = 10 }
    local stream = parts(ab, p)
    S.runs = {}
    for i, name in ipairs(RUNS) do
      local cfg = run_config(name, p)
      cfg.anchor, cfg.parts, cfg.L = S.m0, stream, p.L
      -- the driver takes its own steps: an SGD without momentum holds no
      -- optimiser state (Adam's moments would be 1.4 MB a run, unused)
      S.runs[i] = rs.lm.dyneval(rs.learner{ name = name, model = model(p),
                                            data = ab, batch = 1,
                                            optim = rs.optim.sgd{ lr = 0 },
                                            eval_every = 0 }, cfg)
    end
    local d = S.runs[1]:dyneval()
    S.total = p.pretrain + d.segments_total
    rs.end_at(S.total)
    S.passage = ab:test_text("licenses"):sub(1, p.show)
    S.text = {}
    for _, name in ipairs(SHADED) do S.text[name] = { cols = {}, bits = {} } end
    local sizes = {}
    for _, part in ipairs(stream) do
      sizes[#sizes + 1] = string.format("%s %d B", part.label, part.bytes)
    end
    print(string.format("%s: %d parameters; a stream of %d segments (%s)",
                        p.model, S.m0:params(), d.segments_total,
                        table.concat(sizes, ", ")))
  end,

  step = function(ctx)
    local k, p = ctx.step, ctx.p
    if k <= p.pretrain then
      S.pre:update()
      if k % 50 == 0 or k == 1 then
        -- both shaded rows show the model being pretrained: theta0
        for _, name in ipairs(SHADED) do
          score_text(S.m0, S.passage, S.text[name])
        end
        publish_text()
      end
      if k == p.pretrain then
        for _, name in ipairs(SHADED) do
          S.text[name] = { cols = {}, bits = {} }
        end
        rs.event("stream starts: " .. PART_TEXT.A)
      end
      return
    end
    rs.update(S.runs)
    local info = {}
    for i, l in ipairs(S.runs) do info[i] = l:dyneval() end
    local st = info[1]
    if st.part_first and st.part > 1 then
      rs.event(PART_TEXT[st.label] or st.label)
    end
    for i = 2, #S.runs do
      rs.log(RUNS[i] .. "/stream/cum_delta", st.bits - info[i].bits)
    end
    for i, name in ipairs(RUNS) do
      for _, s in ipairs(SHADED) do
        if s == name then shade(S.text[s], info[i], p.show) end
      end
    end
    if k % 8 == 0 or k == S.total then
      publish_text()
      local cost = {}
      for i = 1, #S.runs do cost[i] = info[i].cpu_ms / info[i].chars end
      rs.matrix("cost", rs.tensor.from({ cost }), { cols = SHORT })
    end
    if k == S.total then report() end
  end,

  views = {
    rs.view.curves{ title = "bpc, EMA per segment (events: domain switches)",
                    series = { "stream/bpc_ema" }, learner = RUNS,
                    xfrom = "data" },
    rs.view.text{ title = "bits per character, static and dyn_all",
                  matrix = "loss_text", learners = SHADED, vmin = 0,
                  vmax = 8 },
    rs.view.curves{ title = "bits saved against static (cumulative)",
                    series = { "stream/cum_delta" }, xfrom = "data",
                    learner = { "dyn_all", "dyn_mlp", "dyn_decay",
                                "static_long" } },
    rs.view.curves{ title = "drift ||theta - theta0||",
                    series = { "stream/drift" }, xfrom = "data",
                    learner = { "dyn_all", "dyn_mlp", "dyn_decay" } },
    rs.view.bars{ title = "cost: CPU ms per character", matrix = "cost" },
    rs.view.curves{ title = "pretraining loss (nats)",
                    series = { "train/loss" }, learner = "pretrain" },
  },
}
