#!/bin/sh
# t_dist.sh: what make install and make dist carry is what the tree holds.
#   - every scenes/*.lua is in dist_scenes_DATA (installed and shipped);
#   - every lua/repscope/*.lua is in dist_lua_DATA;
#   - every man/*.in is shipped and its page is in man_MANS;
#   - and back: every listed file exists in the source tree;
#   - in a git checkout, every tracked file is in the distribution, except
#     the repository's own plumbing (.gitignore, .ci/);
#   - make install DESTDIR=... puts each scene, Lua module, man page and
#     doc where they belong, and the installed repscope, pointed at the
#     installed data (RS_DATADIR), lists every scene and loads it.
# The lists come from make itself (the rs-print-lists target of
# Makefile.am), so the test reads what automake will really do.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
make=${MAKE:-make}
tmp="$build/tests/tmp/dist.$$"
mkdir -p "$tmp" || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
n=0
fail=0
check() { # status message [details]
    n=$((n + 1))
    if [ "$1" = 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
        fail=1
    fi
}
# A make that runs inside make check: no jobserver, no inherited goals.
runmake() {
    MAKEFLAGS= MFLAGS= MAKELEVEL= "$make" -s -C "$build" "$@"
}

if ! runmake rs-print-lists >"$tmp/lists" 2>"$tmp/lists.err"; then
    echo "not ok 1 - make rs-print-lists failed"
    sed 's/^/# /' "$tmp/lists.err"
    echo "1..1"
    exit 1
fi
field() { # name -> its words, one a line
    sed -n "s/^$1: *//p" "$tmp/lists" | tr ' ' '\n' | sed '/^$/d'
}
field dist | sort -u >"$tmp/dist"
field scenes | sort -u >"$tmp/scenes"
field lua | sort -u >"$tmp/lua"
field man | sort -u >"$tmp/man"
field doc | sort -u >"$tmp/doc"

# in_list file name -> 0 if name is a line of file
in_list() { grep -qxF "$2" "$1"; }

for f in "$src"/scenes/*.lua; do
    [ -f "$f" ] || continue
    name=scenes/${f##*/}
    in_list "$tmp/scenes" "$name"
    check $? "$name is installed (dist_scenes_DATA in Makefile.am)"
    in_list "$tmp/dist" "$name"
    check $? "$name is in the distribution"
done
for f in "$src"/lua/repscope/*.lua; do
    [ -f "$f" ] || continue
    name=lua/repscope/${f##*/}
    in_list "$tmp/lua" "$name"
    check $? "$name is installed (dist_lua_DATA in lua/local.mk)"
    in_list "$tmp/dist" "$name"
    check $? "$name is in the distribution"
done
for f in "$src"/man/*.in; do
    [ -f "$f" ] || continue
    name=man/${f##*/}
    in_list "$tmp/dist" "$name"
    check $? "$name is in the distribution (EXTRA_DIST)"
    in_list "$tmp/man" "${name%.in}"
    check $? "${name%.in} is installed (man_MANS)"
done
for name in $(cat "$tmp/scenes" "$tmp/lua" "$tmp/doc"); do
    [ -f "$src/$name" ]
    check $? "listed $name exists in the source tree"
done

# Every tracked file ships, unless it is the repository's own plumbing.
if top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null) &&
    [ "$(cd "$top" && pwd -P)" = "$(cd "$src" && pwd -P)" ]; then
    git -C "$src" ls-files | while read -r f; do
        case $f in
        .gitignore | .ci/*) ;;
        *) in_list "$tmp/dist" "$f" || echo "$f" ;;
        esac
    done >"$tmp/unshipped"
    [ ! -s "$tmp/unshipped" ]
    check $? "every tracked file is in the distribution" \
        "$(sed 's/$/ is tracked but not in make dist (EXTRA_DIST?)/' \
            "$tmp/unshipped")"
else
    n=$((n + 1))
    echo "ok $n # SKIP not a git checkout: no tracked files to compare"
fi

# A real install into a scratch DESTDIR.
dest="$tmp/inst"
if runmake install DESTDIR="$dest" >"$tmp/install.log" 2>&1; then
    check 0 "make install DESTDIR=... succeeds"
else
    check 1 "make install DESTDIR=... succeeds" "$(tail -20 "$tmp/install.log")"
    echo "1..$n"
    exit 1
fi
bindir=$(sed -n 's/^bindir: *//p' "$tmp/lists")
pkgdatadir=$(sed -n 's/^pkgdatadir: *//p' "$tmp/lists")
mandir=$(sed -n 's/^mandir: *//p' "$tmp/lists")
docdir=$(sed -n 's/^docdir: *//p' "$tmp/lists")
for name in $(cat "$tmp/scenes"); do
    [ -f "$dest$pkgdatadir/scenes/${name##*/}" ]
    check $? "$name is installed in \$(pkgdatadir)/scenes"
done
for name in $(cat "$tmp/lua"); do
    [ -f "$dest$pkgdatadir/lua/repscope/${name##*/}" ]
    check $? "$name is installed in \$(pkgdatadir)/lua/repscope"
done
for name in $(cat "$tmp/man"); do
    page=${name##*/}
    [ -f "$dest$mandir/man${page##*.}/$page" ]
    check $? "$page is installed in \$(mandir)/man${page##*.}"
done
for name in $(cat "$tmp/doc"); do
    [ -f "$dest$docdir/${name##*/}" ]
    check $? "$name is installed in \$(docdir)"
done
exe="$dest$bindir/repscope"
list=$(RS_DATADIR="$dest$pkgdatadir" "$exe" --list 2>&1)
for f in "$src"/scenes/*.lua; do
    [ -f "$f" ] || continue
    name=$(basename "$f" .lua)
    printf '%s\n' "$list" | grep "^$name " | grep -qv 'does not load'
    check $? "the installed repscope lists and loads $name" "$list"
done
echo "1..$n"
exit $fail
