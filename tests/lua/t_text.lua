-- t_text.lua: rs.data.text - argument errors word for word, nil + message
-- for a missing path, then a tiny corpus written here with known contents
-- (a.txt 10 x "A", b.txt 20 x "b", c.txt "cc"): info, documents, the
-- windows and their resets inside documents and across them, decode, the
-- stream's segments and boundaries, determinism of the split and of a
-- learner's windows for one seed, the methods' errors, a learner on it;
-- then the Debian files when installed (skipped otherwise).
local tap = require "tap"
local rs = require "repscope"

local fn = "rs.data.text"
tap.error_is(function() rs.data.text(3) end,
             fn .. ": bad argument #1 'config' (table expected, got number)",
             "config must be a table")
tap.error_like(function() rs.data.text{ context = 4 } end,
               "unknown field 'context'", "unknown field")
tap.error_is(function() rs.data.text{ sources = "licenses" } end,
             fn .. ": bad field 'sources' (list of strings expected, got "
             .. "string)", "sources must be a list")
tap.error_is(function() rs.data.text{ sources = {} } end,
             fn .. ": bad field 'sources' (0 entries (must be 1..8))",
             "sources: none")
tap.error_is(function() rs.data.text{ sources = { "licenses", 3 } } end,
             fn .. ": bad field 'sources' (entry 2 is not a name or a path)",
             "sources: a number")
tap.error_is(function() rs.data.text{ sources = { "licenses", "licenses" } }
             end, fn .. ": bad field 'sources' ('licenses' is given twice)",
             "sources: twice")
tap.error_is(function() rs.data.text{ T = 0 } end,
             fn .. ": bad field 'T' (0 is outside 1..16777215)", "T 0")
tap.error_is(function() rs.data.text{ test_frac = 1 } end,
             fn .. ": bad field 'test_frac' (1 is outside [0, 1))",
             "test_frac 1")
tap.error_is(function() rs.data.text{ max_bytes = 0 } end,
             fn .. ": bad field 'max_bytes' (0 is outside 1..1073741824)",
             "max_bytes 0")
tap.error_is(function() rs.data.text{ seed = -1 } end,
             fn .. ": bad field 'seed' (-1 is outside 0..9223372036854775807)",
             "seed -1")
tap.error_is(function() rs.data.text{ cross = 1 } end,
             fn .. ": bad field 'cross' (boolean expected, got number)",
             "cross must be a boolean")

local dir = tap.tmpdir() .. "/lua_text"
os.execute("rm -rf '" .. dir .. "'; mkdir -p '" .. dir .. "/tiny'")
local none, msg = rs.data.text{ sources = { dir .. "/nope" } }
tap.is(none, nil, "missing path: nil")
tap.is(msg, fn .. ": source '" .. dir .. "/nope': No such file or directory",
       "missing path: the message names it")

local function write(path, bytes)
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
end
local tiny = dir .. "/tiny"
write(tiny .. "/b.txt", string.rep("b", 20))
write(tiny .. "/a.txt", string.rep("A", 10))
write(tiny .. "/c.txt", "cc")

tap.error_is(function() rs.data.text{ sources = { tiny }, T = 20,
                                     test_frac = 0 } end,
             fn .. ": no train window of T + 1 = 21 bytes (the train text "
             .. "has 32 bytes in 3 documents; windows stay inside documents)",
             "T longer than every document")

local src = rs.data.text{ sources = { tiny }, T = 4, test_frac = 0 }
tap.is(src:kind(), "text", "kind")
local info = src:info()
tap.is(string.format("%d %s %d %d %d", info.inputs, info.kind[1],
                     info.width[1], info.vocab[1], info.classes),
       "1 tokens 5 256 0", "info: windows of T + 1 bytes, vocab 256")
tap.is(string.format("%d %d %d %d %d/%d %d/%d %s", info.T, info.bytes,
                     info.documents, #info.sources, info.train.bytes,
                     info.train.windows, info.test.bytes, info.test.windows,
                     tostring(info.cross)),
       "4 32 3 1 32/22 0/0 false", "info: the corpus's sizes")
tap.is(string.format("%s %s %d %d %s", info.sources[1].name,
                     info.sources[1].path, info.sources[1].train.documents,
                     info.sources[1].test.documents,
                     tostring(info.sources[1].truncated)),
       tiny .. " " .. tiny .. " 3 0 false", "info: per source")
tap.is(src:count("train"), 22, "22 train windows (c.txt is too short)")

local docs = src:documents()
local names = {}
for i, d in ipairs(docs) do
  names[i] = string.format("%s:%s:%d:%d", d.name, d.split, d.bytes, d.start)
end
tap.is(table.concat(names, " "),
       "a.txt:train:10:1 b.txt:train:20:11 c.txt:train:2:31",
       "documents in name order with their starts")
tap.is(docs[1].source, tiny, "documents: the source")

local w, resets = src:window("train", 7)
tap.is(w .. " " .. #resets .. " " .. resets[1], "bbbbb 1 1",
       "window 7 is b.txt's first: a reset at 1")
w, resets = src:window("train", 8)
tap.is(w .. " " .. #resets, "bbbbb 0", "window 8: no reset")
tap.error_is(function() src:window("train", 23) end,
             "source:window: bad argument #2 'index' (23 is outside 1..22)",
             "window index out of range")
tap.error_is(function() src:window("dev", 1) end,
             "source:window: bad argument #1 'split' ('train' or 'test' "
             .. "expected, got 'dev')", "window split")

local cross = rs.data.text{ sources = { tiny }, T = 4, test_frac = 0,
                            cross = true }
tap.is(cross:count("train"), 28, "cross: every start of the 32 bytes")
w, resets = cross:window("train", 9)
tap.is(w .. " " .. table.concat(resets, ","), "AAbbb 3",
       "cross: window 9 holds b.txt's start at 3")
w, resets = cross:window("train", 28)
tap.is(w .. " " .. table.concat(resets, ","), "bbbcc 4",
       "cross: window 28 holds c.txt's start at 4")
tap.ok(cross:info().cross, "cross: info says so")

tap.is(src:decode{ 72, 105, 0, 255 }, "Hi\0\255", "decode a list")
tap.is(src:decode(rs.tensor.from{ 65, 66 }), "AB", "decode a tensor")
tap.error_is(function() src:decode{ 1, 256 } end,
             "source:decode: bad argument #1 'ids' (entry 2 is not a byte id "
             .. "in 0..255)", "decode: 256")
tap.error_is(function() src:decode("AB") end,
             "source:decode: bad argument #1 'ids' (list of ids or tensor "
             .. "expected, got string)", "decode: a string")
local corpus = rs.data.corpus{ ids = { 1, 2, 3, 4, 5 }, vocab = 8, T = 2 }
tap.error_is(function() corpus:decode{ 1 } end,
             "source:decode: bad self (text source expected, got corpus "
             .. "source)", "decode refuses another kind")
tap.ok(corpus:info().T == nil, "info of another kind: no corpus fields")

-- ---- the stream --------------------------------------------------------

tap.error_is(function() src:stream{ L = 4 } end,
             "source:stream: bad field 'offset' (0 is past the end: the test "
             .. "text has 0 bytes)", "stream: the empty test split")
tap.error_is(function() src:stream{ split = "train", L = 0 } end,
             "source:stream: bad field 'L' (0 is outside 1..16777216)",
             "stream: L 0")
tap.error_is(function() src:stream{ split = "train", source = "x" } end,
             "source:stream: bad field 'source' ('x' is not a source of this "
             .. "corpus)", "stream: unknown source")
tap.error_is(function() src:stream{ split = "train", source = 2 } end,
             "source:stream: bad field 'source' (2 is outside 1..1)",
             "stream: source index")
tap.error_is(function() src:stream{ split = "train", offset = 32 } end,
             "source:stream: bad field 'offset' (32 is past the end: the "
             .. "train text has 32 bytes)", "stream: offset past the end")
tap.error_like(function() src:stream{ split = "train", size = 3 } end,
               "unknown field 'size'", "stream: unknown field")

local st = src:stream{ split = "train", source = 1, L = 7 }
tap.is(st:len(), 32, "stream: 32 bytes")
local segs = {}
for seg in st.next, st do
  segs[#segs + 1] = string.format("%d:%s:%d:[%s]:%s%s%s", seg.pos, seg.text,
                                  seg.doc, table.concat(seg.resets, ","),
                                  seg.doc_end and "e" or "",
                                  seg.first and "f" or "",
                                  seg.last and "l" or "")
end
tap.is(table.concat(segs, " "),
       "0:AAAAAAA:1:[1]:f 7:AAAbbbb:1:[4]: 14:bbbbbbb:2:[]: "
       .. "21:bbbbbbb:2:[]: 28:bbcc:2:[3]:el",
       "stream L 7: segments, documents, resets, ends")
tap.is(st:pos(), 32, "stream: at the end")
tap.is(st:next(), nil, "stream: nil after the end")
st:rewind()
tap.is(st:next().text, "AAAAAAA", "stream: rewind")
st = src:stream{ split = "train", L = 7, doc_break = true, offset = 3,
                 bytes = 20 }
segs = {}
for seg in st.next, st do segs[#segs + 1] = seg.text end
tap.is(table.concat(segs, " "), "AAAAAAA bbbbbbb bbbbbb",
       "doc_break from offset 3, 20 bytes: no segment holds two documents")
tap.like(tostring(st), "^text stream %(20 of 20 bytes read%)$", "tostring")
st:release()
tap.error_is(function() st:next() end,
             "stream:next: attempt to use a released text stream",
             "a released stream")
tap.error_is(function() src:stream(5) end,
             "source:stream: bad argument #1 'config' (table expected, got "
             .. "number)", "stream: config must be a table")

-- ---- split and determinism ---------------------------------------------

local many = dir .. "/many"
os.execute("mkdir -p '" .. many .. "'")
for i = 0, 39 do
  write(string.format("%s/f%02d", many, i),
        string.format("document %02d ", i) .. string.rep("xyz", 5 + i))
end
local function splits(s)
  local out = {}
  for i, d in ipairs(s:documents()) do
    out[i] = d.split == "test" and "t" or "."
  end
  return table.concat(out)
end
local m1 = rs.data.text{ sources = { many }, T = 8, test_frac = 0.25 }
local m2 = rs.data.text{ sources = { many }, T = 8, test_frac = 0.25 }
local m3 = rs.data.text{ sources = { many }, T = 8, test_frac = 0.25,
                         seed = 7 }
tap.diag("seed 1: " .. splits(m1))
tap.is(splits(m1), splits(m2), "the same seed, the same split")
tap.ok(splits(m1) ~= splits(m3), "seed 7: another split")
local text, starts = m1:test_text()
local ntest = select(2, splits(m1):gsub("t", ""))
tap.is(#starts, ntest, "test_text: one start per test document")
local ok = true
for i, d in ipairs(m1:documents()) do
  if d.split == "test" then
    ok = ok and text:sub(d.start, d.start + 11) ==
      string.format("document %02d ", i - 1)
  end
end
tap.ok(ok, "test_text: each test document whole at its start")
tap.is(m1:test_text(1), text, "test_text(1): the one source's part")
tap.error_is(function() m1:test_text("headers") end,
             "source:test_text: bad argument #1 'source' ('headers' is not a "
             .. "source of this corpus)", "test_text: unknown source")

-- a learner's windows: the same for the same learner seed
local function batches(s, seed)
  local l = rs.learner{ model = rs.nn.transformer{ vocab = 256, ctx = 9,
                                                    d = 8, layers = 1,
                                                    seed = 1 },
                        data = s, batch = 4, eval_every = 0, seed = seed }
  local out = {}
  for _ = 1, 3 do
    local b = l:next_batch()
    for i = 1, b.n do out[#out + 1] = s:decode(b.ids[i]) end
  end
  return table.concat(out, "|")
end
local b1 = batches(m1, 5)
tap.is(batches(m2, 5), b1, "learner: the same windows for the same seed")
tap.ok(batches(m1, 6) ~= b1, "learner: other windows for another seed")
local l = rs.learner{ model = rs.nn.transformer{ vocab = 256, ctx = 9, d = 8,
                                                  layers = 1, seed = 1 },
                      data = m1, batch = 8, eval_every = 0 }
tap.is(l:objective(), "next_token", "the default objective on a text")
local loss = l:step()
tap.ok(loss > 4 and loss < 7, "a learner steps on it (loss " .. loss .. ")")
os.execute("rm -r '" .. dir .. "'")

-- ---- the Debian files (base-files, libc6-dev) --------------------------

local f1 = io.open("/usr/share/common-licenses/GPL-3")
local f2 = io.open("/usr/include/stdio.h")
if not (f1 and f2) then
  tap.skip(3, "base-files or libc6-dev files missing")
else
  f1:close()
  f2:close()
  local deb = rs.data.text{ sources = { "licenses", "headers" }, T = 128 }
  local di = deb:info()
  tap.is(di.sources[1].path .. " " .. di.sources[2].path,
         "/usr/share/common-licenses /usr/include", "debian: the paths")
  tap.ok(di.sources[1].test.documents > 0 and di.sources[2].test.documents > 0,
         "debian: test documents of both sources")
  local lic = deb:stream{ source = "licenses", L = 4096 }
  local seg = lic:next()
  tap.ok(seg.first and seg.resets[1] == 1 and #seg.text > 0,
         "debian: the licences' test stream starts a document")
  tap.diag(string.format("licenses %d+%d docs %d+%d bytes; headers %d+%d "
                         .. "docs %d+%d bytes",
                         di.sources[1].train.documents,
                         di.sources[1].test.documents,
                         di.sources[1].train.bytes, di.sources[1].test.bytes,
                         di.sources[2].train.documents,
                         di.sources[2].test.documents,
                         di.sources[2].train.bytes, di.sources[2].test.bytes))
end

-- the sequence tasks' token characters have their own name
tap.is(rs.data.token_text(rs.data.tokens("101,?")), "101,?",
       "rs.data.token_text: the token characters")
tap.error_is(function() rs.data.token_text{ 1, 13 } end,
             "rs.data.token_text: bad argument #1 'ids' (entry 2 is not a "
             .. "token id in 0..12)", "rs.data.token_text: its own errors")

-- rs.data.char_labels: one label per byte, glyphs for the invisible ones
tap.is(table.concat(rs.data.char_labels("a b\n\t\1Z"), "|"),
       "a|\u{2423}|b|\u{21B5}|\u{2192}|\u{00B7}|Z",
       "char_labels: printable bytes as themselves, glyphs for the rest")
tap.is(#rs.data.char_labels(""), 0, "char_labels of the empty string")
tap.error_is(function() rs.data.char_labels(3) end,
             "rs.data.char_labels: bad argument #1 's' (string expected, "
             .. "got number)", "char_labels wants a string")
