#!/bin/sh
# t_plasticity_scene.sh: the plasticity scene end to end on two short
# tasks: it ends at tasks x task_steps (rs.end_at), marks the switch,
# logs every learner's accuracy per task, its dead and linearised
# units and its eNTK summary, and publishes the plasticity row, the
# eNTK and the pre-activation histogram. Skipped without Fashion-MNIST.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
tmp="$build/tests/tmp/plasticity.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
export RS_DATADIR="$src"
n=0
fail=0
ok() { # status message
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
"$build/repscope" --headless plasticity --set tasks=2 --set task_steps=20 \
    --set train_n=256 --set entk_n=8 --out "$tmp/run" >"$tmp/out" 2>&1
rc=$?
if [ $rc != 0 ] && grep -q 'dataset-fashion-mnist' "$tmp/out"; then
    echo "1..0 # SKIP Fashion-MNIST not installed"
    exit 0
fi
ok $rc "the scene runs to its end (exit $rc)"
grep -q '"done at step 40"' "$tmp/run/run.jsonl"
ok $? "the run ends at tasks x task_steps = 40"
grep -q '"type":"event".*task 2: labels re-drawn' "$tmp/run/run.jsonl"
ok $? "an event marks the task switch"
for l in base ln l2 ln_l2; do
    c=$(grep -o "\"$l/task/train_acc\"" "$tmp/run/run.jsonl" | wc -l)
    [ "$c" = 2 ]
    ok $? "$l logs task/train_acc once per task ($c)"
    grep -q "\"$l/probe/zombie/l1\"" "$tmp/run/run.jsonl" &&
        grep -q "\"$l/probe/entk/offdiag\"" "$tmp/run/run.jsonl" &&
        grep -q "\"$l/probe/sigma1/l2\"" "$tmp/run/run.jsonl"
    ok $? "$l logs zombie units, sigma1 and the eNTK summary"
    for m in plasticity entk preact_hist/l2; do
        grep -q "\"name\":\"$l/$m\"" "$tmp/run/matrices.jsonl"
        ok $? "$l publishes $m"
    done
done
grep -q '^task 2: base [0-9.]*, ln [0-9.]*, l2 [0-9.]*, ln_l2 [0-9.]*$' \
    "$tmp/out"
ok $? "the console has each task's accuracies"
echo "1..$n"
exit $fail
