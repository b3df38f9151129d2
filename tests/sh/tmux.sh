# repscope - MIT licence, see COPYING.
#
# tests/sh/tmux.sh: the tmux plumbing of the tests that drive the terminal
# UI in a real terminal. Not a test: a test sets src as they all do
# (src=${RS_SRCDIR:-.}) and sources it with
#   . "$src/tests/sh/tmux.sh"
# which only defines the functions below and sets term (tmux-256color, else
# screen-256color where infocmp does not know it), tmux_nostart (the skip
# reason when no session starts) and an empty sockdir. Each test runs its
# own tmux server on its own socket, without a config.
#   tmux_require          no tmux: print "1..0 # SKIP tmux not found", exit 0
#   tmux_init             make the socket directory $sockdir (socket $sock)
#   tmux_cleanup          kill the server, remove $sockdir (a no-op before
#                         tmux_init); the test traps EXIT INT TERM to it, or
#                         to a cleanup of its own that calls it
#   T ARGS...             tmux on the test's server
#   tmux_start S W H CMD  a detached session S, W x H, running the shell
#                         command CMD; fails when tmux cannot start one
#   tmux_run S W H EXIT CMD
#                         tmux_start with CMD under $term and LC_ALL=C.UTF-8,
#                         its status written to the file EXIT, then a sleep
#                         that keeps the pane (and its modes) readable
#   screen [PANE]         the pane's text
#   wait_for TEXT [PANE]  poll until the screen shows TEXT, 60 s at most (a
#                         loaded machine is slow: slowness never fails a
#                         test); else print the screen as # lines and fail
#   wait_file FILE        poll until FILE is not empty, 60 s at most
#   send_line LINE [PANE] type LINE as it is, then Enter
#   step [PANE]           the step on the status line ("step 1 234/5k" ->
#                         1234), empty when there is none
#   width [PANE]          the second row's width, in characters
# PANE is a session name: the argument, else $pane, else rs. The waits use
# the variable i.

sockdir=
sock=
tmux_nostart="tmux cannot start a session here (no pty?)"
term=tmux-256color
infocmp "$term" >/dev/null 2>&1 || term=screen-256color

tmux_require() {
    command -v tmux >/dev/null 2>&1 ||
        { echo "1..0 # SKIP tmux not found"; exit 0; }
}

# The socket lives under /tmp: a Unix socket path must stay under 108
# bytes, and a build tree can be nested deep.
tmux_init() {
    sockdir=$(mktemp -d /tmp/rs-tmux.XXXXXX)
    sock=$sockdir/sock
}

tmux_cleanup() {
    [ -n "$sockdir" ] || return 0
    command -v tmux >/dev/null 2>&1 && T kill-server >/dev/null 2>&1
    rm -rf "$sockdir"
}

T() { tmux -S "$sock" -f /dev/null "$@"; }

# The probe for a working tmux is the session itself: a separate probe
# session running `true` would end at once and take the server down while
# the next client connects ("server exited unexpectedly").
tmux_start() { # session width height command
    T -u new-session -d -s "$1" -x "$2" -y "$3" "$4" &&
        T has-session -t "$1" 2>/dev/null
}

tmux_run() { # session width height exit-file command
    tmux_start "$1" "$2" "$3" "env TERM=$term LC_ALL=C.UTF-8 $5; \
        echo \$? >'$4'; exec sleep 600"
}

screen() { T capture-pane -p -t "${1:-${pane:-rs}}" 2>/dev/null; }

wait_for() { # text [pane]
    i=0
    while [ $i -lt 600 ]; do
        screen "$2" | grep -F -q -- "$1" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    echo "# screen without '$1':"
    screen "$2" | sed 's/^/# /'
    return 1
}

wait_file() { # file
    i=0
    while [ $i -lt 600 ] && [ ! -s "$1" ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ -s "$1" ]
}

send_line() { # line [pane]
    T send-keys -t "${2:-${pane:-rs}}" -l "$1"
    T send-keys -t "${2:-${pane:-rs}}" Enter
}

step() { # [pane]
    screen "$1" | head -1 | sed -n 's/.*step \([0-9][0-9 ]*\).*/\1/p' |
        tr -d ' '
}

width() { # [pane]
    screen "$1" | sed -n 2p | tr -d '\n' | LC_ALL=C.UTF-8 wc -m | tr -d ' '
}
