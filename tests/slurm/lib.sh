# Helpers shared by start.sh, stop.sh and test_slurm.sh (sourced, not executed).
# shellcheck shell=bash

# pid_alive PID MUST_CONTAIN... : true when PID exists, is not a zombie and its command line
# holds every given string (a guard against PID reuse). Zombies matter: where PID 1 does not
# reap orphans (some container inits), a killed daemon stays <defunct> and `kill -0` still
# succeeds, so read the state from /proc/PID/stat.
pid_alive() {
  local pid=$1
  shift
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  local state
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]] || return 1
  local cmd
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  local s
  for s in "$@"; do [[ $cmd == *"$s"* ]] || return 1; done
  return 0
}

# stop_pid NAME PIDFILE MUST_CONTAIN... : SIGTERM, up to 15 s, then SIGKILL; only the PID the
# harness recorded, and only while its command line still matches.
stop_pid() {
  local name=$1 pidfile=$2
  shift 2
  [[ -f $pidfile ]] || return 0
  local pid
  pid=$(cat "$pidfile")
  if pid_alive "$pid" "$@"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do pid_alive "$pid" "$@" || break; sleep 0.1; done
    if pid_alive "$pid" "$@"; then
      echo "slurm harness: $name ($pid) ignored SIGTERM, sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do pid_alive "$pid" "$@" || break; sleep 0.1; done
    fi
    echo "slurm harness: stopped $name ($pid)"
  fi
  rm -f -- "$pidfile"
}

# port_busy PORT : something listens on 127.0.0.1:PORT
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

now_seconds() { date +%s.%N; }
# seconds_since START : elapsed seconds, two decimals
seconds_since() { awk -v a="$1" -v b="$(now_seconds)" 'BEGIN { printf "%.1f", b - a }'; }
