#!/bin/sh
# t_export.sh: `repscope export RUNDIR --csv`: a headless run of demo_mlp
# exported to RUNDIR/run.csv (the default), to a named file and to stdout
# (the same bytes); Python's csv module reads every file back to exactly
# the values of run.jsonl, row for row (step, series, value; null as nan),
# including a hand-made log with a series name holding a comma and a
# quote and a torn last line (a run still being written). Command-line
# errors: status 2 and a message; a directory without run.jsonl: status 1
# naming the file. The Python part SKIPs without /usr/bin/python3.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
rs=$build/repscope
tmp=$build/tests/tmp/t_export.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
export RS_DATADIR="$src"
n=0
fail=0
ok() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}

"$rs" --headless demo_mlp --steps 30 --out "$tmp/run" >/dev/null 2>&1
ok $? "a headless run of demo_mlp"
"$rs" export "$tmp/run" --csv 2>"$tmp/err"
rc=$?
[ $rc = 0 ] && [ -s "$tmp/run/run.csv" ] &&
    grep -q "rows from .* records in $tmp/run/run.csv" "$tmp/err"
ok $? "export --csv writes RUNDIR/run.csv (status $rc): $(cat "$tmp/err")"
head -1 "$tmp/run/run.csv" | grep -q -x 'step,series,value'
ok $? "the header is step,series,value"
"$rs" export --csv --out "$tmp/named.csv" "$tmp/run" 2>/dev/null &&
    cmp -s "$tmp/run/run.csv" "$tmp/named.csv"
ok $? "--out FILE: the same bytes"
"$rs" export "$tmp/run" --csv --out - >"$tmp/stdout.csv" 2>"$tmp/err" &&
    cmp -s "$tmp/run/run.csv" "$tmp/stdout.csv" && [ ! -s "$tmp/err" ]
ok $? "--out -: the same bytes on stdout, nothing on stderr"

# a log with what demo_mlp does not write: a name with a comma and a
# quote, null (a non-finite value), a string, events, a torn last line
mkdir -p "$tmp/hand"
cat >"$tmp/hand/run.jsonl" <<'JSONL'
{"type":"meta","scene":"hand","seed":1}
{"step":0,"a,b":1.5,"say \"hi\"":-2e-07,"gone":null,"note":"text"}
{"type":"event","step":0,"kind":"set","text":"lr=0.1"}
{"step":10,"a,b":0.333333343}
JSONL
printf '{"step":20,"a,b":0.25' >>"$tmp/hand/run.jsonl"
"$rs" export "$tmp/hand" --csv 2>/dev/null
cat >"$tmp/want.csv" <<'CSV'
step,series,value
0,"a,b",1.5
0,"say ""hi""",-2e-07
0,gone,nan
10,"a,b",0.333333343
CSV
cmp -s "$tmp/want.csv" "$tmp/hand/run.csv"
r=$?
ok $r "quoting, nan, no strings or events, the torn last line left out"
[ $r = 0 ] || diff "$tmp/want.csv" "$tmp/hand/run.csv" | sed 's/^/# /'

if [ -x /usr/bin/python3 ]; then
    for d in run hand; do
        /usr/bin/python3 - "$tmp/$d/run.jsonl" "$tmp/$d/run.csv" \
            >"$tmp/py" 2>&1 <<'PY'
import csv, json, math, sys
want = []
for line in open(sys.argv[1]).read().split("\n")[:-1]:
    v = json.loads(line)
    if not isinstance(v, dict) or "type" in v:
        continue
    for k, x in v.items():
        if k == "step" or isinstance(x, (bool, str)):
            continue
        want.append((v["step"], k, float("nan") if x is None else x))
with open(sys.argv[2], newline="") as f:
    rows = list(csv.reader(f))
assert rows[0] == ["step", "series", "value"], rows[0]
got = [(int(s), k, float(x)) for s, k, x in rows[1:]]
assert len(got) == len(want), (len(got), len(want))
for g, w in zip(got, want):
    same = g[2] == w[2] or (math.isnan(g[2]) and math.isnan(w[2]))
    assert g[0] == w[0] and g[1] == w[1] and same, (g, w)
print(len(got), "rows")
PY
        ok $? "python3's csv module reads $d/run.csv back to the log's values: $(cat "$tmp/py" | tail -1)"
    done
else
    echo "ok $((n + 1)) # SKIP /usr/bin/python3 not found"
    echo "ok $((n + 2)) # SKIP /usr/bin/python3 not found"
    n=$((n + 2))
fi

refused() { # status want args...
    st=$1
    want=$2
    shift 2
    "$rs" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc = "$st" ] && [ ! -s "$tmp/out" ] && grep -q -x -F -e "$want" "$tmp/err"
    ok $? "'$*' is refused (status $rc): $(head -1 "$tmp/err")"
}
refused 2 "repscope export: choose the format: --csv" export "$tmp/run"
refused 2 "repscope export: name the run directory" export --csv
refused 2 "repscope export: one run directory: 'a' and 'b'" export a b --csv
refused 2 "repscope export: unknown option '--tsv' (try repscope export --help)" \
    export a --tsv
refused 2 "repscope export: --out needs a value (try repscope export --help)" \
    export a --csv --out
refused 1 "repscope export: cannot read $tmp/none/run.jsonl: No such file or directory" \
    export "$tmp/none" --csv
"$rs" export --help | grep -q -- '--csv'
ok $? "export --help lists --csv"
echo "1..$n"
exit $fail
