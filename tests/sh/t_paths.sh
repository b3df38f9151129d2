#!/bin/sh
# t_paths.sh: the project owns everything it refers to. No file of the
# tree may point outside it, or at the machine it was written on.
#
# The rule, checked on every text file of the tree (the tracked files in a
# git checkout; else the distributed files minus what autotools generate;
# else the test is skipped):
#   1. No directory of a particular machine: paths under /work, /home,
#      /root, /Users, /mnt or /media, the absolute path of this checkout,
#      or $HOME (when it is a real home, two levels deep).
#   2. No fixed file name under /tmp. Two runs (two CI jobs, two users)
#      would collide on it, and a program writing one is open to symlink
#      attacks. A mktemp template (a line holding XXXXXX) is fine: its name
#      is unique. The system's temporary directory itself, without a name
#      after it, is fine too.
#   3. A relative path that climbs with ../ must stay in the tree and name
#      something in it, taken from the directory of the file that holds
#      it. One form is allowed besides: one climb to a file at the top of
#      the tree, which is the VPATH build idiom run from a build directory
#      just below the top (cd _build && ../configure). A ../ after some
#      other path (a variable holding the top, as in $top/..) is taken
#      from the top.
#   4. No citation of the developers' notes that live beside the checkout
#      and are not part of the project (the names in $notes below, and
#      section numbers of the style notes). Papers are cited by title and
#      arXiv id; measured machine facts are stated in words with the
#      measurement.
# Allowed: system paths that are the same on every Debian machine and that
# the product or its tests really use (/usr/share/datasets/fashion-mnist
# from the dataset-fashion-mnist package, /usr/bin/python3,
# /usr/local/share/repscope as the default prefix, /dev/null, /proc).
# Nothing is exempt, this file included: its patterns are written so that
# they do not match themselves.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
make=${MAKE:-make}
cd "$src" || exit 1
top=$(pwd -P)
tmp="$build/tests/tmp/paths.$$"
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT

# The developers' notes, as an ERE alternation of file stems (.md).
notes='DESIGN|STYLE|FACTS|papers'

if git rev-parse --show-toplevel >/dev/null 2>&1 &&
    [ "$(cd "$(git rev-parse --show-toplevel)" && pwd -P)" = "$top" ]; then
    git ls-files >"$tmp/files"
    from="tracked files"
elif MAKEFLAGS= MFLAGS= "$make" -s -C "$build" rs-print-lists \
    >"$tmp/lists" 2>/dev/null; then
    sed -n 's/^dist: *//p' "$tmp/lists" | tr ' ' '\n' |
        grep -v -E '^(configure|aclocal\.m4|config\.h\.in|build-aux/.*|(.*/)?Makefile\.in)?$' \
            >"$tmp/files"
    from="distributed files"
else
    echo "1..0 # SKIP neither a git checkout nor a make that lists the distribution"
    exit 0
fi
# Text files only (binary fixtures cannot hold a path to fix).
: >"$tmp/text"
while read -r f; do
    [ -f "$f" ] && grep -Iq '' "$f" && printf '%s\n' "$f" >>"$tmp/text"
done <"$tmp/files"
if [ ! -s "$tmp/text" ]; then
    echo "1..0 # SKIP no text files among the $from"
    exit 0
fi
echo "# checking the $(wc -l <"$tmp/text") text files among the $from"

# awk, pass 1: the tree's paths and their directories; pass 2: each file.
# One TAP line per file, and a # line per finding: file:line: why: text.
{
    cat "$tmp/files"
    echo configure # what autogen.sh makes at the top (rule 3)
} >"$tmp/tree"
# shellcheck disable=SC2046
awk -v notes="$notes" -v top="$top" -v home="${HOME:-}" -v q="'" '
# A directory at least two levels deep, outside /usr and /tmp (a HOME of
# /, /tmp or /nonexistent names nothing of one machine).
function deep(p) {
    return p ~ /^\/[^\/]+\/[^\/]/ && p !~ /^\/(usr|tmp|var\/tmp)\//
}
function dir_of(p,   i) {
    i = match(p, /\/[^\/]*$/)
    return i ? substr(p, 1, i - 1) : ""
}
# Resolve path p (starting with ../) from directory d of the tree:
# the resolved path, or "" when it climbs above the top.
function resolve(d, p,   n, parts, i, k, stack, out) {
    k = 0
    if (d != "") {
        n = split(d, parts, "/")
        for (i = 1; i <= n; i++) stack[++k] = parts[i]
    }
    n = split(p, parts, "/")
    for (i = 1; i <= n; i++) {
        if (parts[i] == "" || parts[i] == ".") continue
        if (parts[i] == "..") {
            if (k == 0) return ""
            k--
        } else stack[++k] = parts[i]
    }
    out = ""
    for (i = 1; i <= k; i++) out = out (i > 1 ? "/" : "") stack[i]
    return out == "" ? "." : out
}
function finding(why) {
    nfound[FILENAME]++
    found[FILENAME, nfound[FILENAME]] = FNR ": " why ": " substr($0, 1, 120)
}
function check_climbs(line, d,   rest, tok, pre, r, vpath) {
    rest = line
    while (match(rest, climb_re)) {
        tok = substr(rest, RSTART, RLENGTH)
        rest = substr(rest, RSTART + RLENGTH)
        pre = substr(tok, 1, 1)
        if (pre != ".") tok = substr(tok, 2)
        sub(/[.]+$/, "", tok)
        sub(/\/+$/, "", tok)
        # after another path (a variable holding the top): from the top
        r = resolve(pre == "/" ? "" : d, tok)
        if (r != "" && (r in tree)) continue
        # one climb to a file at the top: ../configure from _build/
        vpath = substr(tok, 4)
        if (pre != "/" && !index(vpath, "..") && (vpath in tree)) continue
        finding(r == "" ? "climbs out of the tree (" tok ")" \
                        : "names " r ", which is not in the tree")
    }
}
BEGIN {
    climb_re = "(^|[^.A-Za-z0-9_])(\\.\\./)+[^ \t\"" q "`()<>,;:]*"
    shared_re = "(^|[ \t`\"(" q "])shared/"
    notes_re = "(^|[^A-Za-z0-9_])(" notes ")\\.md"
    tmp_re = "(^|[^A-Za-z0-9_.~$}/-])/tmp/[A-Za-z0-9_.-]"
}
FNR == NR {
    tree[$0] = 1
    p = $0
    while ((p = dir_of(p)) != "") tree[p] = 1
    next
}
FNR == 1 { order[++nfiles] = FILENAME }
{
    line = $0
    if (match(line, /(^|[^A-Za-z0-9_.~-])\/(work|home|root|Users|mnt|media)\//))
        finding("a directory of one machine")
    if (deep(top) && index(line, top "/"))
        finding("the absolute path of this checkout")
    if (deep(home) && index(line, home "/"))
        finding("the home directory")
    if (line ~ tmp_re && line !~ /XXXXXX/)
        finding("a fixed file name under /tmp (use mktemp)")
    if (line ~ notes_re)
        finding("cites a note that is not part of the project")
    if (line ~ /STYLE [0-9]+\.[0-9]+/)
        finding("cites a section of the style notes")
    if (line ~ shared_re)
        finding("names the notes directory beside the checkout")
    if (index(line, "../")) check_climbs(line, dir_of(FILENAME))
}
END {
    for (i = 1; i <= nfiles; i++) {
        f = order[i]
        if (nfound[f] == 0) {
            print "ok " i " - " f
            continue
        }
        print "not ok " i " - " f " points outside the tree"
        for (k = 1; k <= nfound[f]; k++) print "# " f ":" found[f, k]
        bad = 1
    }
    print "1.." nfiles
    exit bad
}' "$tmp/tree" $(cat "$tmp/text")
