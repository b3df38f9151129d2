-- t_objsparc.lua: the image-text objective specs rs.objective.clip{} and
-- rs.objective.sparc{...} (lua/l_objsparc.c): defaults, every field
-- kept, bad fields refused naming the field, and a learner on a source
-- that is not an image-text pair refused by the objective's check.
local tap = require "tap"
local rs = require "repscope"

local c = rs.objective.clip{}
tap.is(c.kind, "clip", "clip's kind")
tap.is(tostring(c), "objective (clip)", "tostring")
tap.is(rs.objective.clip().kind, "clip", "clip without a table")

local s = rs.objective.sparc{}
tap.is(s.kind, "sparc", "sparc's kind")
tap.ok(s.lambda_g == 0.5 and s.lambda_f == 1 and s.sigma_mult == 1 and
       s.sparse == true and s.align == "minmax" and
       s.negatives == "caption" and s.tau_f == false,
       "the paper's defaults")
local t = rs.objective.sparc{ lambda_g = 1, lambda_f = 5, sigma_mult = 2,
                              sparse = false, align = "softmax",
                              negatives = "batch", tau_f = true }
tap.ok(t.lambda_g == 1 and t.lambda_f == 5 and t.sigma_mult == 2 and
       t.sparse == false and t.align == "softmax" and
       t.negatives == "batch" and t.tau_f == true, "every field kept")

tap.error_like(function() return rs.objective.sparc{ lambda_f = -1 } end,
  "lambda_f = %-1", "a negative lambda_f")
tap.error_like(function() return rs.objective.sparc{ lambda_g = 0, lambda_f = 0 } end,
  "both 0", "both weights 0")
tap.error_like(function() return rs.objective.sparc{ align = "max" } end,
  "align", "an unknown align")
tap.error_like(function() return rs.objective.sparc{ negatives = "all" } end,
  "negatives", "unknown negatives")
tap.error_like(function() return rs.objective.sparc{ lamda_f = 1 } end,
  "lamda_f", "a misspelt field")
tap.error_like(function() return rs.objective.clip{ lambda_g = 1 } end,
  "lambda_g", "clip takes no field")

local data = rs.data.modular{ p = 5, train_frac = 0.5, seed = 1 }
tap.error_is(function()
  return rs.learner{ model = rs.nn.mlp{ input = data:input_dim(), width = 4,
                                        output = data:classes() },
                     data = data, objective = rs.objective.sparc{} }
end, "rs.learner: 1 modules (image encoder, text encoder, log-temperature are needed) (sparc)",
  "a one-module learner is refused by sparc, naming it at the end")

tap.done()
