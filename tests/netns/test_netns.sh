#!/usr/bin/env bash
# test_netns.sh TASKTRACK_BINARY -- tasktrack across three hosts on one machine: network
# namespaces node1..node3 (10.200.0.1-3) joined by a bridge (up.sh), Open MPI over the TCP BTL,
# remote start through rsh-agent.sh (`ip netns exec`) as plm_rsh_agent, mpirun itself running on
# node1, mpi_yield_when_idle 1 (more ranks than cores). Checks:
#   1. a primes job, -np 4 --map-by node: rank 0 on node1, workers on node2, node3, node1: the
#      summary's per-rank hosts are node1, node2 and node3, the known result, exit code 0, and
#      the MPI traffic went over node2's and node3's mpi0;
#   2. under --enable-recovery, the worker on node1 (rank 0's host) SIGKILLed mid-run: the job
#      completes with the result of an uninterrupted run, that rank marked lost, mpirun exits 0;
#   3. the same with the worker on node3 (another host than rank 0's): the job completes, the
#      same result, that rank lost, and mpirun must exit too.
#   4. node2's link rate-limited (tc tbf, 1 mbit/s): the primes job still gives the exact result;
#   5. a partition (issue 14): jobs/tasktrack.sbatch itself, run on node1 as under Slurm, with
#      node3's link taken down mid-run: the job completes with the uninterrupted run's result,
#      rank 2 (node3) lost, rank 0's --finished-file says 0, and the script (which ends mpirun
#      when it outlives rank 0 by TASKTRACK_END_GRACE) exits 0, with mpirun gone, within 30 s
#      of the summary. The only wall-clock bound in these tests: a hang bound.
# In 2 and 3, with Open MPI 4.1.4, the survivors' MPI_Finalize can wait forever for the dead rank
# (always when it ran on another host than mpirun's, about one run in three when on mpirun's);
# TASKTRACK_NETNS_ALLOW_FINALIZE_HANG=1 reports that as a known issue instead of a failure.
# Exit 0 all passed, 1 a check failed, 77 skipped (not root, or no ip netns / Open MPI / jq).
set -uo pipefail

# Daemons and ip live in sbin, which a non-login PATH may lack.
export PATH=$PATH:/usr/sbin:/sbin

skip() {
  echo "SKIP: $*"
  exit 77
}
[[ $# -eq 1 ]] || { echo "usage: test_netns.sh TASKTRACK_BINARY" >&2; exit 2; }
tasktrack=$(realpath -- "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(cd "$here/../.." && pwd)

[[ $(id -u) -eq 0 ]] || skip "network namespaces need root (CAP_SYS_ADMIN, CAP_NET_ADMIN); run as root"
for program in ip unshare mount mpirun jq tc setsid; do
  command -v "$program" >/dev/null || skip "'$program' is not installed"
done
probe=ttnet-probe-$$
ip netns add "$probe" 2>/dev/null || skip "'ip netns add' does not work here (a container without --privileged?)"
ip netns del "$probe"
[[ -x $tasktrack ]] || { echo "FAIL: no program at $tasktrack" >&2; exit 1; }

state=$(mktemp -d /tmp/tasktrack-netns.XXXXXX)
work=$(mktemp -d /tmp/tasktrack-netns-work.XXXXXX)
export TASKTRACK_NETNS_DIR=$state
mpirun_pid=""
script_pid=""
failures=0
cleanup() {
  [[ -n $mpirun_pid ]] && kill -KILL "$mpirun_pid" 2>/dev/null
  [[ -n $script_pid ]] && kill -KILL -- "-$script_pid" 2>/dev/null
  "$here/down.sh" "$state"
  rm -rf -- "$work"
}
trap cleanup EXIT

pass() { echo "PASS: $*"; }
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
check() {
  local description=$1
  shift
  if "$@" >/dev/null; then pass "$description"; else fail "$description"; fi
}
now_seconds() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now_seconds)" 'BEGIN { printf "%.1f", b - a }'; }
wait_for() { # wait_for SECONDS COMMAND... : poll every 0.2 s
  local deadline=$(($(date +%s) + $1))
  shift
  while (($(date +%s) < deadline)); do
    "$@" && return 0
    sleep 0.2
  done
  return 1
}
# mpi0_bytes HOST : bytes received + sent on HOST's mpi0
mpi0_bytes() {
  ip -n "$prefix-$1" -s link show mpi0 |
    awk '/RX:/ { getline; rx = $1 } /TX:/ { getline; tx = $1 } END { print rx + tx }'
}
# rank_pid HOST RANK : the PID of MPI rank RANK running on HOST, from its environment
rank_pid() {
  local pid
  for pid in $(ip netns pids "$prefix-$1" 2>/dev/null); do
    [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$tasktrack" ]] || continue
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" &&
      { echo "$pid"; return 0; }
  done
  return 1
}

test_start=$(now_seconds)
"$here/up.sh" "$state" 3 || { failures=1; echo "FAIL: could not build the hosts"; exit 1; }
prefix=$(cat "$state/prefix")
check "the root namespace routes 10.200.0.0/24 nowhere (unreachable)" \
  bash -c "ip route show type unreachable | grep -q '^unreachable 10.200.0.0/24'"
check "no 10.200.0.x address in the root namespace" \
  bash -c "! ip -4 addr show | grep -q 'inet 10\.200\.0\.'"

mpirun_command=("$here/rsh-agent.sh" --exec node1
  mpirun -q --allow-run-as-root -np 4 --map-by node --hostfile "$state/hostfile"
  --mca plm_rsh_agent "$here/rsh-agent.sh"
  --mca btl "tcp,self" --mca btl_tcp_if_include mpi0 --mca oob_tcp_if_include mpi0
  --mca mpi_yield_when_idle 1)

# ---- 1. three hosts ---------------------------------------------------------------------------
echo "== primes over 0:2000000 on 4 ranks across node1..node3 (--map-by node)"
before2=$(mpi0_bytes node2)
before3=$(mpi0_bytes node3)
t=$(now_seconds)
rc=0
timeout 120 "${mpirun_command[@]}" "$tasktrack" run --kernel primes --range 0:2000000 \
  --subtasks 200 --threads 1 --summary-json "$work/hosts.json" >"$work/hosts.out" 2>&1 || rc=$?
echo "mpirun exited with $rc after $(seconds_since "$t") s"
cat "$work/hosts.out"
check "mpirun exits 0" test "$rc" = 0
check "the known result (148933 primes), completed, 3 workers" \
  jq -e '.status == "completed" and .exit_code == 0 and .result.primes == 148933 and .workers == 3' \
  "$work/hosts.json"
hosts=$(jq -r '[.per_rank[].host] | sort | join(" ")' "$work/hosts.json" 2>/dev/null)
check "the per-rank hosts are node1 node2 node3 (got: $hosts)" test "$hosts" = "node1 node2 node3"
check "the summary's table shows the three hosts" \
  bash -c "grep -qE '^ +[0-9]+ node1 ' '$work/hosts.out' && grep -qE '^ +[0-9]+ node2 ' '$work/hosts.out' &&
           grep -qE '^ +[0-9]+ node3 ' '$work/hosts.out'"
traffic2=$(($(mpi0_bytes node2) - before2))
traffic3=$(($(mpi0_bytes node3) - before3))
check "the ranks talked over TCP on mpi0 (node2 $traffic2 bytes, node3 $traffic3 bytes)" \
  test "$traffic2" -gt 10000 -a "$traffic3" -gt 10000

# ---- 2 and 3. a worker SIGKILLed mid-run under --enable-recovery ------------------------------
# ~8 s of sleeping subtasks on 3 workers x 1 thread; every subtask's duration is drawn from its
# id, so the result (microseconds slept, summed) is the same however the work was spread.
sleep_job=(--kernel sleep --range 0:400 --subtasks 400 --param distribution=exponential
  --param mean=0.05 --param seed=9 --threads 1)
"$tasktrack" run "${sleep_job[@]}" --threads 40 --quiet --summary-json "$work/reference.json" \
  >"$work/reference.out" 2>&1 || fail "the reference run failed: $(cat "$work/reference.out")"
reference=$(jq -c .result "$work/reference.json" 2>/dev/null)
echo "reference result (one process, uninterrupted): $reference"

# With --map-by node: rank 1 on node2, rank 2 on node3, rank 3 on node1 (with rank 0).
for victim in "node1 3" "node3 2"; do
  read -r victim_host victim_rank <<<"$victim"
  name=kill-$victim_host
  echo "== SIGKILL the worker on $victim_host (rank $victim_rank) mid-run, --enable-recovery"
  journal=$work/$name.journal
  json=$work/$name.json
  t=$(now_seconds)
  timeout 300 "${mpirun_command[@]}" --enable-recovery "$tasktrack" run "${sleep_job[@]}" \
    --worker-timeout 3s --heartbeat 1s --journal "$journal" --progress-interval 2s \
    --summary-json "$json" >"$work/$name.out" 2>&1 &
  mpirun_pid=$!
  mid_run() {
    [[ $("$tasktrack" status "$journal" 2>/dev/null) =~ subtasks\ +([0-9]+)\ done ]] &&
      ((BASH_REMATCH[1] >= 60))
  }
  victim_pid=""
  if wait_for 60 mid_run && victim_pid=$(rank_pid "$victim_host" "$victim_rank"); then
    echo "at $(seconds_since "$t") s: kill -KILL $victim_pid (rank $victim_rank in $prefix-$victim_host);" \
      "journal: $("$tasktrack" status "$journal" | sed -n -E 's/^(subtasks|commands) +//p')"
    kill -KILL "$victim_pid"
  else
    fail "$victim_host: no rank $victim_rank to kill, or the job did not get going"
  fi
  # The summary JSON is written when the job ends, before the ranks say goodbye (the file is
  # created empty at the start, to check that it can be written).
  summary_written() { [[ -s $json ]] && jq -e .status "$json" >/dev/null 2>&1; }
  wait_for 120 summary_written
  summary_at=$(seconds_since "$t")
  # Then mpirun must end too: the survivors finalize and exit.
  rc=""
  if wait_for 20 bash -c "! kill -0 $mpirun_pid 2>/dev/null"; then
    wait "$mpirun_pid"
    rc=$?
  fi
  if [[ -z $rc ]]; then # still running: end it, so the next check starts clean
    kill -TERM "$mpirun_pid" 2>/dev/null
    wait_for 10 bash -c "! kill -0 $mpirun_pid 2>/dev/null" || kill -KILL "$mpirun_pid" 2>/dev/null
    wait "$mpirun_pid" 2>/dev/null
  fi
  mpirun_pid=""
  if [[ -n $rc ]]; then ended="exited with $rc"; else ended="was still running 20 s later (killed)"; fi
  echo "summary after $summary_at s; mpirun $ended after $(seconds_since "$t") s"
  cat "$work/$name.out"
  check "$victim_host: the job completed: 400 of 400 done, none failed, exit code 0" \
    jq -e '.status == "completed" and .exit_code == 0 and .subtasks.done == 400
      and .subtasks.failed == 0' "$json"
  check "$victim_host: the result equals the uninterrupted run's" \
    test -n "$reference" -a "$(jq -c .result "$json" 2>/dev/null)" = "$reference"
  # shellcheck disable=SC2016 # $r and $h are jq's variables
  check "$victim_host: rank $victim_rank lost, the other workers not" \
    jq -e --argjson r "$victim_rank" --arg h "$victim_host" \
    '[.per_rank[] | select(.lost)] == [.per_rank[] | select(.rank == $r and .host == $h)]
     and (.per_rank | length == 3)' "$json"
  check "$victim_host: the summary says rank $victim_rank was lost" \
    grep -qE "rank $victim_rank \($victim_host\) lost" "$work/$name.out"
  check "$victim_host: each subtask counted once (done by the workers == 400, no duplicates)" \
    jq -e '([.per_rank[].done] | add) == 400 and .subtasks.duplicates == 0' "$json"
  description="$victim_host: mpirun exits by itself, with 0, after the job completed (mpirun $ended)"
  if [[ ${rc:-none} == 0 ]]; then
    pass "$description"
  elif [[ ${TASKTRACK_NETNS_ALLOW_FINALIZE_HANG:-0} == 1 ]]; then
    # Open MPI 4.1.4 across hosts: after a rank died, the survivors' MPI_Finalize may wait
    # forever (always when it died on another host than mpirun's, now and then on mpirun's).
    # Tolerated only on request, while tasktrack does not work around it.
    echo "KNOWN ISSUE (TASKTRACK_NETNS_ALLOW_FINALIZE_HANG=1): $description"
  else
    fail "$description"
  fi
done

# ---- 4. a rate-limited link ------------------------------------------------------------------
# This kernel has no netem; a token bucket works in the namespaces. Every message to and from
# rank 1 (node2) queues behind 1 mbit/s, with up to 400 ms of latency.
echo "== primes again, node2's link limited to 1 mbit/s (tc tbf)"
ip netns exec "$prefix-node2" tc qdisc add dev mpi0 root tbf rate 1mbit burst 32kbit latency 400ms ||
  fail "tc could not limit node2's mpi0"
rc=0
timeout 300 "${mpirun_command[@]}" "$tasktrack" run --kernel primes --range 0:2000000 \
  --subtasks 200 --threads 1 --summary-json "$work/slow.json" >"$work/slow.out" 2>&1 || rc=$?
shaped=$(ip netns exec "$prefix-node2" tc -s qdisc show dev mpi0 |
  awk '$1 == "qdisc" { tbf = ($2 == "tbf") } tbf && $1 == "Sent" { print $2; exit }')
ip netns exec "$prefix-node2" tc qdisc del dev mpi0 root 2>/dev/null
echo "mpirun exited with $rc; $shaped bytes went through node2's token bucket"
cat "$work/slow.out"
check "rate-limited: mpirun exits 0" test "$rc" = 0
check "rate-limited: the exact result (148933 primes), completed, 3 workers, rank 1 did work" \
  jq -e '.status == "completed" and .exit_code == 0 and .result.primes == 148933 and
    .workers == 3 and ([.per_rank[] | select(.rank == 1 and .done > 0)] | length == 1)' \
  "$work/slow.json"
check "rate-limited: node2's traffic went through the token bucket ($shaped bytes)" \
  test "${shaped:-0}" -gt 1000

# ---- 5. a partition, under the batch script ---------------------------------------------------
# jobs/tasktrack.sbatch as Slurm would run it on the first node (node1), outside Slurm: 3
# worker ranks (SLURM_NTASKS) + rank 0, mpirun's options for these hosts in MPIRUN_OPTIONS.
# node3's link goes down mid-run: rank 2 is declared lost after --worker-timeout, its subtasks
# run elsewhere and rank 0 finishes; mpirun waits for node3's daemon, which cannot answer.
echo "== a partition: node3's link down mid-run, under jobs/tasktrack.sbatch"
journal=$work/partition.journal
json=$work/partition.summary.json # the script's default: beside the journal
finished=$work/partition.finished
t=$(now_seconds)
(
  while read -r name; do unset "$name"; done < <(compgen -v SLURM_)
  export SLURM_NTASKS=3 TASKTRACK=$tasktrack TASKTRACK_JOURNAL=$journal
  export TASKTRACK_JOB="${sleep_job[*]} --worker-timeout 3s --heartbeat 1s --progress-interval 2s"
  export MPIRUN_OPTIONS="--hostfile $state/hostfile --mca plm_rsh_agent $here/rsh-agent.sh
    --mca btl tcp,self --mca btl_tcp_if_include mpi0 --mca oob_tcp_if_include mpi0
    --mca mpi_yield_when_idle 1"
  cd "$work" || exit 1
  exec setsid "$here/rsh-agent.sh" --exec node1 bash "$source_dir/jobs/tasktrack.sbatch"
) >"$work/partition.out" 2>&1 &
script_pid=$!
if wait_for 60 mid_run; then
  echo "at $(seconds_since "$t") s: node3's mpi0 down; journal:" \
    "$("$tasktrack" status "$journal" | sed -n -E 's/^(subtasks|commands) +//p')"
  ip -n "$prefix-node3" link set mpi0 down
else
  fail "partition: the job did not get going"
fi
wait_for 120 summary_written # as in 2 and 3, on this $json
summary_at=$(now_seconds)
rc=""
if wait_for 30 bash -c "! kill -0 $script_pid 2>/dev/null"; then
  wait "$script_pid"
  rc=$?
fi
ended_after=$(seconds_since "$summary_at")
mpirun_left=$(ip netns pids "$prefix-node1" | xargs -r ps -o pid=,comm= -p | awk '$2 == "mpirun"')
if [[ -z $rc ]]; then
  kill -KILL -- "-$script_pid" 2>/dev/null
  wait "$script_pid" 2>/dev/null
  ended="was still running 30 s after the summary (killed)"
else
  ended="exited with $rc $ended_after s after the summary"
fi
script_pid=""
echo "summary after $(awk -v a="$t" -v b="$summary_at" 'BEGIN { printf "%.1f", b - a }') s; the script $ended"
cat "$work/partition.out"
# What is left on the cut host (its daemon and rank) goes, and its link comes back.
for pid in $(ip netns pids "$prefix-node3"); do kill -KILL "$pid" 2>/dev/null; done
ip -n "$prefix-node3" link set mpi0 up
check "partition: the job completed: 400 of 400 done, none failed, exit code 0" \
  jq -e '.status == "completed" and .exit_code == 0 and .subtasks.done == 400
    and .subtasks.failed == 0 and .subtasks.duplicates == 0' "$json"
check "partition: the result equals the uninterrupted run's" \
  test -n "$reference" -a "$(jq -c .result "$json" 2>/dev/null)" = "$reference"
check "partition: rank 2 (node3) lost, the other workers not" \
  jq -e '[.per_rank[] | select(.lost)] == [.per_rank[] | select(.rank == 2 and .host == "node3")]
    and (.per_rank | length == 3)' "$json"
check "partition: rank 0's --finished-file says 0" test "$(cat "$finished" 2>/dev/null)" = 0
check "partition: the script exits 0 within 30 s of the summary (it $ended)" test "${rc:-none}" = 0
check "partition: no mpirun left on node1 (${mpirun_left:-none})" test -z "$mpirun_left"
if grep -q "but mpirun is still running" "$work/partition.out"; then
  echo "(the script ended mpirun: it outlived rank 0 by TASKTRACK_END_GRACE)"
fi

echo "== netns test took $(seconds_since "$test_start") s"
if ((failures > 0)); then
  echo "NETNS TEST FAILED: $failures check(s)"
  exit 1
fi
echo "NETNS TEST PASSED"
