#!/bin/sh
# t_tour.sh: a scene's tour played in a real terminal (tmux, 100x30), as
# a presenter would: the test fixture tests/data/scenes/tour_mini.lua
# shows page 1 in the notes panel with its panel focused; n to page 2,
# which zooms "loss" and pauses at step 30 saying why; n resumes to page
# 3, which focuses panel 3 and pauses when norm/weight has a value; n
# restarts into chapter b (other panels), zooms its norms panel and
# pauses at step 20 of the new run exactly; p goes back without a
# restart; P hides the key bar; the help lists n and p. Then the shipped
# tour (scenes/tour.lua) shows its first page. Every wait polls capture-pane
# for up to 60 s: slowness never fails it. SKIP without tmux.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
. "$src/tests/sh/tmux.sh"
tmux_require
tmp=$build/tests/tmp/t_tour.$$
mkdir -p "$tmp" || exit 1
tmux_init
cleanup() { tmux_cleanup; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

n=0
fail=0
ok() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
# the panel whose title row starts the body (row 2): a zoomed panel's
second_row() { screen | sed -n 2p; }

start() { # scene
    tmux_run rs 100 30 "$tmp/exit" "RS_DATADIR='$src' '$build/repscope' \
         '$1' --out '$tmp/run' 2>'$tmp/stderr'"
}
if ! start "$src/tests/data/scenes/tour_mini.lua"; then
    echo "1..0 # SKIP $tmux_nostart"
    exit 0
fi

wait_for "tour 1/4 · start"
ok $? "page 1 shows in the notes panel"
wait_for "MINI PAGE ONE"
ok $? "with its text"
screen | tail -1 | grep -F -q "n/p tour"
ok $? "the key bar says n/p turn the pages"

T send-keys -t rs n
wait_for "tour 2/4 · thirty"
ok $? "n: page 2"
wait_for "PAUSED"
ok $? "page 2 pauses the run"
wait_for "REACHED THIRTY."
ok $? "and says why"
s=$(step)
[ -n "$s" ] && [ "$s" -ge 30 ]
ok $? "at or after step 30 ($s)"
second_row | grep -F -q "┌ loss "
ok $? "page 2 zooms the loss panel"
screen | grep -F -q "┌ accuracy"
[ $? != 0 ]
ok $? "and only it"

T send-keys -t rs n
wait_for "tour 3/4 · norm"
ok $? "n: page 3"
wait_for "NORM SEEN."
ok $? "page 3 pauses when norm/weight has a value, and says why"
wait_for "PAUSED"
ok $? "paused again"
screen | grep -F -q "┌ accuracy"
ok $? "page 3 does not zoom: the grid is back"

T send-keys -t rs n
wait_for "tour 4/4 · chapter b"
ok $? "n: page 4"
wait_for "┌ norms in chapter b"
ok $? "the restart shows chapter b's panels"
second_row | grep -F -q "┌ norms in chapter b"
ok $? "zoomed on its norms panel"
wait_for "CHAPTER B AT TWENTY."
ok $? "page 4 pauses at step 20 of the new run"
# the page names the step: exactly 20, though the fixture runs thousands
# of steps a second (the worker was asked to pause there with the
# restart, not a frame later)
at=$(screen | sed -n 's/.*Step \([0-9][0-9 ]*\): CHAPTER B.*/\1/p' | tr -d ' ')
[ "$at" = 20 ]
ok $? "the new run paused at step 20 itself ($at)"

T send-keys -t rs p
wait_for "tour 3/4 · norm"
ok $? "p: back to page 3"
sleep 0.5
screen | grep -F -q "┌ norms in chapter b"
ok $? "going back restarts nothing (chapter b's panels stay)"

T send-keys -t rs P
i=0
while [ $i -lt 100 ] && screen | tail -1 | grep -F -q "? help"; do
    sleep 0.1
    i=$((i + 1))
done
screen | tail -1 | grep -F -q "? help"
[ $? != 0 ]
ok $? "P: presenter mode hides the key bar"
T send-keys -t rs P
wait_for "? help"
ok $? "P again shows it"

T send-keys -t rs '?'
for k in 1 2 3 4 5 6; do T send-keys -t rs NPage; sleep 0.1; done
wait_for "next page of the scene's tour"
ok $? "the help lists n"
wait_for "previous page of the tour"
ok $? "and p"
T send-keys -t rs Escape
T send-keys -t rs q
wait_file "$tmp/exit"
[ "$(cat "$tmp/exit" 2>/dev/null)" = 0 ]
ok $? "q quits with status 0"
grep -F -q '\"tour\":[{' "$tmp/run/run.jsonl" 2>/dev/null
ok $? "the tour is recorded with the view specs (attach shows it)"
T kill-session -t rs >/dev/null 2>&1

# the shipped tour: its first page
rm -rf "$tmp/run" "$tmp/exit"
start tour
wait_for "tour 1/8 · welcome"
ok $? "scenes/tour.lua: page 1 of 8"
wait_for "This tour shows three things"
ok $? "with its text"
T send-keys -t rs q

echo "1..$n"
exit $fail
