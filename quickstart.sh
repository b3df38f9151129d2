#!/bin/sh
# quickstart.sh: one command from a fresh Debian 12 machine to a running
# repscope. Installs what is missing (apt-get), builds in _build/, then:
#   ./quickstart.sh          opens the main job (the default scene)
#   ./quickstart.sh check    runs the test suite (make check)
#   ./quickstart.sh bench    also installs python3-torch, runs make bench
# Idempotent: when nothing is missing and the build is current it only
# runs make (a no-op) and the chosen job. Extra arguments go to repscope.
set -eu

mode=run
case ${1:-} in
check|bench|build) mode=$1; shift ;;
-h|--help)
    sed -n '2,9s/^# \{0,1\}//p' "$0"
    exit 0 ;;
esac

top=$(cd "$(dirname "$0")" && pwd)
build=${RS_BUILD_DIR:-$top/_build}

pkgs="build-essential autoconf autoconf-archive automake libtool pkg-config
libncurses-dev liblua5.4-dev liblapacke-dev libopenblas-dev zlib1g-dev
dataset-fashion-mnist tmux groff-base parallel"
[ "$mode" = bench ] && pkgs="$pkgs python3-torch"
# tests/sh/t_slurm.sh starts a throwaway Slurm of its own (~4 MB, ~15 s)
[ "$mode" = check ] && pkgs="$pkgs slurm-wlm munge"
# .ci/run's fuzz smoke stage builds the harnesses with clang (libFuzzer)
[ "$mode" = check ] && pkgs="$pkgs clang"

missing=""
for p in $pkgs; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$st" = installed ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "quickstart: installing:$missing" >&2
    sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || {
            echo "quickstart: need root or sudo to install:$missing" >&2
            exit 1
        }
        sudo=sudo
    fi
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        --no-install-recommends $missing
fi

jobs=$(nproc 2>/dev/null || echo 2)
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] ||
    [ Makefile.am -nt configure ]; then
    echo "quickstart: generating the build system (autoreconf)" >&2
    ./autogen.sh >/dev/null
fi
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ] || [ "$top/configure" -nt config.status ]; then
    echo "quickstart: configuring in $build" >&2
    "$top/configure" -q
fi
make -s -j"$jobs"

case $mode in
build) ;;
check) make -s -j"$jobs" check ;;
bench) make -s bench ;;
run) cd "$top" && exec "$build/repscope" "$@" ;; # runs/ lands here
esac
