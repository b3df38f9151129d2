-- t_dyneval.lua: rs.lm.dyneval, l:dyneval() and rs.update from Lua, on a
-- corpus written here (source A: two documents of prose, source B: one of
-- digits and signs, all in the train split): the field errors word for
-- word (each names its field), the fields of l:dyneval() after one update
-- checked against the corpus, then rs.update{...} on two learners and
-- its refusals.
local tap = require "tap"
local rs = require "repscope"

local dir = tap.tmpdir() .. "/lua_dyneval"
os.execute("rm -rf '" .. dir .. "'; mkdir -p '" .. dir .. "/A' '" .. dir
           .. "/B'")
local function write(path, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
end
local a1 = string.rep("the cat sat on the mat. ", 8)  -- 192 bytes
write(dir .. "/A/a1.txt", a1)
write(dir .. "/A/a2.txt", string.rep("a bird in the hand. ", 5))  -- 100
write(dir .. "/B/b1.txt", string.rep("3.14159 + 2.71828; ", 4))  -- 76
local src = rs.data.text{ sources = { dir .. "/A", dir .. "/B" }, T = 16,
                          test_frac = 0 }

local function model()
  return rs.nn.griffin{ d = 16, layers = 2, pattern = "R", seed = 1 }
end
local function learner(name)
  return rs.learner{ name = name, model = model(), data = src, batch = 4,
                     eval_every = 0 }
end
local function parts()
  return { { label = "A", split = "train", source = 1 },
           { label = "B", split = "train", source = 2 } }
end

-- ---- field errors -------------------------------------------------------

local fn = "rs.lm.dyneval"
local l = learner("dyn")
local anchor = model()
local function refused(cfg, text, name)
  cfg.anchor = cfg.anchor == nil and anchor or cfg.anchor
  if cfg.anchor == false then cfg.anchor = nil end
  cfg.parts = cfg.parts == nil and parts() or cfg.parts
  tap.error_is(function() rs.lm.dyneval(l, cfg) end, text, name)
end
tap.error_like(function() rs.lm.dyneval(l, { anchor = anchor, size = 3 })
               end, fn .. ": unknown field 'size' %(known: anchor, parts,",
               "unknown field, the known ones listed")
refused({ adapt = "some" }, fn .. ": bad field 'adapt' ('none', 'all', "
        .. "'mlp' or 'last' expected, got 'some')", "bad adapt")
refused({ rule = "adam" }, fn .. ": bad field 'rule' ('sgd' or 'rms' "
        .. "expected, got 'adam')", "bad rule")
refused({ lr = -1 }, fn .. ": bad field 'lr' (-1 is not a finite number "
        .. ">= 0)", "lr -1")
refused({ decay = 2 }, fn .. ": bad field 'decay' (2 is outside [0, 1])",
        "decay 2")
refused({ rms_beta = 1 }, fn .. ": bad field 'rms_beta' (1 is outside [0, "
        .. "1))", "rms_beta 1")
refused({ L = 0 }, fn .. ": bad field 'L' (0 is outside 1..65536)", "L 0")
refused({ parts = { { split = "train", source = "x" } } },
        fn .. ": part 1: bad field 'source' ('x' is not a source of this "
        .. "corpus)", "parts: a bad source name")
refused({ parts = { { split = "train" }, { split = "train", source = 2,
                                           offset = 76 } } },
        fn .. ": part 2: bad field 'offset' (76 is past the end: the train "
        .. "text of " .. dir .. "/B has 76 bytes)", "parts: offset past the end")
refused({ parts = { { split = "train", label = "" } } },
        fn .. ": part 1: bad field 'label' ('' is empty or longer than 15 "
        .. "bytes)", "parts: an empty label")
refused({ parts = {} }, fn .. ": bad field 'parts' (0 parts (1..8 "
        .. "expected))", "parts: none")
refused({ anchor = false }, fn .. ": field 'anchor' is required (the module "
        .. "whose parameters are theta0)", "missing anchor")
refused({ anchor = 3 }, fn .. ": bad field 'anchor' (module expected, got "
        .. "number)", "anchor: a number")
refused({ parts = { { split = "test" } } },
        fn .. ": part 1: bad field 'offset' (0 is past the end: the test "
        .. "text has 0 bytes)", "parts: the empty test split")
tap.error_is(function() rs.lm.dyneval(l, { anchor = anchor }) end,
             fn .. ": in dyneval: part 1 (test): from = 0 (the test text has 0 "
             .. "bytes)", "the default part: the empty test split")
tap.error_like(function()
  rs.lm.dyneval(l, { anchor = l:model(), parts = parts() })
end, "the anchor is the learner's own model", "anchor: the learner's model")
tap.is(l:dyneval(), nil, "no driver after the refusals")

-- ---- l:dyneval() after one update ---------------------------------------

tap.is(rs.lm.dyneval(l, { anchor = anchor, parts = parts(), L = 32,
                          context = 16, lr = 0.1 }), l,
       "rs.lm.dyneval returns the learner")
local d = l:dyneval()
tap.is(string.format("%d/%d %s %s", d.segments, d.segments_total,
                     tostring(d.done), tostring(d.part)),
       "0/13 false nil", "before an update: 0 of 6 + 4 + 3 segments, no part")
l:update()
d = l:dyneval()
tap.is(string.format("%d/%d %s %d %s %s", d.segments, d.segments_total,
                     tostring(d.done), d.part, d.label,
                     tostring(d.part_first)),
       "1/13 false 1 A true", "after one: segment 1, part 1 'A', its first")
tap.is(d.text, a1:sub(1, 32), "text: the segment's bytes")
tap.is(#d.bits_of, 32, "bits_of: one per byte")
local sum, finite = 0, 0
for i = 2, #d.bits_of do
  if d.bits_of[i] == d.bits_of[i] then
    sum = sum + d.bits_of[i]
    finite = finite + 1
  end
end
tap.ok(d.bits_of[1] ~= d.bits_of[1] and finite == 31,
       "bits_of: NaN at the document's first byte, finite after")
tap.is_near(d.bits, sum, 1e-3, "bits: the sum of bits_of")
tap.is(d.chars, 31, "chars: 31 scored")
tap.is_near(d.bpc, d.bits / d.chars, 1e-12, "bpc = bits / chars")
tap.is(d.bpc_ema, d.bpc, "bpc_ema: the first segment sets it")
tap.ok(d.drift > 0 and d.ms_per_char >= 0 and d.cpu_ms >= 0,
       "drift > 0 after an update at lr 0.1; times >= 0")
local n, el = 0, 0
for _, p in pairs(l:params()) do
  n = n + 1
  el = el + p:numel()
end
tap.is(string.format("%d %d", d.adapted, d.adapted_el),
       string.format("%d %d", n, el), "adapted: every parameter")
tap.is(string.format("%s %s %g %g %d %d", d.adapt, d.rule, d.lr, d.decay, d.L,
                     d.context), "all sgd 0.1 0 32 16", "the config")
tap.is(string.format("%d %s %g %s %g", #d.parts, d.parts[1].label,
                     d.parts[1].chars, d.parts[2].label, d.parts[2].chars),
       "2 A 31 B 0", "parts: labels and chars")
tap.is(d.parts[1].bits, d.bits, "parts: part A holds every bit so far")

-- ---- rs.update ----------------------------------------------------------

local l2 = learner("dyn2")
rs.lm.dyneval(l2, { anchor = model(), parts = parts(), adapt = "none" })
local plain = learner("plain")
tap.is(plain:dyneval(), nil, "l:dyneval() without the driver: nil")
local losses = rs.update{ l, l2 }
tap.is(string.format("%d %d %d", #losses, l:dyneval().segments,
                     l2:dyneval().segments), "2 2 1",
       "rs.update{l1, l2}: one update of each")
tap.is_near(losses[2], l2:dyneval().bpc * math.log(2), 1e-9,
            "rs.update: loss 2 is l2's segment loss (nats)")
tap.error_is(function() rs.update{ l, l2, l } end,
             "rs.update: bad argument #1 'learners' (learner 'dyn' is listed "
             .. "twice)", "rs.update: a learner listed twice")
tap.error_is(function() rs.update{ l, 5 } end,
             "rs.update: bad argument #1 'learners' (entry 2: learner "
             .. "expected, got number)", "rs.update: not a learner")
tap.error_is(function() rs.update{} end,
             "rs.update: bad argument #1 'learners' (0 learners (1..64 "
             .. "expected))", "rs.update: none")
tap.is(string.format("%d %d", l:dyneval().segments, l2:dyneval().segments),
       "2 1", "the refused calls updated nothing")
rs.update{ plain }
tap.is(plain:steps(), 1, "rs.update: a learner without a driver steps")
os.execute("rm -r '" .. dir .. "'")
tap.done()
