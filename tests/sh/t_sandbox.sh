#!/bin/sh
# t_sandbox.sh: the Lua sandbox end to end. First tests/lua/t_sandbox.lua
# (the list of escapes) run in the restricted state itself, as
#   repscope --safe --lua-mem 64M --test tests/lua/t_sandbox.lua
# (its TAP lines renumbered into this one). Then whole scenes, headless:
# a Lua heap bomb and a tensor bomb in the DEFAULT mode end in "not
# enough memory" and an exit status, not the OOM killer; a scene that
# reaches for io under --safe fails naming its line and runs without
# --safe; --lua-mem's bad values. Last, in a real terminal (tmux), a step
# that loops forever: the console's ctrl-c interrupts it, the UI stays up
# and says "step N interrupted (...); paused", and q still quits. Every
# wait polls for up to 60 s: slowness never fails it.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
rs=$build/repscope
tmp=$build/tests/tmp/t_sandbox.$$
mkdir -p "$tmp" || exit 1
export RS_DATADIR="$src"
. "$src/tests/sh/tmux.sh"
n=0
fail=0
ok() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}

# ---- the escapes, under --safe --------------------------------------------
"$rs" --safe --lua-mem 64M --test "$src/tests/lua/t_sandbox.lua" \
    >"$tmp/lua.tap" 2>"$tmp/lua.err"
lrc=$?
while IFS= read -r line; do
    case $line in
    "ok "*|"not ok "*)
        n=$((n + 1))
        case $line in "not ok "*) fail=1 ;; esac
        echo "$line" | sed "s/^\(not \)\{0,1\}ok [0-9]*/\1ok $n [lua]/" ;;
    "#"*) echo "$line" ;;
    "Bail out!"*) echo "# $line"; fail=1 ;;
    esac
done <"$tmp/lua.tap"
[ "$lrc" = 0 ] && grep -q '^1\.\.[1-9]' "$tmp/lua.tap" &&
    ! grep -q SKIP "$tmp/lua.tap"
ok $? "t_sandbox.lua ran under --safe and passed (status $lrc)"

# ---- whole scenes, headless ------------------------------------------------
cat >"$tmp/hog_lua.lua" <<'EOF'
-- grows a table without bound in its step
local rs = require "repscope"
local keep = {}
return rs.scene{
  title = "hog",
  step = function(ctx)
    for i = 1, 1e9 do keep[#keep + 1] = { i } end
  end,
}
EOF
cat >"$tmp/hog_tensor.lua" <<'EOF'
-- asks for a 1 TiB tensor
local rs = require "repscope"
return rs.scene{
  title = "hog",
  step = function(ctx)
    local t = rs.tensor.zeros{ 65536, 65536, 64 }
  end,
}
EOF
cat >"$tmp/reach.lua" <<'EOF'
-- opens a file: fine by default, refused under --safe
local rs = require "repscope"
return rs.scene{
  title = "reach",
  step = function(ctx)
    local f = io.open("/dev/null")
    f:close()
  end,
}
EOF

"$rs" --headless --out "$tmp/runs/1" --steps 3 --lua-mem 64M \
    "$tmp/hog_lua.lua" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -gt 0 ] && [ "$rc" -lt 128 ] &&
    grep -q -F "step 1: not enough memory (the memory limit is 64 MiB: \
--lua-mem)" "$tmp/err"
r=$?
said=$(grep -o 'step 1: .*' "$tmp/err" | head -1)
ok $r "default mode, --lua-mem 64M: a heap bomb fails cleanly ($rc): $said"
"$rs" --headless --out "$tmp/runs/2" --steps 3 "$tmp/hog_tensor.lua" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -gt 0 ] && [ "$rc" -lt 128 ] &&
    grep -q -F "hog_tensor.lua:6: rs.tensor.zeros: not enough memory \
(a tensor of 1048576 MiB" "$tmp/err"
r=$?
said=$(grep -o 'rs.tensor.zeros: .*' "$tmp/err" | head -1)
ok $r "default mode, default cap: a 1 TiB tensor is refused ($rc): $said"
"$rs" --headless --out "$tmp/runs/3" --steps 2 --safe "$tmp/reach.lua" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" != 0 ] &&
    grep -q "reach.lua:6: io is not available in --safe mode" "$tmp/err"
ok $? "--safe: io in a step fails naming the line (status $rc)"
"$rs" --headless --out "$tmp/runs/4" --steps 2 "$tmp/reach.lua" \
    >"$tmp/out" 2>"$tmp/err"
ok $? "without --safe the same scene runs"
"$rs" --headless --out "$tmp/runs/5" --steps 2 --lua-mem 12 \
    "$tmp/reach.lua" >"$tmp/out" \
    2>"$tmp/err"
rc=$?
want="repscope: --lua-mem: '12' is not a size of at least 1M (a number \
with K, M, G or T, or none)"
[ "$rc" = 2 ] && grep -q -x -F "$want" "$tmp/err"
ok $? "--lua-mem 12 is refused: $(cat "$tmp/err")"
"$rs" --headless --out "$tmp/runs/6" --steps 2 --lua-mem none \
    "$tmp/reach.lua" >"$tmp/out" \
    2>"$tmp/err"
ok $? "--lua-mem none runs"

# ---- a runaway step in the terminal UI -------------------------------------
if ! command -v tmux >/dev/null 2>&1; then
    echo "ok $((n + 1)) # SKIP tmux not found"
    n=$((n + 1))
    echo "1..$n"
    rm -rf "$tmp"
    exit $fail
fi
tmux_init
# the scene lives there too: a short path keeps the message on one line
cat >"$sockdir/spin.lua" <<'EOF'
-- loops forever from step 3 on
local rs = require "repscope"
return rs.scene{
  title = "spin",
  step = function(ctx)
    if ctx.step >= 3 then
      while true do end
    end
  end,
}
EOF
cleanup() { tmux_cleanup; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
if ! tmux_run rs 100 30 "$tmp/exit" "RS_DATADIR='$src' '$rs' \
     '$sockdir/spin.lua' --steps 100 --out '$tmp/run' 2>'$tmp/stderr'"; then
    echo "ok $((n + 1)) # SKIP $tmux_nostart"
    n=$((n + 1))
    echo "1..$n"
    exit $fail
fi
wait_for RUNNING
ok $? "the UI comes up with the spinning scene"
sleep 1
T send-keys -t rs :
wait_for "set KEY=VALUE"
ok $? ": opens the console while the step spins"
T send-keys -t rs C-c
wait_for "interrupted"
ok $? "ctrl-c in the console interrupts the step"
screen | grep -q "step 3 interrupted (.*spin.lua:7: canceled); paused"
ok $? "the UI says which step, where, and paused: \
$(screen | grep -o 'step 3 interrupted.*paused')"
wait_for PAUSED
ok $? "the run is paused, the UI alive"
send_line '6 * 7'
wait_for "42"
ok $? "the console still runs code in the worker"
T send-keys -t rs Escape
T send-keys -t rs q
wait_file "$tmp/exit"
ok $? "q quits (status $(cat "$tmp/exit" 2>/dev/null))"

# headless: the first SIGINT asks for a quit, which the spinning step
# never reads; the second interrupts the step, and the quit's checkpoint
# is written at the last whole step. Twice: a Lua loop, and a pattern
# that Lua's own matcher would hold in one C call for hours (repscope's
# counts its steps: lua/host_match.c)
cat >"$sockdir/match.lua" <<'EOF'
-- a pattern that runs for hours from step 3 on
local rs = require "repscope"
return rs.scene{
  title = "match",
  step = function(ctx)
    if ctx.step >= 3 then
      local s = ("a"):rep(3000)
      return s:find(".-.-.-.-.-.-b")
    end
  end,
}
EOF
headless_interrupt() { # scene what
    RS_DATADIR=$src "$rs" --headless "$1" --steps 100 \
        --out "$tmp/hl-$2" >"$tmp/hl.out" 2>&1 &
    pid=$!
    i=0
    while [ $i -lt 300 ] &&
        ! grep -q '"step":2' "$tmp/hl-$2/run.jsonl" 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
    done
    sleep 0.5
    kill -INT "$pid"
    sleep 1
    kill -0 "$pid" 2>/dev/null
    ok $? "headless, $2: the first SIGINT cannot stop the step"
    kill -INT "$pid"
    i=0
    while [ $i -lt 300 ] && kill -0 "$pid" 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    [ $rc = 130 ] && grep -q 'interrupting the step in progress' "$tmp/hl.out" &&
        grep -q '"step":2,"kind":"checkpoint"' "$tmp/hl-$2/run.jsonl"
    ok $? "headless, $2: the second interrupts it: exit $rc, checkpoint at \
step 2"
}
headless_interrupt "$sockdir/spin.lua" "a Lua loop"
headless_interrupt "$sockdir/match.lua" "a runaway pattern"
echo "1..$n"
exit $fail
