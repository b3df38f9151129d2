#!/bin/sh
# t_keys_man.sh: the KEYS section of repscope(1) lists exactly the keys of
# the keymap that dispatches them (ui/keys.c, printed by `repscope
# --list-keys`): the same sections, keys and help texts, in the same
# order. The man source writes a section as ".SS name" and a key as
# ".TP", ".B key", then its help on one line, with '-' as '\-'.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
page=$src/man/repscope.1.in
tmp=$build/tests/tmp/t_keys_man.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT

"$build/repscope" --list-keys >"$tmp/keys" 2>&1
rc=$?
awk '
/^\.SH / { inkeys = ($0 == ".SH KEYS"); next }
!inkeys { next }
/^\.SS / { sub(/^\.SS /, ""); print "== " $0; next }
/^\.TP/ { want = "key"; next }
want == "key" && /^\.B / { sub(/^\.B /, ""); key = $0; want = "help"; next }
want == "help" { print key "\t" $0; want = ""; next }
' "$page" | sed 's/\\-/-/g' >"$tmp/man"

n=0
fail=0
ok() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
[ $rc = 0 ] && [ -s "$tmp/keys" ]
ok $? "repscope --list-keys prints the keymap"
[ -s "$tmp/man" ]
ok $? "repscope.1 has a KEYS section"
nk=$(grep -c "$(printf '\t')" "$tmp/keys")
nm=$(grep -c "$(printf '\t')" "$tmp/man")
[ "$nk" = "$nm" ]
ok $? "as many keys in the man page ($nm) as in the keymap ($nk)"
if diff "$tmp/keys" "$tmp/man" >"$tmp/diff"; then
    ok 0 "the same sections, keys and help, in order"
else
    ok 1 "the man page and the keymap differ (< keymap, > man page)"
    sed 's/^/# /' "$tmp/diff"
fi
# every key the help overlay shows is a key of the keymap, and back:
# the overlay is built from the same table (t_ui_app checks the count)
grep -q "^q$(printf '\t')" "$tmp/keys" && grep -q "^space$(printf '\t')" "$tmp/keys"
ok $? "q and space are listed"
echo "1..$n"
exit $fail
