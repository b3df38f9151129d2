#!/bin/sh
# bench/ui.sh: what the terminal UI costs (the design target: under 5% of the
# training throughput, under 50 ms from a key to the screen). Measured,
# never assumed. repscope runs in a pseudo-terminal of 100x30 that this
# script drives itself (python3's pty module): it plays the terminal,
# reading everything repscope writes as it comes (a blocking read, no
# polling interval) and writing keys. No terminal emulator's own time is
# counted; the bytes repscope writes are reported instead.
#   1. throughput: scenes/demo_mlp for STEPS steps headless and under the
#      UI, interleaved (headless, UI, headless, UI, ...). Per run the
#      median of its time/steps_per_s records (one per second, the first
#      left out) and the CPU time of the whole process (wait4) per step.
#      The cost is 1 - UI/headless of the medians of the rates, and the
#      extra CPU per step of the UI runs (what the UI would take from
#      training on a fully loaded machine).
#   2. while training: the UI thread's and the worker's CPU (their
#      /proc ticks over 5 s) and the bytes written per second.
#   3. key to screen: the time from writing a key to the pty (just before
#      write(2)) until the read(2) that brings the bytes showing its
#      effect returns (the pty both ways and this script's own wake-up
#      are in it, a terminal's drawing is not): `?` opens the
#      help (its text "resume" arrives), `?` closes it (the status line's
#      "RUNNING" is written again), and Escape closes it too (curses
#      waits ESCDELAY, 10 ms in repscope, to tell a lone Escape from an
#      escape sequence, so Escape is reported on its own). Keys are sent
#      at random moments between frames.
# Usage: bench/ui.sh REPSCOPE [STEPS [ROUNDS [KEYS]]]  (3000, 3, 20);
# ROUNDS 0 leaves out the throughput runs. Needs python3 (prints SKIP
# without it). The load average is printed before and after: on a shared
# machine the rates swing with it, the CPU per step much less. Not part
# of make check.
bin=${1:?usage: ui.sh path/to/repscope [steps [rounds [keys]]]}
steps=${2:-3000}
rounds=${3:-3}
nkeys=${4:-20}
src=${RS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
command -v python3 >/dev/null 2>&1 || { echo "ui.sh: SKIP (no python3)"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rs-bench-ui.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
term=xterm-256color
infocmp "$term" >/dev/null 2>&1 || term=xterm

echo "ui.sh: load $(uptime | sed 's/.*load average: //')"
python3 - "$bin" "$steps" "$rounds" "$nkeys" "$src" "$tmp" "$term" <<'EOF'
import fcntl, os, pty, random, re, select, statistics, struct, subprocess
import sys, termios, time

binary, steps, rounds, nkeys, src, tmp, term = sys.argv[1:8]
steps, rounds, nkeys = int(steps), int(rounds), int(nkeys)
env = dict(os.environ, TERM=term, LC_ALL="C.UTF-8", RS_DATADIR=src)
env.pop("COLORTERM", None)
now = time.monotonic
HZ = os.sysconf("SC_CLK_TCK")


class Pty:
    """repscope on a pseudo-terminal of cols x rows."""

    def __init__(self, argv, cols=100, rows=30):
        pid, fd = pty.fork()
        if pid == 0:
            fcntl.ioctl(0, termios.TIOCSWINSZ,
                        struct.pack("HHHH", rows, cols, 0, 0))
            os.execve(argv[0], argv, env)
        self.pid, self.fd, self.nbytes = pid, fd, 0

    def read_for(self, secs, until=None):
        """Read what comes for up to secs; with until, stop when the
        bytes read in this call contain it and return that time."""
        end, seen = now() + secs, b""
        while True:
            left = end - now()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None
            t = now()
            try:
                data = os.read(self.fd, 1 << 16)
            except OSError:
                return None
            if not data:
                return None
            self.nbytes += len(data)
            if until is not None:
                seen = seen[-len(until):] + data
                if until in seen:
                    return t

    def key(self, k):
        t = now()
        os.write(self.fd, k)
        return t

    def finish(self):
        """Wait for the end (reading meanwhile); the rusage."""
        while True:
            p, _, ru = os.wait4(self.pid, os.WNOHANG)
            if p == self.pid:
                os.close(self.fd)
                return ru
            self.read_for(0.05)


def rate(run):
    v = []
    with open(os.path.join(run, "run.jsonl")) as f:
        for line in f:
            m = re.search(r'"time/steps_per_s":([0-9.eE+-]+)', line)
            if m:
                v.append(float(m.group(1)))
    return statistics.median(v[1:]) if len(v) > 1 else float("nan")


def cpu(ru):
    return ru.ru_utime + ru.ru_stime


def headless(run):
    p = subprocess.Popen([binary, "--headless", "demo_mlp", "--steps",
                          str(steps), "--out", run], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    return rate(run), cpu(ru) / steps


def ui(run):
    p = Pty([binary, "demo_mlp", "--steps", str(steps), "--out", run])
    if p.read_for(600, b"DONE") is None:
        sys.exit("ui.sh: the UI run did not finish")
    p.key(b"q")
    ru = p.finish()
    return rate(run), cpu(ru) / steps


def med(v):
    return statistics.median(v)


hr, hc, ur, uc = [], [], [], []
if rounds > 0:
    print("ui.sh: demo_mlp, %d steps, %d rounds (headless vs UI, "
          "interleaved)" % (steps, rounds))
for i in range(rounds):
    r, c = headless(os.path.join(tmp, "h%d" % i))
    hr.append(r)
    hc.append(c)
    r, c = ui(os.path.join(tmp, "u%d" % i))
    ur.append(r)
    uc.append(c)
    print("  round %d: headless %.1f steps/s %.3f ms CPU/step, "
          "UI %.1f steps/s %.3f ms CPU/step"
          % (i + 1, hr[-1], 1e3 * hc[-1], ur[-1], 1e3 * uc[-1]))
if rounds > 0:
    print("  median: headless %.1f, UI %.1f steps/s: the UI costs %.1f%% "
          "(target < 5%%)" % (med(hr), med(ur), 100 * (1 - med(ur) / med(hr))))
    print("  CPU per step: headless %.3f ms, UI %.3f ms: %+.1f%%"
          % (1e3 * med(hc), 1e3 * med(uc), 100 * (med(uc) / med(hc) - 1)))

# a long run for the rest
p = Pty([binary, "demo_mlp", "--steps", "1000000",
         "--out", os.path.join(tmp, "lat")])
if p.read_for(120, b"RUNNING") is None:
    sys.exit("ui.sh: the scene did not start")
p.read_for(2)


def ticks():
    out = {}
    for tid in os.listdir("/proc/%d/task" % p.pid):
        with open("/proc/%d/task/%s/stat" % (p.pid, tid)) as f:
            s = f.read().rsplit(")", 1)[1].split()
        out[int(tid)] = int(s[11]) + int(s[12])
    return out


t0, b0, w0 = ticks(), p.nbytes, now()
p.read_for(5)
t1, b1, w1 = ticks(), p.nbytes, now()
dt = w1 - w0
uit = t1.get(p.pid, 0) - t0.get(p.pid, 0)
wkt = sum(t1[k] - t0.get(k, 0) for k in t1 if k != p.pid)
print("  while training: UI thread %.1f%% of a core, the other threads "
      "%.1f%%; %.1f KB/s to the terminal"
      % (100 * uit / HZ / dt, 100 * wkt / HZ / dt, (b1 - b0) / 1024 / dt))

lat = {"? opens": [], "? closes": [], "esc closes": []}
random.seed(1)
for k in range(nkeys):
    for what, key, mark in (("? opens", b"?", b"resume"),
                            ("? closes", b"?", b"RUNNING"),
                            ("? opens", b"?", b"resume"),
                            ("esc closes", b"\033", b"RUNNING")):
        t = p.key(key)
        seen = p.read_for(2, mark)
        if seen is None:
            sys.exit("ui.sh: no answer to %s" % what)
        lat[what].append(1e3 * (seen - t))
        p.read_for(random.uniform(0.05, 0.25))
p.key(b"q")
p.finish()
allv = sorted(v for kind in lat for v in lat[kind])
for kind, v in lat.items():
    print("  key to screen, %-10s median %5.1f ms, worst %5.1f ms (%d keys)"
          % (kind + ":", med(v), max(v), len(v)))
keys = sorted(lat["? opens"] + lat["? closes"])
print("  key to screen while training: median %.1f ms, worst %.1f ms over "
      "%d keys, Escape %.1f ms (target < 50 ms)"
      % (med(keys), max(keys), len(keys), med(lat["esc closes"])))
EOF
echo "ui.sh: load $(uptime | sed 's/.*load average: //')"
