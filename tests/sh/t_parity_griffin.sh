#!/bin/sh
# t_parity_griffin.sh: train the griffin module kind (the transformer, Hawk,
# Griffin) with PyTorch (its twin in bench/torch_ref.py) and with repscope
# and compare the 50 AdamW losses and the final parameters. parity_griffin.py
# writes the reference file (format in that file and in t_parity_griffin.c);
# the C program emits the TAP. Skips when the system Python has no torch.
src=${RS_SRCDIR:-.}
build=${RS_BUILDDIR:-.}
py=/usr/bin/python3

if ! [ -x "$py" ] || ! "$py" -c 'import torch' >/dev/null 2>&1; then
    echo "1..0 # SKIP torch not available"
    exit 0
fi
prog="$build/tests/t_parity_griffin"
if ! [ -x "$prog" ]; then
    echo "Bail out! $prog not built"
    exit 1
fi

mkdir -p "$build/tests/tmp" || exit 1
dir=$(mktemp -d "$build/tests/tmp/parity.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT

if ! RS_SRCDIR="$src" OPENBLAS_NUM_THREADS=1 "$py" \
    "$src/tests/parity_griffin.py" "$dir/ref.bin" >"$dir/py.log" 2>&1; then
    echo "Bail out! parity_griffin.py failed"
    sed 's/^/# /' "$dir/py.log"
    exit 1
fi
sed 's/^/# /' "$dir/py.log"
OPENBLAS_NUM_THREADS=1 "$prog" "$dir/ref.bin"
