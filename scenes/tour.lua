-- repscope - MIT licence, see COPYING.
--
-- tour.lua: a guided tour for a newcomer, three phenomena in three
-- chapters: grokking (scenes/grokking.lua), counting that fails on long
-- inputs (scenes/oversquash.lua) and representational collapse, one
-- reason why (scenes/collapse.lua; both from "Transformers need
-- glasses!", arXiv 2406.04267). The chapters are those scenes themselves,
-- loaded with require (a scene's directory is on package.path) and run
-- with their default params: the param `chapter` picks which one setup
-- builds, and the tour's first page of each chapter sets it and restarts
-- the scene (restart = { chapter = ... }). The pages are the notes panel;
-- n and p turn them, and a page may pause the run at a step or when a
-- series passes a value and say why.
--
-- Timing on the shared 2-core machine (one run each, the chapters'
-- own measurements): grokking's train accuracy passes 0.99 near step 1.4k
-- and its test accuracy 0.5 near 4.5k (47-90 steps/s: 1-2 minutes);
-- oversquash's count model passes 0.9 at length 16 between steps 1.5k
-- and 3k (74 s for all 3k; ~55 steps/s under the UI); collapse reaches
-- n = 1024 in seconds. With reading, the tour takes 6 to 9 minutes.

local rs = require "repscope"

local chapters = {
  grokking = require "grokking",
  collapse = require "collapse",
  oversquash = require "oversquash",
}
-- The order of the chapters: rs.end_at only ever shortens a run, so
-- each chapter is no longer than the one before it (7000, 3000, 2048).
local ORDER = { "grokking", "oversquash", "collapse" }

-- A chapter's params: its scene's defaults (the tour passes no overrides
-- down; run the chapter's scene itself to try other values).
local function chapter_params(name)
  local p = {}
  for _, spec in ipairs(chapters[name]._params) do
    p[spec.name] = spec.default
  end
  return setmetatable(p, {
    __index = function(_, k)
      error(string.format("%s has no param '%s'", name, tostring(k)), 2)
    end,
  })
end

local cur, cur_p -- the chapter setup built and its params

return rs.scene{
  title = "A tour: grokking, counting, collapse",
  notes = "A guided tour in three chapters: n and p turn its pages.",
  steps = 7000,
  params = {
    chapter = { "grokking", choices = ORDER,
                help = "the chapter setup builds (the tour sets it)" },
  },

  setup = function(p)
    cur, cur_p = chapters[p.chapter], chapter_params(p.chapter)
    rs.end_at(cur.steps)
    if cur.setup ~= nil then return cur.setup(cur_p) end
  end,

  step = function(ctx)
    if cur.step ~= nil then
      cur.step(setmetatable({ p = cur_p }, { __index = ctx }))
    end
  end,

  probes = function() return cur.probes end,
  views = function() return cur.views end,

  tour = {
    -- chapter 1: grokking
    { title = "welcome",
      focus = "accuracy",
      text = [[
This tour shows three things neural nets do, one chapter each. A deep MLP
is learning (a + b) mod 97 from half of all pairs. The focused panel (a
bright border) is its accuracy: train in one colour, test in another.
n turns to the next page, p goes back, space pauses. The tour pauses the
run where there is something to see.]] },
    { title = "memorising",
      focus = "accuracy",
      when = { series = "train/acc", above = 0.99 },
      text = [[
Watch the train accuracy climb while the test accuracy stays near zero:
the net is learning the pairs it sees, not the rule.]],
      why = [[
It fits every training pair, yet gets almost every unseen pair wrong: it
has memorised. Keep watching: n resumes.]] },
    { title = "the rank falls",
      focus = "srank by layer",
      when = { series = "test/acc", above = 0.5 },
      text = [[
Each row is a layer (l1 at the top), each column a moment; the shade is
the layer's effective rank (srank). Weight decay squeezes the layers
near the output first, then deeper ones.]],
      why = [[
Test accuracy passed 0.5: the net found the rule, long after it fitted
the data. This is grokking. The rank collapsed layer by layer just
before the jump.]] },
    { title = "where the rule lives",
      focus = "linear probe", zoom = true,
      at_step = 5500,
      text = [[
A linear probe per layer: how well a straight line through that layer's
activations reads the answer (bright: well). Every layer is at chance
until the jump.]],
      why = [[
Now l6 reads the rule first, the middle layers close behind; l1 never
does. n starts the next chapter.]] },
    -- chapter 2: counting fails on long inputs first
    { title = "counting is hard",
      restart = { chapter = "oversquash" },
      focus = "count: accuracy by length",
      when = { series = "count/acc/len16", above = 0.9 },
      text = [[
Chapter 2. Four small transformers learn to copy the first digit, copy
the last, count the ones, and count with separators. Copying is learned
in a few hundred steps. The focused chart is counting, by string length.]],
      why = [[
Counting is right at length 16 while length 32 still fails: long inputs
are learned last, if at all. The next chapter shows one reason.]] },
    { title = "tasks by length",
      focus = "accuracy by task and length", zoom = true,
      text = [[
Rows are tasks, columns string lengths, bright is right. Copying is
solved everywhere; counting fades towards the long end. n starts the
last chapter.]] },
    -- chapter 3: representational collapse
    { title = "two inputs, one answer",
      restart = { chapter = "collapse" },
      focus = "collapse", zoom = true,
      at_step = 1024,
      text = [[
Chapter 3. A random transformer reads 1 1 ... 1 0 and the same with one
more 0. Each step is one length n (x axis, log). The curve is how far
apart the last token's final representations are: it falls like 1/n.]],
      why = [[
At n = 1024 the fp32 distance is far under bf16's resolution (the
bf16/res line): a bf16 model cannot tell the two inputs apart, so it
cannot count them. Over-squashing, seen from the representations.]] },
    { title = "separators help",
      focus = "separators",
      text = [[
With a ',' every few tokens the two sequences stay apart for longer:
the separator curves lie above the plain fp32 one. That is the tour.
Each chapter is a scene of its own (repscope grokking, oversquash,
collapse); --set changes their params. q quits.]] },
  },
}
