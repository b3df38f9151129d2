#!/bin/sh
# bench/ui.sh: what the terminal UI costs (the design target: under 5% of the
# training throughput, under 50 ms from a key to the screen). Measured,
# never assumed:
#   1. steps/s of scenes/demo_mlp headless and under the UI in a 100x30
#      tmux pane, interleaved (headless, UI, headless, UI, ...), each the
#      median of the run's own time/steps_per_s records (one per second;
#      the first is left out), the cost as the ratio of the medians;
#   2. key-to-screen latency while training: send `?` (then esc) with
#      tmux send-keys and poll capture-pane until the help shows (is
#      gone); the median and worst of the round trips, in ms. The poll
#      itself takes a few ms, so this is an upper bound.
# Usage: bench/ui.sh REPSCOPE [STEPS [ROUNDS]]  (defaults 3000, 2)
# Needs tmux; prints SKIP without it. Not part of make check.
bin=${1:?usage: ui.sh path/to/repscope [steps [rounds]]}
steps=${2:-3000}
rounds=${3:-2}
src=${RS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
command -v tmux >/dev/null 2>&1 || { echo "ui.sh: SKIP (no tmux)"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rs-bench-ui.XXXXXX") || exit 1
# The socket lives under /tmp: a Unix socket path must stay under 108
# bytes, and a build tree can be nested deep.
sockdir=$(mktemp -d /tmp/rs-tmux.XXXXXX)
sock=$sockdir/sock
T() { tmux -S "$sock" -f /dev/null "$@"; }
trap 'T kill-server >/dev/null 2>&1; rm -rf "$tmp" "$sockdir"' EXIT INT TERM
term=tmux-256color
infocmp "$term" >/dev/null 2>&1 || term=screen-256color

# median of time/steps_per_s in a run.jsonl, the first window left out
rate() {
    sed -n 's/.*"time\/steps_per_s":\([0-9.e+-]*\).*/\1/p' "$1" | sed 1d |
        sort -g | awk '{ v[NR] = $1 } END {
            if (NR == 0) { print "nan"; exit }
            print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

headless() { # dir
    RS_DATADIR=$src "$bin" --headless demo_mlp --steps "$steps" \
        --out "$1" >/dev/null 2>&1
}

ui() { # dir: run in a 100x30 pane to the end, then quit
    T -u new-session -d -s ui -x 100 -y 30 \
        "env TERM=$term LC_ALL=C.UTF-8 RS_DATADIR='$src' '$bin' demo_mlp \
         --steps $steps --out '$1' 2>/dev/null"
    while ! T capture-pane -p -t ui 2>/dev/null | grep -q DONE; do
        sleep 0.2
    done
    T send-keys -t ui q
    while T has-session -t ui 2>/dev/null; do sleep 0.1; done
}

echo "ui.sh: demo_mlp, $steps steps, $rounds rounds (headless vs UI)"
hs=""
us=""
i=1
while [ $i -le "$rounds" ]; do
    headless "$tmp/h$i"
    h=$(rate "$tmp/h$i/run.jsonl")
    ui "$tmp/u$i"
    u=$(rate "$tmp/u$i/run.jsonl")
    echo "  round $i: headless $h steps/s, UI $u steps/s"
    hs="$hs $h"
    us="$us $u"
    i=$((i + 1))
done
med() { echo "$@" | tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 }
    END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mh=$(med $hs)
mu=$(med $us)
awk -v h="$mh" -v u="$mu" 'BEGIN {
    printf "  median: headless %.1f, UI %.1f steps/s: the UI costs %.1f%% " \
           "(target < 5%%)\n", h, u, 100 * (1 - u / h) }'

# key latency while training
T -u new-session -d -s lat -x 100 -y 30 \
    "env TERM=$term LC_ALL=C.UTF-8 RS_DATADIR='$src' '$bin' demo_mlp \
     --steps 1000000 --out '$tmp/lat' 2>/dev/null"
while ! T capture-pane -p -t lat 2>/dev/null | grep -q RUNNING; do
    sleep 0.1
done
sleep 2
# the UI thread (the main thread: tid = pid) against the worker, by
# their CPU ticks over 5 s of training
pid=$(T display-message -p -t lat '#{pane_pid}')
d=0
# past the shell tmux started (repscope may have re-executed itself,
# then its name is "exe")
while [ -n "$pid" ] && [ $d -lt 5 ]; do
    case $(cat "/proc/$pid/comm" 2>/dev/null) in
    sh|bash|dash|env) ;;
    *) break ;;
    esac
    pid=$(ps -o pid= --ppid "$pid" | head -1 | tr -d ' ')
    d=$((d + 1))
done
ticks() { # tid: utime + stime
    awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/task/$1/stat" \
        2>/dev/null
}
if [ -d "/proc/$pid/task" ]; then
    ui0=$(ticks "$pid")
    all0=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")
    sleep 5
    ui1=$(ticks "$pid")
    all1=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")
    hz=$(getconf CLK_TCK)
    awk -v u=$((ui1 - ui0)) -v a=$((all1 - all0)) -v hz="$hz" 'BEGIN {
        printf "  CPU while training: UI thread %.1f%% of a core, the whole " \
               "process %.1f%%\n", 100 * u / hz / 5, 100 * a / hz / 5 }'
fi
now() { date +%s%N; }
lats=""
k=0
while [ $k -lt 20 ]; do
    t0=$(now)
    T send-keys -t lat '?'
    while ! T capture-pane -p -t lat | grep -q "pause or resume training"; do :; done
    t1=$(now)
    T send-keys -t lat Escape
    while T capture-pane -p -t lat | grep -q "pause or resume training"; do :; done
    t2=$(now)
    lats="$lats $(( (t1 - t0) / 1000000 )) $(( (t2 - t1) / 1000000 ))"
    k=$((k + 1))
    sleep 0.2
done
T send-keys -t lat q
echo "$lats" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END {
    printf "  key to screen while training: median %d ms, worst %d ms over %d " \
           "keys (target < 50 ms)\n", v[int((NR + 1) / 2)], v[NR], NR }'
while T has-session -t lat 2>/dev/null; do sleep 0.1; done
