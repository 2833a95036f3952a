#!/usr/bin/env bash
# A single-node Slurm cluster on 127.0.0.1 for the Slurm executor's tests and benchmark.
#   scripts/slurm-local.sh up     install slurm-wlm and munge (Debian) when missing, configure, start; idempotent
#   scripts/slurm-local.sh down   stop slurmd, slurmctld and munged started here
#   scripts/slurm-local.sh status print whether the cluster answers
# Runs as root (or through sudo). The node gets this machine's CPUs and most of its memory; slurmctld and
# slurmd run as root (SlurmUser=root) with proctrack/linuxproc and task/none, so no cgroup setup is needed.
set -euo pipefail

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "error: the local Slurm cluster needs root or sudo: $*" >&2; return 1; fi
}

host=$(hostname -s)
conf=/etc/slurm/slurm.conf
state=/var/spool/slurmctld
spool=/var/spool/slurmd
logs=/var/log/slurm

running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

answers() { timeout 5 sinfo -h -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; }

install_packages() {
  local missing=()
  for p in slurm-wlm munge; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

start_munge() {
  as_root mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
  if [ ! -s /etc/munge/munge.key ]; then
    as_root dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  as_root chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
  as_root chmod 700 /etc/munge
  as_root chmod 400 /etc/munge/munge.key
  as_root chmod 755 /run/munge
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    stop_pidfile /run/munge/munged.pid
    as_root runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  fi
}

write_config() {
  local cpus mem
  cpus=$(nproc)
  # Leave 1 GiB to the system; Slurm counts memory in MiB.
  mem=$(( $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) - 1024 ))
  as_root mkdir -p /etc/slurm "$state" "$spool" "$logs"
  as_root tee "$conf.new" >/dev/null <<CONF
# Written by scripts/slurm-local.sh: one node on 127.0.0.1.
ClusterName=local
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
SchedulerParameters=defer_batch=0,sched_min_interval=0,batch_sched_delay=0
StateSaveLocation=${state}
SlurmdSpoolDir=${spool}
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=${logs}/slurmctld.log
SlurmdLogFile=${logs}/slurmd.log
ReturnToService=2
MinJobAge=300
MaxArraySize=100001
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
InactiveLimit=0
KillWait=5
Waittime=0
DefMemPerCPU=1024
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
  if [ -f "$conf" ] && cmp -s "$conf" "$conf.new"; then as_root rm -f "$conf.new"; return 1; fi
  as_root mv "$conf.new" "$conf"
  return 0
}

up() {
  install_packages
  start_munge
  local changed=0
  write_config && changed=1
  if [ $changed = 1 ] && running /run/slurmctld.pid; then
    # A new configuration: restart both daemons so they agree on it.
    down_daemons
  fi
  running /run/slurmctld.pid || as_root /usr/sbin/slurmctld
  running /run/slurmd.pid || as_root /usr/sbin/slurmd
  for _ in $(seq 100); do answers && break; sleep 0.2; done
  if ! answers; then
    # A node left down by an earlier run (for example after a reboot) is returned to service.
    as_root scontrol update nodename="$host" state=resume 2>/dev/null || true
    for _ in $(seq 50); do answers && break; sleep 0.2; done
  fi
  if ! answers; then
    echo "error: Slurm did not come up; see $logs/slurmctld.log and $logs/slurmd.log" >&2
    sinfo >&2 || true
    return 1
  fi
  echo "slurm: node $host up ($(sinfo -h -o '%c CPUs, %m MiB, %T'))"
}

# Stops the daemon whose pid file is given (the daemons started here write one each) and waits for it.
stop_pidfile() {
  local pid
  [ -s "$1" ] || return 0
  pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    as_root kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  as_root rm -f "$1"
}

down_daemons() {
  stop_pidfile /run/slurmd.pid
  stop_pidfile /run/slurmctld.pid
}

down() {
  down_daemons
  stop_pidfile /run/munge/munged.pid
  echo "slurm: stopped"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) if answers; then sinfo; else echo "slurm: not running"; exit 1; fi ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
