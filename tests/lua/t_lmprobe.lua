-- t_lmprobe.lua: rs.probe.lm and rs.probe.gates on a tiny corpus written
-- here and a model with known answers built from stock modules: an
-- embedding (256 x 4) whose rows all hold the logits of known gates, a
-- sigmoid named "a1" (so the model records its output as "a1", the gate
-- a_t, through the probe-able layer fallback), and an all-zero linear to
-- 256 logits (the uniform model: exactly 8 bits per character). Checked:
-- the values, the counts (every test character but a document's first,
-- once), the names logged and published with their labels, the far
-- windows and bins, the half-lives, and the argument errors word for word.
local tap = require "tap"
local rs = require "repscope"

local dir = tap.tmpdir() .. "/lua_lmprobe"
os.execute("rm -rf '" .. dir .. "'; mkdir -p '" .. dir .. "'")
local function write(path, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
end
for i = 1, 8 do
  local b = {}
  for k = 1, 300 + 37 * i do
    b[k] = string.char(32 + (i * 7 + k * 13) % 90)
  end
  write(string.format("%s/d%d.txt", dir, i), table.concat(b))
end
local src = rs.data.text{ sources = { dir }, T = 16, test_frac = 0.5 }

-- the gates: channel c has a = 0.5^(1 / hl[c]) at every position
local hl = { 1, 2, 8, 64 }
local function model()
  local emb = rs.nn.embedding{ vocab = 256, d = 4 }
  local w = emb:param("weight")
  for r = 1, 256 do
    for c = 1, 4 do
      local a = 0.5 ^ (1 / hl[c])
      w:set(r, c, math.log(a / (1 - a)))
    end
  end
  local out = rs.nn.linear(4, 256)
  for _, t in pairs(out:params()) do t:fill(0) end
  return rs.nn.sequential{ { "emb", emb }, { "a1", rs.nn.sigmoid() },
                           { "out", out } }
end
local l = rs.learner{ name = "lm", model = model(), data = src, batch = 4,
                      eval_every = 0 }

-- what the test split holds
local n_in, far_n, longest = 0, 0, 0
for _, d in ipairs(src:documents()) do
  if d.split == "test" then
    n_in = n_in + d.bytes - 1
    far_n = far_n + d.bytes // 256
    longest = math.max(longest, d.bytes)
  end
end
tap.ok(n_in > 0 and far_n > 0, "the corpus has test documents: " .. n_in
       .. " characters to score, " .. far_n .. " far windows of 256")

tap.clear()
local r = rs.probe.lm(l, { far = 256, far_from = 129, bins = 4 })
tap.is_near(r.bpc_in, 8, 1e-6, "uniform: bpc_in is 8")
tap.is(r.n_in, n_in, "every test character but a document's first, once")
tap.is_near(r.bpc_far, 8, 1e-6, "uniform: bpc_far is 8")
tap.is(r.far_windows, math.min(far_n, 16), "far windows: all, at most 16")
tap.is(r.n_far, r.far_windows * 128, "far: positions 129..256")
local logged = tap.logged()
tap.is(logged["lm/eval/bpc_in"], r.bpc_in, "logged as lm/eval/bpc_in")
tap.is(logged["lm/eval/bpc_far"], r.bpc_far, "logged as lm/eval/bpc_far")
local rows, cols, vals, rl, cl = tap.matrix("lm/loss_by_pos")
tap.is(rows .. "x" .. cols, "2x4", "lm/loss_by_pos is 2 x bins")
tap.is(rl, "bpc|position", "its rows")
tap.is(cl, "64|128|192|256", "its columns: each bin's last position")
tap.is_near(vals[1], 8, 1e-6, "bin 1: 8 bits")
tap.is_near(vals[5], 33, 1e-4, "bin 1: mean position 33 (2..64)")
tap.is_near(vals[6], 96.5, 1e-4, "bin 2: mean position 96.5")
tap.is(#r.by_pos.bpc, 4, "by_pos.bpc has a value per bin")
tap.is(r.by_pos.pos[4], vals[8], "by_pos.pos is the matrix's second row")

-- the defaults: T is the source's; far 0 skips the far part
tap.clear()
local r0 = rs.probe.lm(l, { far = 0 })
tap.is(r0.n_in, n_in, "far = 0: bpc_in as before")
tap.is(r0.bpc_far, nil, "far = 0: no bpc_far")
tap.is(tap.logged()["lm/eval/bpc_far"], nil, "far = 0: none logged")
tap.is(tap.matrix("lm/loss_by_pos"), nil, "far = 0: no matrix")
local rm = rs.probe.lm(l, { far = 0, max_chars = 100 })
tap.ok(rm.n_in > 0 and rm.n_in < 100, "max_chars 100: fewer characters ("
       .. rm.n_in .. ")")

local fn = "rs.probe.lm"
tap.error_is(function() rs.probe.lm(l, { context = 4 }) end,
             fn .. ": unknown field 'context' (known: T, far, far_from, "
             .. "bins, max_chars, far_windows)", "unknown field")
tap.error_is(function() rs.probe.lm(l, { T = 1 }) end,
             fn .. ": bad field 'T' (1 is outside 2..1048576)", "T 1")
tap.error_is(function() rs.probe.lm(l, { far = 1 }) end,
             fn .. ": bad field 'far' (1 (0 for none, or at least 2))",
             "far 1")
tap.error_is(function() rs.probe.lm(l, { far = 64, far_from = 65 }) end,
             fn .. ": bad field 'far_from' (65 is outside 2..64)",
             "far_from past far")
tap.error_is(function() rs.probe.lm(l, { far = 8, bins = 9 }) end,
             fn .. ": bad field 'bins' (9 is outside 1..8)", "bins past far")
tap.error_is(function() rs.probe.lm(l, { far = 4096 }) end,
             fn .. ": in lm_eval: far: no document of 4096 bytes (the longest "
             .. "has " .. longest .. ")", "far longer than any document")
tap.error_is(function() rs.probe.lm(3) end,
             fn .. ": bad argument #1 'learner' (learner expected, got "
             .. "number)", "not a learner")

-- gates along a given text
tap.clear()
local g = rs.probe.gates(l, { text = "hi there\n" })
tap.is(g.C, 4, "gates: 4 channels")
tap.is(g.len, 9, "gates: the text's length")
for c = 1, 4 do
  tap.is_near(g.half_life[c], hl[c], 1e-3 * hl[c],
              "half-life of channel " .. c .. ": " .. hl[c])
end
local gr, gc, gv, _, gl = tap.matrix("lm/gates")
tap.is(gr .. "x" .. gc, "4x9", "lm/gates is channels x characters")
tap.is_near(gv[1], 0.5, 1e-6, "a of channel 1 is 0.5")
tap.is_near(gv[9 + 1], 0.5 ^ 0.5, 1e-6, "a of channel 2 is 0.5^(1/2)")
tap.is(gl, "h|i|\u{2423}|t|h|e|r|e|\u{21b5}",
       "columns: the characters (space and newline as glyphs)")
local hr, hc, hv, _, hlab = tap.matrix("lm/half_life")
tap.is(hr .. "x" .. hc, "1x16", "lm/half_life: 16 bins")
tap.is(hlab, "<1|1|2|4|8|16|32|64|128|256|512|1024|2048|4096|8192|>=16384",
       "half_life: bins labelled by their lower edges")
local total = 0
for i = 1, 16 do total = total + hv[i] end
tap.is(total, 4, "half_life: every channel counted once")
tap.is(hv[7] + hv[8], 1, "half_life: 64 lands in [64, 128) (or just below)")

-- the default text: the first len bytes of the test split
local g2 = rs.probe.gates(l, { len = 20 })
tap.is(g2.len, 20, "gates: the first 20 test bytes")
local _, c2 = tap.matrix("lm/gates")
tap.is(c2, 20, "gates: 20 columns")

fn = "rs.probe.gates"
tap.error_is(function() rs.probe.gates(l, { layer = 2 }) end,
             fn .. ": in lm_eval: gates: the model (sequential) records no a2 "
             .. "(a recurrent model with at least 2 recurrent layers is "
             .. "needed)", "gates: layer 2")
tap.error_is(function() rs.probe.gates(l, { text = "" }) end,
             fn .. ": bad field 'text' (an empty text)", "gates: empty text")
tap.error_is(function() rs.probe.gates(l, { txt = "a" }) end,
             fn .. ": unknown field 'txt' (known: text, len, layer)",
             "gates: unknown field")
local tr = rs.learner{ model = rs.nn.transformer{ vocab = 256, ctx = 64,
                                                   d = 8, layers = 1,
                                                   seed = 1 },
                       data = src, batch = 4, eval_every = 0 }
tap.error_is(function() rs.probe.gates(tr, { text = "abc" }) end,
             fn .. ": in lm_eval: gates: the model (transformer) records no a1 "
             .. "(a recurrent model with at least 1 recurrent layers is "
             .. "needed)", "gates: a model without gates")
local rt = rs.probe.lm(tr, { far = 64, far_from = 33, bins = 2 })
tap.ok(rt.bpc_in > 6 and rt.bpc_in < 10 and rt.bpc_far > 6,
       "an untrained transformer: about 8 bits (" .. rt.bpc_in .. ", "
       .. rt.bpc_far .. ")")
os.execute("rm -r '" .. dir .. "'")
tap.done()
