#!/usr/bin/env bash
# A one-node SLURM cluster on localhost for the test suite (Debian, run as root).
#
#   tests/slurm/cluster.sh start    install slurm-wlm + munge if missing, configure, start, wait
#   tests/slurm/cluster.sh stop     stop the daemons this script started (by their pid files)
#   tests/slurm/cluster.sh status   exit 0 if the node answers and accepts jobs
#
# Everything lives under $PHYSLENS_SLURM_DIR (default /var/tmp/physlens-slurm): slurm.conf,
# state, spool, logs and pid files. /etc/slurm is not touched: the cluster runs "configless",
# slurmd fetches the configuration from slurmctld and caches it in /run/slurm/conf, where
# every client (sinfo, sbatch, and the srun inside jobs, which the executor plugin starts
# with SLURM_* variables stripped) finds it. No accounting database: job status comes from
# squeue, reliable because MinJobAge keeps finished jobs visible for 5 minutes.
# `start` is idempotent: a cluster that already answers is left running.
# Exit status of `start`: 0 ready, 2 cannot be set up here (not root, no apt-get, daemons
# do not come up): the message on stderr says which.
set -euo pipefail

DIR=${PHYSLENS_SLURM_DIR:-/var/tmp/physlens-slurm}
CONF=$DIR/slurm.conf
MUNGE_SOCKET=/run/munge/munge.socket.2
WAIT_S=${PHYSLENS_SLURM_WAIT_S:-60}

cannot() { echo "cluster.sh: cannot set up SLURM here: $*" >&2; exit 2; }
log() { echo "cluster.sh: $*" >&2; }

ensure_packages() {
    local missing=()
    command -v slurmctld >/dev/null || missing+=(slurm-wlm)
    command -v munged >/dev/null || missing+=(munge)
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || cannot "no apt-get to install ${missing[*]}"
    log "installing ${missing[*]} with apt-get (once per machine)"
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get update -q >&2 || cannot "apt-get update failed"
    timeout 900 apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 \
        || cannot "apt-get install ${missing[*]} failed"
}

write_conf() {
    local cpus mem_mb
    # At least 4 CPUs, even on a 2-core machine: the test jobs mostly wait (Snakemake start-up,
    # polling), and two of them side by side halve the suite's wall time. No binding
    # (TaskPlugin=task/none), so the kernel shares the real cores.
    cpus=$(nproc); [ "$cpus" -ge 4 ] || cpus=4
    # Leave 512 MiB to the system so that slurmd does not drain the node for missing memory.
    mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
    mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log"
    cat > "$CONF.new" <<EOF
# Written by tests/slurm/cluster.sh: a one-node test cluster, no accounting.
ClusterName=physlens
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# squeue must still see a job this long after it ends (the executor plugin needs >= 120 s).
MinJobAge=300
ReturnToService=2
SlurmdParameters=config_overrides
SchedulerParameters=sched_interval=2
SlurmctldParameters=enable_configless
SlurmctldDebug=info
SlurmdDebug=info
GresTypes=gpu
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
    # A fake GPU (no device behind it) so that jobs of rules with `resources: gpu=1` are
    # scheduled as on a GPU node: SLURM sets CUDA_VISIBLE_DEVICES, torch finds no driver and
    # trains on the CPU.
    echo "NodeName=localhost Name=gpu File=/dev/null" > "$DIR/gres.conf.new"
}

conf_unchanged() {
    cmp -s "$CONF.new" "$CONF" && cmp -s "$DIR/gres.conf.new" "$DIR/gres.conf"
}

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

node_usable() {
    # idle, mixed or allocated: the node accepts jobs.
    local state
    state=$(SLURM_CONF=$CONF timeout 10 sinfo -h -N -n localhost -o '%t' 2>/dev/null | head -1) || return 1
    case "$state" in idle*|mix*|alloc*) return 0 ;; *) return 1 ;; esac
}

start_munge() {
    if [ -S "$MUNGE_SOCKET" ] && timeout 5 munge -n </dev/null | timeout 5 unmunge >/dev/null 2>&1; then
        return 0
    fi
    [ -s /etc/munge/munge.key ] || {
        log "creating munge key"
        if command -v mungekey >/dev/null; then mungekey --create --keyfile=/etc/munge/munge.key
        else dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; fi
        chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
    }
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    chmod 755 /run/munge
    runuser -u munge -- /usr/sbin/munged 9>&- || cannot "munged did not start"
    for _ in $(seq 20); do
        timeout 5 munge -n </dev/null | timeout 5 unmunge >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    cannot "munged does not answer on $MUNGE_SOCKET"
}

start() {
    [ "$(id -u)" -eq 0 ] || cannot "not root (uid $(id -u))"
    if [ -e /etc/slurm/slurm.conf ]; then
        cannot "/etc/slurm/slurm.conf exists (a site cluster?); not starting a test cluster beside it"
    fi
    mkdir -p "$DIR"
    # One start at a time (two test sessions may start the cluster together).
    exec 9>"$DIR/start.lock"
    flock -w 900 9 || cannot "another cluster.sh start holds $DIR/start.lock"
    write_conf
    if conf_unchanged && pid_alive "$DIR/slurmctld.pid" && pid_alive "$DIR/slurmd.pid" && node_usable; then
        rm -f "$CONF.new" "$DIR/gres.conf.new"
        log "already running ($CONF)"
        return 0
    fi
    # A cluster from an older version of this script is restarted with the new configuration.
    conf_unchanged || stop
    ensure_packages
    start_munge
    mv "$CONF.new" "$CONF"
    mv "$DIR/gres.conf.new" "$DIR/gres.conf"
    # 9>&-: the daemons must not inherit (and hold forever) the start lock.
    pid_alive "$DIR/slurmctld.pid" || /usr/sbin/slurmctld -f "$CONF" 9>&- \
        || cannot "slurmctld did not start (see $DIR/log/slurmctld.log)"
    pid_alive "$DIR/slurmd.pid" || /usr/sbin/slurmd --conf-server 127.0.0.1:6817 -N localhost 9>&- \
        || cannot "slurmd did not start (see $DIR/log/slurmd.log)"
    local waited=0
    until node_usable; do
        if [ "$waited" -ge "$WAIT_S" ]; then
            tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 || true
            cannot "node localhost not idle after ${WAIT_S}s: $(SLURM_CONF=$CONF sinfo -h -N -o '%N %t %E' 2>&1)"
        fi
        # A node left down/drained by an earlier run comes back on request.
        SLURM_CONF=$CONF scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1 || true
        sleep 1
        waited=$((waited + 1))
    done
    log "ready: $(SLURM_CONF=$CONF sinfo -h -N -o '%N %t cpus=%c mem=%m')"
}

stop_daemon() {
    local pidfile=$1 pid
    pid_alive "$pidfile" || return 0
    pid=$(cat "$pidfile")
    kill "$pid"
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
}

stop() {
    # Only the SLURM daemons this script started (their pid files); munged is left running
    # because other services may rely on it.
    stop_daemon "$DIR/slurmd.pid"
    stop_daemon "$DIR/slurmctld.pid"
    log "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) node_usable ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 64 ;;
esac
