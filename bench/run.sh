#!/bin/sh
# repscope - MIT licence, see COPYING.
#
# bench/run.sh: `make bench`. Times each workload of rs_bench at 1 and 2
# threads against PyTorch (../shared/bench/torch_ref.py, when
# /usr/bin/python3 can import torch) as installed, and again with
# OPENBLAS_CORETYPE set to the best OpenBLAS core for this CPU. The three
# programs run interleaved, REPS times (default 3); each figure is the
# median steps/s. Output, one line per workload and thread count:
#
#   bench WORKLOAD threads=T repscope=X torch=Y ratio=X/Y torch_best=Y2
#         ratio_best=X/Y2              (one line; steps/s, 3 significant digits)
#
# (torch fields are NA without torch). Timing noise on a shared 2-core
# machine is 10-35% (FACTS.md): compare ratios, not absolute numbers.
# Usage: sh bench/run.sh /abs/path/to/rs_bench   (env: REPS, WORKLOADS,
# THREADS, RS_SRCDIR)
set -u

bench=${1:?usage: run.sh /path/to/rs_bench}
reps=${REPS:-3}
workloads=${WORKLOADS:-grok-mlp fmnist-mlp tiny-gpt}
threads_list=${THREADS:-1 2}
py=/usr/bin/python3
src=${RS_SRCDIR:-$(dirname "$0")/..}
ref=$src/../shared/bench/torch_ref.py
[ -f "$ref" ] || ref=/work/shared/bench/torch_ref.py

have_torch=no
if [ -f "$ref" ] && [ -x "$py" ] &&
    "$py" -c 'import torch' >/dev/null 2>&1; then
    have_torch=yes
fi

best=$("$bench" --best-core) ||
    { echo "bench: $bench does not run" >&2; exit 1; }

# Steps per run, sized for about 1-2 s each: repscope, torch as installed
# (generic kernels, 4-5x slower) and torch with the best kernels. Each
# torch run also pays ~1.5 s of `import torch`.
steps() { # program workload
    case $1-$2 in
    rs-grok-mlp) echo 200 ;;
    rs-fmnist-mlp) echo 600 ;;
    rs-tiny-gpt) echo 20 ;;
    torch-grok-mlp) echo 40 ;;
    torch-fmnist-mlp) echo 150 ;;
    torch-tiny-gpt) echo 6 ;;
    best-grok-mlp) echo 120 ;;
    best-fmnist-mlp) echo 400 ;;
    best-tiny-gpt) echo 12 ;;
    *) echo 20 ;;
    esac
}

# Untimed warm-up steps for the torch runs: 5, or 2 where a step takes a
# quarter of a second (rs_bench keeps its default, max(5, steps / 10)).
warm() { # workload
    case $1 in
    tiny-gpt) echo 2 ;;
    *) echo 5 ;;
    esac
}

# steps_per_s from a "workload=... steps_per_s=X ms_per_step=Y" line.
rate() {
    sed -n 's/.*steps_per_s=\([0-9.eE+-]*\).*/\1/p' | head -n 1
}

# Median of the numbers on stdin (mean of the middle two for an even
# count); NA if there are none.
median() {
    sort -g | awk '{ v[NR] = $1 }
        END {
            if (NR == 0) { print "NA"; exit }
            if (NR % 2) print v[(NR + 1) / 2];
            else print (v[NR / 2] + v[NR / 2 + 1]) / 2
        }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "NA" || b == "NA" || b + 0 == 0) print "NA";
        else printf "%.3g\n", a / b }'
}

sig3() {
    awk -v a="$1" 'BEGIN { if (a == "NA") print "NA"; else printf "%.3g\n", a }'
}

torch_core="NA"
if [ "$have_torch" = yes ]; then
    torch_core=$(env -u OPENBLAS_CORETYPE "$py" "$ref" --workload fmnist-mlp \
        --steps 1 --warmup 0 --blas-info 2>&1 >/dev/null |
        sed -n 's/.*corename=\([^ ]*\).*/\1/p' | head -n 1)
    [ -n "$torch_core" ] || torch_core=unknown
fi
echo "bench kernels: repscope=[$("$bench" --kernels)]" \
    "torch=[openblas $torch_core] torch_best=[OPENBLAS_CORETYPE=$best]" \
    "reps=$reps"

tmp=${TMPDIR:-/tmp}/rs_bench.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

for w in $workloads; do
    for t in $threads_list; do
        : >"$tmp/rs"
        : >"$tmp/torch"
        : >"$tmp/best"
        r=0
        while [ "$r" -lt "$reps" ]; do
            r=$((r + 1))
            "$bench" --workload "$w" --steps "$(steps rs "$w")" --threads "$t" |
                rate >>"$tmp/rs"
            if [ "$have_torch" = yes ]; then
                env -u OPENBLAS_CORETYPE "$py" "$ref" --workload "$w" \
                    --steps "$(steps torch "$w")" --warmup "$(warm "$w")" \
                    --threads "$t" |
                    rate >>"$tmp/torch"
                if [ "$best" != none ]; then
                    OPENBLAS_CORETYPE=$best "$py" "$ref" --workload "$w" \
                        --steps "$(steps best "$w")" --warmup "$(warm "$w")" \
                        --threads "$t" |
                        rate >>"$tmp/best"
                fi
            fi
        done
        rs=$(median <"$tmp/rs")
        to=$(median <"$tmp/torch")
        tb=$(median <"$tmp/best")
        echo "bench $w threads=$t repscope=$(sig3 "$rs") torch=$(sig3 "$to")" \
            "ratio=$(ratio "$rs" "$to") torch_best=$(sig3 "$tb")" \
            "ratio_best=$(ratio "$rs" "$tb")"
    done
done
