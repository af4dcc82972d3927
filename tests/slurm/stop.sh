#!/usr/bin/env bash
# stop.sh [--keep] STATE_DIR -- stop what start.sh STATE_DIR started: cancel the jobs, stop
# slurmd, slurmctld and munged by the PIDs start.sh recorded (command lines re-checked), kill
# job processes left behind by this cluster only, then delete STATE_DIR (--keep: keep it, for
# its logs). Does nothing when STATE_DIR holds no cluster.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

keep=0
if [[ ${1:-} == --keep ]]; then keep=1; shift; fi
[[ $# -eq 1 ]] || { echo "usage: stop.sh [--keep] STATE_DIR" >&2; exit 2; }
state=$(realpath -m -- "$1")
conf=$state/slurm.conf
[[ -f $state/.tasktrack-slurm ]] || { echo "stop.sh: no cluster in $state"; exit 0; }

# 1) Cancel the jobs while both daemons are up, so that slurmd can end their steps.
if pid_alive "$(cat "$state/pids/slurmctld.pid" 2>/dev/null)" slurmctld "$conf" &&
  pid_alive "$(cat "$state/pids/slurmd.pid" 2>/dev/null)" slurmd "$conf"; then
  jobs=$(SLURM_CONF=$conf timeout 10 squeue -h -o %A 2>/dev/null || true)
  if [[ -n $jobs ]]; then
    echo "stop.sh: cancelling jobs $(echo $jobs)"
    # shellcheck disable=SC2086
    SLURM_CONF=$conf timeout 10 scancel $jobs 2>/dev/null || true
    for _ in $(seq 1 150); do
      [[ -z $(SLURM_CONF=$conf timeout 10 squeue -h -o %A -t PD,R,CG,S,CF 2>/dev/null || true) ]] && break
      sleep 0.1
    done
  fi
fi

# 2) The daemons, by recorded PID.
stop_pid slurmd "$state/pids/slurmd.pid" slurmd "$conf"
stop_pid slurmctld "$state/pids/slurmctld.pid" slurmctld "$conf"

# 3) What this cluster's jobs left behind (only when slurmd died mid-job): a slurmstepd with
#    files open under STATE_DIR, or a process whose environment holds SLURM_CONF=$conf and a
#    SLURM_JOB_ID. Matched PID by PID, never by name; this script and its ancestors are skipped.
skip=" "
ancestor=$$
while [[ $ancestor =~ ^[0-9]+$ && $ancestor -gt 1 ]]; do
  skip+="$ancestor "
  ancestor=$(awk '{print $4}' "/proc/$ancestor/stat" 2>/dev/null || echo 0)
done
for proc in /proc/[0-9]*; do
  pid=${proc#/proc/}
  [[ $skip == *" $pid "* ]] && continue
  pid_alive "$pid" || continue
  hit=""
  if [[ $(readlink "$proc/exe" 2>/dev/null) == */slurmstepd* ]]; then # Debian: slurmstepd-wlm
    for fd in "$proc"/fd/*; do
      [[ $(readlink "$fd" 2>/dev/null) == "$state/"* ]] && { hit=slurmstepd; break; }
    done
  fi
  if [[ -z $hit ]] && environment=$({ tr '\0' '\n' <"$proc/environ"; } 2>/dev/null) &&
    grep -qxF -- "SLURM_CONF=$conf" <<<"$environment" &&
    grep -q '^SLURM_JOB_ID=' <<<"$environment"; then
    hit="job process ($({ tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null | cut -c1-60))"
  fi
  if [[ -n $hit ]]; then
    echo "stop.sh: killing leftover $hit $pid"
    kill -KILL "$pid" 2>/dev/null || true
  fi
done

stop_pid munged "$state/pids/munged.pid" munged "$state/"

if ((keep)); then
  echo "stop.sh: stopped; state kept in $state"
else
  rm -rf -- "$state"
  echo "stop.sh: stopped; removed $state"
fi
