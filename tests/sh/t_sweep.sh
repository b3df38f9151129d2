#!/bin/sh
# t_sweep.sh: `repscope sweep`. --dry-run prints one command per point
# and writes nothing; bad grids are refused naming the value; without a
# scheduler the commands are printed and the manifest written. Through
# GNU parallel (SKIP without it): an 8-seed sweep of demo_mlp (--steps
# 50, -j2) completes, each run directory ends with a done event and
# sweep.json records exit 0 for each; a sweep whose one point fails
# (a scene that errors while a flag file exists) lists it with its exit
# code, and --resume reruns that point only; a deleted run directory is
# a missing point for --resume. --slurm with no sbatch on PATH prints
# and writes the job-array script (array size, resources, one point per
# task), and one task run by hand runs its own point.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
rs=$build/repscope
tmp=$build/tests/tmp/t_sweep.$$
mkdir -p "$tmp" || exit 1
bg=
# a point started in the background (below) dies with the test
trap '[ -n "$bg" ] && kill -TERM -- "-$bg" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export RS_DATADIR="$src"
n=0
fail=0
ok() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
skip() { # count reason
    i=0
    while [ $i -lt "$1" ]; do
        n=$((n + 1))
        i=$((i + 1))
        echo "ok $n # SKIP $2"
    done
}
exits() { # dir: the "exit" values of sweep.json, one a line
    sed -n 's/.*"exit":\([0-9a-z]*\)}.*/\1/p' "$1/sweep.json"
}
done_runs() { # dir: how many run directories hold a done event
    grep -l '"kind":"done"' "$1"/*/run.jsonl 2>/dev/null | wc -l
}

# --dry-run
"$rs" sweep demo_mlp --set lr=1e-3,3e-3 --seeds 1-2 --steps 50 \
    --out "$tmp/dry" --dry-run >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] && [ "$(wc -l <"$tmp/out")" = 4 ] && [ ! -e "$tmp/dry" ]
ok $? "--dry-run: 4 commands, nothing written (status $rc)"
scene=$(cd "$src/scenes" && pwd -P)/demo_mlp.lua
want="$(cd "$build" && pwd -P)/repscope --headless $scene --set lr=3e-3 --seed 1 --steps 50 --out $tmp/dry/lr=3e-3,seed=1 >$tmp/dry/logs/lr=3e-3,seed=1.log 2>&1"
[ "$(sed -n 3p "$tmp/out")" = "$want" ]
ok $? "point 2 is lr=3e-3,seed=1: $(sed -n 3p "$tmp/out")"

refused() { # want args...
    want=$1
    shift
    "$rs" sweep "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc = 2 ] && [ ! -s "$tmp/out" ] && grep -q -x -F -e "$want" "$tmp/err"
    ok $? "'sweep $*' is refused (status $rc): $(head -1 "$tmp/err")"
}
refused "repscope sweep: --set 'lr': expected KEY=V1,V2,..." \
    demo_mlp --set lr --out "$tmp/x"
refused "repscope sweep: --set 'lr=': an empty list of values" \
    demo_mlp --set lr= --out "$tmp/x"
refused "repscope sweep: --set 'lr=1,,2': value 2 is empty" \
    demo_mlp --set lr=1,,2 --out "$tmp/x"
refused "repscope sweep: --seeds '3-1': the range '3-1' runs backwards (write 1-3)" \
    demo_mlp --seeds 3-1 --out "$tmp/x"
refused "repscope sweep: --out DIR is required (the sweep's directory)" \
    demo_mlp --seeds 1-2
refused "repscope sweep: name the scene (or --resume DIR)" --seeds 1-2
refused "repscope sweep: --parallel or --slurm, not both" \
    demo_mlp --out "$tmp/x" --parallel --slurm
refused "repscope sweep: -j goes with --parallel" demo_mlp --out "$tmp/x" -j 2
refused "repscope sweep: unknown option '--seed' (did you mean --seeds?)" \
    demo_mlp --seed 1
refused "repscope sweep: --resume DIR takes the grid from DIR/sweep.json: drop SCENE, --set, --seeds, --steps and --out" \
    --resume "$tmp/x" demo_mlp
[ ! -e "$tmp/x" ]
ok $? "nothing written for a refused sweep"

# no scheduler: the commands printed, the manifest written
"$rs" sweep demo_mlp --seeds 1,2 --steps 50 --out "$tmp/plain" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] && [ "$(wc -l <"$tmp/out")" = 2 ] &&
    [ -f "$tmp/plain/sweep.json" ] && cmp -s "$tmp/out" "$tmp/plain/commands.txt"
ok $? "no scheduler: 2 commands printed, as in commands.txt (status $rc)"
refused "repscope sweep: $tmp/plain holds a sweep already (sweep.json): rerun its failed points with \`repscope sweep --resume $tmp/plain\`, or choose another --out" \
    demo_mlp --seeds 1,2 --out "$tmp/plain"

# --slurm without sbatch on PATH (an empty PATH: sweep runs nothing else)
mkdir -p "$tmp/nobin"
PATH=$tmp/nobin "$rs" sweep demo_mlp --set width=16,32 --seeds 1,2 \
    --steps 20 --out "$tmp/slurm" --slurm --slurm-time 0:05:00 \
    --slurm-mem 500M --slurm-cpus 1 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] && cmp -s "$tmp/out" "$tmp/slurm/sweep.sbatch" &&
    grep -q "sbatch is not on PATH" "$tmp/err"
ok $? "--slurm, no sbatch: the script printed and in sweep.sbatch (status $rc)"
s=$tmp/slurm/sweep.sbatch
grep -q -x '#SBATCH --array=0-3' "$s" &&
    grep -q -x '#SBATCH --time=0:05:00' "$s" &&
    grep -q -x '#SBATCH --mem=500M' "$s" &&
    grep -q -x '#SBATCH --cpus-per-task=1' "$s" && ! grep -q partition "$s"
ok $? "an array of 4 tasks with the resources given"
[ "$(grep -v '^#' "$s" | grep -c run-point.sh)" = 1 ] &&
    grep -q -x "exec sh $tmp/slurm/run-point.sh \"\$SLURM_ARRAY_TASK_ID\"" "$s"
ok $? "each task runs the point of its ID"
SLURM_ARRAY_TASK_ID=2 sh "$s" >/dev/null 2>&1
rc=$?
[ $rc = 0 ] && [ "$(cat "$tmp/slurm/exit/2" 2>/dev/null)" = 0 ] &&
    grep -q '"kind":"done"' "$tmp/slurm/width=32,seed=1/run.jsonl" &&
    [ "$(done_runs "$tmp/slurm")" = 1 ]
ok $? "task 2 run by hand runs width=32,seed=1 only and records exit 0"
"$rs" sweep --resume "$tmp/slurm" --dry-run >"$tmp/out" 2>"$tmp/err"
[ "$(wc -l <"$tmp/out")" = 3 ] && ! grep -q 'width=32,seed=1' "$tmp/out" &&
    grep -q '3 of 4 points to rerun' "$tmp/err"
ok $? "--resume --dry-run: the 3 other points"

# --slurm with an sbatch on PATH (a stand-in that records its arguments)
mkdir -p "$tmp/fakebin"
cat >"$tmp/fakebin/sbatch" <<SH
#!/bin/sh
echo "\$@" >"$tmp/sbatch.args"
echo "Submitted batch job 42"
SH
chmod +x "$tmp/fakebin/sbatch"
PATH=$tmp/fakebin:$PATH "$rs" sweep demo_mlp --seeds 1-4 --steps 20 \
    --out "$tmp/sub" --slurm >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] && [ "$(cat "$tmp/sbatch.args" 2>/dev/null)" = "$tmp/sub/sweep.sbatch" ] &&
    grep -q -x '#SBATCH --array=0-3' "$tmp/sub/sweep.sbatch" &&
    grep -q '4 points submitted' "$tmp/err"
ok $? "--slurm with sbatch on PATH submits DIR/sweep.sbatch (status $rc): $(tail -1 "$tmp/err")"

if ! command -v parallel >/dev/null 2>&1; then
    skip 7 "GNU parallel not found (Debian: apt-get install parallel)"
    echo "1..$n"
    exit $fail
fi

# 8 seeds of demo_mlp through GNU parallel, two at a time
"$rs" sweep demo_mlp --seeds 1-8 --steps 50 --out "$tmp/par" --parallel -j2 \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] && grep -q "all 8 points done" "$tmp/err"
ok $? "an 8-seed sweep of demo_mlp through parallel -j2 (status $rc): $(tail -1 "$tmp/err")"
[ "$(done_runs "$tmp/par")" = 8 ] && [ "$(exits "$tmp/par" | grep -c -x 0)" = 8 ]
ok $? "8 run directories end done, sweep.json says exit 0 for each"
[ "$(tail -n +2 "$tmp/par/joblog.txt" | wc -l)" = 8 ]
ok $? "parallel's job log in the sweep directory: 8 jobs"

# a missing point: its run directory removed
rm -rf "$tmp/par/seed=5"
"$rs" sweep --resume "$tmp/par" --parallel -j2 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] && grep -q '1 of 8 points to rerun' "$tmp/err" &&
    [ "$(tail -n +2 "$tmp/par/joblog.txt" | wc -l)" = 1 ] &&
    [ "$(done_runs "$tmp/par")" = 8 ]
ok $? "--resume reruns the missing point only (status $rc)"

# a point that fails while a flag file exists
sed 's/^  setup = function(p)$/&\
    if p.width == 8 and io.open(os.getenv("RS_T_SWEEP_FLAG"), "r") then\
      error("failing on purpose")\
    end/' "$src/tests/data/scenes/tiny.lua" >"$tmp/flaky.lua"
grep -q 'failing on purpose' "$tmp/flaky.lua"
ok $? "a flaky copy of tiny.lua"
export RS_T_SWEEP_FLAG="$tmp/flag"
: >"$tmp/flag"
"$rs" sweep "$tmp/flaky.lua" --set width=8,16 --steps 20 --out "$tmp/flaky" \
    --parallel -j2 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] && grep -q -x '  0 width=8: exit 1 (log .*)' "$tmp/err" &&
    grep -q '1 of 2 points failed' "$tmp/err" &&
    [ "$(exits "$tmp/flaky" | tr '\n' ' ')" = "1 0 " ]
ok $? "a failed point listed with its exit code (status $rc): $(grep exit "$tmp/err" | head -1)"
rm -f "$tmp/flag"
"$rs" sweep --resume "$tmp/flaky" --parallel -j2 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] && grep -q '1 of 2 points to rerun' "$tmp/err" &&
    [ "$(tail -n +2 "$tmp/flaky/joblog.txt" | wc -l)" = 1 ] &&
    grep -q 'run-point.sh 0$' "$tmp/flaky/joblog.txt" &&
    [ "$(exits "$tmp/flaky" | tr '\n' ' ')" = "0 0 " ] &&
    [ -d "$tmp/flaky/width=8.failed-1" ]
ok $? "--resume reruns only it, its first try moved aside (status $rc)"
# a point that runs now is left alone by --resume; once killed, its
# stale marker no longer holds it back
"$rs" sweep "$src/tests/data/scenes/tiny.lua" --set width=8,16 \
    --steps 100000000 --out "$tmp/busy" >/dev/null 2>&1
setsid sh "$tmp/busy/run-point.sh" 0 >/dev/null 2>&1 &
bg=$!
i=0
while [ $i -lt 100 ] && [ ! -s "$tmp/busy/running/0" ]; do
    sleep 0.1
    i=$((i + 1))
done
"$rs" sweep --resume "$tmp/busy" --dry-run >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] &&
    grep -q "point 0 width=8 is still running (on $(hostname), pid [0-9]*): left alone" "$tmp/err" &&
    grep -q '1 of 2 points to rerun' "$tmp/err" &&
    ! grep -q 'width=8 ' "$tmp/out" && grep -q 'width=16 ' "$tmp/out"
ok $? "--resume leaves a running point alone: $(head -1 "$tmp/err")"
kill -TERM -- "-$bg" 2>/dev/null
wait "$bg" 2>/dev/null
bg=
"$rs" sweep --resume "$tmp/busy" --dry-run >"$tmp/out" 2>"$tmp/err"
[ -s "$tmp/busy/running/0" ] && grep -q '2 of 2 points to rerun' "$tmp/err"
ok $? "killed, its stale marker is passed over: $(tail -1 "$tmp/err")"
echo "1..$n"
exit $fail
