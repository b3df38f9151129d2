-- t_fmnist.lua: rs.data.fmnist - argument errors, nil + message when the
-- files are missing, a plain-IDX fixture written here (sizes, a 2x2 mean
-- computed by hand, subsets, class names, a few rs.train steps), and the
-- real Debian files when installed (shapes; skipped otherwise).
local tap = require "tap"
local rs = require "repscope"

-- argument errors raise
tap.error_is(function() rs.data.fmnist{ downsample = 3 } end,
             "rs.data.fmnist: bad field 'downsample' (3 is outside 1..2)",
             "downsample 3")
tap.error_like(function() rs.data.fmnist{ train = 5 } end,
               "unknown field 'train'", "unknown field")
tap.error_like(function() rs.data.fmnist{ subset = "last" } end,
               "bad field 'subset'", "subset name")
tap.error_like(function() rs.data.fmnist{ train_n = -1 } end,
               "bad field 'train_n'", "negative train_n")
tap.error_like(function() rs.data.fmnist(5) end, "bad argument #1 'config'",
               "config must be a table")

-- missing files: nil and a message saying what to install
local none, msg = rs.data.fmnist{ dir = "/nonexistent/fmnist" }
tap.is(none, nil, "missing files: nil")
tap.is(msg, "rs.data.fmnist: Fashion-MNIST not found in /nonexistent/fmnist "
         .. "(Debian: apt-get install dataset-fashion-mnist, or set "
         .. "REPSCOPE_DATA)", "missing files: the message names the package")

-- a plain-IDX fixture: 12 training and 4 test images of 28x28
local function pix(i, r, c) return (i * 37 + r * 11 + c * 5 + r * c) % 256 end
local function label(i) return (i * 3 + 1) % 10 end

local function write(path, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
end

local function fixture(dir, n_train, n_test)
  for _, s in ipairs{ { "train", n_train, 0 }, { "t10k", n_test, 100 } } do
    local img = { string.pack(">I4I4I4I4", 0x803, s[2], 28, 28) }
    local lab = { string.pack(">I4I4", 0x801, s[2]) }
    for i = 0, s[2] - 1 do
      local row = {}
      for r = 0, 27 do
        for c = 0, 27 do row[#row + 1] = string.char(pix(i + s[3], r, c)) end
      end
      img[#img + 1] = table.concat(row)
      lab[#lab + 1] = string.char(label(i))
    end
    write(dir .. "/" .. s[1] .. "-images-idx3-ubyte", table.concat(img))
    write(dir .. "/" .. s[1] .. "-labels-idx1-ubyte", table.concat(lab))
  end
end

local dir = os.tmpname()
os.remove(dir)
if not os.execute("mkdir '" .. dir .. "'") then
  tap.skip(14, "cannot make a fixture directory")
else
  fixture(dir, 12, 4)
  local d = rs.data.fmnist{ dir = dir, downsample = 2 }
  tap.is(d:kind(), "fmnist", "kind")
  tap.is(d:count("train") .. "/" .. d:count("test"), "12/4", "counts")
  tap.is(d:input_dim(), 196, "downsample 2: 196 inputs")
  tap.is(d:classes(), 10, "10 classes")
  local x, y = d:batch("train", 3, 2)
  tap.is(table.concat(x:shape(), "x"), "2x196", "batch shape")
  tap.is(y[1] .. "," .. y[2], label(2) .. "," .. label(3), "labels")
  -- item 2, output (row 4, col 6) pools pixels (8..9, 12..13)
  local s = pix(2, 8, 12) + pix(2, 8, 13) + pix(2, 9, 12) + pix(2, 9, 13)
  tap.is_near(x[{ 1, 4 * 14 + 6 + 1 }], s / 4 / 255, 1e-6,
              "a 2x2 mean by hand")
  local xt = d:batch("test", 1, 1)
  tap.is_near(xt[{ 1, 1 }], (pix(100, 0, 0) + pix(100, 0, 1) + pix(100, 1, 0)
                             + pix(100, 1, 1)) / 4 / 255, 1e-6,
              "test images are the t10k file's")
  tap.is(d:class_name(0), "T-shirt/top", "class_name(0)")
  tap.is(d:class_name(9), "Ankle boot", "class_name(9)")
  tap.error_like(function() d:class_name(10) end, "10 is outside 0..9",
                 "class_name(10)")

  local function labels_of(ds)
    local _, ly = ds:batch("train")
    return table.concat(ly, ",")
  end
  local a = rs.data.fmnist{ dir = dir, train_n = 5, subset = "random",
                            seed = 3 }
  local b = rs.data.fmnist{ dir = dir, train_n = 5, subset = "random",
                            seed = 3 }
  tap.ok(a:count("train") == 5 and labels_of(a) == labels_of(b),
         "random subset of 5: same seed, same examples")
  tap.error_like(function() rs.data.fmnist{ dir = dir, train_n = 13 } end,
                 "train_n = 13 exceeds the 12 examples", "train_n 13 > 12")

  -- usable by rs.train with the paper's loss
  rs.seed(1)
  local tr = rs.train{ model = rs.nn.mlp{ input = 196, width = 16, depth = 2,
                                          output = 10 },
                       data = d, batch = 4, loss = "mse_onehot",
                       optim = rs.optim.adamw{ lr = 1e-3 }, eval_every = 0 }
  local loss = tr:step()
  tap.ok(loss == loss and loss > 0, "rs.train steps on it (loss " .. loss .. ")")
  os.execute("rm -r '" .. dir .. "'")
end

-- the real files (Debian: dataset-fashion-mnist)
local d, why = rs.data.fmnist{ train_n = 100 }
if d == nil and why:find("not found", 1, true) then
  tap.skip(6, why)
elseif d == nil then
  tap.ok(false, "the installed files load: " .. why)
  tap.skip(5, "no dataset")
else
  tap.is(d:count("train"), 100, "train_n = 100")
  tap.is(d:count("test"), 10000, "the whole test set")
  tap.is(d:input_dim(), 784, "784 inputs")
  local x, y = d:batch("train")
  tap.is(table.concat(x:shape(), "x"), "100x784", "batch shape")
  local ok = #y == 100
  for i = 1, #y do ok = ok and y[i] >= 0 and y[i] <= 9 end
  tap.ok(ok, "100 labels in 0..9")
  local lo, hi = math.huge, -math.huge
  for i = 1, 100 do
    for j = 1, 784, 13 do
      lo = math.min(lo, x[{ i, j }])
      hi = math.max(hi, x[{ i, j }])
    end
  end
  tap.ok(lo >= 0 and hi <= 1 and hi > 0.5, "pixels / 255 in [0, 1]")
end
