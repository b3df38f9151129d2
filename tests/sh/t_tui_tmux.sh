#!/bin/sh
# t_tui_tmux.sh: the terminal UI end to end in a real terminal (tmux):
# start the default scene in a 100x30 pane, wait for the step to advance,
# pause and check the step stops, step once, open the help, open the
# console and change a param (and read it back), resize to 80x24 and
# back, quit; then check that the terminal was restored (no alternate
# screen, cursor visible, no mouse reporting), the exit status, and that
# run.jsonl parses to its last line (the quit); then the same after a
# SIGHUP (a dropped SSH link). Every wait polls
# capture-pane for up to 60 s: slowness never fails it, only a missing
# screen does. SKIP without tmux.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
. "$src/tests/sh/tmux.sh"
tmux_require
tmp=$build/tests/tmp/t_tui_tmux.$$
mkdir -p "$tmp" || exit 1
tmux_init
trap tmux_cleanup EXIT INT TERM

n=0
fail=0
ok() { # cond-status description
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
fmt() { T display-message -p -t rs "$1" 2>/dev/null; }

if ! tmux_run rs 100 30 "$tmp/exit" "RS_DATADIR='$src' '$build/repscope' \
     demo_mlp --steps 1000000 --out '$tmp/run' 2>'$tmp/stderr'"; then
    echo "1..0 # SKIP $tmux_nostart"
    exit 0
fi

wait_for RUNNING
ok $? "the UI comes up running"
wait_for "┌ accuracy"
ok $? "the scene's panels show"
s0=$(step)
i=0
while [ $i -lt 600 ]; do
    s1=$(step)
    [ -n "$s0" ] && [ -n "$s1" ] && [ "$s1" -gt "$s0" ] && break
    sleep 0.1
    i=$((i + 1))
done
[ -n "$s1" ] && [ "$s1" -gt "${s0:-0}" ]
ok $? "the step advances ($s0 -> $s1)"

T send-keys -t rs Space
wait_for PAUSED
ok $? "space pauses"
p0=$(step)
sleep 1
p1=$(step)
[ -n "$p0" ] && [ "$p0" = "$p1" ]
ok $? "paused, the step stays ($p0, $p1 a second later)"
T send-keys -t rs s
wait_for "step $(printf '%d' $((p0 + 1)) | sed 's/\(.\)\(...\)$/\1 \2/')/"
ok $? "s runs one step ($p0 -> $((p0 + 1)))"

T send-keys -t rs '?'
wait_for "pause or resume training"
ok $? "? opens the help"
T send-keys -t rs Escape
i=0
while [ $i -lt 600 ] && screen | grep -F -q "pause or resume training"; do
    sleep 0.1
    i=$((i + 1))
done
! screen | grep -F -q "pause or resume training"
ok $? "esc closes it"

T send-keys -t rs :
wait_for "set KEY=VALUE"
ok $? ": opens the console"
send_line 'set lr=0.0001'
wait_for "lr = 0.0001"
ok $? "set lr=0.0001 is applied (the live change is logged)"
send_line 'p.lr * 2'
wait_for "0.0002"
ok $? "a Lua expression runs in the worker and prints"
send_line 'error("oops")'
wait_for "console:1: oops"
ok $? "an error shows in the console, the UI stays"
T send-keys -t rs Escape

T resize-window -t rs -x 80 -y 24
i=0
while [ $i -lt 600 ]; do
    w=$(width)
    [ "$w" = 80 ] && break
    sleep 0.1
    i=$((i + 1))
done
[ "$w" = 80 ] && screen | grep -F -q "┌ accuracy"
ok $? "resized to 80x24: laid out again (row width $w)"
T resize-window -t rs -x 100 -y 30
i=0
while [ $i -lt 600 ]; do
    w=$(width)
    [ "$w" = 100 ] && break
    sleep 0.1
    i=$((i + 1))
done
[ "$w" = 100 ]
ok $? "and back to 100x30"

T send-keys -t rs q
# the shell goes on after repscope (sleep): the terminal's modes are
# read while the pane lives (tmux resets some when a pane dies)
wait_file "$tmp/exit"
ok $? "q quits"
[ "$(cat "$tmp/exit" 2>/dev/null)" = 0 ]
ok $? "exit status 0 ($(cat "$tmp/exit" 2>/dev/null))"
[ "$(fmt '#{alternate_on}')" = 0 ] && [ "$(fmt '#{cursor_flag}')" = 1 ] &&
    [ "$(fmt '#{mouse_any_flag}')" = 0 ]
ok $? "terminal restored (alternate screen $(fmt '#{alternate_on}'), cursor $(fmt '#{cursor_flag}'), mouse $(fmt '#{mouse_any_flag}'))"

log=$tmp/run/run.jsonl
bad=$(awk '!/^\{.*\}$/ { n++ } END { print n + 0 }' "$log" 2>/dev/null)
[ -s "$log" ] && [ "$bad" = 0 ]
ok $? "run.jsonl: every line a whole JSON object ($bad bad)"
if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json, sys
for l in open(sys.argv[1]): json.loads(l)' "$log"
    ok $? "run.jsonl parses to the end (python3 json)"
fi
tail -1 "$log" | grep -q '"kind":"quit"'
ok $? "its last line is the quit"
grep -q '"kind":"checkpoint"' "$log" && [ -s "$tmp/run/ckpt.bin" ]
ok $? "a final checkpoint was written"
grep -q '"kind":"set","text":"lr = 0.0001"' "$log"
ok $? "the param change is recorded"

# SIGHUP (a dropped SSH link): the same clean end, exit status 129. The
# new session starts before the old one goes: killing the server's last
# session first lets the server exit while the next command connects.
tmux_run hup 100 30 "$tmp/hup.exit" "RS_DATADIR='$src' '$build/repscope' \
     demo_mlp --steps 1000000 --out '$tmp/hup' 2>'$tmp/hup.err'"
T kill-session -t rs
i=0
while [ $i -lt 600 ] && ! screen hup | grep -q RUNNING; do
    sleep 0.1
    i=$((i + 1))
done
# repscope is the child of the pane's shell (it may have re-executed
# itself: same pid, another name)
pid=$(ps -o pid= --ppid "$(T display-message -p -t hup '#{pane_pid}')" |
    head -1 | tr -d ' ')
[ -n "$pid" ] && kill -HUP "$pid"
wait_file "$tmp/hup.exit"
[ "$(cat "$tmp/hup.exit" 2>/dev/null)" = 129 ]
ok $? "SIGHUP ends it with status 129 ($(cat "$tmp/hup.exit" 2>/dev/null))"
[ "$(T display-message -p -t hup '#{alternate_on}')" = 0 ] &&
    [ "$(T display-message -p -t hup '#{cursor_flag}')" = 1 ]
ok $? "SIGHUP: terminal restored"
tail -1 "$tmp/hup/run.jsonl" | grep -q '"kind":"quit"' &&
    [ -s "$tmp/hup/ckpt.bin" ]
ok $? "SIGHUP: log flushed to the quit, final checkpoint written"

echo "1..$n"
[ $fail = 0 ] && rm -rf "$tmp"
exit $fail
