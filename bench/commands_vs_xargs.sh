#!/usr/bin/env bash
# Commands under mpirun at xargs' speed (issue 14, item 5): two task lists run by tasktrack
# under `mpirun -np 3 --threads 1` (rank 0 + two one-thread workers: 2 slots) beside
# `xargs -P2` in the same run, repetitions interleaved (xargs, mpirun's bare start, tasktrack
# under mpirun, tasktrack in one process, xargs, ...):
#
#   W2       2,000 lines of `true` (the per-command cost alone)
#   primes   2,000 lines of `primes LO HI` (bench/baselines/primes.c) over W3's chunks of
#            [0, 2*10^7): a few ms of CPU each, the shape of a real command list
#
# A primes line is a plain command, which tasktrack starts without a shell (README: "A plain
# command needs no shell"); W2's `true` is a builtin and goes to the shell. So primes is also
# run like for like both ways: tasktrack with --shell /bin/sh (every line through the shell)
# beside `xargs sh -c`, and tasktrack's default beside `xargs -P2 -L1 primes` over "LO HI"
# lines (no shell either).
#
# Figures, medians of REPS: tasktrack's job wall (the summary's wall_seconds, first dispatch
# to last result) and end to end (the whole mpirun command), xargs' wall, mpirun's bare start
# (`mpirun -np 3 true`), an MPI program's bare start (`mpirun -np 3 mpi_init_finalize`:
# MPI_Init and MPI_Finalize, ~0.4 s more here), and for reference one process with 2 threads.
# Targets (issue 14): job wall <= xargs' wall; end to end <= xargs' wall + mpirun's start,
# where mpirun's start is an MPI program's (MPI_Init and MPI_Finalize under mpirun: the
# ~0.45 s the issue measured); `mpirun -np 3 true` starts no MPI at all and is shown beside.
#
# CSV fields other than the notes hold no commas (bench/run.sh splits rows on them).
#
#   bench/commands_vs_xargs.sh [BUILD_DIR]    (default build; bench/run.sh calls it)
#
# Environment: REPS (default 5), XARGS_COMMANDS (default 2000), PRIMES_HI (default 2*10^7),
# TASKTRACK (the binary, default BUILD_DIR/tasktrack), TASKTRACK_BEFORE (a second binary in
# the rotation, for a before/after), WORKLOADS (default "w2 primes"), MPIRUN_ARGS (more
# mpirun options for every mpirun here, e.g. "--mca pml ob1 --mca btl self,vader"). CSV rows go to
# $XARGS_CSV (default bench/results/xargs-<timestamp>.csv).
set -uo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
tasktrack=${TASKTRACK:-$build_dir/tasktrack}
c_primes=$(realpath -m "$build_dir/bench/primes")
mpi_bare=$build_dir/bench/mpi_init_finalize
for binary in "$tasktrack" "$c_primes" "$mpi_bare" ${TASKTRACK_BEFORE:+"$TASKTRACK_BEFORE"}; do
  [ -x "$binary" ] || { echo "bench/commands_vs_xargs.sh: $binary is missing (build the benchmarks)" >&2; exit 1; }
done
reps=${REPS:-5}
n=${XARGS_COMMANDS:-2000}
hi=${PRIMES_HI:-20000000}
workloads=${WORKLOADS:-w2 primes}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
csv=${XARGS_CSV:-bench/results/xargs-$stamp.csv}
mpirun=(mpirun -q --oversubscribe)
if [ "$(id -u)" = 0 ]; then
  mpirun+=(--allow-run-as-root)
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
read -r -a extra_mpirun_args <<<"${MPIRUN_ARGS:-}"
mpirun+=("${extra_mpirun_args[@]}")
work=$(mktemp -d "${TMPDIR:-/tmp}/tasktrack-xargs.XXXXXX")
trap 'rm -rf "$work"' EXIT

. bench/lib.sh  # now, calc, median, add, med
fail() { echo "bench/commands_vs_xargs.sh: $*" >&2; exit 1; }
# timed CMD...: runs it (output to $work/last.*), sets E2E to its wall seconds; fails the script.
timed() {
  local start
  start=$(now)
  "$@" >"$work/last.out" 2>"$work/last.err" || { tail -n 5 "$work/last.err" >&2; fail "failed: $*"; }
  E2E=$(calc "$(now) - $start")
}

yes true | head -n "$n" >"$work/w2.tasks"
awk -v n="$n" -v hi="$hi" -v p="$c_primes" 'BEGIN {
  for (i = 0; i < n; i++) printf "%s %d %d\n", p, int(hi * i / n), int(hi * (i + 1) / n) }' >"$work/primes.tasks"
cut -d' ' -f2- "$work/primes.tasks" >"$work/primes.arguments"  # LO HI, for xargs without a shell

# tasktrack_once KEY MODE BINARY LIST [OPTION...]: one run; each writes a new output folder
# (bench/run.sh's W2 says why: ext4 charges file creation near freshly deleted files).
tasktrack_once() {
  local key=$1 mode=$2 binary=$3 list=$4 summary=$work/summary.json out
  shift 4
  rm -f "$summary"
  out=$(mktemp -d "$work/out.XXXXXX")/output
  local args=(run --task-file "$work/$list.tasks" --output-dir "$out" --quiet --summary-json "$summary" "$@")
  if [ "$mode" = mpi ]; then
    timed "${mpirun[@]}" -np 3 "$binary" "${args[@]}" --threads 1
  else
    timed "$binary" "${args[@]}" --threads 2
  fi
  [ "$(jq -r .subtasks.done "$summary")" = "$n" ] || fail "$key: not all $n commands done"
  add "$key.job" "$(jq -r .wall_seconds "$summary")"
  add "$key.e2e" "$E2E"
}

for ((rep = 0; rep < reps; rep++)); do
  for list in $workloads; do
    echo "bench/commands_vs_xargs.sh: rep $((rep + 1))/$reps: $n commands ($list)" >&2
    timed sh -c "tr '\\n' '\\0' < '$work/$list.tasks' | xargs -0 -P2 -n1 sh -c"
    add "$list.xargs" "$E2E"
    timed "${mpirun[@]}" -np 3 true
    add "$list.start" "$E2E"
    timed "${mpirun[@]}" -np 3 "$mpi_bare"
    add "$list.bare" "$E2E"
    tasktrack_once "$list.mpi" mpi "$tasktrack" "$list"
    [ -z "${TASKTRACK_BEFORE:-}" ] || tasktrack_once "$list.before" mpi "$TASKTRACK_BEFORE" "$list"
    tasktrack_once "$list.one" one "$tasktrack" "$list"
    if [ "$list" = primes ]; then
      timed sh -c "xargs -P2 -L1 '$c_primes' < '$work/primes.arguments'"
      add "$list.xargs_direct" "$E2E"
      tasktrack_once "$list.shell" mpi "$tasktrack" "$list" --shell /bin/sh
    fi
  done
done

mkdir -p "$(dirname "$csv")"
[ -s "$csv" ] || echo "section,measure,config,value,unit,baseline,baseline_value,ratio,target,status,reps,notes" >"$csv"
row() {  # row MEASURE CONFIG VALUE BASELINE BASELINE_VALUE TARGET_OP TARGET_TEXT NOTES
  local ratio status=""
  ratio=$(calc "$3 / $5")
  [ -n "$6" ] && status=$(awk -v r="$ratio" -v op="$6" 'BEGIN { ok = (op == "<=") ? r <= 1 : r >= 1; print ok ? "met" : "MISSED" }')
  printf '%-9s %-40s %-22s %8.3fs %-26s %8.3fs %7.3f %s\n' "$section" "$1" "$2" "$3" "$4" "$5" "$ratio" "$status"
  echo "$section,\"$1\",\"$2\",$3,s,\"$4\",$5,$ratio,\"$7\",$status,$reps,\"$8\"" >>"$csv"
}
printf '%-9s %-40s %-22s %9s %-26s %9s %7s %s\n' section measure config tasktrack baseline "value" ratio status
for list in $workloads; do
  section=$([ "$list" = w2 ] && echo W2 || echo Primes)
  what=$([ "$list" = w2 ] && echo "$n x true" || echo "$n x primes LO HI over [0, $hi)")
  xa=$(med "$list.xargs") start=$(med "$list.start")
  bare=$(med "$list.bare")
  row "job wall (summary)" "mpirun -np 3 x 1" "$(med "$list.mpi.job")" "xargs -P2 wall" "$xa" "<=" "<= xargs" "$what"
  row "end to end" "mpirun -np 3 x 1" "$(med "$list.mpi.e2e")" "xargs -P2 + MPI program" "$(calc "$xa + $bare")" "<=" "<= xargs + start" "$what; mpirun -np 3 mpi_init_finalize: $bare s"
  [ -z "${TASKTRACK_BEFORE:-}" ] || {
    row "job wall (summary) before the change" "mpirun -np 3 x 1" "$(med "$list.before.job")" "xargs -P2 wall" "$xa" "<=" "<= xargs" "$what; $TASKTRACK_BEFORE"
    row "end to end before the change" "mpirun -np 3 x 1" "$(med "$list.before.e2e")" "xargs -P2 + MPI program" "$(calc "$xa + $bare")" "<=" "<= xargs + start" "$what; $TASKTRACK_BEFORE"
  }
  if [ "$list" = primes ]; then
    # Like for like: the same work per line on both sides. No target of their own (the
    # issue's targets are the rows above); a ratio near 1 says the per-command cost matches.
    row "job wall like for like: no shell" "mpirun -np 3 x 1" "$(med "$list.mpi.job")" "xargs -P2 -L1 primes" "$(med "$list.xargs_direct")" "" "" "$what; neither starts a shell"
    row "job wall like for like: --shell /bin/sh" "mpirun -np 3 x 1" "$(med "$list.shell.job")" "xargs -P2 wall" "$xa" "" "" "$what; both start sh -c per line"
    row "end to end: --shell /bin/sh" "mpirun -np 3 x 1" "$(med "$list.shell.e2e")" "xargs -P2 + MPI program" "$(calc "$xa + $bare")" "" "" "$what; both start sh -c per line"
  fi
  row "job wall (summary)" "1 process x 2" "$(med "$list.one.job")" "xargs -P2 wall" "$xa" "" "" "$what"
  row "end to end" "1 process x 2" "$(med "$list.one.e2e")" "xargs -P2 wall" "$xa" "" "" "$what"
  row "end to end" "mpirun -np 3 x 1" "$(med "$list.mpi.e2e")" "xargs -P2 + mpirun true" "$(calc "$xa + $start")" "" "" "$what; mpirun -np 3 true: $start s (no MPI_Init)"
  row "mpirun -np 3 true" "-" "$start" "-" "$start" "" "" "mpirun's bare start and stop"
  row "mpirun -np 3 MPI_Init+Finalize" "-" "$bare" "mpirun -np 3 true" "$start" "" "" "bench/baselines/mpi_init_finalize.c: MPI's own start and stop"
done
echo "CSV: $csv"
