#!/bin/sh
# t_demp_scene.sh: the demp scene end to end on a short run: the three
# learners log live units per layer, parameters, test accuracy and their
# measured ms per step; demp's regulariser and noise are logged and its
# parameter count falls as it prunes; the final lines name each learner.
# Skipped without Fashion-MNIST.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
tmp="$build/tests/tmp/demp.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
export RS_DATADIR="$src"
n=0
fail=0
ok() { # status message
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
"$build/repscope" --headless demp --steps 300 --set prune_every=100 \
    --set train_n=1000 --set test_n=200 --set peak=0.1 \
    --out "$tmp/run" >"$tmp/out" 2>&1
rc=$?
if [ $rc != 0 ] && grep -q 'dataset-fashion-mnist' "$tmp/out"; then
    echo "1..0 # SKIP Fashion-MNIST not installed"
    exit 0
fi
ok $rc "the scene runs to its end (exit $rc)"
for l in base demp hot; do
    for s in live/l1 live/l3 params test/acc time/ms_per_step; do
        grep -q "\"$l/$s\"" "$tmp/run/run.jsonl"
        ok $? "$l logs $s"
    done
    grep -q "^$l: test acc 0\.[0-9]*, live [0-9]*/[0-9]*/[0-9]*, [0-9]* params" \
        "$tmp/out"
    ok $? "$l has its final line"
done
grep -q '"demp/reg/lambda"' "$tmp/run/run.jsonl" &&
    grep -q '"demp/reg/sigma"' "$tmp/run/run.jsonl"
ok $? "demp logs its regulariser's lambda and its noise's sigma"
first=$(grep -o '"demp/params":[0-9]*' "$tmp/run/run.jsonl" | head -1 | cut -d: -f2)
last=$(grep -o '"demp/params":[0-9]*' "$tmp/run/run.jsonl" | tail -1 | cut -d: -f2)
[ -n "$last" ] && [ "$last" -lt 335114 ]
ok $? "demp's model shrinks (335114 -> $first -> $last parameters)"
echo "1..$n"
exit $fail
