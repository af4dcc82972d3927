#!/usr/bin/env bash
# start.sh STATE_DIR -- start a private single-node Slurm on localhost for tasktrack's tests:
# munged (own key and socket), slurmctld and slurmd, all as root, every file under STATE_DIR
# (which must not exist or be empty). Writes STATE_DIR/env.sh (export SLURM_CONF=...).
# Stop it with stop.sh STATE_DIR, which kills only the PIDs recorded here.
# Environment (optional):
#   TASKTRACK_SLURM_CRED_EXPIRE  seconds (default 5, Slurm's minimum): the delay before a
#                                requeued job may run again
#   TASKTRACK_SLURM_MIN_JOB_AGE  seconds (default 4): keeps `sbatch --wait` polling every 2 s
#   TASKTRACK_SLURM_CPUS         CPUs the node claims (default: max(4, cores))
#   TASKTRACK_SLURM_PORT         first port to try for slurmctld (default 17817); slurmd
#                                gets the next free one
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

[[ $# -eq 1 ]] || { echo "usage: start.sh STATE_DIR" >&2; exit 2; }
state=$(realpath -m -- "$1")
conf=$state/slurm.conf
cred_expire=${TASKTRACK_SLURM_CRED_EXPIRE:-5}
min_job_age=${TASKTRACK_SLURM_MIN_JOB_AGE:-4}
cpus=${TASKTRACK_SLURM_CPUS:-$(( $(nproc) > 4 ? $(nproc) : 4 ))}

[[ $(id -u) -eq 0 ]] || { echo "start.sh: must run as root (the daemons run as SlurmUser=root)" >&2; exit 1; }
for program in munged munge unmunge slurmctld slurmd sinfo scontrol; do
  command -v "$program" >/dev/null ||
    { echo "start.sh: '$program' not found (apt-get install slurm-wlm munge)" >&2; exit 1; }
done
if [[ -e $state && -n $(ls -A -- "$state" 2>/dev/null) ]]; then
  echo "start.sh: $state exists and is not empty; refusing" >&2
  exit 1
fi

# Two free ports, so that this cluster never talks to another Slurm on the machine.
port=${TASKTRACK_SLURM_PORT:-17817}
free_ports=()
while (( ${#free_ports[@]} < 2 && port < 65000 )); do
  port_busy "$port" || free_ports+=("$port")
  port=$((port + 1))
done
ctld_port=${free_ports[0]}
slurmd_port=${free_ports[1]}

t0=$(now_seconds)
# munged wants its socket folder traversable by all (0755) and its key private (0600).
mkdir -p -- "$state"
chmod 0755 -- "$state"
mkdir -p "$state"/{munge,ctld-state,spool,log,run,pids}
chmod 0755 "$state"/{munge,ctld-state,spool,log,run,pids}
touch "$state/plugstack.conf" "$state/.tasktrack-slurm"

# ---- munge ---------------------------------------------------------------------------------
if command -v mungekey >/dev/null; then
  mungekey --create --force --keyfile="$state/munge/munge.key"
else # munge < 0.5.14
  dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 status=none
fi
chmod 0600 "$state/munge/munge.key"
socket=$state/munge/munge.socket.2
setsid munged --foreground --key-file="$state/munge/munge.key" --socket="$socket" \
  --pid-file="$state/munge/munged.pid" --log-file="$state/log/munged.log" \
  --seed-file="$state/munge/munged.seed" </dev/null >"$state/log/munged.out" 2>&1 &
echo $! >"$state/pids/munged.pid"
munge_works() { munge -S "$socket" -n 2>/dev/null | unmunge -S "$socket" >/dev/null 2>&1; }
for _ in $(seq 1 100); do
  munge_works && break
  pid_alive "$(cat "$state/pids/munged.pid")" munged || break
  sleep 0.1
done
if ! munge_works; then
  echo "start.sh: munged did not start:" >&2
  cat "$state/log/munged.out" "$state/log/munged.log" >&2 2>/dev/null || true
  "$here/stop.sh" --keep "$state" >&2 || true
  exit 1
fi

# ---- slurm.conf ----------------------------------------------------------------------------
node=$(hostname -s)
memory=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -1)
sed -e "s|@STATE@|$state|g" -e "s|@NODE@|$node|g" -e "s|@CPUS@|$cpus|g" \
  -e "s|@MEM@|${memory:-1000}|g" -e "s|@CTLD_PORT@|$ctld_port|g" \
  -e "s|@SLURMD_PORT@|$slurmd_port|g" -e "s|@CRED_EXPIRE@|$cred_expire|g" \
  -e "s|@MIN_JOB_AGE@|$min_job_age|g" "$here/slurm.conf.in" >"$conf"
mkdir -m 0755 "$state/spool/slurmd-$node"
# Four stand-in GPUs (issue 11): a generic resource (gres) whose device files are character
# devices made here (the numbers of /dev/null), so jobs may ask for --gpus-per-node and get
# CUDA_VISIBLE_DEVICES and SLURM_JOB_GPUS from Slurm as on a GPU node.
mkdir -m 0755 "$state/dev"
for gpu in 0 1 2 3; do mknod -m 0666 "$state/dev/gpu$gpu" c 1 3; done
printf 'Name=gpu File=%s/dev/gpu[0-3]\n' "$state" >"$state/gres.conf"
printf 'export SLURM_CONF=%q\n' "$conf" >"$state/env.sh"

# ---- daemons: foreground mode (-D) in the background, so $! is the daemon's own PID ---------
cd "$state" # the daemons, and the slurmstepds they fork, inherit this folder
setsid slurmctld -D -f "$conf" </dev/null >"$state/log/slurmctld.out" 2>&1 &
echo $! >"$state/pids/slurmctld.pid"
for _ in $(seq 1 100); do
  SLURM_CONF=$conf scontrol ping 2>/dev/null | grep -q 'is UP' && break
  pid_alive "$(cat "$state/pids/slurmctld.pid")" slurmctld || break
  sleep 0.1
done
setsid slurmd -D -f "$conf" </dev/null >"$state/log/slurmd.out" 2>&1 &
echo $! >"$state/pids/slurmd.pid"

node_state=""
deadline=$(($(date +%s) + 60))
while (($(date +%s) < deadline)); do
  node_state=$(SLURM_CONF=$conf sinfo -h -n "$node" -o %T 2>/dev/null || true)
  [[ $node_state == idle ]] && break
  if ! pid_alive "$(cat "$state/pids/slurmctld.pid")" slurmctld ||
    ! pid_alive "$(cat "$state/pids/slurmd.pid")" slurmd; then
    node_state="a daemon died"
    break
  fi
  sleep 0.1
done
if [[ $node_state != idle ]]; then
  echo "start.sh: node $node not idle (state: '$node_state'); logs:" >&2
  tail -n 20 "$state"/log/* >&2 || true
  "$here/stop.sh" --keep "$state" >&2 || true
  exit 1
fi
echo "start.sh: Slurm up in $(seconds_since "$t0") s: node $node (CPUs=$cpus), ports" \
  "$ctld_port/$slurmd_port, cred_expire=$cred_expire s, PIDs munged=$(cat "$state/pids/munged.pid")" \
  "slurmctld=$(cat "$state/pids/slurmctld.pid") slurmd=$(cat "$state/pids/slurmd.pid")"
