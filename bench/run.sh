#!/bin/sh
# repscope - MIT licence, see COPYING.
#
# bench/run.sh: `make bench`. Times each workload of rs_bench at 1 and 2
# threads against PyTorch (bench/torch_ref.py, when /usr/bin/python3 can
# import torch) as installed, and again with OPENBLAS_CORETYPE set to the
# best OpenBLAS core for this CPU. The three programs run interleaved,
# REPS times (default 3); each figure is the median steps/s. Output, one
# line per workload and thread count:
#
#   bench WORKLOAD threads=T repscope=X torch=Y ratio=X/Y torch_best=Y2
#         ratio_best=X/Y2              (one line; steps/s, 3 significant digits)
#
# (torch fields are NA without torch; torch_best is torch as installed when
# no better core is known). Then summary lines, every ratio from the
# medians of this one run:
#
#   bench summary tanh/relu threads=T time_ratio=R want<=1.3 ok|MISS
#       tanh-mlp's step time over relu-mlp's (same model, activation only)
#   bench summary tanh-mlp/torch_best threads=T ratio=R want>=1.5 ok|MISS
#   bench summary sparc/torch_best threads=T ratio=R want>=1.5 ok|MISS
#   bench summary ppo-mlp/torch_best threads=T ratio=R want>=1.5 ok|MISS
#   bench summary hawk/torch_best threads=T ratio=R want>=1.5 ok|MISS
#   bench summary 2/1-threads WORKLOAD repscope=R torch=R2 torch_best=R3
#       [want>=1.5 ok|MISS]   steps/s at 2 threads over 1 thread
#
# and, for sparc, ppo-mlp and hawk when they ran with torch, one check each
# that the two compute the same loss (torch_ref.py --check on rs_bench --dump,
# 100 steps in):
#
#   bench check sparc repscope=L torch=L2 torch64=L3 rel=R rel64=R2
#       want<=1e-5 ok|MISS    rel: |torch - repscope| / |torch|, float32
#   bench check ppo-mlp ...   (the same fields)
#   bench check hawk ...      (the same fields)
#
# Timing noise on a shared 2-core machine is 10-35% (measured while
# developing): compare ratios, not absolute numbers, and run it on a quiet
# machine (a busy second core makes every 2-thread figure meaningless).
# Usage: sh bench/run.sh /abs/path/to/rs_bench   (env: REPS, WORKLOADS,
# THREADS, RS_SRCDIR)
set -u

bench=${1:?usage: run.sh /path/to/rs_bench}
reps=${REPS:-3}
workloads=${WORKLOADS:-grok-mlp fmnist-mlp tiny-gpt relu-mlp tanh-mlp sparc ppo-mlp hawk}
threads_list=${THREADS:-1 2}
py=/usr/bin/python3
src=${RS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
ref=$src/bench/torch_ref.py

have_torch=no
if [ -f "$ref" ] && [ -x "$py" ] &&
    "$py" -c 'import torch' >/dev/null 2>&1; then
    have_torch=yes
fi

best=$("$bench" --best-core) ||
    { echo "bench: $bench does not run" >&2; exit 1; }

# Steps per run, sized for about 1-2 s each: repscope, torch as installed
# (with generic kernels 4-5x slower) and torch with the best kernels.
# Each torch run also pays ~1.5 s of `import torch`.
steps() { # program workload
    case $1-$2 in
    rs-grok-mlp) echo 200 ;;
    rs-fmnist-mlp) echo 600 ;;
    rs-tiny-gpt) echo 20 ;;
    rs-relu-mlp | rs-tanh-mlp) echo 1500 ;;
    rs-sparc) echo 1000 ;;
    rs-ppo-mlp) echo 600 ;;
    rs-hawk) echo 20 ;;
    torch-grok-mlp) echo 40 ;;
    torch-fmnist-mlp) echo 150 ;;
    torch-tiny-gpt) echo 6 ;;
    torch-relu-mlp | torch-tanh-mlp) echo 300 ;;
    torch-sparc) echo 300 ;;
    torch-ppo-mlp) echo 300 ;;
    torch-hawk) echo 8 ;;
    best-grok-mlp) echo 120 ;;
    best-fmnist-mlp) echo 400 ;;
    best-tiny-gpt) echo 12 ;;
    best-relu-mlp | best-tanh-mlp) echo 500 ;;
    best-sparc) echo 400 ;;
    best-ppo-mlp) echo 300 ;;
    best-hawk) echo 8 ;;
    *) echo 20 ;;
    esac
}

# Untimed warm-up steps for the torch runs: 5, or 2 where a step takes a
# quarter of a second (rs_bench keeps its default, max(5, steps / 10)).
warm() { # workload
    case $1 in
    tiny-gpt | hawk) echo 2 ;;
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

# "ok" or "MISS" for value OP limit (OP is <= or >=); NA stays NA.
verdict() { # value op limit
    awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
        if (v == "NA") print "NA";
        else if (op == "<=") print (v + 0 <= l + 0 ? "ok" : "MISS");
        else print (v + 0 >= l + 0 ? "ok" : "MISS") }'
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
    "reps=$reps load=[$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)]"

tmp=${TMPDIR:-/tmp}/rs_bench.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# The median of program P (rs, torch, best) on workload W at T threads,
# as recorded by the loop below; NA if it did not run.
med() { # P W T
    cat "$tmp/med.$1.$2.$3" 2>/dev/null || echo NA
}

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
        [ "$best" != none ] || tb=$to
        echo "$rs" >"$tmp/med.rs.$w.$t"
        echo "$to" >"$tmp/med.torch.$w.$t"
        echo "$tb" >"$tmp/med.best.$w.$t"
        echo "bench $w threads=$t repscope=$(sig3 "$rs") torch=$(sig3 "$to")" \
            "ratio=$(ratio "$rs" "$to") torch_best=$(sig3 "$tb")" \
            "ratio_best=$(ratio "$rs" "$tb")"
    done
done

# ---- summary ---------------------------------------------------------------
for t in $threads_list; do
    # step time ratio = relu steps/s over tanh steps/s
    tr=$(ratio "$(med rs relu-mlp "$t")" "$(med rs tanh-mlp "$t")")
    [ "$tr" = NA ] ||
        echo "bench summary tanh/relu threads=$t time_ratio=$tr want<=1.3" \
            "$(verdict "$tr" "<=" 1.3)"
done
for w in tanh-mlp sparc ppo-mlp hawk; do
    for t in $threads_list; do
        case $t in 1 | 2) ;; *) continue ;; esac
        tb=$(ratio "$(med rs "$w" "$t")" "$(med best "$w" "$t")")
        [ "$tb" = NA ] ||
            echo "bench summary $w/torch_best threads=$t ratio=$tb" \
                "want>=1.5 $(verdict "$tb" ">=" 1.5)"
    done
done
for w in $workloads; do
    s=$(ratio "$(med rs "$w" 2)" "$(med rs "$w" 1)")
    [ "$s" != NA ] || continue
    line="bench summary 2/1-threads $w repscope=$s"
    line="$line torch=$(ratio "$(med torch "$w" 2)" "$(med torch "$w" 1)")"
    line="$line torch_best=$(ratio "$(med best "$w" 2)" "$(med best "$w" 1)")"
    case $w in
    grok-mlp | fmnist-mlp | tiny-gpt)
        line="$line want>=1.5 $(verdict "$s" ">=" 1.5)"
        ;;
    esac
    echo "$line"
done

# The same loss on the same weights and batch (after 100 steps, so SPARC's
# threshold and temperature, PPO's ratios and Hawk's gates have moved off
# their start).
for w in sparc ppo-mlp hawk; do
    case " $workloads " in
    *" $w "*)
        if [ "$have_torch" = yes ] &&
            "$bench" --workload "$w" --dump "$tmp/$w.dump" --warmup 100 \
                >/dev/null; then
            line=$("$py" "$ref" --workload "$w" --check "$tmp/$w.dump" |
                sed -n "s/^check workload=$w /bench check $w /p")
            rel=$(echo "$line" | sed -n 's/.* rel=\([^ ]*\).*/\1/p')
            [ -z "$line" ] ||
                echo "$line want<=1e-5 $(verdict "${rel:-NA}" "<=" 1e-5)"
        fi
        ;;
    esac
done
