#!/bin/sh
# t_man.sh: the manual pages format without warnings (groff -man -ww) and
# the CLI page documents every option that `repscope --help` prints.
build=${RS_BUILDDIR:-.}
command -v groff >/dev/null 2>&1 || { echo "1..0 # SKIP groff not found"; exit 0; }
n=0
fail=0
for page in "$build"/man/repscope.1 "$build"/man/repscope-lua.7; do
    n=$((n + 1))
    out=$(groff -man -ww -z "$page" 2>&1)
    if [ -f "$page" ] && [ -z "$out" ]; then
        echo "ok $n - $(basename "$page") formats cleanly"
    else
        echo "not ok $n - $(basename "$page"): ${out:-missing}"
        fail=1
    fi
done
for opt in $("$build"/repscope --help | grep -o -- '--[a-z-]*' | sort -u); do
    n=$((n + 1))
    # man(7) source writes dashes as \-
    pat=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
    if grep -q -- "$pat" "$build"/man/repscope.1; then
        echo "ok $n - repscope.1 documents $opt"
    else
        echo "not ok $n - repscope.1 does not document $opt"
        fail=1
    fi
done
echo "1..$n"
exit $fail
