-- t_griffin.lua: rs.nn.griffin: the resolved config, the parameter count
-- against the formula, the decoder (prompt, step, pos, reset; state bytes
-- flat for Hawk and for Griffin past its window, growing for window 0;
-- greedy sampling equal to the argmax of the stepped logits, seeded
-- sampling repeatable), learners (Hawk, Griffin) with next_token on a
-- repeated text whose loss falls, and argument errors word for word.
local tap = require "tap"
local rs = require "repscope"

-- config and parameter count
local hawk = rs.nn.griffin{ vocab = 256, d = 16, layers = 2, pattern = "R",
                            heads = 2, mlp_mult = 2, seed = 3 }
local c = hawk:config()
tap.is(c.pattern, "R", "pattern")
tap.is(c.lru_width, 16, "lru_width defaults to d")
tap.is(c.window, 32, "window defaults to 32")
tap.is(c.conv_width, 4, "conv_width defaults to 4")
tap.is(c.embed_scale, true, "embed_scale defaults to true")
tap.is(c.soft_cap, 0.0, "soft_cap defaults to 0 (off)")
tap.is(c.seed, 3, "seed")
do
  local d, L, V, M, K, w = 16, 16, 256, 32, 4, 8
  local rec = 2 * (L * d + L) + K * L + L + 2 * (2 * w * w + L) + L
              + d * L + d
  local layer = 2 * d + rec + 2 * (M * d + M) + d * M + d
  tap.is(hawk:params(), V * d + 2 * layer + d, "params() by the formula")
end
tap.like(tostring(hawk), "^griffin%(pattern R, vocab 256, d 16, 2 layers",
         "tostring")
tap.is(hawk:kind(), "griffin", "a module of kind griffin")
tap.is(#hawk:layers(), 2, "two probe-able layers")

-- the decoder
local dec = hawk:decoder()
tap.is(dec:pos(), 0, "a new decoder is at position 0")
tap.is(dec:state_bytes(), 2 * (16 + 3 * 16) * 4, "hawk: state bytes at 0")
local lg = dec:prompt("hello")
tap.is(table.concat(lg:shape(), "x"), "256", "prompt -> logits (vocab)")
tap.is(dec:pos(), 5, "prompt of 5 bytes: position 5")
tap.is(dec:state_bytes(), 2 * (16 + 3 * 16) * 4, "hawk: state bytes flat")
local best, bi = -math.huge, 0
for i, v in ipairs(lg:totable()) do
  if v > best then best, bi = v, i - 1 end
end
local s = dec:sample{ n = 1, temperature = 0 }
tap.is(s:byte(), bi, "temperature 0: the argmax of the logits")
dec:reset()
tap.is(dec:pos(), 0, "reset: position 0")
local lg2 = dec:prompt{ 104, 101, 108, 108, 111 }
local same = true
for i, v in ipairs(lg:totable()) do same = same and lg2:totable()[i] == v end
tap.ok(same, "a prompt of ids = the same prompt as a string")
local a = dec:sample{ n = 20, temperature = 1, seed = 9 }
tap.is(#a, 20, "sample n = 20: 20 bytes")
tap.is(dec:pos(), 25, "sampled bytes are fed back")
dec:reset()
dec:prompt("hello")
tap.is(dec:sample{ n = 20, temperature = 1, seed = 9 }, a,
       "the same seed, the same sample")
local st = dec:step(65)
tap.is(table.concat(st:shape(), "x"), "256", "step -> logits")
local d3 = hawk:decoder{ batch = 3 }
tap.is(table.concat(d3:prompt("ab"):shape(), "x"), "3x256",
       "batch 3: logits (3, vocab)")
tap.is(table.concat(d3:step{ 1, 2, 3 }:shape(), "x"), "3x256",
       "batch 3: a step of 3 ids")
local many = d3:sample{ n = 4, temperature = 0 }
tap.ok(#many == 3 and #many[1] == 4 and #many[3] == 4,
       "batch 3: three samples of 4 bytes")
tap.like(tostring(d3), "^decoder%(batch 3, position 7, ", "decoder tostring")
d3:reset()
d3:prompt("ab")
many = d3:sample{ n = 4, temperature = 0 }
tap.ok(many[1] == many[2] and many[2] == many[3],
       "rows fed the same prompt sample the same greedy text")

-- Griffin (R, R, A, window 8) and the transformer (A, window 0)
local gr = rs.nn.griffin{ d = 16, layers = 3, window = 8, seed = 1 }
local gd = gr:decoder()
gd:prompt(string.rep("a", 8))
local at8 = gd:state_bytes()
tap.is(at8, 2 * (16 + 3 * 16) * 4 + 2 * 8 * 8 * 4,
       "griffin: two recurrent layers' state + 8 keys and values of hd 8")
gd:prompt(string.rep("b", 40))
tap.is(gd:state_bytes(), at8, "griffin: state bytes flat after the window")
local tf = rs.nn.griffin{ d = 16, layers = 2, pattern = "A", window = 0 }
local td = tf:decoder()
td:prompt("abcd")
tap.is(td:state_bytes(), 2 * 2 * 4 * 8 * 4, "transformer: 2 layers x 4 keys")
td:prompt(string.rep("e", 96))
tap.is(td:state_bytes(), 2 * 2 * 100 * 8 * 4,
       "transformer: the cache grows with every position (100 keys)")

-- a learner with next_token on a repeated text: the loss falls
local dir = tap.tmpdir() .. "/lua_griffin"
os.execute("rm -rf '" .. dir .. "'; mkdir -p '" .. dir .. "'")
local f = assert(io.open(dir .. "/rep.txt", "wb"))
f:write(string.rep("the cat sat on the mat. ", 40))
f:close()
local src = rs.data.text{ sources = { dir }, T = 24, test_frac = 0 }
local l = rs.learner{ model = rs.nn.griffin{ d = 16, layers = 2,
                                             pattern = "R", seed = 1 },
                      data = src, batch = 8, eval_every = 0, seed = 2,
                      optim = rs.optim.adamw{ lr = 1e-2 } }
tap.is(l:objective(), "next_token", "next_token on a text")
local first = l:step()
local last
for _ = 1, 60 do last = l:step() end
tap.diag(string.format("hawk on a repeated string: loss %.3f -> %.3f",
                       first, last))
tap.ok(first > 4.5 and last < 1.0, "hawk learns a repeated string")
l = rs.learner{ model = rs.nn.griffin{ d = 16, layers = 3, window = 8,
                                       seed = 1 },
                data = src, batch = 8, eval_every = 0, seed = 2,
                optim = rs.optim.adamw{ lr = 1e-2 } }
first = l:step()
for _ = 1, 60 do last = l:step() end
tap.diag(string.format("griffin on a repeated string: loss %.3f -> %.3f",
                       first, last))
tap.ok(first > 4.5 and last < 1.0, "griffin learns a repeated string")
os.execute("rm -r '" .. dir .. "'")

-- errors, word for word
local fn = "rs.nn.griffin"
tap.error_is(function() return rs.nn.griffin(3) end,
             fn .. ": bad argument #1 'config' (table expected, got number)",
             "config must be a table")
tap.error_like(function() return rs.nn.griffin{ width = 3 } end,
               fn .. ": unknown field 'width' %(known: vocab, d, ",
               "unknown field")
tap.error_is(function() return rs.nn.griffin{ pattern = "RXA" } end,
             fn .. ": pattern \"RXA\": letter 2 is 'X' (R or A expected)",
             "a bad pattern letter")
tap.error_is(function() return rs.nn.griffin{ pattern = "" } end,
             fn .. ": bad field 'pattern' (1..16 letters expected, got 0)",
             "an empty pattern")
tap.error_is(function() return rs.nn.griffin{ d = 6, heads = 4 } end,
             fn .. ": heads = 4 does not divide d = 6", "heads")
tap.error_is(function() return rs.nn.griffin{ d = 12, heads = 2 } end,
             fn .. ": head size d / heads = 12 / 2 = 6 is not a multiple of "
             .. "4 (RoPE rotates pairs in the first half of each head)",
             "attention head size")
tap.error_is(function() return rs.nn.griffin{ layers = 0 } end,
             fn .. ": bad field 'layers' (0 is outside 1..64)", "layers 0")
tap.error_is(function() return rs.nn.griffin{ soft_cap = -1 } end,
             fn .. ": bad field 'soft_cap' (-1 is not a finite number >= 0)",
             "soft_cap < 0")
tap.error_is(function() return rs.nn.griffin{ embed_scale = 1 } end,
             fn .. ": bad field 'embed_scale' (boolean expected, got number)",
             "embed_scale must be a boolean")
tap.error_is(function() return hawk:decoder{ batch = 0 } end,
             "griffin:decoder: bad field 'batch' (0 is outside 1..1048576)",
             "decoder: batch 0")
tap.error_is(function() return hawk:decoder{ rows = 2 } end,
             "griffin:decoder: unknown field 'rows' (known: batch)",
             "decoder: unknown field")
local fresh = hawk:decoder()
tap.error_is(function() return fresh:sample{ n = 3 } end,
             "decoder:sample: nothing to continue (give a prompt first)",
             "sample before a prompt")
tap.error_is(function() return fresh:sample{ temperature = 1 } end,
             "decoder:sample: field 'n' is required", "sample: n required")
tap.error_is(function() return fresh:sample{ n = 1, temperature = -1 } end,
             "decoder:sample: bad field 'temperature' (-1 is not a finite "
             .. "number >= 0)", "sample: temperature < 0")
tap.error_is(function() return fresh:step(256) end,
             "decoder:step: bad argument #1 'id' (token id 256 outside 0..255)",
             "step: id out of range")
tap.error_is(function() return fresh:step("a") end,
             "decoder:step: bad argument #1 'id' (integer expected, got string)",
             "step: not a number")
tap.error_is(function() return fresh:prompt("") end,
             "decoder:prompt: bad argument #1 'prompt' (a non-empty string "
             .. "or list expected)", "prompt: empty")
tap.error_is(function() return fresh:prompt{ 1, 300 } end,
             "decoder:prompt: bad argument #1 'prompt' (entry 2: token id 300 "
             .. "outside 0..255)", "prompt: id out of range")
tap.error_is(function() return fresh:prompt(true) end,
             "decoder:prompt: bad argument #1 'prompt' (string or table "
             .. "expected, got boolean)", "prompt: a boolean")
local small = rs.nn.griffin{ vocab = 10, d = 8, layers = 1, pattern = "R" }
tap.error_is(function() return small:decoder():prompt("a") end,
             "decoder:prompt: bad argument #1 'prompt' (byte 1 is 97, outside "
             .. "the vocab of 10)", "prompt: a byte outside the vocab")
fresh:release()
tap.error_is(function() return fresh:pos() end,
             "decoder:pos: attempt to use a released decoder",
             "a released decoder")
tap.error_is(function() return hawk.config(3) end,
             "griffin:config: bad self (griffin expected, got number)",
             "config on a number")
local gone = rs.nn.griffin{ d = 8, layers = 1, pattern = "R" }
local keep = gone:decoder()
gone:release()
tap.error_is(function() return gone:params() end,
             "griffin:params: attempt to use a released griffin",
             "a released griffin")
tap.is(#keep:prompt("ok"):totable(), 256,
       "a decoder outlives the released model handle")
tap.done()
