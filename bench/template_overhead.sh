#!/bin/sh
# The cost of generating tasks from a template (issue 13): 100,000 tasks from --array and
# from --args, beside the same 100,000 commands written out in a task file.
#
# Two figures per form, medians of RUNS runs:
#   first_start_s  seconds from launching tasktrack to the first task's start, as the
#                  journal records it (parsing, expansion, checks, journal setup, dispatch);
#   stop_wall_s    wall time of the whole run when the first failure stops it (every command
#                  is `exit 1`, --retries 0 --max-failures 1: queued tasks are withdrawn), so
#                  that what the 100,000 commands would take does not drown the setup.
# Usage: bench/template_overhead.sh [TASKTRACK] [CSV]   (defaults: build/tasktrack,
#        bench/results/template_overhead.csv); TASKS=100000 RUNS=5 in the environment.
set -eu
tasktrack=$(realpath "${1:-build/tasktrack}")
csv=${2:-bench/results/template_overhead.csv}
tasks=${TASKS:-100000}
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seq 0 $((tasks - 1)) > "$work/args.txt"
# What --command 'exit 1; :' expands to: the index appended as " {}".
sed 's/^/exit 1; : /' "$work/args.txt" > "$work/tasks.txt"

common="--retries 0 --max-failures 1 --output none --quiet --threads 1"
form_args() {
  case $1 in
    array) echo "--array 0:$tasks --command 'exit 1; :'" ;;
    args) echo "--args $work/args.txt --command 'exit 1; :'" ;;
    task-file) echo "--task-file $work/tasks.txt" ;;
  esac
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

mkdir -p "$(dirname "$csv")"
echo "form,tasks,first_start_s,stop_wall_s,runs" > "$csv"
printf '%-10s %8s %14s %12s\n' form tasks first_start_s stop_wall_s
for form in array args task-file; do
  args=$(form_args "$form")
  : > "$work/first"
  i=0
  while [ "$i" -lt "$runs" ]; do
    rm -f "$work/run.journal"
    start=$(date +%s.%N)
    eval "\"$tasktrack\" run $args $common --journal \"$work/run.journal\"" >/dev/null 2>&1 || true
    "$tasktrack" log "$work/run.journal" --format csv 2>/dev/null |
      awk -F, -v start="$start" 'NR > 1 && (min == "" || $3 < min) { min = $3 } END { printf "%.4f\n", min - start }' >> "$work/first"
    i=$((i + 1))
  done
  first=$(median < "$work/first")
  hyperfine --runs "$runs" --ignore-failure --style none --export-json "$work/h.json" \
    "\"$tasktrack\" run $args $common" >/dev/null 2>&1
  wall=$(python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$work/h.json")
  printf '%-10s %8s %14s %12s\n' "$form" "$tasks" "$first" "$wall"
  echo "$form,$tasks,$first,$wall,$runs" >> "$csv"
done
