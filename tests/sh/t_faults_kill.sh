#!/bin/sh
# t_faults_kill.sh: kill -9 at random moments while checkpoints are being
# written. Each trial runs demo_mlp headless at width 512 (a 5 MB
# checkpoint) with a checkpoint after every step, so most of the time
# goes into checkpoint writes; waits for the first checkpoint, sleeps a
# random 0-0.5 s, and kills it with SIGKILL. Then --resume must load the
# checkpoint named by the last "checkpoint at step N" event or the next
# one (N + 1: killed between the rename and the event), never fail on a
# torn file; run.jsonl must hold whole lines (a line cut by the kill is
# closed on reopen and counted); and the temp file a killed write left is
# gone after the resume's own checkpoint. RS_FAULT_TRIALS sets the count
# (default 10; the 100-trial figure is RS_FAULT_TRIALS=100).
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
trials=${RS_FAULT_TRIALS:-10}
tmp=$build/tests/tmp/t_faults_kill.$$
mkdir -p "$tmp" || exit 1
bin=$build/repscope
model="--set width=512 --set p=31"
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; }
trap cleanup EXIT INT TERM

n=0
fail=0
ok() { # cond-status description
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
# a random delay in 0-0.5 s from awk, seeded per trial (the trial number
# and the pid: another run tries other moments)
delay() { awk -v s="$1$$" 'BEGIN { srand(s); printf "%.3f", rand() * 0.5 }'; }

mid=0 torn=0 loaded=0 bad=0 stale=0 newer=0
t=1
while [ $t -le "$trials" ]; do
    d=$tmp/r$t
    "$bin" --headless demo_mlp $model --steps 1000000 --checkpoint-every 1 \
        --out "$d" >/dev/null 2>&1 &
    pid=$!
    i=0
    while [ $i -lt 600 ] && ! grep -q '"kind":"checkpoint"' "$d/run.jsonl" 2>/dev/null; do
        sleep 0.05
        i=$((i + 1))
    done
    sleep "$(delay $t)"
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    pid=
    ls "$d" | grep -q '^ckpt\.bin\.tmp\.' && mid=$((mid + 1))
    # torn lines: the kill cut a line (reopen closes it with a newline)
    nb=$(awk '!/^\{.*\}$/ { n++ } END { print n + 0 }' "$d/run.jsonl")
    torn=$((torn + nb))
    last=$(sed -n 's/.*"checkpoint at step \([0-9]*\)".*/\1/p' "$d/run.jsonl" | tail -1)
    "$bin" --headless --resume "$d" --steps $((last + 2)) >"$d.out" 2>&1
    code=$?
    at=$(sed -n 's/.*"resume from .*ckpt.bin at step \([0-9]*\)".*/\1/p' "$d/run.jsonl" | tail -1)
    if [ "$code" = 0 ] && { [ "$at" = "$last" ] || [ "$at" = $((last + 1)) ]; }; then
        loaded=$((loaded + 1))
        [ "$at" = "$last" ] || newer=$((newer + 1))
    else
        bad=$((bad + 1))
        echo "# trial $t: resume exit $code, resumed at '$at', last event $last"
        sed 's/^/#   /' "$d.out" | tail -3
    fi
    ls "$d" | grep -q '^ckpt\.bin\.tmp\.' && stale=$((stale + 1))
    rm -rf "$d" "$d.out"
    t=$((t + 1))
done
echo "# $trials kills: $mid inside a checkpoint write (temp file present)," \
    "$newer after the rename before its event; $torn torn lines"
[ "$loaded" = "$trials" ] && [ "$bad" = 0 ]
ok $? "--resume loaded the previous or the new checkpoint in $loaded of $trials trials"
[ "$torn" = 0 ]
ok $? "run.jsonl: no torn line in $trials kills ($torn)"
[ "$stale" = 0 ]
ok $? "no temp file left after the resume ($stale trials with one)"
echo "1..$n"
exit $fail
