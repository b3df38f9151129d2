#!/bin/sh
# t_symbols.sh: every external symbol of our convenience libraries carries
# the project prefix (rs_, or luaopen_repscope for Lua openers), the
# libmaxminddb external_symbols test idea. Sanitizer-generated symbols
# (__odr_asan.*, __asan_*, __tsan_*) are not ours and are ignored.
build=${RS_BUILDDIR:-.}
n=0
fail=0
command -v nm >/dev/null 2>&1 || { echo "1..0 # SKIP nm not found"; exit 0; }
for lib in "$build"/src/*/librs_*.a "$build"/lua/librs_*.a "$build"/ui/librs_*.a; do
    [ -f "$lib" ] || continue
    n=$((n + 1))
    bad=$(nm -g --defined-only "$lib" 2>/dev/null |
        awk 'NF == 3 && $2 ~ /[TDBRC]/ { print $3 }' |
        grep -v -e '^rs_' -e '^luaopen_repscope' -e '^__odr_asan' -e '^__asan' -e '^__tsan' | sort -u | tr '\n' ' ')
    name=${lib#"$build"/}
    if [ -z "$bad" ]; then
        echo "ok $n - $name exports only rs_ symbols"
    else
        echo "not ok $n - $name exports unprefixed: $bad"
        fail=1
    fi
done
echo "1..$n"
exit $fail
