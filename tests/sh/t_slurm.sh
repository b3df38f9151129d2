#!/bin/sh
# t_slurm.sh: `repscope sweep --slurm` on a real Slurm. The test starts a
# throwaway single-node cluster of its own: munged with a fresh key and
# socket, slurmctld and slurmd (as root, in the foreground, in the
# background of this shell) with a slurm.conf naming one node (this
# host, on 127.0.0.1), free ports, and its own state, spool and log
# directories. It submits a 4-point sweep of demo_mlp (--steps 20) as a
# job array, waits for the array to leave the queue, and checks that
# Slurm ran 4 tasks that completed with exit 0, that each point recorded
# exit 0 and its run directory ends with a done event, and that
# `sweep --resume DIR --dry-run` finds nothing to rerun; then a deleted
# point is resubmitted by `sweep --resume DIR --slurm` as a one-task
# array and runs. The daemons are stopped (by their process IDs) and the
# directories removed at exit, whatever happened. Waits poll with a
# ceiling (5 minutes for the array): slowness never fails it.
# SKIP (1..0) when the cluster cannot be started: not root, slurm-wlm or
# munge missing (Debian: apt-get install slurm-wlm munge), no free
# ports, or a daemon that refuses (the end of its log is printed).
build=${RS_BUILDDIR:-.}
src=${RS_SRCDIR:-.}
rs=$build/repscope
export RS_DATADIR="$src"

skip_all() { # reason
    echo "1..0 # SKIP $1"
    exit 0
}
[ "$(id -u)" = 0 ] ||
    skip_all "not root (the throwaway Slurm runs its daemons as root)"
for c in munged munge unmunge slurmctld slurmd sbatch squeue sinfo scontrol \
    scancel; do
    command -v "$c" >/dev/null 2>&1 ||
        skip_all "$c not found (Debian: apt-get install slurm-wlm munge)"
done

# listening TCP port? (/proc/net/tcp{,6}: local address column, state 0A)
port_busy() { # port
    hex=$(printf '%04X' "$1")
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p {
            f = 1 } END { exit !f }'
}
ctld_port=""
i=0
while [ $i -lt 20 ] && [ -z "$ctld_port" ]; do
    p=$((20000 + ($$ * 7 + i * 613) % 6000 * 2))
    port_busy $p || port_busy $((p + 1)) || ctld_port=$p
    i=$((i + 1))
done
[ -n "$ctld_port" ] || skip_all "no two free TCP ports for slurmctld and slurmd"
slurmd_port=$((ctld_port + 1))

# The cluster lives under /tmp: munged's socket and slurmd's step
# sockets (in its spool) are Unix sockets, whose paths must stay under
# 108 bytes, and a build tree can be nested deep. The sweep's directory
# is in the build tree as usual.
cl=$(mktemp -d /tmp/rs-slurm.XXXXXX) || exit 1
tmp=$build/tests/tmp/t_slurm.$$
pids=""
jobs_sub=""
# shellcheck disable=SC2317 # run by the trap
cleanup() {
    for j in $jobs_sub; do
        scancel "$j" >/dev/null 2>&1
    done
    # slurmd first (it ends the job steps it runs), munged last
    for p in $pids; do
        kill "$p" 2>/dev/null
        k=0
        while kill -0 "$p" 2>/dev/null && [ "$k" -lt 100 ]; do
            sleep 0.1
            k=$((k + 1))
        done
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$cl" "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$tmp" || exit 1
# munged wants its socket's directory searchable by all, its key's not
chmod 755 "$cl"
mkdir -p "$cl/run" "$cl/munge" "$cl/state" "$cl/spool" "$cl/log"
chmod 755 "$cl/run"
chmod 700 "$cl/munge"

log_tail() { # file: its last lines as TAP comments
    [ -f "$1" ] && tail -n 8 "$1" | sed 's/^/# /'
}
refused() { # daemon log reason
    log_tail "$2"
    skip_all "$1 did not start: $3"
}

# munged with its own key and socket
sock=$cl/run/munge.sock
if command -v mungekey >/dev/null 2>&1; then
    mungekey -c -k "$cl/munge/key" 2>"$cl/log/mungekey.err"
else
    dd if=/dev/urandom of="$cl/munge/key" bs=1024 count=1 2>/dev/null
fi
chmod 600 "$cl/munge/key"
munged -F --key-file="$cl/munge/key" --socket="$sock" \
    --log-file="$cl/log/munged.log" --pid-file="$cl/run/munged.pid" \
    --seed-file="$cl/munge/seed" >"$cl/log/munged.out" 2>&1 &
pids=$!
i=0
until munge -n -S "$sock" 2>/dev/null | unmunge -S "$sock" >/dev/null 2>&1; do
    if ! kill -0 "$pids" 2>/dev/null || [ $i -ge 100 ]; then
        refused munged "$cl/log/munged.out" "no credential from its socket"
    fi
    sleep 0.1
    i=$((i + 1))
done

# slurm.conf: one node (this host under the name rsnode), one partition
host=$(uname -n)
host=${host%%.*}
cpus=$(nproc 2>/dev/null || echo 1)
cat >"$cl/slurm.conf" <<EOF
ClusterName=rstest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$cl/state
SlurmdSpoolDir=$cl/spool
SlurmctldPidFile=$cl/run/slurmctld.pid
SlurmdPidFile=$cl/run/slurmd.pid
SlurmctldLogFile=$cl/log/slurmctld.log
SlurmdLogFile=$cl/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=rsnode NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=rs Nodes=rsnode Default=YES MaxTime=INFINITE State=UP
EOF
# only this cluster: no settings of an enclosing job or of the host's
for v in $(env | grep -E '^(SLURM|SBATCH|SQUEUE|SINFO)_' | cut -d= -f1); do
    unset "$v"
done
export SLURM_CONF="$cl/slurm.conf"

slurmctld -D -i >"$cl/log/slurmctld.out" 2>&1 &
ctld=$!
slurmd -D -N rsnode >"$cl/log/slurmd.out" 2>&1 &
pids="$! $ctld $pids"
i=0
until [ "$(sinfo -h -n rsnode -o %t 2>/dev/null)" = idle ]; do
    kill -0 "$ctld" 2>/dev/null ||
        refused slurmctld "$cl/log/slurmctld.out" "it exited"
    kill -0 "${pids%% *}" 2>/dev/null ||
        refused slurmd "$cl/log/slurmd.out" "it exited"
    [ $i -lt 300 ] || {
        log_tail "$cl/log/slurmd.out"
        refused slurmctld "$cl/log/slurmctld.out" \
            "node rsnode not idle after 30 s ($(sinfo -h -n rsnode -o %t 2>&1))"
    }
    sleep 0.1
    i=$((i + 1))
done

n=0
fail=0
ok() {
    n=$((n + 1))
    if [ "$1" = 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        fail=1
    fi
}
done_runs() { # dir: how many run directories hold a done event
    grep -l '"kind":"done"' "$1"/*/run.jsonl 2>/dev/null | wc -l
}
# wait_job ID: poll the queue until the job (all its array tasks) left
# it; 5 minutes at most
wait_job() {
    i=0
    while [ -n "$(squeue -h -j "$1" 2>/dev/null)" ]; do
        [ $i -lt 3000 ] || return 1
        sleep 0.1
        i=$((i + 1))
    done
}
# tasks ID: "TASK STATE EXIT" of each array task Slurm still knows
tasks() {
    scontrol -o show job "$1" 2>/dev/null | tr ' ' '\n' |
        sed -n -e 's/^ArrayTaskId=//p' -e 's/^JobState=//p' \
            -e 's/^ExitCode=//p' | paste -d ' ' - - - |
        sort -n
}
echo "# $(sinfo -V 2>/dev/null) on $host, ports $ctld_port and" \
    "$slurmd_port, $cpus CPUs"

sw=$tmp/sw
"$rs" sweep demo_mlp --set width=8,16 --seeds 1,2 --steps 20 --out "$sw" \
    --slurm --slurm-time 0:05:00 --slurm-cpus 1 --slurm-partition rs \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
job=$(sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' "$tmp/out")
jobs_sub=$job
[ $rc = 0 ] && [ -n "$job" ] && grep -q '4 points submitted' "$tmp/err"
ok $? "a 4-point sweep submitted to sbatch (status $rc, job ${job:-none})"
[ -n "$job" ] && wait_job "$job"
ok $? "the array left the queue"
want="0 COMPLETED 0:0
1 COMPLETED 0:0
2 COMPLETED 0:0
3 COMPLETED 0:0"
got=$(tasks "$job")
[ "$got" = "$want" ]
ok $? "Slurm ran array tasks 0-3, each COMPLETED with exit 0: $(echo "$got" |
    tr '\n' ' ')"
[ "$(cat "$sw"/exit/0 "$sw"/exit/1 "$sw"/exit/2 "$sw"/exit/3 2>/dev/null |
    tr '\n' ' ')" = "0 0 0 0 " ] && [ "$(done_runs "$sw")" = 4 ] &&
    [ "$(find "$sw/logs" -name "slurm-${job}_*.out" | wc -l)" = 4 ]
ok $? "each point recorded exit 0, its run ends done, and Slurm's 4 logs"
"$rs" sweep --resume "$sw" --dry-run >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] && [ ! -s "$tmp/out" ] &&
    grep -q '0 of 4 points to rerun' "$tmp/err"
ok $? "--resume finds nothing to rerun (status $rc): $(cat "$tmp/err")"

# a missing point resubmitted as a one-task array
rm -rf "$sw/width=16,seed=1"
"$rs" sweep --resume "$sw" --slurm >"$tmp/out" 2>"$tmp/err"
rc=$?
job2=$(sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' "$tmp/out")
jobs_sub="$job $job2"
[ $rc = 0 ] && [ -n "$job2" ] && grep -q '1 of 4 points to rerun' "$tmp/err" &&
    grep -q -x '#SBATCH --array=2' "$sw/sweep.sbatch"
ok $? "--resume --slurm submits the missing point 2 alone (status $rc)"
[ -n "$job2" ] && wait_job "$job2" &&
    [ "$(tasks "$job2")" = "2 COMPLETED 0:0" ] &&
    [ "$(done_runs "$sw")" = 4 ] &&
    [ "$(cat "$sw/exit/2" 2>/dev/null)" = 0 ]
ok $? "it ran: 4 runs end done again"
"$rs" sweep --resume "$sw" --dry-run >"$tmp/out" 2>"$tmp/err"
grep -q '0 of 4 points to rerun' "$tmp/err"
ok $? "--resume finds nothing to rerun"

if [ $fail != 0 ]; then
    for f in "$tmp/err" "$cl/log/slurmctld.log" "$cl/log/slurmd.log" \
        "$sw"/logs/*; do
        [ -s "$f" ] && echo "# --- $f" && log_tail "$f"
    done
fi
echo "1..$n"
exit $fail
