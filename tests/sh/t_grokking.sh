#!/bin/sh
# t_grokking.sh: a short headless run of the default scene (grokking, the
# shipped defaults, seed 1, 300 steps, evaluated every 50): it exits 0 and
# records run.jsonl whose every line is JSON, whose meta line names the
# scene and its parameters, and whose records carry the loss, accuracy,
# rank, dead-unit and norm series at non-decreasing steps. In 300 steps the
# net is memorising: train accuracy rises (seed 1: ~0.03 -> ~0.48 over the
# first and last three evaluations) and train loss falls (4.6 -> 1.8),
# while test accuracy stays near chance (~0.001, asserted < 0.2); srank
# values are whole numbers in [1, 256] (the width). The JSON checks need
# python3 (SKIP without it). About 5-8 s on a shared 2-core machine.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
tmp=$build/tests/tmp/t_grokking.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
export RS_DATADIR="$src"
n=0
fail=0
ok() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
run=$tmp/r/run.jsonl
has() { grep -F -q -- "$1" "$run"; }
havepy=no
command -v python3 >/dev/null 2>&1 && python3 -c 'import json' 2>/dev/null &&
    havepy=yes
# py CODE: run CODE with `meta` (the meta line), `recs` (the records, events
# left out) and `series(key)` (the (step, value) pairs of one series);
# CODE prints any "# ..." diagnostics and exits 0 on success
py() {
    python3 - "$run" "$1" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
meta = lines[0]
recs = [r for r in lines[1:] if "type" not in r]
def series(key):
    return [(r["step"], r[key]) for r in recs if key in r]
exec(sys.argv[2])
EOF
}

"$build/repscope" --headless grokking --steps 300 --seed 1 \
    --set eval_every=50 --out "$tmp/r" >"$tmp/out" 2>"$tmp/err"
ok $? "headless grokking, 300 steps, exits 0"
[ -s "$run" ]
ok $? "run.jsonl is written"
head -1 "$run" | grep -q '"type":"meta".*"scene":"grokking"'
ok $? "the meta line names scene grokking"
for p in '"p":97' '"op":"+"' '"width":256' '"depth":6' '"eval_every":50' \
        '"weight_decay":1.0'; do
    head -1 "$run" | grep -F -q -- "$p"
    ok $? "the meta params hold $p"
done
for s in train/loss train/acc test/acc probe/srank/l1 probe/srank/l2 \
        probe/srank/l3 probe/srank/l4 probe/srank/l5 probe/srank/l6 \
        probe/dead/l1 norm/weight; do
    has "\"$s\":"
    ok $? "series $s is recorded"
done

if [ "$havepy" = no ]; then
    for d in "every line is JSON" "steps non-decreasing" \
            "train accuracy rises" "train loss falls" \
            "test accuracy < 0.2 at step 300" "srank in [1, 256]"; do
        skip "python3 not found: $d"
    done
    echo "1..$n"
    exit $fail
fi

python3 - "$run" <<'EOF'
import json, sys
bad = 0
for i, l in enumerate(open(sys.argv[1]), 1):
    try:
        if not isinstance(json.loads(l), dict):
            bad += 1
    except ValueError:
        bad += 1
        print("# line %d is not JSON: %.80s" % (i, l.rstrip()))
sys.exit(1 if bad else 0)
EOF
ok $? "every line of run.jsonl is a JSON object"
py '
st = [r["step"] for r in recs]
sys.exit(0 if st and st == sorted(st) and st[-1] == 300 else 1)'
ok $? "record steps are non-decreasing and end at 300"
py '
a = [v for _, v in series("train/acc")]
f, l = sum(a[:3]) / 3, sum(a[-3:]) / 3
print("# train/acc first 3 %.3f, last 3 %.3f (of %d)" % (f, l, len(a)))
sys.exit(0 if len(a) >= 6 and l > f + 0.05 else 1)'
ok $? "train accuracy rises: mean of the last 3 > first 3 + 0.05"
py '
s = series("train/loss")
print("# train/loss %.3f at step %d -> %.3f at step %d"
      % (s[0][1], s[0][0], s[-1][1], s[-1][0]))
sys.exit(0 if len(s) >= 2 and s[-1][1] < s[0][1] else 1)'
ok $? "the final train loss is below the first"
py '
s = series("test/acc")
print("# test/acc %.4f at step %d" % (s[-1][1], s[-1][0]))
sys.exit(0 if s[-1][0] == 300 and s[-1][1] < 0.2 else 1)'
ok $? "test accuracy at step 300 is still below 0.2 (memorising)"
py '
v = [x for l in range(1, 7) for _, x in series("probe/srank/l%d" % l)]
print("# %d srank values, %s..%s" % (len(v), min(v), max(v)))
sys.exit(0 if len(v) >= 6 and all(isinstance(x, (int, float))
          and x == int(x) and 1 <= x <= 256 for x in v) else 1)'
ok $? "srank values are integers in [1, 256]"
echo "1..$n"
exit $fail
