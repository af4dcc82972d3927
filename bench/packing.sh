#!/usr/bin/env bash
# The packing benchmark (issue 11): a task list mixing 1-core and 2-core CPU-bound commands
# on this machine's cores, run by tasktrack packing each line by its #TASKTRACK directive,
# beside the same commands when every line must take the largest size (--cores-per-task 2,
# what a tool without per-task sizes does). It reports packing efficiency:
#
#   (core-seconds / cores) / makespan     (1.0 = no core idle; target >= 0.95)
#
# core-seconds come from the commands' own wall times measured alone in this run (a 1-core
# and a 2-core command), makespan is the job's wall time from its summary.
#
#   bench/packing.sh [BUILD_DIR]    (default build; bench/run.sh calls it with its own)
#
# Environment: REPS (default 3), PACKING_TASKS (default 40), PACKING_SECONDS (each
# command's length, default 0.25). Prints a table and writes CSV rows to $PACKING_CSV
# (default bench/results/packing-<timestamp>.csv).
set -uo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
tasktrack=$build_dir/tasktrack
spin=$build_dir/bench/spin_threads
for binary in "$tasktrack" "$spin"; do
  [ -x "$binary" ] || { echo "bench/packing.sh: $binary is missing (build the benchmarks)" >&2; exit 1; }
done
reps=${REPS:-3}
tasks=${PACKING_TASKS:-40}
seconds=${PACKING_SECONDS:-0.25}
cores=$(nproc)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
csv=${PACKING_CSV:-bench/results/packing-$stamp.csv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. bench/lib.sh  # now, calc, median, add, med
# wall CMD...: seconds CMD took
wall() { local start; start=$(now); "$@" >/dev/null 2>&1 || return 1; calc "$(now) - $start"; }

# Size the command: iterations for about $seconds of one core.
probe=20000000
t=$(wall "$spin" "$probe" 1) || exit 1
iterations=$(awk -v p="$probe" -v t="$t" -v s="$seconds" 'BEGIN { printf "%.0f", p * s / t }')

# The list: line i needs 2 cores when i % 5 is 1 or 3 (two in five), else 1.
mixed=$work/mixed.tasks uniform=$work/uniform.tasks
: >"$mixed"
: >"$uniform"
n1=0 n2=0
for ((i = 0; i < tasks; i++)); do
  if [ $((i % 5)) = 1 ] || [ $((i % 5)) = 3 ]; then
    printf '#TASKTRACK cores=2\n%s %s 2\n' "$spin" "$iterations" >>"$mixed"
    printf '%s %s 2\n' "$spin" "$iterations" >>"$uniform"
    n2=$((n2 + 1))
  else
    printf '#TASKTRACK cores=1\n%s %s 1\n' "$spin" "$iterations" >>"$mixed"
    printf '%s %s 1\n' "$spin" "$iterations" >>"$uniform"
    n1=$((n1 + 1))
  fi
done

declare -a d1s d2s packed sized
for ((rep = 0; rep < reps; rep++)); do
  echo "bench/packing.sh: rep $((rep + 1))/$reps: $n1 1-core and $n2 2-core commands of ~$seconds s on $cores cores" >&2
  d1s+=("$(wall "$spin" "$iterations" 1)")
  d2s+=("$(wall "$spin" "$iterations" 2)")
  for mode in packed sized; do
    rm -rf "$work/out" "$work/summary.json"
    if [ $mode = packed ]; then
      "$tasktrack" run --task-file "$mixed" --threads "$cores" --output-dir "$work/out" \
        --quiet --summary-json "$work/summary.json" >/dev/null || exit 1
    else
      "$tasktrack" run --task-file "$uniform" --cores-per-task 2 --threads "$cores" \
        --output-dir "$work/out" --quiet --summary-json "$work/summary.json" >/dev/null || exit 1
    fi
    done_count=$(jq -r .subtasks.done "$work/summary.json")
    [ "$done_count" = "$tasks" ] || { echo "bench/packing.sh: $mode: $done_count of $tasks done" >&2; exit 1; }
    w=$(jq -r .wall_seconds "$work/summary.json")
    if [ $mode = packed ]; then packed+=("$w"); else sized+=("$w"); fi
  done
done

d1=$(median "${d1s[@]}") d2=$(median "${d2s[@]}")
core_seconds=$(calc "$n1 * $d1 + $n2 * 2 * $d2")
ideal=$(calc "$core_seconds / $cores")
packed_wall=$(median "${packed[@]}") sized_wall=$(median "${sized[@]}")
packed_efficiency=$(calc "$ideal / $packed_wall")
sized_efficiency=$(calc "$ideal / $sized_wall")
status=$(awk -v e="$packed_efficiency" 'BEGIN { print (e >= 0.95) ? "met" : "MISSED" }')

mkdir -p "$(dirname "$csv")"
[ -s "$csv" ] || echo "section,measure,config,value,unit,baseline,baseline_value,ratio,target,status,reps,notes" >"$csv"
notes="$n1 x 1-core + $n2 x 2-core commands; alone: 1-core $d1 s, 2-core $d2 s; core-seconds $core_seconds"
echo "Packing,\"efficiency (core-s/cores)/makespan\",\"1 process x $cores per-line sizes\",$packed_efficiency,,\"every line 2 cores\",$sized_efficiency,$(calc "$packed_efficiency / $sized_efficiency"),\">=0.95\",$status,$reps,\"$notes\"" >>"$csv"
echo "Packing,\"makespan\",\"1 process x $cores per-line sizes\",$packed_wall,s,\"every line 2 cores\",$sized_wall,$(calc "$packed_wall / $sized_wall"),\"\",,$reps,\"ideal $ideal s\"" >>"$csv"
printf '%-8s %-40s %-28s %10s %22s %10s %8s %s\n' section measure config tasktrack baseline "baseline value" target status
printf '%-8s %-40s %-28s %10.3f %22s %10.3f %8s %s\n' Packing "efficiency (core-s/cores)/makespan" "1 process x $cores" "$packed_efficiency" "every line 2 cores" "$sized_efficiency" ">=0.95" "$status"
printf '%-8s %-40s %-28s %10.2fs %22s %9.2fs %8s %s\n' Packing "makespan (ideal $(printf %.2f "$ideal") s)" "1 process x $cores" "$packed_wall" "every line 2 cores" "$sized_wall" "-" "-"
echo "CSV: $csv"
