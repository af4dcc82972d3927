#!/usr/bin/env bash
# The built-in `primes` kernel against the peers' C kernel (issue 14, item 6): the same trial
# division over the same numbers, [0, PRIMES_HI) (default 2*10^7; W3's 2,000 chunks of 10,000),
# on one thread:
#
#   C        bench/baselines/primes.c: `primes 0 HI`, one process, timed by the shell
#   kernel   `tasktrack run --kernel primes --range 0:HI --subtasks 2000 --threads 1`, one
#            process: its kernel time (the summary's per_rank[0].busy_seconds, the 2,000
#            subtasks' own time) and its job wall (the summary's wall_seconds)
#
# speed ratio = C seconds / tasktrack seconds (1.0 = as fast as C; target >= 0.95). Runs are
# interleaved (C, tasktrack, C, ...) and the medians reported. TASKTRACK_BEFORE=PATH adds a
# third binary to the rotation (a build from before a change) for a before/after.
#
# CSV fields other than the notes hold no commas (bench/run.sh splits rows on them).
#
#   bench/primes_kernel.sh [BUILD_DIR]    (default build; bench/run.sh calls it with its own)
#
# Environment: REPS (default 5), PRIMES_HI, TASKTRACK_BEFORE; CSV rows go to $PRIMES_CSV
# (default bench/results/primes-<timestamp>.csv).
set -uo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
tasktrack=$build_dir/tasktrack
c_primes=$build_dir/bench/primes
for binary in "$tasktrack" "$c_primes" ${TASKTRACK_BEFORE:+"$TASKTRACK_BEFORE"}; do
  [ -x "$binary" ] || { echo "bench/primes_kernel.sh: $binary is missing (build the benchmarks)" >&2; exit 1; }
done
reps=${REPS:-5}
hi=${PRIMES_HI:-20000000}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
csv=${PRIMES_CSV:-bench/results/primes-$stamp.csv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. bench/lib.sh  # now, calc, median, add, med


expected=""
# one_tasktrack KEY BINARY: one run of the kernel on one thread; adds KEY.busy and KEY.wall.
one_tasktrack() {
  local key=$1 binary=$2 summary=$work/summary.json count
  rm -f "$summary"
  "$binary" run --kernel primes --range "0:$hi" --subtasks 2000 --threads 1 --quiet \
    --summary-json "$summary" >/dev/null || { echo "bench/primes_kernel.sh: $binary failed" >&2; exit 1; }
  count=$(jq -r .result.primes "$summary")
  [ "$count" = "$expected" ] || { echo "bench/primes_kernel.sh: $binary counted $count, C $expected" >&2; exit 1; }
  add "$key.busy" "$(jq -r '.per_rank[0].busy_seconds' "$summary")"
  add "$key.wall" "$(jq -r .wall_seconds "$summary")"
}

for ((rep = 0; rep < reps; rep++)); do
  echo "bench/primes_kernel.sh: rep $((rep + 1))/$reps: primes over [0, $hi), C then tasktrack" >&2
  start=$(now)
  expected=$("$c_primes" 0 "$hi") || exit 1
  add c "$(calc "$(now) - $start")"
  one_tasktrack new "$tasktrack"
  [ -z "${TASKTRACK_BEFORE:-}" ] || one_tasktrack before "$TASKTRACK_BEFORE"
done

c=$(med c)
mkdir -p "$(dirname "$csv")"
[ -s "$csv" ] || echo "section,measure,config,value,unit,baseline,baseline_value,ratio,target,status,reps,notes" >"$csv"
printf '%-7s %-42s %10s %10s %12s %s\n' section measure tasktrack "C kernel" "speed ratio" status
for key in new ${TASKTRACK_BEFORE:+before}; do
  for what in busy wall; do
    value=$(med "$key.$what") speed=$(calc "$c / $(med "$key.$what")")
    status=$(awk -v r="$speed" 'BEGIN { print (r >= 0.95) ? "met" : "MISSED" }')
    label="kernel seconds ($([ $what = busy ] && echo "kernel time" || echo "job wall"))"
    [ $key = before ] && label="$label before the change"
    printf '%-7s %-42s %9.3fs %9.3fs %12.3f %s\n' Kernel "$label" "$value" "$c" "$speed" "$status"
    echo "Kernel,\"$label\",\"1 process x 1\",$value,s,\"C kernel (bench/baselines/primes.c)\",$c,$speed,\">=0.95x speed\",$status,$reps,\"[0, $hi) in 2000 subtasks; ratio = C seconds / tasktrack seconds; primes = $expected\"" >>"$csv"
  done
done
echo "CSV: $csv"
