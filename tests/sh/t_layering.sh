#!/bin/sh
# t_layering.sh: layers point one way (doc/design.md, "Layers"). Each
# folder may include only headers of the layers to its left:
#   core <- nn <- data/env <- probe <- algo <- run <- lua ; ui sees only
#   core/base.h, run/bus.h, run/cmdq.h, run/json.h and its own files.
#   run/json.h is there on purpose: the project has one JSON codec, and
#   the UI reads the view specs with it instead of keeping its own.
# Third-party headers are quarantined: cblas/lapacke only in core/blas.c
# and core/linalg.c; curses only in ui/term.c; lua.h only under lua/.
top=${RS_SRCDIR:-.}
cd "$top" || exit 1

allowed() {
    case $1 in
    src/core) echo "core" ;;
    src/nn) echo "core nn" ;;
    src/data|src/env) echo "core nn data env" ;;
    src/probe) echo "core nn data env probe" ;;
    src/algo) echo "core nn data env probe algo" ;;
    src/run) echo "core nn data env probe algo run" ;;
    lua) echo "core nn data env probe algo run lua" ;;
    esac
}

n=0
fail=0
check() { # file msg ok
    n=$((n + 1))
    if [ "$3" = 1 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}

for dir in src/core src/nn src/data src/env src/probe src/algo src/run lua ui; do
    [ -d "$dir" ] || continue
    for f in "$dir"/*.c "$dir"/*.h; do
        [ -f "$f" ] || continue
        bad=""
        for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
            case $inc in config.h) continue ;; esac
            layer=${inc%%/*}
            [ "$layer" = "$inc" ] && { bad="$bad $inc(no-dir)"; continue; }
            if [ "$dir" = ui ]; then
                case $inc in ui/*|core/base.h|run/bus.h|run/cmdq.h|run/json.h) ;; *) bad="$bad $inc" ;; esac
            else
                case " $(allowed "$dir") " in *" $layer "*) ;; *) bad="$bad $inc" ;; esac
            fi
        done
        for sys in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<\([^>]*\)>.*/\1/p' "$f"); do
            case $sys in
            cblas.h|lapacke.h|lapack.h|openblas_config.h)
                case $f in src/core/blas.c|src/core/linalg.c) ;; *) bad="$bad <$sys>" ;; esac ;;
            curses.h|ncurses.h|ncursesw/*|term.h)
                case $f in ui/term.c|ui/curses_compat.h) ;; *) bad="$bad <$sys>" ;; esac ;;
            lua.h|lauxlib.h|lualib.h|lua.hpp)
                case $f in lua/*) ;; *) bad="$bad <$sys>" ;; esac ;;
            esac
        done
        if [ -z "$bad" ]; then check "$f" "$f" 1; else check "$f" "$f includes across layers:$bad" 0; fi
    done
done
echo "1..$n"
exit $fail
