#!/bin/sh
# t_dyneval_scene.sh: the dyneval scene end to end on a short stream:
# it pretrains, streams its three parts through the five runs, ends by
# itself at pretrain + segments (rs.end_at), marks the domain switches
# with events, logs the stream series of every run and prints the
# per-part table, and resumes from a checkpoint to the same numbers.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
tmp="$build/tests/tmp/dyneval.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
export RS_DATADIR="$src"
n=0
fail=0
ok() { # status message
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
"$build/repscope" --headless dyneval --set pretrain=20 --set a_bytes=2048 \
    --set b_bytes=1024 --set a2_bytes=1024 --out "$tmp/run" \
    >"$tmp/out" 2>&1
rc=$?
ok $rc "the scene runs to its end (exit $rc)"
segs=$(sed -n 's/.*a stream of \([0-9]*\) segments.*/\1/p' "$tmp/out")
[ -n "$segs" ] && [ "$segs" -ge 64 ] && [ "$segs" -le 100 ]
ok $? "setup counts the stream's segments ($segs for 4 KB in 64s)"
total=$((20 + ${segs:-0}))
grep -q "\"done at step $total\"" "$tmp/run/run.jsonl"
ok $? "the run ends at pretrain + segments = $total by itself"
for ev in "stream starts" "C headers" "licences again"; do
    grep -q "\"type\":\"event\".*$ev" "$tmp/run/run.jsonl"
    ok $? "an event marks '$ev'"
done
for run in static dyn_all dyn_mlp dyn_decay static_long; do
    grep -q "\"$run/stream/bpc_ema\"" "$tmp/run/run.jsonl" &&
        grep -q "\"$run/stream/ms_per_char\"" "$tmp/run/run.jsonl"
    ok $? "$run logs stream/bpc_ema and stream/ms_per_char"
    grep -q "^$run  *[0-9.]*  *[0-9.]*  *[0-9.]*  *[0-9.]*  *[0-9.]*  *[0-9.]*$" \
        "$tmp/out"
    ok $? "$run has a row of the final table"
done
grep -q '"dyn_all/stream/cum_delta"' "$tmp/run/run.jsonl"
ok $? "dyn_all logs its bits saved against static"
# static and static_long never change: drift 0 in the table
awk '$1 == "static" || $1 == "static_long" { if ($7 != "0.000") bad = 1 }
     END { exit bad }' "$tmp/out"
ok $? "the static runs end with drift 0"
# stopped mid-stream and resumed: the same bits per part (the CPU times
# differ, so the table is compared up to its A2:1K column). A resume goes
# on to the steps its run planned (50 here), so --steps takes it past the
# scene's own end.
"$build/repscope" --headless dyneval --set pretrain=20 --set a_bytes=2048 \
    --set b_bytes=1024 --set a2_bytes=1024 --steps 50 --out "$tmp/part" \
    >/dev/null 2>&1 &&
    "$build/repscope" --resume "$tmp/part" --steps 100000 --headless \
        >"$tmp/resumed" 2>&1
ok $? "a run stopped at step 50 resumes to the end"
table() { grep -E '^(static|dyn_|run )' "$1" | cut -c1-44; }
[ -n "$(table "$tmp/out")" ] && [ "$(table "$tmp/out")" = "$(table "$tmp/resumed")" ]
ok $? "the resumed run ends with the same bits per part as the whole run"
echo "1..$n"
exit $fail
