-- t_json.lua: repscope.json (rs.json), the C codec's Lua binding: the
-- text encode writes (sorted keys, arrays by their keys or a mark, the
-- number forms the params record has always had), the errors that name
-- the path, decode and the round trip, the argument checks.
local tap = require "tap"
local rs = require "repscope"
local json = require "repscope.json"

tap.is(rs.json, json, "rs.json is the repscope.json module")

-- encode: the forms scene.lua relies on
tap.is(json.encode({ width = 16, lr = 0.01, clip = 0.0, bias = true,
                     norm = "none" }),
       '{"bias":true,"clip":0.0,"lr":0.01,"norm":"none","width":16}',
       "keys sorted; integers, floats (2.0 keeps its point), booleans")
tap.is(json.encode({ 3, 2, 1 }), "[3,2,1]", "a sequence is an array")
tap.is(json.encode({}), "{}", "an empty table is an object")
tap.is(json.encode(json.array({})), "[]", "an empty table marked as an array")
tap.error_is(function() json.encode({ [1] = "a", [3] = "c" }) end,
  "rs.json.encode: bad argument #1 'value' (a number key (keys must be " ..
  "strings) at value)", "holes make an object, whose keys must be strings")
tap.error_like(function() json.encode({ "a", "b", n = 2 }) end,
  "a number key %(keys must be strings%) at value", "mixed keys: an error")
tap.is(json.encode({ ["b"] = 1, ["a"] = { x = { 1, 2 } } }),
       '{"a":{"x":[1,2]},"b":1}', "nested")
tap.is(json.encode(1 / 3), "0.3333333333333333", "shortest exact digits")
tap.is(json.encode(0.1 + 0.2), "0.30000000000000004", "17 when needed")
tap.is(json.encode(3e-4), "0.0003", "3e-4")
tap.is(json.encode(1e300 * 1e10), "null", "inf as null")
tap.is(json.encode(0 / 0), "null", "NaN as null")
tap.is(json.encode(math.mininteger), "-9223372036854775808",
       "integers exactly")
tap.is(json.encode(nil), "null", "nil")
tap.is(json.encode(json.null), "null", "json.null")
tap.is(json.encode('a"b\\c\n\t\1'), '"a\\"b\\\\c\\n\\t\\u0001"',
       "string escapes")
tap.is(json.encode("caf\xc3\xa9 \xff"), '"caf\xc3\xa9 \\ufffd"',
       "UTF-8 kept, an invalid byte as U+FFFD")
tap.is(json.encode("a\0b"), '"a\\u0000b"', "an embedded NUL")

-- errors name the path
tap.error_is(function() json.encode({ views = { {}, { f = print } } }, "views")
  end, "rs.json.encode: bad argument #1 'value' (cannot encode a function " ..
  "at views.views[2].f)", "a function, with its path")
local cyc = {}
cyc.self = cyc
tap.error_is(function() json.encode(cyc) end,
  "rs.json.encode: bad argument #1 'value' (a cycle at value.self)",
  "a cycle")
local shared = { 1 }
tap.is(json.encode({ a = shared, b = shared }), '{"a":[1],"b":[1]}',
       "a table seen twice is no cycle")
local deep = {}
local t = deep
for _ = 1, 70 do t[1] = {}; t = t[1] end
tap.error_like(function() json.encode(deep) end,
  "tables nested deeper than 64 at value%[1%]", "nesting is bounded")
tap.error_is(function() json.encode(coroutine.create(print)) end,
  "rs.json.encode: bad argument #1 'value' (cannot encode a thread at " ..
  "value)", "a thread")
tap.error_is(function() json.encode({}, 5) end,
  "rs.json.encode: bad argument #2 'path' (string expected, got number)",
  "path must be a string")
tap.error_is(function() json.array("x") end,
  "rs.json.array: bad argument #1 't' (table expected, got string)",
  "array takes a table")
tap.error_is(function() json.decode({}) end,
  "rs.json.decode: bad argument #1 'text' (string expected, got table)",
  "decode takes a string")

-- decode
local v = json.decode(' {"a": [1, 2.5, "x", null, true], "b": {}, ' ..
                      '"c": [], "d": "\\u00e9\\ud83d\\ude00"} ')
tap.is(math.type(v.a[1]), "integer", "1 decodes as an integer")
tap.is(v.a[2], 2.5, "2.5")
tap.is(v.a[4], json.null, "null as json.null")
tap.is(v.a[5], true, "true")
tap.is(v.d, "\xc3\xa9\xf0\x9f\x98\x80", "\\u escapes and a surrogate pair")
tap.is(json.encode(v),
       '{"a":[1,2.5,"x",null,true],"b":{},"c":[],"d":"\xc3\xa9\xf0\x9f\x98\x80"}',
       "decode then encode: the same value (empty array stays an array)")
local text = json.encode({ p = { 97, 0.1, -2.0 }, s = "q\"", n = json.null })
tap.is(json.encode(json.decode(text)), text, "round trip")
local bad, msg = json.decode("[1,]")
tap.is(bad, nil, "malformed: nil")
tap.is(msg, "JSON offset 3: a value expected, found ']'",
       "and the message with the offset")
bad, msg = json.decode("")
tap.is(msg, "JSON offset 0: a value expected, found the end of the text",
       "empty text")
tap.is(select("#", json.decode("null")), 1, "null decodes to one value")
tap.is(json.decode("null"), json.null, "json.null at the top")
tap.is(json.decode("\"a\\u0000b\""), "a\0b", "an embedded NUL decodes")
tap.done()
