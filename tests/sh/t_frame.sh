#!/bin/sh
# t_frame.sh: `repscope --headless --frame` prints the screen after the
# run as text: its structure, not its numbers (they move with the BLAS
# kernels): as many lines as asked, none wider, the status line with the
# state and step, the demo scene's panels and notes, the key bar; --size,
# --ascii (pure ASCII), --color (ANSI escapes); bad sizes are refused.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
tmp=$build/tests/tmp/t_frame.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
export RS_DATADIR="$src"
n=0
fail=0
ok() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
has() { grep -F -q -- "$2" "$1"; }
# the widest line of a file, in characters
widest() { LC_ALL=C.UTF-8 awk '{ print }' "$1" | while IFS= read -r l; do
    printf '%s' "$l" | LC_ALL=C.UTF-8 wc -m; done | sort -n | tail -1; }

"$build/repscope" --headless --frame demo_mlp --steps 200 --out "$tmp/r1" \
    >"$tmp/f1" 2>"$tmp/e1"
ok $? "--frame after 200 steps exits 0"
[ "$(wc -l <"$tmp/f1")" = 30 ]
ok $? "30 lines ($(wc -l <"$tmp/f1"))"
[ "$(widest "$tmp/f1")" -le 100 ]
ok $? "none wider than 100 columns ($(widest "$tmp/f1"))"
head -1 "$tmp/f1" | grep -q 'repscope.*DONE.*step 200/200'
ok $? "status line: DONE at step 200/200"
for p in "┌ accuracy" "┌ loss" "srank by layer" "┌ notes" "watch srank fall"; do
    has "$tmp/f1" "$p"
    ok $? "shows '$p'"
done
tail -1 "$tmp/f1" | grep -q 'space pause.*q quit'
ok $? "the key bar is the last line"
[ -s "$tmp/r1/run.jsonl" ] && grep -q '"kind":"views"' "$tmp/r1/run.jsonl"
ok $? "the run is recorded, its view specs too"

"$build/repscope" attach --frame --size 80x24 --ascii "$tmp/r1" >"$tmp/f2"
ok $? "attach --frame --size 80x24 --ascii exits 0"
[ "$(wc -l <"$tmp/f2")" = 24 ] && [ "$(widest "$tmp/f2")" -le 80 ]
ok $? "24 lines of at most 80 columns"
! LC_ALL=C grep -q '[^[:print:][:space:]]' "$tmp/f2"
ok $? "--ascii: pure ASCII"
has "$tmp/f2" "+ accuracy" && has "$tmp/f2" "attach"
ok $? "ASCII boxes, attach mode"

"$build/repscope" attach --frame --color "$tmp/r1" >"$tmp/f3"
esc=$(printf '\033')
grep -q "$esc\[" "$tmp/f3"
ok $? "--color: ANSI escapes"

"$build/repscope" attach --frame --size 30x8 "$tmp/r1" >"$tmp/f4"
has "$tmp/f4" "too small"
ok $? "30x8: 'terminal too small'"
"$build/repscope" attach --frame --size 80 "$tmp/r1" >/dev/null 2>"$tmp/e5"
[ $? = 2 ] && has "$tmp/e5" "expected WxH"
ok $? "--size 80 is refused"
echo "1..$n"
exit $fail
