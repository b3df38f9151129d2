#!/bin/sh
# t_attach.sh: `repscope attach RUNDIR`: replaying a finished run (its
# recorded panels, DONE, the last step), refusing what is not a run
# directory, and following a run that grows while a headless process
# trains it: the step seen by attach advances, and when that process is
# stopped (SIGTERM: it writes a final checkpoint and a quit event) the
# attached screen says DONE. The live part runs in tmux (SKIP without
# it); waits poll for up to 60 s and never decide by time.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
tmp=$build/tests/tmp/t_attach.$$
mkdir -p "$tmp" || exit 1
export RS_DATADIR="$src"
. "$src/tests/sh/tmux.sh"
tmux_init
live=""
cleanup() {
    [ -n "$live" ] && kill "$live" 2>/dev/null
    tmux_cleanup
}
trap cleanup EXIT INT TERM
n=0
fail=0
ok() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
frame_step() { # dir: the step on attach's status line
    "$build/repscope" attach --frame "$1" 2>/dev/null | head -1 |
        sed -n 's/.*step \([0-9][0-9 ]*\).*/\1/p' | tr -d ' '
}

"$build/repscope" --headless demo_mlp --steps 150 --out "$tmp/done" \
    >/dev/null 2>&1
"$build/repscope" attach --frame "$tmp/done" >"$tmp/f1" 2>"$tmp/e1"
ok $? "attach --frame on a finished run exits 0"
head -1 "$tmp/f1" | grep -q 'repscope attach.*DONE.*step 150/150'
ok $? "replay: attach mode, DONE, step 150/150"
grep -F -q "┌ accuracy" "$tmp/f1" && grep -F -q "srank by layer" "$tmp/f1"
ok $? "replay: the scene's recorded panels"
"$build/repscope" attach "$tmp/nope" >/dev/null 2>"$tmp/e2"
[ $? = 2 ] && grep -q "run.jsonl" "$tmp/e2"
ok $? "a directory without a run is refused, naming run.jsonl"
"$build/repscope" attach >/dev/null 2>&1
[ $? = 2 ]
ok $? "attach without a directory is a usage error"

# a growing run: a headless process we started and will stop
"$build/repscope" --headless demo_mlp --steps 1000000 --out "$tmp/live" \
    >/dev/null 2>"$tmp/live.err" &
live=$!
i=0
while [ $i -lt 600 ] && ! grep -q '"step"' "$tmp/live/run.jsonl" 2>/dev/null; do
    sleep 0.1
    i=$((i + 1))
done
a=$(frame_step "$tmp/live")
i=0
while [ $i -lt 600 ]; do
    b=$(frame_step "$tmp/live")
    [ -n "$a" ] && [ -n "$b" ] && [ "$b" -gt "$a" ] && break
    sleep 0.1
    i=$((i + 1))
done
[ -n "$b" ] && [ "$b" -gt "${a:-0}" ]
ok $? "a growing run: later frames show later steps ($a -> $b)"

# The session that runs attach is also the probe for a working tmux.
pane=at
if command -v tmux >/dev/null 2>&1 &&
    tmux_run at 100 30 "$tmp/at.exit" "'$build/repscope' attach '$tmp/live' \
         2>'$tmp/at.err'"; then
    i=0
    while [ $i -lt 600 ] && ! screen | grep -q "RUNNING"; do
        sleep 0.1
        i=$((i + 1))
    done
    s0=$(step)
    i=0
    while [ $i -lt 600 ]; do
        s1=$(step)
        [ -n "$s0" ] && [ -n "$s1" ] && [ "$s1" -gt "$s0" ] && break
        sleep 0.1
        i=$((i + 1))
    done
    [ -n "$s1" ] && [ "$s1" -gt "${s0:-0}" ]
    ok $? "attached live: the step advances on screen ($s0 -> $s1)"
    kill -TERM "$live"
    wait "$live"
    code=$?
    live=""
    [ $code = 143 ]
    ok $? "the trainer stops on SIGTERM (exit $code)"
    i=0
    while [ $i -lt 600 ] && ! screen | head -1 | grep -q DONE; do
        sleep 0.1
        i=$((i + 1))
    done
    screen | head -1 | grep -q DONE
    ok $? "the attached screen follows it to DONE"
    T send-keys -t at q
    wait_file "$tmp/at.exit"
    [ "$(cat "$tmp/at.exit" 2>/dev/null)" = 0 ] &&
        [ "$(T display-message -p -t at '#{alternate_on}')" = 0 ]
    ok $? "q leaves attach, terminal restored"
else
    kill -TERM "$live"
    wait "$live"
    live=""
    echo "ok $((n + 1)) # SKIP tmux not found or cannot start a session"
    n=$((n + 1))
fi
echo "1..$n"
[ $fail = 0 ] && rm -rf "$tmp"
exit $fail
