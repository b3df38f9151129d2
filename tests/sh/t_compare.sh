#!/bin/sh
# t_compare.sh: `repscope compare`. Two tiny demo_mlp runs that differ in
# lr: --frame at 80x24 shows the overlay panels with both runs named by
# lr in each legend (two entries in the train/acc legend), and the final
# values table with each run's step and its last train/acc as logged in
# its run.jsonl. A sweep directory (2 lr x 5 seeds, run by hand from its
# printed commands) is grouped by lr: by default a line per group (the
# mean of its seeds, with a band from the least to the greatest), --by run
# a train/acc panel per group, a line per run; runs
# labelled "lr=... seed=...". Usage errors exit 2.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
rs=$build/repscope
tmp=$build/tests/tmp/t_compare.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
export RS_DATADIR="$src"
n=0
fail=0
ok() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
last() { # dir series: the last value of series in dir/run.jsonl
    sed -n "s|.*\"$2\":\([-0-9.e]*\).*|\1|p" "$1/run.jsonl" | tail -1
}

for lr in 1e-3 3e-3; do
    "$rs" --headless demo_mlp --steps 60 --set lr=$lr --set width=32 \
        --out "$tmp/lr$lr" >/dev/null 2>&1
done
"$rs" compare --frame --size 80x24 "$tmp/lr1e-3" "$tmp/lr3e-3" \
    >"$tmp/f1" 2>"$tmp/e1"
ok $? "compare --frame of two runs exits 0 $(head -1 "$tmp/e1")"
sed 's/^/# /' "$tmp/f1"
head -1 "$tmp/f1" | grep -q 'repscope compare.*2 runs of demo_mlp.*DONE'
ok $? "status line: compare mode, 2 runs, DONE"
leg=$(grep -A1 -F '┌ train/acc' "$tmp/f1" | sed -n 2p | sed 's/││.*//')
[ "$(echo "$leg" | grep -o 'lr=0\.00[13]' | tr '\n' ' ')" = \
    "lr=0.001 lr=0.003 " ]
ok $? "train/acc legend: one entry per run, named by lr: $leg"
grep -F -q '┌ final values' "$tmp/f1"
ok $? "a final values table"
for lr in 1e-3 3e-3; do
    want=$(last "$tmp/lr$lr" train/acc)
    v=$(echo $lr | sed 's/e-3//')
    row=$(grep "lr=0\.00$v " "$tmp/f1" | grep '■' | head -1)
    got=$(echo "$row" | awk '{ print $4 }')
    st=$(echo "$row" | awk '{ print $3 }')
    [ "$st" = 60 ] && awk -v a="$got" -v b="$want" \
        'BEGIN { d = a - b; exit !(d < 0.0006 && d > -0.0006) }'
    ok $? "table: lr=$lr at step $st, train/acc $got (logged $want)"
done

# a sweep, run by hand from its printed commands
"$rs" sweep demo_mlp --set lr=1e-3,3e-3 --seeds 1-5 --steps 20 \
    --set width=16 --out "$tmp/sw" >"$tmp/cmds" 2>/dev/null
sh "$tmp/cmds" >/dev/null 2>&1
"$rs" compare --frame "$tmp/sw" >"$tmp/f2" 2>"$tmp/e2"
ok $? "compare --frame of a sweep directory exits 0 $(head -1 "$tmp/e2")"
sed 's/^/# /' "$tmp/f2"
grep -F -q '┌ train/acc · mean, min-max' "$tmp/f2"
ok $? "2 groups of 5 runs: by group (the default), a band per group"
# the legend's value is the mean of the group's last train/acc
for lr in 1e-3 3e-3; do
    want=$(for s in 1 2 3 4 5; do
        grep '"train/acc"' "$tmp/sw/lr=$lr,width=16,seed=$s/run.jsonl" | tail -1
    done | sed 's/.*"train\/acc":\([^,}]*\).*/\1/' |
        awk '{ t += $1 } END { printf "%.3f", t / NR }')
    got=$(grep -m1 -F '┌ train/acc · mean' -A1 "$tmp/f2" | tail -1 |
        sed 's/││.*//' | sed -n "s/.*lr=$lr (5) \([0-9.e-]*\).*/\1/p")
    [ -n "$got" ] && [ "$got" = "$want" ]
    ok $? "legend: lr=$lr (5) is the mean of its seeds' last train/acc: $got (want $want)"
done
grep -q '■ lr=1e-3 seed=5 ' "$tmp/f2" && grep -q '+5 more' "$tmp/f2"
ok $? "runs labelled by lr and seed in the table (5 shown, +5 more)"
"$rs" compare --by run --frame "$tmp/sw" >"$tmp/f3" 2>&1
grep -F -q '┌ train/acc · lr=1e-3' "$tmp/f3" &&
    grep -F -q '┌ train/acc · lr=3e-3' "$tmp/f3"
ok $? "--by run: train/acc a panel per group, a line per run"
"$rs" compare --by seed "$tmp/sw" >/dev/null 2>"$tmp/e5"
[ $? = 2 ] && grep -q "\-\-by 'seed': expected run|group" "$tmp/e5"
ok $? "--by seed is refused: $(cat "$tmp/e5")"

"$rs" compare >/dev/null 2>"$tmp/e3"
[ $? = 2 ] && grep -q 'name the run directories' "$tmp/e3"
ok $? "compare without directories is a usage error"
"$rs" compare "$tmp/nope" >/dev/null 2>"$tmp/e4"
[ $? = 2 ] && grep -q 'run.jsonl' "$tmp/e4"
ok $? "a directory without a run is refused, naming run.jsonl"
echo "1..$n"
exit $fail
