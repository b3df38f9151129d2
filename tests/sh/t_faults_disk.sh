#!/bin/sh
# t_faults_disk.sh: the real binary when the run directory cannot be
# written. (1) Headless under a file-size limit (ulimit -f; repscope
# ignores SIGXFSZ itself, so write(2) fails with EFBIG): exit status 1,
# one message naming the file, the step and the checkpoint; every line of
# run.jsonl whole; ckpt.bin loads (--resume goes on and ends 0). (2) The
# same on a full disk: a 256 KiB tmpfs (root only: SKIP otherwise), then
# the tmpfs grown and --resume. (3) The terminal UI in tmux under the
# limit: the run pauses and the UI says so and stays up; the limit is
# lifted (prlimit), space resumes it, q ends it with status 0, and
# run.jsonl holds every step's record exactly once (SKIP without tmux or
# prlimit). A small demo_mlp (width 16, p 11) keeps each run short.
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
tmp=$build/tests/tmp/t_faults_disk.$$
mkdir -p "$tmp" || exit 1
bin=$build/repscope
small="--set width=16 --set p=11"
mnt=$tmp/mnt
. "$src/tests/sh/tmux.sh"
cleanup() {
    tmux_cleanup
    mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
}
trap cleanup EXIT INT TERM

n=0
fail=0
ok() { # cond-status description
    n=$((n + 1))
    if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}
skip() { # count reason
    i=0
    while [ $i -lt "$1" ]; do
        n=$((n + 1))
        echo "ok $n # SKIP $2"
        i=$((i + 1))
    done
}
# whole_lines FILE: every line a JSON object with its newline
whole_lines() {
    [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] &&
        [ "$(awk '!/^\{.*\}$/ { n++ } END { print n + 0 }' "$1")" = 0 ]
}
# the step of ckpt.bin, from the "resume" event a --resume writes
ckpt_of() { sed -n "s/.*the checkpoint of step \([0-9]*\) stays.*/\1/p" "$1" | head -1; }

# ---- (1) a file-size limit, headless --------------------------------------
# dash counts ulimit -f in 512-byte blocks, bash in 1024: 200 is 100 or
# 200 KiB, reached after a few thousand steps either way
(ulimit -f 200 && exec "$bin" --headless demo_mlp $small --steps 1000000 \
    --checkpoint-every 200 --out "$tmp/a") >"$tmp/a.out" 2>"$tmp/a.err"
code=$?
[ "$code" = 1 ]
ok $? "file-size limit, headless: exit status 1 ($code)"
msg="^repscope: step [0-9]+: cannot write $tmp/a/[a-z.]+: File too large; stopped;"
msg="$msg the checkpoint of step [0-9]+ stays: free space, then repscope --resume $tmp/a\$"
grep -E -q "$msg" "$tmp/a.err"
ok $? "one message names the file, the step and the checkpoint"
[ "$(grep -c 'cannot write' "$tmp/a.err")" = 1 ]
ok $? "said once ($(grep -c 'cannot write' "$tmp/a.err") times)"
whole_lines "$tmp/a/run.jsonl" && whole_lines "$tmp/a/matrices.jsonl"
ok $? "run.jsonl and matrices.jsonl: whole lines only"
ck=$(ckpt_of "$tmp/a.err")
"$bin" --headless --resume "$tmp/a" --steps $((ck + 100)) >/dev/null 2>"$tmp/a2.err"
code=$?
[ "$code" = 0 ] && grep -q "\"kind\":\"resume\"" "$tmp/a/run.jsonl" &&
    tail -1 "$tmp/a/run.jsonl" | grep -q "\"done at step $((ck + 100))\""
ok $? "the checkpoint of step $ck loads: --resume ends 0 at step $((ck + 100)) ($code)"
whole_lines "$tmp/a/run.jsonl"
ok $? "run.jsonl still whole lines after the resume"

# ---- (2) a full disk: a small tmpfs ----------------------------------------
mkdir -p "$mnt"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=256k rs-faults "$mnt" 2>/dev/null; then
    "$bin" --headless demo_mlp $small --steps 1000000 --checkpoint-every 200 \
        --out "$mnt/r" >/dev/null 2>"$tmp/b.err"
    code=$?
    [ "$code" = 1 ] &&
        grep -E -q "^repscope: step [0-9]+: cannot write (checkpoint )?$mnt/r/[a-z.]+: \
No space left on device; stopped; the checkpoint of step [0-9]+ stays" "$tmp/b.err"
    ok $? "full disk, headless: exit 1 and the message ($code: $(tail -1 "$tmp/b.err"))"
    whole_lines "$mnt/r/run.jsonl" && whole_lines "$mnt/r/matrices.jsonl"
    ok $? "full disk: whole lines only"
    [ -z "$(ls "$mnt/r" | grep 'tmp')" ]
    ok $? "full disk: no temporary file left"
    ck=$(ckpt_of "$tmp/b.err")
    mount -o remount,size=16m "$mnt"
    "$bin" --headless --resume "$mnt/r" --steps $((ck + 100)) >/dev/null 2>&1
    code=$?
    [ "$code" = 0 ] && whole_lines "$mnt/r/run.jsonl"
    ok $? "space freed: --resume from step $ck ends 0 ($code)"
    umount "$mnt"
else
    skip 4 "cannot mount a tmpfs here (needs root)"
fi

# ---- (3) the UI: pause, say so, go on ---------------------------------------
if ! command -v tmux >/dev/null 2>&1; then
    skip 6 "tmux not found"
elif ! command -v prlimit >/dev/null 2>&1; then
    skip 6 "prlimit not found (util-linux)"
else
    tmux_init
    # a short directory name: the message must fit the 120 columns
    ui=$(mktemp -d /tmp/rs-ui.XXXXXX)
    # the limit comes before env: tmux_run's command cannot carry it
    if ! tmux_start rs 120 30 \
        "ulimit -S -f 200; env TERM=$term LC_ALL=C.UTF-8 RS_DATADIR='$src' '$bin' \
         demo_mlp $small --steps 1000000 --out '$ui/r' 2>'$tmp/c.err'; \
         echo \$? >'$tmp/c.exit'; exec sleep 600"; then
        skip 6 "$tmux_nostart"
    else
        wait_for "File too large; paused: free space, then space resumes"
        ok $? "UI: the run pauses and the message line names the file"
        screen | head -1 | grep -q PAUSED
        ok $? "UI: the status says PAUSED and the UI is up"
        pid=$(ps -o pid= --ppid "$(T display-message -p -t rs '#{pane_pid}')" |
            head -1 | tr -d ' ')
        prlimit --pid "$pid" --fsize=unlimited:unlimited
        s0=$(step)
        T send-keys -t rs Space
        i=0
        while [ $i -lt 600 ]; do
            s1=$(step)
            [ -n "$s1" ] && [ "$s1" -gt $((s0 + 100)) ] && break
            sleep 0.1
            i=$((i + 1))
        done
        [ -n "$s1" ] && [ "$s1" -gt $((s0 + 100)) ]
        ok $? "UI: space frees it once there is room ($s0 -> $s1)"
        T send-keys -t rs q
        wait_file "$tmp/c.exit"
        [ "$(cat "$tmp/c.exit" 2>/dev/null)" = 0 ]
        ok $? "UI: q ends it, status 0 ($(cat "$tmp/c.exit" 2>/dev/null))"
        [ "$(T display-message -p -t rs '#{alternate_on}')" = 0 ]
        ok $? "UI: terminal restored"
        # every train record (each 10 steps) exactly once, none missing
        log=$ui/r/run.jsonl
        gaps=$(sed -n 's/^{"step":\([0-9]*\),"train\/loss".*/\1/p' "$log" |
            awk 'BEGIN { want = 10 } $1 != want { bad++ } { want = $1 + 10 }
                 END { print bad + 0 }')
        whole_lines "$log" && [ "$gaps" = 0 ] && grep -q '; paused"' "$log"
        ok $? "UI: run.jsonl whole, every record once ($gaps gaps), the pause recorded"
        cp -r "$ui/r" "$tmp/ui-run" 2>/dev/null
    fi
    rm -rf "$ui"
fi

echo "1..$n"
exit $fail
