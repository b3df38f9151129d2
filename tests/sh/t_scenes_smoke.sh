#!/bin/sh
# t_scenes_smoke.sh: every shipped scene loads, is listed, and trains a
# few steps headless, leaving a run.jsonl whose first line is its meta
# record. A scene whose data is not installed (Fashion-MNIST)
# may only fail with the message naming the package.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
tmp="$build/tests/tmp/scenes.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
export RS_DATADIR="$src"
n=0
fail=0
ok() { # status message
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
list=$("$build/repscope" --list 2>&1)
for f in "$src"/scenes/*.lua; do
    name=$(basename "$f" .lua)
    printf '%s\n' "$list" | grep -q "^$name " && ! printf '%s\n' "$list" |
        grep "^$name " | grep -q 'does not load'
    ok $? "$name is listed and loads"
    "$build/repscope" --headless "$name" --steps 3 --out "$tmp/$name" \
        >"$tmp/$name.out" 2>&1
    rc=$?
    if [ $rc != 0 ] && grep -q 'dataset-fashion-mnist' "$tmp/$name.out"; then
        n=$((n + 1))
        echo "ok $n # SKIP $name: Fashion-MNIST not installed"
        continue
    fi
    [ $rc = 0 ] && head -1 "$tmp/$name/run.jsonl" 2>/dev/null |
        grep -q "\"type\":\"meta\",\"scene\":\"$name\""
    ok $? "$name trains 3 steps headless and records its meta line (exit $rc)"
done
echo "1..$n"
exit $fail
