#!/bin/sh
# run.sh: run libFuzzer harnesses for a while each (make fuzz, make
# fuzz-smoke). Usage:
#   run.sh [-t SECONDS] [-j JOBS] -c CORPUSDIR -o CRASHDIR HARNESS...
# Harness tests/fuzz/fuzz_NAME starts from CORPUSDIR/NAME, copied to a
# scratch directory first (what it finds new is thrown away: the corpus
# in the tree only grows by hand, with a name that says what an input
# is). JOBS harnesses run at a time (default 2), each for SECONDS (60)
# with a 10 s limit per input (a hang), 2 GiB of memory and a limit on
# any one allocation (below); leaks count as crashes. A harness that
# finds a crash, hang or leak fails: its input is kept in CRASHDIR, and
# the command that reproduces it is printed. Prints a line per harness
# (executions, executions/s, peak memory) and automake's summary lines
# (# PASS: ... # FAIL: ...), and exits non-zero when one failed.
secs=60
jobs=2
corpus=
crashes=
while getopts t:j:c:o: opt; do
    case $opt in
    t) secs=$OPTARG ;;
    j) jobs=$OPTARG ;;
    c) corpus=$OPTARG ;;
    o) crashes=$OPTARG ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if [ -z "$corpus" ] || [ -z "$crashes" ] || [ $# -eq 0 ]; then
    echo "usage: run.sh [-t SECONDS] [-j JOBS] -c CORPUSDIR -o CRASHDIR" \
        "HARNESS..." >&2
    exit 2
fi
mkdir -p "$crashes" || exit 1
crashes=$(cd "$crashes" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/repscope-fuzz-run.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# limit NAME: the largest single allocation harness fuzz_NAME may make.
# The Lua harnesses may make one big string under their 64 MiB Lua cap;
# the others get a limit far below what they need, so that an input that
# makes a reader allocate out of proportion to its size is a crash (a
# 4 KB input never needs 16 MB at once). The Lua ones also print their
# parsers' messages: only libFuzzer's output is kept (-close_fd_mask).
limit() {
    case $1 in
    set | scene | match) echo -malloc_limit_mb=128 ;;
    *) echo -malloc_limit_mb=16 ;;
    esac
}

# start HARNESS: run it in the background, its log in $tmp/NAME.log
start() {
    h=$1
    name=${h##*/}
    short=${name#fuzz_}
    mkdir -p "$tmp/$short"
    if [ -d "$corpus/$short" ]; then
        cp "$corpus/$short"/* "$tmp/$short"/ 2>/dev/null
    fi
    case $short in
    set | scene) quiet=-close_fd_mask=3 ;;
    *) quiet= ;;
    esac
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
        UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$crashes/$name-" \
        "$(limit "$short")" $quiet "$tmp/$short" >"$tmp/$name.log" 2>&1 &
    echo $! >"$tmp/$name.pid"
}

stat_of() { # log key -> value of libFuzzer's final "stat::key: value"
    sed -n "s/^stat::$2: *//p" "$1" | tail -1
}

pass=0
fail=0
# finish HARNESS: wait for it and report
finish() {
    h=$1
    name=${h##*/}
    wait "$(cat "$tmp/$name.pid")"
    rc=$?
    log=$tmp/$name.log
    runs=$(stat_of "$log" number_of_executed_units)
    rate=$(stat_of "$log" average_exec_per_sec)
    rss=$(stat_of "$log" peak_rss_mb)
    what="${runs:-0} executions, ${rate:-0}/s, peak ${rss:-?} MB in ${secs} s"
    if [ "$rc" -eq 0 ]; then
        pass=$((pass + 1))
        echo "PASS: $name ($what)"
        return
    fi
    fail=$((fail + 1))
    echo "FAIL: $name (exit $rc; $what)"
    grep -E '^(==[0-9]+== ?ERROR|SUMMARY|fuzz_[a-z]+: check failed)' \
        "$log" | head -5 | sed 's/^/#   /'
    unit=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    if [ -n "$unit" ]; then
        echo "#   reproduce: $h $(limit "${name#fuzz_}") $unit"
    else
        tail -15 "$log" | sed 's/^/#   /'
    fi
}

set -- "$@"
while [ $# -gt 0 ]; do
    batch=
    k=0
    while [ $# -gt 0 ] && [ "$k" -lt "$jobs" ]; do
        start "$1"
        batch="$batch $1"
        k=$((k + 1))
        shift
    done
    for h in $batch; do
        finish "$h"
    done
done
echo "# TOTAL: $((pass + fail))"
echo "# PASS:  $pass"
echo "# FAIL:  $fail"
[ "$fail" -eq 0 ]
