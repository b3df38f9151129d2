#!/bin/sh
# t_faults_signals.sh: SIGTERM and SIGHUP while training, in the terminal
# UI during a resize storm (200 tmux resize-window calls back to back:
# 1-3 s here, said as a # line)
# and headless. Each time: the exit status is 128+signo; the terminal is
# as it was (stty -g before and after are equal, no alternate screen,
# cursor visible); the UI survived the storm (the step went on, the
# panels laid out again); the run was checkpointed at its last step;
# run.jsonl holds whole lines, with every record (each 10 steps) exactly
# once up to the checkpoint; and --resume goes on from that step. SKIP
# the UI part without tmux. RS_FAULT_RESIZES sets the storm (default 200).
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
resizes=${RS_FAULT_RESIZES:-200}
tmp=$build/tests/tmp/t_faults_signals.$$
mkdir -p "$tmp" || exit 1
bin=$build/repscope
small="--set width=16 --set p=11"
. "$src/tests/sh/tmux.sh"
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    tmux_cleanup
}
trap cleanup EXIT INT TERM

n=0
fail=0
ok() { # cond-status description
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
skip() { # count reason
    i=0
    while [ $i -lt "$1" ]; do
        n=$((n + 1))
        echo "ok $n # SKIP $2"
        i=$((i + 1))
    done
}
signo() { case $1 in HUP) echo 1 ;; TERM) echo 15 ;; esac; }
whole_lines() {
    [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] &&
        [ "$(awk '!/^\{.*\}$/ { n++ } END { print n + 0 }' "$1")" = 0 ]
}
# check_run DIR WHAT: the record and the checkpoint after a signal
check_run() {
    log=$1/run.jsonl
    ck=$(sed -n 's/.*"checkpoint at step \([0-9]*\)".*/\1/p' "$log" | tail -1)
    last=$(sed -n 's/^{"step":\([0-9]*\),"train\/loss".*/\1/p' "$log" | tail -1)
    gaps=$(sed -n 's/^{"step":\([0-9]*\),"train\/loss".*/\1/p' "$log" |
        awk 'BEGIN { want = 10 } $1 != want { bad++ } { want = $1 + 10 }
             END { print bad + 0 }')
    whole_lines "$log" && [ "$gaps" = 0 ] && [ -n "$ck" ] &&
        [ "$last" -le "$ck" ] && [ $((ck - last)) -lt 10 ]
    ok $? "$2: run.jsonl whole, records every 10 steps to $last ($gaps gaps), \
checkpoint at the last step $ck"
    "$bin" --headless --resume "$1" --steps $((ck + 20)) >/dev/null 2>&1
    code=$?
    [ "$code" = 0 ] && grep -q "\"resume from .*ckpt.bin at step $ck\"" "$log" &&
        whole_lines "$log"
    ok $? "$2: --resume goes on from step $ck ($code)"
}

# ---- headless ----------------------------------------------------------------
for sig in TERM HUP; do
    "$bin" --headless demo_mlp $small --steps 100000000 --out "$tmp/h$sig" \
        >/dev/null 2>"$tmp/h$sig.err" &
    pid=$!
    i=0
    while [ $i -lt 600 ]; do
        c=$(grep -c '"train/loss"' "$tmp/h$sig/run.jsonl" 2>/dev/null)
        [ "${c:-0}" -ge 50 ] && break
        sleep 0.05
        i=$((i + 1))
    done
    kill -$sig "$pid"
    wait "$pid"
    code=$?
    pid=
    want=$((128 + $(signo "$sig")))
    [ "$code" = "$want" ]
    ok $? "headless SIG$sig: exit status $want ($code)"
    check_run "$tmp/h$sig" "headless SIG$sig"
done

# ---- the UI, in a resize storm --------------------------------------------------
if ! command -v tmux >/dev/null 2>&1; then
    skip 12 "tmux not found"
    echo "1..$n"
    exit $fail
fi
tmux_init
wait_running() {
    i=0
    while [ $i -lt 600 ] && ! screen "$1" | head -1 | grep -q RUNNING; do
        sleep 0.1
        i=$((i + 1))
    done
}
# storm S: resize S's window $resizes times, sizes from 20x8 to 179x59
storm() {
    k=0
    while [ $k -lt "$resizes" ]; do
        T resize-window -t "$1" -x $((20 + (k * 37) % 160)) -y $((8 + (k * 13) % 52))
        k=$((k + 1))
    done
}
for sig in TERM HUP; do
    s=ui$sig
    # the terminal's settings before and after: tmux_run cannot wrap them
    if ! tmux_start "$s" 100 30 \
        "stty -g >'$tmp/$s.stty0'; env TERM=$term LC_ALL=C.UTF-8 \
         RS_DATADIR='$src' '$bin' demo_mlp $small --steps 100000000 \
         --out '$tmp/$s' 2>'$tmp/$s.err'; echo \$? >'$tmp/$s.exit'; \
         stty -g >'$tmp/$s.stty1'; exec sleep 600"; then
        skip 6 "$tmux_nostart"
        continue
    fi
    wait_running "$s"
    t0=$(date +%s.%N)
    storm "$s"
    t1=$(date +%s.%N)
    echo "# $resizes resizes took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
    T resize-window -t "$s" -x 100 -y 30
    i=0
    s0=
    while [ $i -lt 600 ] && [ -z "$s0" ]; do
        s0=$(step "$s")
        sleep 0.05
        i=$((i + 1))
    done
    i=0
    while [ $i -lt 600 ]; do
        s1=$(step "$s")
        w=$(width "$s")
        # a frame may be caught half drawn: wait for all of it
        [ -n "$s1" ] && [ "$s1" -gt "${s0:-0}" ] && [ "$w" = 100 ] &&
            screen "$s" | grep -F -q "┌ accuracy" && break
        sleep 0.1
        i=$((i + 1))
    done
    [ -n "$s0" ] && [ -n "$s1" ] && [ "$s1" -gt "$s0" ] && [ "$w" = 100 ] &&
        screen "$s" | grep -F -q "┌ accuracy"
    r=$?
    [ $r = 0 ] || screen "$s" | sed 's/^/# /'
    ok $r "UI: $resizes resizes in a storm, it lives on ($s0 -> $s1, width $w)"
    # the signal comes in the middle of a second storm
    storm "$s" &
    spid=$!
    sleep 0.5
    rpid=$(ps -o pid= --ppid "$(T display-message -p -t "$s" '#{pane_pid}')" |
        head -1 | tr -d ' ')
    kill -$sig "$rpid"
    wait_file "$tmp/$s.exit"
    kill "$spid" 2>/dev/null
    wait "$spid" 2>/dev/null
    want=$((128 + $(signo "$sig")))
    [ "$(cat "$tmp/$s.exit" 2>/dev/null)" = "$want" ]
    ok $? "UI SIG$sig during a storm: exit status $want ($(cat "$tmp/$s.exit" 2>/dev/null))"
    [ -s "$tmp/$s.stty1" ] && cmp -s "$tmp/$s.stty0" "$tmp/$s.stty1"
    ok $? "UI SIG$sig: stty settings as before"
    [ "$(T display-message -p -t "$s" '#{alternate_on}')" = 0 ] &&
        [ "$(T display-message -p -t "$s" '#{cursor_flag}')" = 1 ]
    ok $? "UI SIG$sig: no alternate screen, cursor visible"
    check_run "$tmp/$s" "UI SIG$sig"
done
echo "1..$n"
exit $fail
