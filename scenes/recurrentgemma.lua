-- repscope - MIT licence, see COPYING.
--
-- recurrentgemma.lua: decoding in fixed memory (Botev et al. 2024,
-- "RecurrentGemma: Moving Past Transformers for Efficient Open Language
-- Models", arXiv 2404.07839). Griffin (R, R, local attention over a
-- window of 64 keys) keeps per layer an RG-LRU state and 3 conv taps, or a
-- ring buffer of the last 64 rotated keys and values; a transformer with
-- global multi-query attention keeps every key and value it has seen.
-- Both (d 64, 6 layers, 2 heads; random weights unless train_steps > 0,
-- which first trains them on the local licences in setup, ~80 ms a step
-- each) decode one character per session step each,
-- so the step is the position: state bytes and the time per token are
-- recorded at every position, the ring buffer's slots are shown as they
-- are overwritten, and the last characters each model wrote are shown
-- shaded by their bits.
--
-- Measured (headless, defaults, 2-core machine, 15 s for 8192 positions):
-- transformer 0.28 ms/token at position 512 and 2.8 at 8192 (10x), state
-- 831 KB -> 12.6 MB; griffin's state 36,864 bytes from position 64 on,
-- 0.12 ms/token at 512 and 0.28 at 8192 when both decode in turn (the
-- transformer's 12 MB cache evicts Griffin's weights from the core's
-- L2), 0.120 and 0.120 with --set decode=griffin (flat).

local rs = require "repscope"

local NAMES = { "transformer", "griffin" }
local S = {}

-- One decoding stream: the model, its decoder, the logits of the next
-- character, the last characters written and their bits.
local function stream(name, m, p)
  local dec = m:decoder{ batch = 1 }
  local logits = dec:prompt(p.prompt)
  return { name = name, m = m, dec = dec, logits = logits, chars = {},
           bits = {} }
end

-- Sample the next character from st.logits at temperature p.temperature
-- with the scene's stream; returns its id and its bits.
local function draw(st, p, rng)
  local lg = st.logits:totable()
  local mx = -math.huge
  for _, v in ipairs(lg) do mx = math.max(mx, v) end
  local z, zt, w = 0, 0, {}
  for i, v in ipairs(lg) do
    z = z + math.exp(v - mx)
    w[i] = math.exp((v - mx) / p.temperature)
    zt = zt + w[i]
  end
  local u, id = rng:uniform() * zt, #lg
  for i = 1, #lg do
    u = u - w[i]
    if u <= 0 then id = i; break end
  end
  return id - 1, (mx + math.log(z) - lg[id]) / math.log(2)
end

return rs.scene{
  title = "RecurrentGemma: decoding in fixed memory against a KV cache",
  notes = [[
A transformer with global multi-query attention and Griffin (R, R, local
attention over 64 keys), both d 64 and 6 layers (random weights; set
train_steps = 300 to have them learn the licences first), write one
character each per session step: the
step is the position. The transformer keeps every key and value (its
state grows by 2 x 6 layers x 32 floats per token), Griffin an RG-LRU
state and 3 conv taps per recurrent layer and a ring of 64 keys and values per
attention layer: its state stops growing at position 64, and its time per
token stays flat while the transformer's grows with the cache. The ring
panel shows which position each of Griffin's 64 slots holds.]],
  steps = 8192,
  params = {
    d = { 64, min = 8, max = 512 },
    layers = { 6, min = 1, max = 24 },
    heads = { 2, min = 1, max = 16 },
    window = { 64, min = 1, max = 4096 },
    train_steps = { 0, min = 0, max = 100000,
                    help = "first learn the licences (300: readable text)" },
    lr = { 3e-3, min = 0 },
    prompt = { "This program is free software" },
    temperature = { 0.7, min = 0.01 },
    show = { 240, min = 8, max = 4096, help = "characters shown" },
    decode = { "both", choices = { "both", "griffin", "transformer" },
               help = "which models decode (one alone times it alone)" },
    seed = { 1, min = 0 },
  },

  setup = function(p)
    local text, msg = rs.data.text{ sources = { "licenses" }, T = 128,
                                    seed = p.seed }
    if text == nil then error(msg, 0) end
    S.streams = {}
    local all = {}
    for b = 0, 255 do all[b + 1] = string.char(b) end
    S.labels = rs.data.char_labels(table.concat(all)) -- by byte + 1
    for _, name in ipairs(NAMES) do
      if p.decode ~= "both" and p.decode ~= name then goto next end
      local m = rs.nn.griffin{ d = p.d, layers = p.layers, heads = p.heads,
                               pattern = name == "griffin" and "RRA" or "A",
                               window = name == "griffin" and p.window or 0,
                               seed = p.seed }
      if p.train_steps > 0 then
        local l = rs.learner{ name = name, model = m, data = text,
                              optim = rs.optim.adamw{ lr = p.lr },
                              batch = 16, eval_every = 0, log_every = 50 }
        local loss
        for k = 1, p.train_steps do
          loss = l:step()
          if k % 100 == 0 or k == p.train_steps then
            print(string.format("training %s: step %d/%d, loss %.3f",
                                name, k, p.train_steps, loss))
          end
        end
        l:release()
      end
      S.streams[#S.streams + 1] = stream(name, m, p)
      ::next::
    end
  end,

  step = function(ctx)
    local p, pos = ctx.p, ctx.step
    local rec = {}
    for _, st in ipairs(S.streams) do
      local id, bits = draw(st, p, ctx.rng)
      -- the collector paused around the call, so that its work on the
      -- scene's own garbage (the logits tables of draw) is not timed
      collectgarbage("stop")
      local t0 = os.clock()
      st.logits = st.dec:step(id)
      local dt = os.clock() - t0
      collectgarbage("restart")
      rec[st.name .. "/decode/ms_per_token"] = dt * 1000
      rec[st.name .. "/decode/state_bytes"] = st.dec:state_bytes()
      st.chars[#st.chars + 1] = S.labels[id + 1]
      st.bits[#st.bits + 1] = bits
      if #st.chars > p.show then
        table.remove(st.chars, 1)
        table.remove(st.bits, 1)
      end
    end
    rs.log(rec)
    if pos % 16 == 0 then
      for _, st in ipairs(S.streams) do
        rs.matrix(st.name .. "/written", rs.tensor.from({ st.bits }),
                  { cols = st.chars })
      end
      -- the decoder writes position q to slot q % window, so slot s holds
      -- the last q < dec:pos() with q % window == s (the prompt counted)
      for _, st in ipairs(S.streams) do
        if st.name == "griffin" then
          local w, n, slots = p.window, st.dec:pos(), {}
          for s = 0, w - 1 do
            local q = n - 1 - ((n - 1 - s) % w)
            slots[s + 1] = q >= 0 and q or 0
          end
          rs.matrix("griffin/ring", rs.tensor.from({ slots }))
        end
      end
    end
  end,

  views = {
    rs.view.curves{ title = "state bytes per position",
                    series = { "transformer/decode/state_bytes",
                               "griffin/decode/state_bytes" },
                    y = "log", xlabel = "position" },
    rs.view.curves{ title = "ms per token",
                    series = { "transformer/decode/ms_per_token",
                               "griffin/decode/ms_per_token" },
                    xlabel = "position" },
    rs.view.heatmap{ title = "griffin's KV ring: the position in each slot",
                     matrix = "griffin/ring", cols = "slot" },
    rs.view.text{ title = "transformer writes (shaded by bits)",
                  matrix = "transformer/written", vmin = 0, vmax = 8 },
    rs.view.text{ title = "griffin writes (shaded by bits)",
                  matrix = "griffin/written", vmin = 0, vmax = 8 },
  },
}
