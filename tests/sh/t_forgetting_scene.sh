#!/bin/sh
# t_forgetting_scene.sh: the forgetting scene end to end on short runs:
# the clone walks FAR and falls in CLOSE; every method logs its
# evaluation series (bands, forgetting, KL on FAR, forward transfer) and
# the strip; the final table names each method. Runs side by side equal
# the same seeds run alone (seed-parallel = one at a time), and a run
# stopped half-way resumes to the same learners and evaluations.
build=${RS_BUILDDIR:-.}
tmp="$build/tests/tmp/forgetting.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
ok() { # status message
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
run() { # dir args...
    d=$1
    shift
    "$build/repscope" --headless forgetting --set eval_every=5 "$@" \
        --out "$tmp/$d" >"$tmp/$d.out" 2>&1
}
# the values of every series of learners matching $2 in run $1, one
# "name value" per line, sorted (the step is part of the line order)
series() {
    grep -o "\"$2[^\"]*\":[^,}]*" "$tmp/$1/run.jsonl" | sort
}

run all --steps 20 --set seeds=2
rc=$?
ok $rc "five methods x 2 seeds run 20 updates (exit $rc)"
grep -q "^pre-trained ([0-9]* steps, loss 0\.0[0-5][0-9]*): FAR success 1\.00, from cell 0 it falls at cell 4" \
    "$tmp/all.out"
ok $? "the clone walks FAR from every start and falls in CLOSE"
for m in vanilla bc ks ewc scratch; do
    for s in eval/far eval/far_lo eval/far_hi eval/close eval/full \
        eval/full_lo eval/full_hi kl_far; do
        grep -q "\"$m/$s\"" "$tmp/all/run.jsonl"
        ok $? "$m logs $s"
    done
    grep -q "\"${m}_2/rl/return\"" "$tmp/all/run.jsonl"
    ok $? "its second run logs rl/return"
    grep -Eq "^$m +((-|[0-9]+/2) +){3}[0-9]+/2 +[01]\.[0-9]{2} " "$tmp/all.out"
    ok $? "$m has a row of the final table"
done
for m in vanilla bc ks ewc; do
    grep -q "\"$m/eval/far_forgot\"" "$tmp/all/run.jsonl" &&
        grep -q "\"$m/eval/ft\"" "$tmp/all/run.jsonl"
    ok $? "$m logs far_forgot and its forward transfer"
done
! grep -q '"scratch/eval/far_forgot"' "$tmp/all/run.jsonl"
ok $? "scratch, with nothing to forget, logs no far_forgot"
grep -q '"bc_1/train/kl"' "$tmp/all/run.jsonl" &&
    grep -q '"ks_1/train/kl"' "$tmp/all/run.jsonl" &&
    grep -q '"ewc_1/train/ewc"' "$tmp/all/run.jsonl"
ok $? "the retention terms are logged (bc, ks: kl; ewc: ewc)"
! grep -q '"vanilla_1/actor/' "$tmp/all/run.jsonl"
ok $? "instruments off: no rank instruments for 10 learners"
grep -q '"name":"forget/strip","step":20,"rows":6,"cols":35' \
    "$tmp/all/matrices.jsonl"
ok $? "the strip: the layout and 5 methods x 35 cells at the last step"

# seed-parallel = one at a time: run 2 of a 2-seed run equals a 1-seed run
# whose first seed is 2, and run 1 a 1-seed run of seed 1
run pair --steps 10 --set seeds=2 --set methods=vanilla,bc &&
    run second --steps 10 --set seeds=1 --set first=2 \
        --set methods=vanilla,bc &&
    run first --steps 10 --set seeds=1 --set methods=vanilla,bc
ok $? "a 2-seed run and two 1-seed runs"
for k in 1 2; do
    one=$( [ $k = 1 ] && echo first || echo second )
    for m in vanilla bc; do
        a=$(series pair "${m}_$k/")
        b=$(series "$one" "${m}_$k/")
        [ -n "$a" ] && [ "$a" = "$b" ]
        ok $? "${m}_$k: the same $(echo "$a" | wc -l) values side by side as alone"
    done
done

# stopped at 10 of 20 and resumed: the same learners and evaluations
run half --steps 10 --set seeds=2 --set methods=vanilla,ks &&
    "$build/repscope" --resume "$tmp/half" --headless --steps 20 \
        >"$tmp/resumed" 2>&1 &&
    run whole --steps 20 --set seeds=2 --set methods=vanilla,ks
ok $? "a run stopped at 10 resumes to 20"
last() { # run key: the key's last value in the file
    grep -o "\"$2\":[^,}]*" "$tmp/$1/run.jsonl" | tail -n 1
}
for key in vanilla_1/rl/return vanilla_2/train/loss ks_1/train/kl \
    ks_2/rl/ep_len vanilla/eval/far ks/eval/full ks/kl_far; do
    a=$(last half "$key")
    b=$(last whole "$key")
    [ -n "$a" ] && [ "$a" = "$b" ]
    ok $? "resumed: $key ends as in the whole run ($a)"
done
echo "1..$n"
exit $fail
