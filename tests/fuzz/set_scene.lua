-- repscope - MIT licence, see COPYING.
--
-- set_scene.lua: a scene for tests/fuzz/fuzz_set.c, with a param of
-- every type (integer, number, boolean, string) and every constraint
-- (min, max, choices) that --set and the console's set parse values
-- for. It is only loaded, never set up or trained.

local rs = require "repscope"

return rs.scene{
  title = "fuzz: params",
  steps = 10,
  params = {
    p = { 97, min = 5, max = 211 },
    width = 16,
    frac = { 0.5, min = 0.05, max = 0.95 },
    lr = { 2e-3, min = 0 },
    big = { 1e300 },
    flag = true,
    name = "x",
    act = { "relu", choices = { "relu", "tanh", "gelu" } },
    k = { 3, choices = { 1, 3, 5 } },
    r = { 0.25, choices = { 0.25, 0.5 } },
  },
  setup = function(p)
    return nil
  end,
}
