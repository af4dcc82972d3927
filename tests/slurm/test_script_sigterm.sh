#!/usr/bin/env bash
# test_script_sigterm.sh TASKTRACK_BINARY SOURCE_DIR -- jobs/tasktrack.sbatch (mpirun) run
# outside Slurm, stopped the way Slurm stops a job (scancel, the hard time limit, scontrol
# requeue): SIGTERM to every process of the job at once, the script, mpirun and the ranks
# (issue 14). Checks: the script exits 3 (stopped with work left), rank 0's JSON summary says
# "interrupted" with exit code 3, and the output holds that run's whole summary (its last
# line included) exactly once. Then `tasktrack summary` on a file that is not a summary
# exits 2 with one line. Needs mpirun; exit 77 (skipped) without it.
set -uo pipefail
[[ $# -eq 2 ]] || { echo "usage: test_script_sigterm.sh TASKTRACK_BINARY SOURCE_DIR" >&2; exit 2; }
tasktrack=$(realpath -- "$1")
source_dir=$(realpath -- "$2")
command -v mpirun >/dev/null || { echo "SKIP: mpirun is not installed"; exit 77; }
command -v setsid >/dev/null || { echo "SKIP: setsid is not installed"; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
while read -r name; do unset "$name"; done < <(compgen -v SLURM_)

work=$(mktemp -d /tmp/tasktrack-sigterm.XXXXXX)
script_pid=""
cleanup() {
  [[ -n $script_pid ]] && kill -KILL -- "-$script_pid" 2>/dev/null
  rm -rf -- "$work"
}
trap cleanup EXIT
failures=0
check() {
  local description=$1
  shift
  if "$@" >/dev/null 2>&1; then echo "PASS: $description"; else echo "FAIL: $description"; failures=$((failures + 1)); fi
}

# ~30 s of sleeping subtasks on one worker rank: the signal lands mid-run.
journal=$work/job.journal
export TASKTRACK=$tasktrack TASKTRACK_JOURNAL=$journal
export TASKTRACK_JOB="--kernel sleep --range 0:600 --subtasks 600 --param mean=0.05 --threads 1 --progress-interval 1s"
cd "$work" || exit 1
# Its own session and process group (the group id is its PID), as a job step's processes.
setsid bash "$source_dir/jobs/tasktrack.sbatch" >"$work/out.txt" 2>&1 &
script_pid=$!
done_count() { "$tasktrack" status "$journal" --json 2>/dev/null | grep -o '"done":[0-9]*' | head -1 | cut -d: -f2; }
for _ in $(seq 1 200); do # up to 60 s for 20 subtasks in the journal
  n=$(done_count)
  [[ -n $n ]] && ((n >= 20)) && break
  sleep 0.3
done
echo "journal before the signal: $(done_count) done"
kill -TERM -- "-$script_pid" # everyone in the group at once, as slurmstepd does
code=""
for _ in $(seq 1 300); do # up to 30 s
  if ! kill -0 "$script_pid" 2>/dev/null; then
    wait "$script_pid"
    code=$?
    break
  fi
  sleep 0.1
done

script_pid=""
echo "---- the script's output"
cat "$work/out.txt"
echo "----"
check "the script ended within 30 s of SIGTERM" test -n "$code"
check "the script exits 3 after SIGTERM (got ${code:-none})" test "${code:-}" = 3
json=$work/job.summary.json
check "rank 0's JSON summary: interrupted, exit code 3, stopped by signal 15" \
  grep -q '"status": "interrupted"' "$json"
check "rank 0's JSON summary: exit_code 3" grep -q '"exit_code": 3' "$json"
check "rank 0's JSON summary: stop reason signal 15" grep -q '"stop_reason": "signal 15' "$json"
last_line=$("$tasktrack" summary "$json" | tail -n 1)
check "the summary's last line is in the output (${last_line:0:40}...)" grep -qxF -- "$last_line" "$work/out.txt"
check "exactly one summary in the output" test "$(grep -c '^  status     interrupted: ' "$work/out.txt")" = 1
check "the script's last line says exit code 3" grep -q 'journal: work_left, .*; exit code 3$' "$work/out.txt"


# `tasktrack summary` on something that is not a summary: exit 2, one line.
echo '{"status": "completed"}' >"$work/not-a-summary.json"
"$tasktrack" summary "$work/not-a-summary.json" >"$work/bad.out" 2>"$work/bad.err"
bad=$?
check "tasktrack summary on a JSON without text exits 2 (got $bad)" test "$bad" = 2
check "... with one line on stderr" test "$(wc -l <"$work/bad.err")" = 1

if ((failures > 0)); then
  echo "FAILED: $failures check(s)"
  exit 1
fi
echo "PASSED"
