#!/bin/sh
# t_replay.sh: exact replay end to end. A scripted tmux session (100x30)
# of demo_mlp: pause, two single steps, live changes from the console
# (set lr, set weight_decay, Lua that changes the learner), resume, a
# checkpoint, more steps, quit. Then: run.jsonl holds the action lines
# (each with the step it was applied after), attach still reads the run,
# `repscope replay --headless` re-runs it, and the replay's final
# ckpt.bin equals the original's byte for byte (its FNV-1a checksum, the
# last 8 bytes, printed); an interactive replay in tmux ends at the
# recorded quit's step and gives the same checkpoint; the refusals name
# the file. A run killed with -9 after a pause and a live set, then
# resumed headless, replays to the resumed run's checkpoint (the
# actions the kill undid left out). Every wait polls for up to 60 s:
# slowness never fails it.
# SKIP without tmux.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
. "$src/tests/sh/tmux.sh"
tmux_require
tmp=$build/tests/tmp/t_replay.$$
mkdir -p "$tmp" || exit 1
tmux_init
trap tmux_cleanup EXIT INT TERM

n=0
fail=0
ok() { # cond-status description
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
# wait_step_past N: poll until the status line's step is above N
wait_step_past() {
    i=0
    while [ $i -lt 600 ]; do
        s=$(step)
        [ -n "$s" ] && [ "$s" -gt "$1" ] && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
# the checkpoint's checksum: its last 8 bytes, as hex
sum() { tail -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n'; }

if ! tmux_run rs 100 30 "$tmp/exit" "RS_DATADIR='$src' '$build/repscope' \
     demo_mlp --steps 1000000 --out '$tmp/run' 2>'$tmp/stderr'"; then
    echo "1..0 # SKIP $tmux_nostart"
    exit 0
fi

wait_for RUNNING
ok $? "the UI comes up running"
wait_step_past 20
T send-keys -t rs Space
wait_for PAUSED
ok $? "space pauses"
p0=$(step)
T send-keys -t rs s
wait_step_past "$p0"
T send-keys -t rs s
wait_step_past "$((p0 + 1))"
ok $? "two single steps ($p0 -> $(step))"
T send-keys -t rs :
send_line 'set lr=0.0003'
wait_for "lr = 0.0003"
ok $? "set lr=0.0003 from the console"
send_line 'set weight_decay=0.5'
wait_for "weight_decay = 0.5"
send_line 'tr:set{weight_decay = 0.25}; print("wd set")'
wait_for "wd set"
ok $? "set weight_decay=0.5, then Lua that sets it to 0.25, from the console"
T send-keys -t rs Escape
T send-keys -t rs Space
wait_for RUNNING
s1=$(step)
wait_step_past "$((s1 + 30))"
ok $? "resumed ($s1 -> $(step))"
T send-keys -t rs c
wait_for "checkpoint written"
ok $? "c writes a checkpoint"
s2=$(step)
wait_step_past "$((s2 + 30))"
T send-keys -t rs :
send_line 'set lr=0.001'
wait_for "lr = 0.001"
T send-keys -t rs Escape
s3=$(step)
wait_step_past "$((s3 + 20))"
T send-keys -t rs q
wait_file "$tmp/exit"
[ "$(cat "$tmp/exit" 2>/dev/null)" = 0 ]
ok $? "q quits with status 0 ($(cat "$tmp/exit" 2>/dev/null))"

log=$tmp/run/run.jsonl
# the console's Lua line as recorded (JSON string escapes)
lua_line='"do":"eval","code":"tr:set{weight_decay = 0.25}; print(\"wd set\")"'
lua_line="$lua_line,\"ok\":true"
acts=$(grep -c '^{"type":"action"' "$log" 2>/dev/null)
echo "# $acts action lines:"
grep '^{"type":"action"' "$log" | sed 's/^/#   /'
pause_line="{\"type\":\"action\",\"after_step\":$p0,\"do\":\"pause\","
pause_line="$pause_line\"ok\":true}"
grep -q -x -F "$pause_line" "$log" &&
    grep -q "\"after_step\":$p0,\"do\":\"step\",\"n\":1," "$log" &&
    grep -q "\"after_step\":$((p0 + 1)),\"do\":\"step\",\"n\":1," "$log"
ok $? "the pause and the steps are recorded after step $p0 and $((p0 + 1))"
grep -q '"do":"set","key":"lr","value":"0.0003","ok":true' "$log" &&
    grep -q '"do":"set","key":"weight_decay","value":"0.5","ok":true' "$log" &&
    grep -q -F "$lua_line" "$log"
ok $? "the sets (as typed) and the Lua are recorded, applied without error"
grep -q '"do":"resume"' "$log" &&
    grep -q '"do":"checkpoint","ok":true' "$log" &&
    grep -q '"do":"quit"' "$log"
ok $? "resume, checkpoint and quit are recorded"
tail -1 "$log" | grep -q '"kind":"quit"'
ok $? "the quit event is still the last line"
if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json, sys
for l in open(sys.argv[1]): json.loads(l)' "$log"
    ok $? "run.jsonl parses to the end (python3 json)"
fi
RS_DATADIR=$src "$build/repscope" attach --frame --size 100x30 "$tmp/run" \
    >"$tmp/attach.txt" 2>"$tmp/attach.err"
rc=$?
[ $rc = 0 ] && grep -F -q "accuracy" "$tmp/attach.txt" &&
    ! grep -F -q "malformed" "$tmp/attach.txt"
ok $? "attach reads the run with its action lines (status $rc)"

RS_DATADIR=$src "$build/repscope" replay --headless "$tmp/run" \
    --out "$tmp/replay" >"$tmp/replay.out" 2>"$tmp/replay.err"
rc=$?
[ $rc = 0 ]
ok $? "replay --headless exits 0 ($rc)"
grep -F -q "replaying $tmp/run ($acts actions) into $tmp/replay" \
    "$tmp/replay.err"
ok $? "it says what it replays into ($(head -2 "$tmp/replay.err" | tail -1))"
a=$(sum "$tmp/run/ckpt.bin")
b=$(sum "$tmp/replay/ckpt.bin")
echo "# checksums: recorded $a, replayed $b"
[ -n "$a" ] && [ "$a" = "$b" ] &&
    cmp -s "$tmp/run/ckpt.bin" "$tmp/replay/ckpt.bin"
ok $? "the final checkpoints are identical (checksum $a)"
[ "$(grep -c '^{"type":"action"' "$tmp/replay/run.jsonl")" -ge 5 ] &&
    grep -q -F "$lua_line" "$tmp/replay/run.jsonl"
ok $? "the replay records the actions it applied"

# the control: without the console's Lua the weights differ, so the
# checkpoints above are equal because the actions were applied
mkdir -p "$tmp/nolua"
cp "$tmp/run/scene.lua" "$tmp/nolua/"
grep -v '"do":"eval"' "$log" >"$tmp/nolua/run.jsonl"
RS_DATADIR=$src "$build/repscope" replay --headless "$tmp/nolua" \
    --out "$tmp/nolua.replay" >/dev/null 2>&1
d=$(sum "$tmp/nolua.replay/ckpt.bin")
[ -n "$d" ] && [ "$d" != "$a" ]
ok $? "a replay without the console's Lua ends elsewhere ($d)"

# other BLAS kernels than recorded: a warning (bits may differ)
mkdir -p "$tmp/kern"
cp "$tmp/run/scene.lua" "$tmp/kern/"
sed '1s/"kernel":"[^"]*"/"kernel":"abacus"/' "$log" >"$tmp/kern/run.jsonl"
RS_DATADIR=$src "$build/repscope" replay --headless "$tmp/kern" \
    --out "$tmp/kern.replay" >/dev/null 2>"$tmp/kern.err"
rc=$?
[ $rc = 0 ] &&
    grep -F -q "warning: recorded with kernels abacus" "$tmp/kern.err"
ok $? "other kernels than recorded are warned about ($rc)"
! grep -F -q "warning" "$tmp/replay.err"
ok $? "the same kernels: no warning"

# interactive: the UI plays it and stays at the recorded end until q
pane=ri
tmux_run ri 100 30 "$tmp/ireplay.exit" "RS_DATADIR='$src' '$build/repscope' \
     replay '$tmp/run' --out '$tmp/ireplay' 2>'$tmp/ireplay.err'"
wait_for DONE
ok $? "an interactive replay runs to the recorded end and shows DONE"
T send-keys -t ri q
wait_file "$tmp/ireplay.exit"
[ "$(cat "$tmp/ireplay.exit" 2>/dev/null)" = 0 ]
ok $? "q quits it with status 0 ($(cat "$tmp/ireplay.exit" 2>/dev/null))"
c=$(sum "$tmp/ireplay/ckpt.bin")
[ -n "$c" ] && [ "$c" = "$a" ]
ok $? "its final checkpoint is the same ($c)"

# a run killed (kill -9) after a pause and a live set, then resumed
# headless: the resume went on from the last checkpoint, before
# those actions, so the replay leaves them out and ends where the resumed
# run ended
pane=kr
tmux_run kr 100 30 "$tmp/kr.exit" "RS_DATADIR='$src' '$build/repscope' \
     demo_mlp --steps 1000 --checkpoint-every 40 --out '$tmp/kr' \
     2>'$tmp/kr.err'"
wait_for RUNNING
wait_step_past 50
T send-keys -t kr Space
wait_for PAUSED
T send-keys -t kr :
send_line 'set lr=0.01'
wait_for "lr = 0.01"
T send-keys -t kr Escape
k0=$(step)
pid=$(T list-panes -t kr -F '#{pane_pid}' | head -1)
rpid=$(pgrep -P "$pid" -f repscope | head -1)
[ -n "$rpid" ] && kill -9 "$rpid"
wait_file "$tmp/kr.exit"
[ "$(cat "$tmp/kr.exit" 2>/dev/null)" = 137 ]
ok $? "killed with -9 while paused after a live set at step $k0 (exit $(cat "$tmp/kr.exit" 2>/dev/null))"
RS_DATADIR=$src "$build/repscope" --headless --resume "$tmp/kr" \
    >/dev/null 2>"$tmp/kr.resume.err"
rc=$?
rstep=$(grep '"kind":"resume"' "$tmp/kr/run.jsonl" |
    sed -n 's/.*"step":\([0-9]*\).*/\1/p' | tail -1)
[ $rc = 0 ] && [ -n "$rstep" ] && [ "$rstep" -le "$k0" ] &&
    tail -1 "$tmp/kr/run.jsonl" | grep -q '"step":1000,"kind":"done"'
ok $? "resumed headless from the checkpoint at step $rstep to the planned 1000 ($rc)"
RS_DATADIR=$src "$build/repscope" replay --headless "$tmp/kr" \
    --out "$tmp/kr.replay" >/dev/null 2>"$tmp/kr.replay.err"
rc=$?
e=$(sum "$tmp/kr/ckpt.bin")
f=$(sum "$tmp/kr.replay/ckpt.bin")
echo "# checksums: resumed $e, replayed $f"
[ $rc = 0 ] && [ -n "$e" ] && [ "$e" = "$f" ]
ok $? "its replay ends with the same checkpoint ($f)"
# the set is undone when its line comes after the checkpoint event the
# resume went on from (the usual case; a pause that lands on a checkpoint
# step may order them the other way, and then the checkpoint holds it)
set_at=$(grep -n '"do":"set"' "$tmp/kr/run.jsonl" | head -1 | cut -d: -f1)
ck_at=$(grep -n "\"step\":$rstep,\"kind\":\"checkpoint\"" "$tmp/kr/run.jsonl" |
    head -1 | cut -d: -f1)
if [ -n "$set_at" ] && [ -n "$ck_at" ] && [ "$set_at" -gt "$ck_at" ]; then
    ! grep -q '"do":"set"' "$tmp/kr.replay/run.jsonl"
    ok $? "the set the kill undid is not replayed"
    # the control: the same log without its resume event applies the set
    mkdir -p "$tmp/kr.noresume"
    cp "$tmp/kr/scene.lua" "$tmp/kr.noresume/"
    grep -v '"kind":"resume"' "$tmp/kr/run.jsonl" \
        >"$tmp/kr.noresume/run.jsonl"
    RS_DATADIR=$src "$build/repscope" replay --headless "$tmp/kr.noresume" \
        --out "$tmp/kr.noresume.replay" >/dev/null 2>&1
    g=$(sum "$tmp/kr.noresume.replay/ckpt.bin")
    [ -n "$g" ] && [ "$g" != "$e" ]
    ok $? "without the resume event the set is applied and it ends elsewhere ($g)"
else
    grep -q '"do":"set"' "$tmp/kr.replay/run.jsonl"
    ok $? "the set, in the checkpoint the resume went on from, is replayed"
fi

# refusals name the file
mkdir -p "$tmp/empty"
RS_DATADIR=$src "$build/repscope" replay --headless "$tmp/empty" \
    2>"$tmp/err1"
rc=$?
[ $rc = 2 ] && grep -F -q "$tmp/empty/scene.lua: no such file" "$tmp/err1"
ok $? "a directory without scene.lua is refused ($rc: $(cat "$tmp/err1"))"
mkdir -p "$tmp/broken"
cp "$tmp/run/scene.lua" "$tmp/broken/"
sed '3s/.*/{"type":"action","after_step":1,"do":"fly"}/' "$log" \
    >"$tmp/broken/run.jsonl"
RS_DATADIR=$src "$build/repscope" replay --headless "$tmp/broken" \
    2>"$tmp/err2"
rc=$?
[ $rc = 2 ] &&
    grep -F -q "$tmp/broken/run.jsonl:3: unknown action 'fly'" "$tmp/err2"
ok $? "a corrupt action line names file and line ($(cat "$tmp/err2"))"
printf 'return 42\n' >"$tmp/broken/scene.lua"
head -1 "$log" >"$tmp/broken/run.jsonl"
RS_DATADIR=$src "$build/repscope" replay --headless "$tmp/broken" \
    2>"$tmp/err3"
rc=$?
[ $rc = 2 ] && grep -F -q "does not load" "$tmp/err3" &&
    grep -F -q "$tmp/broken/scene.lua" "$tmp/err3"
ok $? "a scene that no longer loads is named ($(cat "$tmp/err3"))"

echo "1..$n"
[ $fail = 0 ] && rm -rf "$tmp"
exit $fail
