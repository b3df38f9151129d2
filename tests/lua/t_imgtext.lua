-- t_imgtext.lua: rs.data.imgtext - argument errors word for word, nil +
-- message when Fashion-MNIST is missing, then a plain-IDX fixture written
-- here whose images name themselves (the top-left 2x2 block of image u is
-- u: train u = 0..59, test u = 100..129), so every quadrant of a
-- composite is identified from its pixels alone; its class, the patch
-- classes, the item classes and the caption must agree with it. Then the
-- caption order over 2000 composites, padding, determinism, downsample 2,
-- the methods' errors, a learner on it, and the real Debian files when
-- installed (skipped otherwise).
local tap = require "tap"
local rs = require "repscope"

local fn = "rs.data.imgtext"
tap.error_is(function() rs.data.imgtext{ grid = 4 } end,
             fn .. ": bad field 'grid' (4 is outside 1..3)", "grid 4")
tap.error_is(function() rs.data.imgtext{ words = 5 } end,
             fn .. ": bad field 'words' (5 is outside 1..4, the items of a "
             .. "2x2 grid)", "words 5 of 4 items")
tap.error_is(function() rs.data.imgtext{ words = 2, min_words = 3 } end,
             fn .. ": bad field 'min_words' (3 is outside 1..2, the words)",
             "min_words 3 > words 2")
tap.error_is(function() rs.data.imgtext{ distractors = 17 } end,
             fn .. ": bad field 'distractors' (17 is outside 0..16)",
             "distractors 17")
tap.error_is(function() rs.data.imgtext{ downsample = 3 } end,
             fn .. ": bad field 'downsample' (3 is outside 1..2)",
             "downsample 3")
tap.error_is(function() rs.data.imgtext{ train_n = 0 } end,
             fn .. ": bad field 'train_n' (0 is outside 1..1000000)",
             "train_n 0")
tap.error_like(function() rs.data.imgtext{ items = 4 } end,
               "unknown field 'items'", "unknown field")
tap.error_is(function() rs.data.imgtext(2) end,
             fn .. ": bad argument #1 'config' (table expected, got number)",
             "config must be a table")

local none, msg = rs.data.imgtext{ dir = "/nonexistent/fmnist" }
tap.is(none, nil, "missing files: nil")
tap.is(msg, fn .. ": Fashion-MNIST not found in /nonexistent/fmnist "
         .. "(Debian: apt-get install dataset-fashion-mnist, or set "
         .. "REPSCOPE_DATA)", "missing files: the message names the package")

-- ---- the fixture -----------------------------------------------------------

local function pix(u, r, c)
  if r < 2 and c < 2 then return u end
  return (u * 37 + r * 11 + c * 5 + r * c) % 256
end

local function write(path, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
end

-- train: 60 images, label u % 10; test: 30 images u = 100 + i, label i % 10
local function fixture(dir)
  for _, s in ipairs{ { "train", 60, 0 }, { "t10k", 30, 100 } } do
    local img = { string.pack(">I4I4I4I4", 0x803, s[2], 28, 28) }
    local lab = { string.pack(">I4I4", 0x801, s[2]) }
    for i = 0, s[2] - 1 do
      local row = {}
      for r = 0, 27 do
        for c = 0, 27 do row[#row + 1] = string.char(pix(i + s[3], r, c)) end
      end
      img[#img + 1] = table.concat(row)
      lab[#lab + 1] = string.char(i % 10)
    end
    write(dir .. "/" .. s[1] .. "-images-idx3-ubyte", table.concat(img))
    write(dir .. "/" .. s[1] .. "-labels-idx1-ubyte", table.concat(lab))
  end
end

local dir = tap.tmpdir() .. "/lua_imgtext"
os.execute("mkdir -p '" .. dir .. "'")
fixture(dir)

local src = rs.data.imgtext{ dir = dir, train_n = 2000, test_n = 200,
                             seed = 3 }
tap.is(src:kind(), "imgtext", "kind")
local info = src:info()
tap.is(string.format("%d %s/%s %d/%d %d/%d %d", info.inputs, info.kind[1],
                     info.kind[2], info.width[1], info.width[2],
                     info.vocab[1], info.vocab[2], info.classes),
       "2 features/tokens 3136/4 0/21 0",
       "info: 16 patches of 196 pixels, 4 words of 21, unlabelled")
tap.is(src:count("train") .. "/" .. src:count("test"), "2000/200", "counts")
local lay = src:layout()
tap.is(string.format("%d %d %d %d %d %d %d %d %d %d %d", lay.grid, lay.items,
                     lay.side, lay.item_side, lay.patch_side,
                     lay.patch_pixels, lay.patch_grid, lay.patches, lay.len,
                     lay.words, lay.min_words),
       "2 4 56 28 14 196 4 16 4 4 4", "layout of the default 2x2 grid")
tap.is(table.concat(src:patch_items(), ","),
       "1,1,2,2,1,1,2,2,3,3,4,4,3,3,4,4", "patch_items: quadrants row-major")
tap.is(src:word(0) .. " " .. src:word(1) .. " " .. src:word(10) .. " "
       .. src:word(11), "<pad> t-shirt boot a", "words")

-- The fixture image in quadrant k (1..4) of an image tensor: u from its
-- top-left pixel, then every pixel checked against the formula.
local function identify(img, k, side, pool)
  local r0, c0 = (k - 1) // 2 * side, (k - 1) % 2 * side
  local u = math.floor(img[{ r0 + 1, c0 + 1 }] * 255 + 0.5)
  for r = 0, side - 1 do
    for c = 0, side - 1 do
      local s = 0
      for dr = 0, pool - 1 do
        for dc = 0, pool - 1 do
          s = s + pix(u, r * pool + dr, c * pool + dc)
        end
      end
      if math.abs(img[{ r0 + r + 1, c0 + c + 1 }] - s / pool / pool / 255)
          > 1e-6 then
        return nil
      end
    end
  end
  return u
end

local function label_of(u) return (u >= 100 and u - 100 or u) % 10 end

-- every composite of a split, from its pixels
local function check_split(s, split, n, pool)
  local side = 28 // pool
  local bad = {}
  local function fail(what, i) bad[#bad + 1] = what .. " at " .. i end
  for i = 1, n do
    local img = s:image(split, i)
    local pc, ic = s:patch_classes(split, i), s:item_classes(split, i)
    local items, seen = s:patch_items(), {}
    local cls = {}
    for k = 1, 4 do
      local u = identify(img, k, side, pool)
      if u == nil then
        fail("pixels", i)
      else
        if (split == "train") ~= (u < 100) then fail("split", i) end
        cls[k] = label_of(u)
        if seen[cls[k]] then fail("distinct", i) end
        seen[cls[k]] = true
        if ic[k] ~= cls[k] then fail("item_classes", i) end
      end
    end
    for p = 1, 16 do
      if pc[p] ~= cls[items[p]] then fail("patch_classes", i) end
    end
    local tok, wi, cap = s:tokens(split, i), s:word_item(split, i),
                         s:caption(split, i)
    local pad = false
    for j = 1, #tok do
      if tok[j] == 0 then
        pad = true
        if wi[j] ~= 0 then fail("pad item", i) end
      elseif pad then
        fail("word after a pad", i)
      elseif wi[j] > 0 then
        if tok[j] ~= 1 + cls[wi[j]] or cap[j] ~= s:word(tok[j]) then
          fail("caption", i)
        end
      elseif tok[j] < 11 then
        fail("class word naming no item", i)
      end
    end
  end
  return bad
end

local function first(b) return b[1] and " (first: " .. b[1] .. ")" or "" end

local bad = check_split(src, "train", 300, 1)
tap.is(#bad, 0, "300 train composites: quadrants are train images "
       .. "of distinct classes; patch, item and caption classes agree"
       .. first(bad))
bad = check_split(src, "test", 200, 1)
tap.is(#bad, 0, "200 test composites, from the test images only"
       .. first(bad))

-- the caption order: every order of the 4 quadrants, and position does
-- not predict the quadrant (each (position, quadrant) about 500 of 2000)
local orders, cell = {}, {}
for i = 1, 2000 do
  local wi = src:word_item("train", i)
  local key = table.concat(wi, "")
  orders[key] = (orders[key] or 0) + 1
  for j = 1, 4 do
    cell[j * 10 + wi[j]] = (cell[j * 10 + wi[j]] or 0) + 1
  end
end
local norders = 0
for _ in pairs(orders) do norders = norders + 1 end
tap.is(norders, 24, "2000 captions: all 24 orders of the quadrants occur")
local lo, hi = math.huge, 0
for _, v in pairs(cell) do
  lo, hi = math.min(lo, v), math.max(hi, v)
end
-- binomial(2000, 1/4): sd 19, so 420..580 is +-4 sd
tap.ok(lo >= 420 and hi <= 580, string.format(
       "each caption position names each quadrant %d..%d times of 2000", lo,
       hi))

-- variable length with distractors: pads only at the end
local var = rs.data.imgtext{ dir = dir, train_n = 300, test_n = 10,
                             words = 3, min_words = 1, distractors = 2,
                             seed = 4 }
tap.is(var:info().width[2], 5, "L = words + distractors = 5")
bad = check_split(var, "train", 300, 1)
tap.is(#bad, 0, "1..3 words + 2 distractors: the truth holds"
       .. first(bad))
local lens, ok = {}, true
for i = 1, 300 do
  local tok, cap = var:tokens("train", i), var:caption("train", i)
  local n = 0
  for j = 1, #tok do if tok[j] ~= 0 then n = n + 1 end end
  ok = ok and n == #cap
  lens[n] = (lens[n] or 0) + 1
end
tap.ok(ok and lens[3] and lens[4] and lens[5] and not lens[2],
       "captions of 3, 4 and 5 words (1..3 class words + 2 distractors), "
       .. "caption() drops the pads")

-- determinism
local function fingerprint(s, split)
  local parts = {}
  for i = 1, 20 do
    parts[#parts + 1] = table.concat(s:tokens(split, i), ",") .. ":"
        .. table.concat(s:item_classes(split, i), ",") .. ":"
        .. string.format("%.6f", s:image(split, i):sum())
  end
  return table.concat(parts, ";")
end
local again = rs.data.imgtext{ dir = dir, train_n = 2000, test_n = 200,
                               seed = 3 }
local other = rs.data.imgtext{ dir = dir, train_n = 2000, test_n = 200,
                               seed = 9 }
tap.ok(fingerprint(src, "train") == fingerprint(again, "train")
       and fingerprint(src, "test") == fingerprint(again, "test"),
       "the same seed: the same composites")
tap.ok(fingerprint(src, "train") ~= fingerprint(other, "train"),
       "another seed: others")

-- downsample 2: 28x28 images of 14x14 items, 7x7 patches
local small = rs.data.imgtext{ dir = dir, downsample = 2, train_n = 100,
                               test_n = 50 }
local sl = small:layout()
tap.is(sl.side .. " " .. sl.patch_side .. " " .. small:info().width[1],
       "28 7 784", "downsample 2: 28x28, 7x7 patches, 16 x 49 features")
tap.is(table.concat(small:image("test", 1):shape(), "x"), "28x28",
       "image() is 28x28")
bad = check_split(small, "train", 100, 2)
tap.is(#bad, 0, "downsample 2: the 2x2 means of the items"
       .. first(bad))

-- the methods' errors
local z = rs.data.zip(rs.data.modular{ p = 5 }, rs.data.modular{ p = 5 })
tap.error_is(function() return z:caption("train", 1) end,
             "source:caption: bad self (imgtext source expected, got zip "
             .. "source)", "caption of a zip")
tap.error_is(function() return src:image("train", 0) end,
             "source:image: bad argument #2 'index' (0 is outside 1..2000)",
             "index 0")
tap.error_is(function() return src:patch_classes("test", 201) end,
             "source:patch_classes: bad argument #2 'index' (201 is outside "
             .. "1..200)", "index past the test split")
tap.error_is(function() return src:word_item("val", 1) end,
             "source:word_item: bad argument #1 'split' ('train' or 'test' "
             .. "expected, got 'val')", "split name")
tap.error_is(function() return src:word(21) end,
             "source:word: bad argument #1 'id' (21 is outside 0..20)",
             "word id 21")

-- a learner on it (a Lua objective: the image's first caption word)
tap.error_like(function()
  return rs.learner{ model = rs.nn.mlp{ input = 3136, width = 8, depth = 1,
                                        output = 10 }, data = src }
end, "imgtext source has no default objective", "no default objective")
local function first_word(g, model, batch)
  local out = g:forward(model, batch.x)
  local y = {}
  for i = 1, batch.n do y[i] = batch.ids2[i][1] - 1 end
  return -(g:onehot(y, 10) * out:log_softmax()):sum() / batch.n
end
rs.seed(2)
local l = rs.learner{ model = rs.nn.mlp{ input = 3136, width = 16, depth = 2,
                                         output = 10 },
                      data = src, batch = 16, eval_every = 0, seed = 1,
                      objective = rs.objective.lua{ loss = first_word } }
local loss = l:step()
tap.ok(loss == loss and loss > 0,
       "rs.learner steps on it (loss " .. loss .. ")")
local b = l:next_batch()
tap.is(string.format("%d %s %d", b.n, table.concat(b.x:shape(), "x"),
                     #b.ids2[1]), "16 16x3136 4", "its batches: x and ids2")
os.execute("rm -r '" .. dir .. "'")

-- ---- the real files (Debian: dataset-fashion-mnist) ------------------------
local real, why = rs.data.imgtext{ train_n = 200, test_n = 50 }
if real == nil and why:find("not found", 1, true) then
  tap.skip(2, why)
elseif real == nil then
  tap.ok(false, "the installed files load: " .. why)
  tap.skip(1, "no source")
else
  tap.is(real:count("train") .. "/" .. real:count("test"), "200/50",
         "real files: 200/50 composites")
  local agree = true
  for i = 1, 50 do
    local pc, wi, tok = real:patch_classes("test", i),
                        real:word_item("test", i), real:tokens("test", i)
    local items = real:patch_items()
    for p = 1, 16 do
      for j = 1, 4 do
        if wi[j] == items[p] then agree = agree and tok[j] == pc[p] + 1 end
      end
    end
  end
  tap.ok(agree, "real files: each word is its item's patches' class")
end
