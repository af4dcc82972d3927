#!/usr/bin/env bash
# test_slurm.sh TASKTRACK_BINARY SOURCE_DIR -- the batch scripts in jobs/ against a real
# single-node Slurm on localhost (started by start.sh, stopped at exit by stop.sh):
#   1. jobs/tasktrack.sbatch (mpirun) and jobs/tasktrack-srun.sbatch (srun --mpi=pmix) run a
#      small primes job under `sbatch --wait`: exit code 0, the known result, "completed", the
#      Slurm job id and restart 0, one row per worker with this host's name;
#      the scripts' own layout, one worker owning all the node's CPUs with rank 0 beside it
#      (no slot of its own): the job starts and its one worker has every CPU as a thread;
#   2. bad input through either script: sbatch --wait returns 2; a TASKTRACK that does not
#      run: exit 2 at once, with one line saying so (not a hang until the time limit);
#   3. preemption, for each script: a ~15 s job gets `scancel --batch --signal=USR1` mid-run;
#      it must print an "interrupted" summary, requeue itself (scontrol shows Restarts=1),
#      resume from its journal and complete: the same result as an uninterrupted run, every
#      subtask accounted once (resumed + this run's done == total; the journal: all done,
#      none failed), and sbatch --wait returns 0;
#   4. a task list (commands that record what ran) through jobs/tasktrack.sbatch, preempted
#      once: requeued, completed with exit 0, and every line ran exactly once;
#   4b. a task list under --deadline and no signal: tasktrack drains before its deadline by
#      itself, the script requeues it, and it completes with every line run exactly once;
#   4c. the same under a real limit: --time=2, the script without its --signal line, the
#      deadline read from Slurm (--deadline auto): drained runs exit 3 and requeue, the last
#      completes, each run's summary whole in the output file, no run killed by the limit.
# Exit 0 all passed, 1 a check failed, 77 skipped (not root, or Slurm/munge/jq not installed).
# TASKTRACK_SLURM_KEEP=1 keeps the cluster's state and the work folder for a look afterwards.
set -uo pipefail

# Daemons and ip live in sbin, which a non-login PATH may lack.
export PATH=$PATH:/usr/sbin:/sbin

skip() {
  echo "SKIP: $*"
  exit 77
}
[[ $# -eq 2 ]] || { echo "usage: test_slurm.sh TASKTRACK_BINARY SOURCE_DIR" >&2; exit 2; }
tasktrack=$(realpath -- "$1")
source_dir=$(realpath -- "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

[[ $(id -u) -eq 0 ]] || skip "the Slurm test runs slurmctld, slurmd and munged as root; run it as root"
for program in munged munge unmunge slurmctld slurmd sbatch scontrol scancel squeue srun; do
  command -v "$program" >/dev/null ||
    skip "'$program' is not installed (Debian: apt-get install slurm-wlm munge)"
done
command -v jq >/dev/null || skip "'jq' is not installed (Debian: apt-get install jq)"
command -v mpirun >/dev/null || skip "'mpirun' is not installed (Debian: apt-get install openmpi-bin)"
[[ -x $tasktrack ]] || { echo "FAIL: no program at $tasktrack" >&2; exit 1; }

# A CI runner that itself runs inside a Slurm job must not leak its job into ours.
while read -r name; do unset "$name"; done < <(compgen -v SLURM_)

state=$(mktemp -d /tmp/tasktrack-slurm.XXXXXX)
work=$(mktemp -d /tmp/tasktrack-slurm-work.XXXXXX)
chmod 0755 "$work"
background_pids=()
failures=0
cleanup() {
  local pid
  for pid in "${background_pids[@]}"; do
    pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
  done
  if ((failures > 0)); then
    echo "---- slurmctld log (tail)"
    tail -n 30 "$state/log/slurmctld.log" 2>/dev/null
    echo "---- slurmd log (tail)"
    tail -n 30 "$state"/log/slurmd-*.log 2>/dev/null
  fi
  if [[ ${TASKTRACK_SLURM_KEEP:-0} == 1 ]]; then
    "$here/stop.sh" --keep "$state"
    echo "kept: state $state, work $work"
  else
    "$here/stop.sh" "$state"
    rm -rf -- "$work"
  fi
}
trap cleanup EXIT

pass() { echo "PASS: $*"; }
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
# check DESCRIPTION COMMAND... : pass or fail on the command's status
check() {
  local description=$1
  shift
  if "$@" >/dev/null; then pass "$description"; else fail "$description"; fi
}
# wait_for SECONDS COMMAND... : poll every 0.3 s
wait_for() {
  local deadline=$(($(date +%s) + $1))
  shift
  while (($(date +%s) < deadline)); do
    "$@" && return 0
    sleep 0.3
  done
  return 1
}
# summary_hosts FILE : the host column of every per-rank table in the file
summary_hosts() {
  awk '/^ +rank +host/ { table = 1; next }
       table && /^ +[0-9]+ / { print $2; next }
       { table = 0 }' "$1"
}
# journal_line JOURNAL : tasktrack status's "subtasks ..." line
journal_line() { "$tasktrack" status "$1" 2>/dev/null | sed -n -E 's/^(subtasks|commands) +//p'; }
show_file() {
  echo "---- $1"
  cat "$1" 2>/dev/null
  echo "----"
}

test_start=$(now_seconds)
"$here/start.sh" "$state" || { failures=1; echo "FAIL: could not start Slurm"; exit 1; }
# shellcheck disable=SC1091
. "$state/env.sh"
export SLURM_CONF
host=$(hostname)
cd "$work" || exit 1 # the submit folder: output files and journals land here

# submit NAME SCRIPT JOB [SBATCH OPTIONS...] : sbatch --wait in the background; its stdout and
# stderr go to NAME.sbatch, its exit code to NAME.rc; sets submit_pid. By default 2 worker
# ranks of 1 CPU (rank 0 comes on top); OPTIONS override that; TASKTRACK_PROGRAM, when set,
# replaces the program. SCRIPT is a file of jobs/, or an absolute path.
submit() {
  local name=$1 script=$2 job=$3
  shift 3
  (
    sbatch --wait --job-name="$name" --ntasks-per-node=2 --cpus-per-task=1 "$@" \
      --export="ALL,TASKTRACK=${TASKTRACK_PROGRAM:-$tasktrack},TASKTRACK_JOB=$job" \
      "$([[ $script == /* ]] && echo "$script" || echo "$source_dir/jobs/$script")" \
      >"$work/$name.sbatch" 2>&1
    echo $? >"$work/$name.rc"
  ) &
  submit_pid=$!
  background_pids+=("$submit_pid")
}
# job_known NAME : true once the job called NAME has an id (a function, so that wait_for
# asks again each time instead of testing one expansion made before the job was submitted)
job_known() { test -n "$(job_id "$1")"; }
# job_id NAME : the id of the job called NAME (from squeue while it exists, else from sbatch)
job_id() {
  local id
  id=$(squeue -h -n "$1" -o %i 2>/dev/null | head -1)
  [[ -n $id ]] || id=$(sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' "$work/$1.sbatch" 2>/dev/null)
  echo "$id"
}

# finished NAME : waits for NAME's sbatch --wait; sets rc (its exit code) and out (the job's
# output file)
finished() {
  wait "$submit_pid"
  rc=$(cat "$work/$1.rc")
  out=$work/$1-$(job_id "$1").out
}

# ---- 1. a small job through each script ------------------------------------------------------
primes_job="--kernel primes --range 0:2000000 --subtasks 200 --threads 1"
for script in tasktrack.sbatch tasktrack-srun.sbatch; do
  name=small-${script%.sbatch}
  echo "== $script: primes over 0:2000000 in 200 subtasks, sbatch --wait"
  t=$(now_seconds)
  submit "$name" "$script" "$primes_job --summary-json $work/$name.json"
  wait "$submit_pid"
  rc=$(cat "$work/$name.rc")
  id=$(job_id "$name")
  out=$work/$name-$id.out
  echo "sbatch --wait returned $rc after $(seconds_since "$t") s (job $id)"
  show_file "$out"
  check "$script: sbatch --wait returns 0" test "$rc" = 0
  check "$script: prints which restart this is" grep -q "job $id restart 0 on" "$out"
  check "$script: summary says completed, 200 of 200" \
    grep -q '^  status     completed: 200 done, 0 failed, 0 not run of 200' "$out"
  check "$script: result is the known 148933 primes" grep -q '^  result     primes: 148933$' "$out"
  check "$script: summary names the Slurm job and restart 0" grep -q "^  slurm      job $id, restart 0" "$out"
  hosts=$(summary_hosts "$out" | sort -u | tr '\n' ' ')
  check "$script: per-rank table has 2 workers, on host $host (got: $hosts)" \
    test "$(summary_hosts "$out" | wc -l)" = 2 -a "$hosts" = "$host "
  json=$work/$name.json
  check "$script: JSON: completed, exit 0, 148933, job $id restart 0, submit dir, hosts" \
    jq -e --arg id "$id" --arg dir "$work" --arg host "$host" \
    '.status == "completed" and .exit_code == 0 and .result.primes == 148933
     and .slurm.job_id == $id and .slurm.restart_count == "0" and .slurm.submit_dir == $dir
     and (.per_rank | length == 2 and all(.host == $host))' "$json"
done

# ---- 1b. the scripts' layout: a worker owns all of the node's CPUs, rank 0 needs no slot ----
node_cpus=$(scontrol show node -o | grep -o 'CPUTot=[0-9]*' | head -1 | cut -d= -f2)
for script in tasktrack.sbatch tasktrack-srun.sbatch; do
  name=layout-${script%.sbatch}
  echo "== $script: --nodes=1 --ntasks-per-node=1 --cpus-per-task=$node_cpus (the whole node)"
  submit "$name" "$script" "--kernel primes --range 0:200000 --subtasks 50" \
    --nodes=1 --ntasks-per-node=1 --cpus-per-task="$node_cpus" --time=5
  finished "$name"
  show_file "$out"
  check "$script: the whole-node job ran and returns 0 (got $rc)" test "$rc" = 0
  check "$script: 1 coordinator beside 1 worker with all $node_cpus CPUs as threads" \
    grep -q "^  ranks      2 (1 worker x $node_cpus threads)" "$out"
done

# ---- 2. exit codes: bad input ends the job with 2 --------------------------------------------
for script in tasktrack.sbatch tasktrack-srun.sbatch; do
  name=bad-${script%.sbatch}
  echo "== $script: bad input"
  submit "$name" "$script" "--kernel no-such-kernel --range 0:100"
  finished "$name"
  check "$script: bad input: sbatch --wait returns 2 (got $rc)" test "$rc" = 2
  check "$script: bad input: one error line names the problem" \
    grep -q "tasktrack: error: --kernel: unknown kernel 'no-such-kernel'" "$out"
  grep -q 'requeueing' "$out" && fail "$script: bad input must not requeue"

  name=missing-${script%.sbatch}
  echo "== $script: TASKTRACK names no program"
  TASKTRACK_PROGRAM=$work/no-such-tasktrack submit "$name" "$script" "jobs/default.toml" --time=5
  finished "$name"
  show_file "$out"
  check "$script: missing program: sbatch --wait returns 2 (got $rc)" test "$rc" = 2
  check "$script: missing program: one line names it" \
    grep -q "error: TASKTRACK=$work/no-such-tasktrack is not a runnable tasktrack program" "$out"
done

# ---- 3. preemption: USR1 mid-run, requeue, resume, complete ----------------------------------
# ~15 s of sleeping subtasks on 2 workers x 1 thread; durations are drawn per subtask id, so the
# result (microseconds slept, summed) is the same however the run is cut.
sleep_job="--kernel sleep --range 0:600 --subtasks 600 --param distribution=exponential
  --param mean=0.05 --param seed=5 --threads 1 --progress-interval 5s"
sleep_job=$(echo $sleep_job) # one line
# The reference: the same job uninterrupted, in one process with 32 threads (~1 s; sleeping
# takes no CPU), while the first preemption test runs.
"$tasktrack" run $sleep_job --threads 32 --quiet --summary-json "$work/reference.json" \
  >"$work/reference.out" 2>&1 &
reference_pid=$!
background_pids+=("$reference_pid")

for script in tasktrack.sbatch tasktrack-srun.sbatch; do
  name=preempt-${script%.sbatch}
  echo "== $script: preemption (scancel --batch --signal=USR1 mid-run) and requeue"
  t=$(now_seconds)
  submit "$name" "$script" "$sleep_job --summary-json $work/$name.json"
  wait_for 30 job_known "$name"
  id=$(job_id "$name")
  out=$work/$name-$id.out
  journal=$work/$name-$id.journal
  # Mid-run: at least 60 of 600 subtasks in the journal, the job still running.
  mid_run() { [[ $(journal_line "$journal") =~ ^([0-9]+)\ done ]] && ((BASH_REMATCH[1] >= 60)); }
  if wait_for 60 mid_run; then
    echo "at $(seconds_since "$t") s the journal says: $(journal_line "$journal"); signalling job $id"
    scancel --batch --signal=USR1 "$id"
    signal_sent=1
  else
    fail "$script: job $id did not get going: $(journal_line "$journal")"
    signal_sent=0
  fi
  restarted() { scontrol show job "$id" 2>/dev/null | grep -q 'Restarts=1'; }
  if ((signal_sent)) && wait_for 60 restarted; then
    requeued="$(scontrol show job "$id" | grep -o -E 'JobState=[A-Z_]+|Reason=[A-Za-z_]+|Restarts=[0-9]+|Requeue=[0-9]' | tr '\n' ' ')"
    pass "$script: job $id was requeued ($(seconds_since "$t") s): scontrol: $requeued"
  else
    fail "$script: job $id was not requeued: $(squeue -h -j "$id" -o '%T %r' 2>&1)"
  fi
  wait "$submit_pid"
  rc=$(cat "$work/$name.rc")
  echo "sbatch --wait returned $rc after $(seconds_since "$t") s"
  show_file "$out"
  check "$script: sbatch --wait returns 0 after the requeued run" test "$rc" = 0
  interrupted_line=$(grep -n '^  status     interrupted: ' "$out" | head -1 | cut -d: -f1)
  completed_line=$(grep -n '^  status     completed: 600 done, 0 failed, 0 not run of 600' "$out" |
    head -1 | cut -d: -f1)
  check "$script: an \"interrupted\" summary, then a later \"completed\" one" \
    test -n "$interrupted_line" -a -n "$completed_line" -a "${interrupted_line:-0}" -lt "${completed_line:-0}"
  check "$script: exactly two summaries (one per run)" test "$(grep -c '^  status     ' "$out")" = 2
  check "$script: restart 0 was interrupted and requeued itself" \
    grep -q "requeueing job $id; restart 1 resumes from the journal" "$out"
  check "$script: restart 1 says so, and completed the job" grep -q "^  slurm      job $id, restart 1" "$out"
  interrupted_done=$(sed -n 's/^  status     interrupted: \([0-9]*\) done.*/\1/p' "$out" | head -1)
  json=$work/$name.json
  check "$script: final JSON: completed, exit 0, restart 1, job $id" \
    jq -e --arg id "$id" '.status == "completed" and .exit_code == 0
      and .slurm.job_id == $id and .slurm.restart_count == "1"' "$json"
  check "$script: resumed == what the interrupted run finished (${interrupted_done:-?})" \
    jq -e --argjson n "${interrupted_done:-0}" '.subtasks.resumed == $n and $n > 0 and $n < 600' "$json"
  check "$script: each subtask once: resumed + this run's done == 600, no duplicates" \
    jq -e '.subtasks.total == 600 and .subtasks.done == 600 and .subtasks.failed == 0
      and .subtasks.duplicates == 0
      and .subtasks.resumed + ([.per_rank[].done] | add) == .subtasks.total' "$json"
  check "$script: the journal: 600 done, 0 failed, 0 left" \
    test "$(journal_line "$journal")" = "600 done, 0 failed, 0 left, of 600"
  if [[ $script == tasktrack.sbatch ]]; then
    wait "$reference_pid" || fail "the uninterrupted reference run failed: $(cat "$work/reference.out")"
  fi
  check "$script: result identical to the uninterrupted run ($(jq -c .result "$work/reference.json" 2>/dev/null))" \
    test "$(jq -c .result "$json" 2>/dev/null)" = "$(jq -c .result "$work/reference.json" 2>/dev/null)" \
    -a -n "$(jq -c .result "$json" 2>/dev/null)"
done

# ---- 4. a task list, preempted once: every line runs exactly once ---------------------------
name="tasks-preempt"
tasks=$work/ran.tasks
ran=$work/ran.log
: >"$ran"
for i in $(seq 1 30); do echo "sleep 0.3 && echo line-$i >> $ran"; done >"$tasks"
echo "== tasktrack.sbatch: a task list of 30 commands, preempted once"
t=$(now_seconds)
submit "$name" tasktrack.sbatch "--task-file $tasks --threads 1 --output-dir $work/tasks-out"
wait_for 30 job_known "$name"
id=$(job_id "$name")
out=$work/$name-$id.out
journal=$work/$name-$id.journal
some_ran() { [[ $(journal_line "$journal") =~ ^([0-9]+)\ done ]] && ((BASH_REMATCH[1] >= 6)); }
if wait_for 60 some_ran; then
  echo "at $(seconds_since "$t") s the journal says: $(journal_line "$journal"); signalling job $id"
  scancel --batch --signal=USR1 "$id"
else
  fail "task list: job $id did not get going: $(journal_line "$journal")"
fi
wait "$submit_pid"
rc=$(cat "$work/$name.rc")
echo "sbatch --wait returned $rc after $(seconds_since "$t") s"
show_file "$out"
check "task list: sbatch --wait returns 0 after the requeued run (got $rc)" test "$rc" = 0
check "task list: restart 0 was interrupted and requeued itself" \
  grep -q "requeueing job $id; restart 1 resumes from the journal" "$out"
check "task list: the script read the journal: done, 30 done, 0 failed, 0 left of 30" \
  grep -q "journal: done, 30 done, 0 failed, 0 left of 30; exit code 0" "$out"
check "task list: an interrupted run" grep -q '^  status     interrupted: ' "$out"
check "task list: then a completed one" \
  grep -q '^  status     completed: 30 done, 0 failed, 0 not run of 30' "$out"
check "task list: 30 lines ran" test "$(wc -l <"$ran")" = 30
check "task list: each line exactly once" test "$(sort "$ran" | uniq | wc -l)" = 30
check "task list: line-1 .. line-30 each ran" \
  test "$(sort "$ran")" = "$(for i in $(seq 1 30); do echo "line-$i"; done | sort)"

# ---- 4b. a deadline drain (issue 14): no signal at all; tasktrack drains before its ---------
# deadline by itself (exit 3, "drained" in its JSON) and the script requeues it to completion.
name="tasks-deadline"
tasks=$work/deadline.tasks
ran=$work/deadline.log
: >"$ran"
for i in $(seq 1 24); do echo "sleep 0.5 && echo line-$i >> $ran"; done >"$tasks"
echo "== tasktrack.sbatch: 24 commands of 0.5 s on 2 workers under --deadline +5s: drained, requeued, completed"
t=$(now_seconds)
submit "$name" tasktrack.sbatch "--task-file $tasks --threads 1 --deadline +5s --grace 1 --output-dir $work/deadline-out"
wait "$submit_pid"
rc=$(cat "$work/$name.rc")
id=$(job_id "$name")
out=$work/$name-$id.out
echo "sbatch --wait returned $rc after $(seconds_since "$t") s"
show_file "$out"
check "deadline: sbatch --wait returns 0 after the requeued runs (got $rc)" test "$rc" = 0
check "deadline: a run stopped at its deadline" grep -q '^  stopped    deadline: ' "$out"
check "deadline: it requeued itself without any signal" \
  grep -q "requeueing job $id; restart 1 resumes from the journal" "$out"
check "deadline: then a completed run" \
  grep -q '^  status     completed: 24 done, 0 failed, 0 not run of 24' "$out"
check "deadline: each line ran exactly once, none killed" \
  test "$(sort "$ran")" = "$(for i in $(seq 1 24); do echo "line-$i"; done | sort)"

# ---- 4c. a real time limit, no signal at all (issue 14) ----------------------------------
# --time=2 and the script without its #SBATCH --signal line: nothing warns the job before the
# hard limit. tasktrack's default --deadline auto reads the job's end time from Slurm, starts
# no command that would end past it (less --grace), drains by itself with exit 3, and the
# script requeues it; the runs complete the list, every line once, none killed by the limit,
# each run's whole summary in the output file.
name="tasks-time-limit"
tasks=$work/time-limit.tasks
ran=$work/time-limit.log
: >"$ran"
for i in $(seq 1 40); do echo "sleep 8 && echo line-$i >> $ran"; done >"$tasks"
no_signal_script=$work/tasktrack-no-signal.sbatch
sed '/^#SBATCH --signal/d' "$source_dir/jobs/tasktrack.sbatch" >"$no_signal_script"
echo "== tasktrack.sbatch without --signal, --time=2: 40 commands of 8 s on 2 workers drain before the limit, requeue, complete"
t=$(now_seconds)
submit "$name" "$no_signal_script" "--task-file $tasks --threads 1 --output-dir $work/time-limit-out" --time=2
finished "$name"
id=$(job_id "$name")
echo "sbatch --wait returned $rc after $(seconds_since "$t") s"
show_file "$out"
runs=$(grep -c '^  status     ' "$out")
check "time limit: sbatch --wait returns 0 after the requeued runs (got $rc)" test "$rc" = 0
check "time limit: more than one run (got $runs summaries)" test "$runs" -ge 2
check "time limit: every run but the last drained at the deadline and exited 3" \
  test "$(grep -c 'rank 0: 3; journal: work_left' "$out")" = "$((runs - 1))"
check "time limit: a deadline line in every drained run's summary" \
  test "$(grep -c '^  stopped    deadline: ' "$out")" = "$((runs - 1))"
check "time limit: requeued without any signal" \
  grep -q "requeueing job $id; restart 1 resumes from the journal" "$out"
check "time limit: the last run completed" \
  grep -q '^  status     completed: 40 done, 0 failed, 0 not run of 40' "$out"
check "time limit: no run was ended by Slurm's limit" bash -c "! grep -q 'DUE TO TIME LIMIT' '$out'"
check "time limit: each line ran exactly once" \
  test "$(sort "$ran")" = "$(for i in $(seq 1 40); do echo "line-$i"; done | sort)"

# ---- 5. GPUs as a generic resource: jobs/tasktrack-gpu.sbatch (issue 11) -------------------
# The harness's node declares 4 stand-in GPUs (gres.conf, start.sh). Slurm gives the job 4 and
# sets CUDA_VISIBLE_DEVICES; the one worker owns them (--gpus auto) and each command asking
# for one GPU gets exactly one, never a device another running command has.
name="gpu"
tasks=$work/gpu.tasks
gpu_log=$work/gpu.log
: >"$gpu_log"
{
  echo "#TASKTRACK gpus=1"
  for i in $(seq 1 8); do
    echo "echo \"line-$i \$CUDA_VISIBLE_DEVICES \$(date +%s.%N)\" >> $gpu_log; sleep 0.3; echo \"end-$i \$(date +%s.%N)\" >> $gpu_log"
  done
  echo "#TASKTRACK gpus=2"
  echo "echo \"pair \$CUDA_VISIBLE_DEVICES\" >> $gpu_log"
} >"$tasks"
echo "== tasktrack-gpu.sbatch: 8 one-GPU commands and a two-GPU one on a node of 4 GPUs"
submit "$name" tasktrack-gpu.sbatch "--task-file $tasks --output-dir $work/gpu-out" \
  --nodes=1 --ntasks-per-node=1 --cpus-per-task=4 --gpus-per-node=4
finished "$name"
show_file "$out"
check "gpu: sbatch --wait returns 0 (got $rc)" test "$rc" = 0
check "gpu: the summary shows the worker's 4 GPUs" grep -Eq '^ +1 .* 0,1,2,3$' "$out"
check "gpu: every one-GPU line got exactly one of 0-3" \
  test "$(grep -Ec '^line-[0-9]+ [0-3] ' "$gpu_log")" = 8
check "gpu: the two-GPU line got two" grep -Eq '^pair [0-3],[0-3]$' "$gpu_log"
# No two one-GPU commands that ran at the same time had the same device.
overlaps=$(awk '$1 ~ /^line-/ { n = substr($1, 6); dev[n] = $2; start[n] = $3 }
  $1 ~ /^end-/ { n = substr($1, 5); stop[n] = $2 }
  END { bad = 0; for (a in dev) for (b in dev) if (a < b && dev[a] == dev[b] &&
        start[a] < stop[b] && start[b] < stop[a]) bad++; print bad }' "$gpu_log")
check "gpu: no device shared by overlapping commands (got $overlaps)" test "$overlaps" = 0

echo "== Slurm test took $(seconds_since "$test_start") s"
if ((failures > 0)); then
  echo "SLURM TEST FAILED: $failures check(s)"
  exit 1
fi
echo "SLURM TEST PASSED"
