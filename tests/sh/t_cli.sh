#!/bin/sh
# t_cli.sh: repscope's command line against its one option table
# (src/cli.c, rows read from the source): every row is in --help and in
# the OPTIONS of repscope(1), and nothing else is; every row parses
# (spelled out, with a sample value); a value-taking option without its
# value, a flag given a value, an unknown or abbreviated option and a bad
# value each fail with status 2 and a message naming it. Then the start-up
# re-exec as main() wires it: the kernels on the status line.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
rs=$build/repscope
page=$src/man/repscope.1.in
tmp=$build/tests/tmp/t_cli.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
export RS_DATADIR="$src"
n=0
fail=0
ok() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}

# name|short|arg per row; short is 0 or 'c', arg NULL or "ARG"
sed -n 's/^    {"\([a-z-]*\)", \([^,]*\), \(NULL\|"[^"]*"\),.*/\1|\2|\3/p' \
    "$src/src/cli.c" | tr -d "\"'" >"$tmp/table"
rows=$(wc -l <"$tmp/table")
[ "$rows" -ge 15 ] && grep -q '^steps|0|N$' "$tmp/table" &&
    grep -q '^help|h|NULL$' "$tmp/table"
ok $? "read $rows rows of the option table"

"$rs" --help >"$tmp/help" 2>"$tmp/help.err"
[ $? = 0 ] && [ ! -s "$tmp/help.err" ]
ok $? "--help exits 0, nothing on stderr"
"$rs" -h >"$tmp/h" 2>&1
cmp -s "$tmp/help" "$tmp/h"
ok $? "-h prints the same"

# the OPTIONS section of the man source, dashes as plain '-'
awk '/^\.SH / { on = ($0 == ".SH OPTIONS"); next } on' "$page" |
    sed 's/\\-/-/g' >"$tmp/man"

# a sample value for each value name the table uses
sample() {
    case $1 in
    N|S|T) echo 3 ;;
    WxH) echo 40x12 ;;
    KEY=VALUE) echo lr=0.1 ;;
    NAME) echo train/acc ;;
    SIZE) echo 64M ;;
    DIR|RUNDIR|FILE) echo "$tmp/x" ;;
    *) echo "" ;;
    esac
}

while IFS='|' read -r name short arg; do
    left="--$name"
    [ "$short" = 0 ] || left="-$short, --$name"
    [ "$arg" = NULL ] || left="$left $arg"
    grep -E -q "^  $(printf '%s' "$left" | sed 's/[.[*^$]/\\&/g')  +[^ ]" \
        "$tmp/help"
    ok $? "--help lists '$left'"
    grep -E -q "^\.B[IR]? (-$short \", \" )?--$name( |\$)" "$tmp/man"
    ok $? "repscope.1 OPTIONS documents --$name"
    if [ "$arg" = NULL ]; then
        "$rs" "--$name" --help >/dev/null 2>"$tmp/err"
        ok $? "--$name parses"
        "$rs" "--$name=1" >/dev/null 2>"$tmp/err"
        [ $? = 2 ] && grep -q -x -F \
            "repscope: --$name takes no value (try --help)" "$tmp/err"
        ok $? "--$name=1: $(cat "$tmp/err")"
    else
        v=$(sample "$arg")
        [ -n "$v" ] && "$rs" "--$name" "$v" --help >/dev/null 2>"$tmp/err" &&
            "$rs" "--$name=$v" --help >/dev/null 2>>"$tmp/err"
        ok $? "--$name $arg and --$name=$arg parse ('$v') $(cat "$tmp/err")"
        "$rs" "--$name" >/dev/null 2>"$tmp/err"
        [ $? = 2 ] && grep -q -x -F \
            "repscope: --$name needs a value (try --help)" "$tmp/err"
        ok $? "--$name alone: $(cat "$tmp/err")"
    fi
    if [ "$short" != 0 ]; then
        "$rs" "-$short" --help >/dev/null 2>&1
        ok $? "-$short parses"
    fi
done <"$tmp/table"

# nothing in --help or the man page that the table does not have
cut -d'|' -f1 "$tmp/table" | sort >"$tmp/names"
sed -n 's/^  \(-., \)\{0,1\}--\([a-z-]*\).*/\2/p' "$tmp/help" | sort >"$tmp/hn"
cmp -s "$tmp/names" "$tmp/hn"
ok $? "--help lists exactly the table's options ($(wc -l <"$tmp/hn"))"
awk '/^\.TP/ { getline; print }' "$tmp/man" |
    sed -n 's/^\.B[IR]\{0,1\} \(-. ", " \)\{0,1\}--\([a-z-]*\).*/\2/p' |
    sort >"$tmp/mn"
cmp -s "$tmp/names" "$tmp/mn"
ok $? "repscope.1 OPTIONS has exactly the table's options ($(wc -l <"$tmp/mn"))"
[ -s "$tmp/mn" ] || sed 's/^/# man: /' "$tmp/man" | head -5

# refused command lines: status 2, one message naming the culprit on
# stderr, nothing on stdout
refused() { # want args...
    want=$1
    shift
    "$rs" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc = 2 ] && [ ! -s "$tmp/out" ] && grep -q -x -F -e "$want" "$tmp/err"
    ok $? "'$*' is refused (status $rc): $(head -1 "$tmp/err")"
}
refused "repscope: unknown option '--bogus' (try --help)" --bogus
refused "repscope: unknown option '--bogus' (try --help)" --bogus=3
refused "repscope: unknown option '-x' (try --help)" -x
refused "repscope: unknown option '-x' (try --help)" -Vx
refused "repscope: unknown option '--head' (did you mean --headless?)" --head
refused "repscope: unknown option '--li' (try --help)" --li
refused "repscope: --steps: 'ten' is not a whole number in 1..4611686018427387903" \
    --steps ten
refused "repscope: --steps: '0' is not a whole number in 1..4611686018427387903" \
    --steps=0
refused "repscope: --threads: '65' is not a whole number in 1..64" --threads 65
refused "repscope: --seed: '-1' is not a whole number in 0..4294967295" \
    --seed -1
refused "repscope: --size '80x': expected WxH, e.g. 100x30" --size 80x
refused "repscope: --set 'lr': expected KEY=VALUE" --set lr
refused "repscope: more than one scene: 'a' and 'b'" a b
refused "repscope: attach takes one run directory" attach a b
refused "repscope: attach RUNDIR reads a recorded run: name the run directory" \
    attach
refused "repscope: attach RUNDIR reads a recorded run: no scene, --set, --steps or --resume" \
    attach d --steps 3
refused "repscope: --resume takes the scene and parameters from the run; drop SCENE and --set" \
    --resume d s
# "--" ends the options: what follows is the scene, however it looks
refused "repscope: scene '--steps' not found (not a file, and not in $src/scenes; try --list)" \
    -- --steps

# the start-up re-exec (main -> src/reexec.c): with REPSCOPE_NO_REEXEC the
# kernels OpenBLAS picked itself; without, a re-exec onto better ones
# exactly when it picked generic kernels on a CPU with AVX2 or AVX-512
kernels() { # env...
    env -u OPENBLAS_CORETYPE -u REPSCOPE_REEXECED -u REPSCOPE_NO_REEXEC \
        "$@" "$rs" --headless "$src/tests/data/scenes/tiny.lua" --steps 10 \
        --out "$tmp/run$#" 2>&1 >/dev/null |
        sed -n 's/.*(kernels: \(.*\))$/\1/p'
}
own=$(kernels REPSCOPE_NO_REEXEC=1)
dflt=$(kernels)
case $own in
openblas\ *) ok 0 "REPSCOPE_NO_REEXEC: $own" ;;
*) ok 1 "no kernels on the status line: '$own'" ;;
esac
case $own in
*"(re-exec)"*) ok 1 "REPSCOPE_NO_REEXEC still re-execs: $own" ;;
"openblas "[Pp]rescott*avx2|"openblas "[Pp]rescott*avx512|\
"openblas "[Nn]ehalem*avx2|"openblas "[Nn]ehalem*avx512|\
"openblas "[Cc]ore2*avx2|"openblas "[Cc]ore2*avx512)
    case $dflt in
    *"(re-exec)"*) ok 0 "generic kernels on this CPU: re-exec ($dflt)" ;;
    *) ok 1 "generic kernels on this CPU, and no re-exec ($dflt)" ;;
    esac ;;
*)
    [ "$dflt" = "$own" ]
    ok $? "no re-exec needed: the same kernels ($dflt)" ;;
esac
echo "1..$n"
exit $fail
