#!/usr/bin/env bash
# tasktrack's benchmark suite (issue 7): every workload beside its baseline, from the same run.
#
#   bench/run.sh            build what is missing, run everything (about 5-10 minutes on 2 cores),
#                           print the table, write bench/results/<timestamp>.csv and latest.csv
#
# Environment:
#   BUILD_DIR   build folder (default: build); configured and built here when missing
#   REPS        repetitions of the cheap runs, the median is reported (default 3)
#   QUICK=1     a smoke test: small jobs, one repetition; its results are not written to latest.csv
#   W1_SUBTASKS, TEXTBOOK_SUBTASKS, W2_COMMANDS, SWEEP_SECONDS  override the sizes below
#
# It reports; it never fails on a missed target (the table marks each one met or MISSED). It
# exits 1 only when a run breaks its sanity checks (exit code, the kernel's known result).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
suite_start=$(date +%s.%N)

# ---- what the suite needs ---------------------------------------------------------------------
# Debian packages: the build's (as ./run.sh) plus jq (reading summaries), time (GNU time: rank
# 0's max RSS) and libbenchmark-dev (the micro-benchmarks).
packages=(cmake make g++ pkg-config openmpi-bin libopenmpi-dev libboost-mpi-dev
  libboost-serialization-dev nlohmann-json3-dev libcli11-dev libfmt-dev libtomlplusplus-dev
  libpng-dev jq time libbenchmark-dev)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bench/run.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      exit 1
  else
    echo "bench/run.sh: missing Debian packages; install them with:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

build_dir=${BUILD_DIR:-build}
case "$build_dir" in /*) ;; *) build_dir=$root/$build_dir ;; esac
echo "bench/run.sh: building in $build_dir" >&2
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DTASKTRACK_BUILD_BENCHMARKS=ON \
  >/dev/null || exit 1
cmake --build "$build_dir" -j "$(nproc)" \
  --target tasktrack textbook_master_worker spawn_loop spin_threads tasktrack_spin tasktrack_simulate \
  primes mpi_init_finalize >/dev/null ||
  exit 1
have_micro=1
if ! micro_build=$(cmake --build "$build_dir" -j "$(nproc)" --target tasktrack_micro 2>&1); then
  have_micro=0
  echo "$micro_build" | grep -E -m 10 'error|Error' >&2
fi
build_seconds=$(awk -v a="$suite_start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f", b - a}')

tasktrack=$build_dir/tasktrack
spin=$build_dir/bench/tasktrack_spin
textbook=$build_dir/bench/textbook_master_worker
spawn_loop=$build_dir/bench/spawn_loop
micro=$build_dir/bench/tasktrack_micro
simulate=$build_dir/bench/tasktrack_simulate
rss_wrapper=$root/bench/rank0_rss.sh

mpirun=(mpirun -q --oversubscribe)
if [ "$(id -u)" = 0 ]; then
  mpirun+=(--allow-run-as-root)
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

# ---- sizes ------------------------------------------------------------------------------------
cores=$(nproc)
ranks=$((cores + 1))  # 1 coordinator + one 1-thread worker per core
slots=$cores          # threads that run subtasks, under mpirun and in one process alike
reps=${REPS:-3}
quick=${QUICK:-0}
if [ "$quick" = 1 ]; then
  reps=1
  : "${W1_SUBTASKS:=1000000}" "${TEXTBOOK_SUBTASKS:=100000}" "${W1B_SUBTASKS:=20000}" "${W2_COMMANDS:=200}"
  : "${SWEEP_SECONDS:=0.3}" "${W3_HI:=4000000}" "${W4_MEAN:=0.002}"
fi
w1_n=${W1_SUBTASKS:-10000000}
textbook_n=${TEXTBOOK_SUBTASKS:-1000000}  # ~300,000/s at best: 10^7 would take a minute a run
w1b_n=${W1B_SUBTASKS:-100000}
w2_n=${W2_COMMANDS:-2000}
w3_hi=${W3_HI:-20000000}
w3_primes=$([ "$w3_hi" = 20000000 ] && echo 1270607 || echo "")
w4_mean=${W4_MEAN:-0.01}
sweep_seconds=${SWEEP_SECONDS:-1.5}  # target wall time of one sweep run, at 100% efficiency

work=$(mktemp -d "${TMPDIR:-/tmp}/tasktrack-bench.XXXXXX")
shm=""
trap 'rm -rf "$work" ${shm:+"$shm"}' EXIT
logs=$work/logs
mkdir -p "$logs"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
results_dir=$root/bench/results
mkdir -p "$results_dir"
csv=$results_dir/$stamp.csv
table_file=$results_dir/$stamp.txt
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ] && commit="$commit+dirty"

case "$(awk -v l="${load_start%% *}" -v c="$cores" 'BEGIN { print (l > c / 4) ? "busy" : "quiet" }')" in
  busy) echo "bench/run.sh: warning: load average $load_start at start: other processes share the" \
    "$cores cores, so rates and efficiencies will come out low" >&2 ;;
esac

# ---- helpers ----------------------------------------------------------------------------------
. bench/lib.sh  # now, calc, median, add, med
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
failures=0

# A value for the table: rates with k/M, times in ns/us/ms/s, ratios with x.
human() {
  awk -v v="$1" -v u="$2" 'BEGIN {
    if (v == "") { print "-"; exit }
    if (u == "/s") { if (v >= 1e6) printf "%.2fM/s", v / 1e6; else if (v >= 1e3) printf "%.1fk/s", v / 1e3; else printf "%.0f/s", v }
    else if (u == "s") { if (v < 1e-6) printf "%.0f ns", v * 1e9; else if (v < 1e-3) printf "%.2f us", v * 1e6; else if (v < 1) printf "%.2f ms", v * 1e3; else printf "%.2f s", v }
    else if (u == "ns") { if (v >= 1e3) printf "%.2f us", v / 1e3; else printf "%.1f ns", v }
    else if (u == "us") { printf "%.2f us", v }
    else if (u == "B") { printf "%.1f B", v }
    else if (u == "KiB") { printf "%.0f KiB", v }
    else if (u == "x") { printf "%.2fx", v }
    else if (u == "threads") { printf "%.0f", v }
    else printf "%.3f%s", v, u }'
}

echo "section,measure,config,value,unit,baseline,baseline_value,ratio,target,status,reps,notes" >"$csv"
table_rows=()
# record SECTION MEASURE CONFIG VALUE UNIT BASELINE BASELINE_VALUE RATIO TARGET STATUS REPS [NOTES]
# (the baseline value is in the same unit as the value; NOTES go to the CSV only)
record() {
  echo "$1,\"$2\",\"$3\",$4,$5,\"$6\",$7,$8,\"$9\",${10},${11},\"${12:-}\"" >>"$csv"
  table_rows+=("$1|$2|$3|$(human "$4" "$5")|${6:--}|$(human "$7" "$5")|$([ -n "$8" ] && printf '%.3g' "$8" || echo -)|${9:--}|${10:--}")
}
mpi_name="mpirun -np $ranks"   # 1 coordinator + $cores one-thread workers
one_name="1 process x $cores"  # $cores pool threads and the coordinating thread
# status VALUE OP LIMIT: "met" or "MISSED" (OP is >= or <=); "error" for no value.
status() {
  [ -z "$1" ] && { echo error; return; }
  if [ "$2" = ">=" ]; then ge "$1" "$3" && echo met || echo MISSED
  else ge "$3" "$1" && echo met || echo MISSED; fi
}
both() {
  if [ "$1" = error ] || [ "$2" = error ]; then echo error
  elif [ "$1" = met ] && [ "$2" = met ]; then echo met
  else echo MISSED; fi
}
ratio() { [ -n "$1" ] && [ -n "$2" ] && calc "$1 / $2" || echo ""; }

# run LABEL TIMEOUT CMD...: runs it with output in the logs, sets E2E (seconds). Returns its
# exit code; on failure prints the log tail and counts a failure.
run() {
  local label=$1 limit=$2; shift 2
  local start rc
  start=$(now)
  timeout -k 10 "$limit" "$@" >"$logs/$label.out" 2>"$logs/$label.err"
  rc=$?
  E2E=$(calc "$(now) - $start")
  if [ $rc -ne 0 ]; then
    echo "bench/run.sh: $label: exit code $rc: $*" >&2
    tail -n 5 "$logs/$label.err" "$logs/$label.out" >&2
    failures=$((failures + 1))
  fi
  return $rc
}
# check LABEL JSON JQ_EXPR EXPECTED: a sanity check of a summary value.
check() {
  local got
  got=$(jq -r "$3" "$2" 2>/dev/null)
  if [ "$got" != "$4" ]; then
    echo "bench/run.sh: $1: $3 is '$got', expected $4" >&2
    failures=$((failures + 1))
    return 1
  fi
}
jqn() { jq -r "$1" "$2"; }
progress() { printf 'bench/run.sh: [%4.0fs] %s\n' "$(calc "$(now) - $suite_start")" "$*" >&2; }

# Every workload's runs are interleaved with its baselines' (bench/lib.sh says why).
where_of() { [ "$1" = mpi ] && echo "$mpi_name" || echo "$one_name"; }
# launch MODE CMD ARGS...: CMD under mpirun (1 coordinator + $cores one-thread workers) or as
# one process with $cores threads; the label and timeout come from LABEL and LIMIT.
launch() {
  local mode=$1; shift
  if [ "$mode" = mpi ]; then
    run "$label" "$limit" "${mpirun[@]}" -np "$ranks" "$@" --threads 1
  else
    run "$label" "$limit" "$@" --threads "$cores"
  fi
}

# ---- W1: 10^7 noop subtasks --------------------------------------------------------------------
# w1_once MODE JOURNAL REP: one W1 run, rank 0 under GNU time for its max RSS.
w1_once() {
  local mode=$1 journal=$2 label="w1-$1-$2-$3" limit=300 key=w1.$1$2 summary=$work/w1.json args
  args=(run --kernel noop --range "0:$w1_n" --subtasks "$w1_n" --quiet --summary-json "$summary")
  [ "$journal" = 1 ] && args+=(--journal "$work/w1.journal")
  rm -f "$work"/w1.journal* "$summary" "$work/rss"
  if [ "$mode" = mpi ]; then
    run "$label" "$limit" "${mpirun[@]}" -x RANK0_RSS_FILE="$work/rss" -np "$ranks" \
      "$rss_wrapper" "$tasktrack" "${args[@]}" --threads 1 || return
  else
    RANK0_RSS_FILE=$work/rss run "$label" "$limit" "$rss_wrapper" "$tasktrack" "${args[@]}" \
      --threads "$cores" || return
  fi
  rm -f "$work"/w1.journal*
  check "W1 $mode" "$summary" .result.elements "$w1_n" || return
  check "W1 $mode" "$summary" .subtasks.done "$w1_n" || return
  add "$key.job" "$(calc "$w1_n / $(jqn .wall_seconds "$summary")")"
  add "$key.e2e" "$(calc "$w1_n / $E2E")"
  add "$key.cpu" "$(calc "$(jqn .coordinator_cpu_seconds "$summary") / $w1_n")"
  add "$key.rss" "$(tail -n 1 "$work/rss")"
}
# textbook_once N RANKS KEY REP: the textbook master/worker, its own wall time and end to end.
textbook_once() {
  local n=$1 np=$2 key=$3 line
  run "textbook-$np-$4" 300 "${mpirun[@]}" -np "$np" "$textbook" "$n" || return
  line=$(grep -m1 '^{' "$logs/textbook-$np-$4.out")
  if [ "$(jq -r .elements <<<"$line")" != "$n" ]; then
    echo "bench/run.sh: textbook: $(jq -r .elements <<<"$line") elements, expected $n" >&2
    failures=$((failures + 1))
    return
  fi
  add "$key.job" "$(calc "$n / $(jq -r .wall_seconds <<<"$line")")"
  add "$key.e2e" "$(calc "$n / $E2E")"
  add "$key.cpu" "$(calc "$(jq -r .coordinator_cpu_seconds <<<"$line") / $n")"
}
# One subtask per message: --schedule dynamic --chunk 1 makes every Assign carry one subtask,
# with at most 2 x threads outstanding per worker (the textbook keeps one). Its rank-0 CPU per
# subtask is the per-message cost the model below uses.
w1b_once() {
  local label="w1b-$1" limit=300 summary=$work/w1b.json
  rm -f "$summary"
  launch mpi "$tasktrack" run --kernel noop --range "0:$w1b_n" --subtasks "$w1b_n" \
    --schedule dynamic --chunk 1 --quiet --summary-json "$summary" || return
  check "W1 chunk 1" "$summary" .result.elements "$w1b_n" || return
  add w1b.job "$(calc "$w1b_n / $(jqn .wall_seconds "$summary")")"
  add w1b.cpu "$(calc "$(jqn .coordinator_cpu_seconds "$summary") / $w1b_n")"
}
for ((i = 0; i < reps; i++)); do
  progress "W1 ($((i + 1))/$reps): textbook x $textbook_n, tasktrack x $w1_n in 4 configurations, x $w1b_n one per message"
  textbook_once "$textbook_n" "$ranks" tb "$i"
  for mode in mpi one; do
    for journal in 0 1; do w1_once "$mode" "$journal" "$i"; done
  done
  w1b_once "$i"
done
tb_job=$(med tb.job) tb_e2e=$(med tb.e2e) tb_cpu=$(med tb.cpu)
textbook_name="textbook -np $ranks"
for mode in mpi one; do
  for journal in 0 1; do
    jname=$([ "$journal" = 1 ] && echo "journal on" || echo "no journal")
    job=$(med "w1.$mode$journal.job") e2e=$(med "w1.$mode$journal.e2e")
    r_job=$(ratio "$job" "$tb_job") r_e2e=$(ratio "$e2e" "$tb_e2e") target="" st=""
    if [ "$journal" = 1 ]; then
      target=">=10M/s & >=25x"; st=$(both "$(status "$job" ">=" 1e7)" "$(status "$r_job" ">=" 25)")
    fi
    record W1 "noop/s, job wall, $jname" "$(where_of "$mode")" "$job" /s "$textbook_name" "$tb_job" "$r_job" "$target" "$st" "$reps" "tasktrack $w1_n subtasks, textbook $textbook_n"
    record W1 "noop/s, end to end, $jname" "$(where_of "$mode")" "$e2e" /s "$textbook_name" "$tb_e2e" "$r_e2e" "" "" "$reps" "tasktrack $w1_n subtasks, textbook $textbook_n; mpirun start included"
  done
done
for journal in 0 1; do
  jname=$([ "$journal" = 1 ] && echo "journal on" || echo "no journal")
  cpu=$(med "w1.mpi$journal.cpu")
  record W1 "rank-0 CPU per subtask, $jname" "$mpi_name" "$(calc "${cpu:-0} * 1e9")" ns "$textbook_name" "$(calc "${tb_cpu:-0} * 1e9")" "$(ratio "$cpu" "$tb_cpu")" "" "" "$reps"
done
w1b_job=$(med w1b.job) w1b_cpu=$(med w1b.cpu)
record W1 "noop/s, job wall, 1 subtask/message" "$mpi_name" "$w1b_job" /s "$textbook_name" "$tb_job" "$(ratio "$w1b_job" "$tb_job")" "" "" "$reps" "--schedule dynamic --chunk 1, $w1b_n subtasks"
record W1 "rank-0 CPU per subtask, 1 subtask/message" "$mpi_name" "$(calc "${w1b_cpu:-0} * 1e9")" ns "$textbook_name" "$(calc "${tb_cpu:-0} * 1e9")" "$(ratio "$w1b_cpu" "$tb_cpu")" "" "" "$reps"

# ---- rank 0's memory per tracked subtask -------------------------------------------------------
progress "memory: rank 0's max RSS for a 1-subtask job"
# The same jobs with one subtask; the difference from W1's max RSS is what tracking 10^7 costs.
for ((i = 0; i < reps; i++)); do
  for mode in mpi one; do
    rm -f "$work/rss"
    if [ "$mode" = mpi ]; then
      run "rss1-$mode-$i" 120 "${mpirun[@]}" -x RANK0_RSS_FILE="$work/rss" -np "$ranks" "$rss_wrapper" \
        "$tasktrack" run --kernel noop --range "0:$w1_n" --subtasks 1 --quiet --threads 1 || continue
    else
      RANK0_RSS_FILE=$work/rss run "rss1-$mode-$i" 120 "$rss_wrapper" "$tasktrack" run --kernel noop \
        --range "0:$w1_n" --subtasks 1 --quiet --threads "$cores" || continue
    fi
    add "rss1.$mode" "$(tail -n 1 "$work/rss")"
  done
done
for mode in mpi one; do
  small=$(med "rss1.$mode")
  for journal in 0 1; do
    jname=$([ "$journal" = 1 ] && echo "journal on" || echo "no journal")
    big=$(med "w1.$mode$journal.rss")
    per=""; [ -n "$big" ] && [ -n "$small" ] && per=$(calc "($big - $small) * 1024 / ($w1_n - 1)")
    record Memory "rank-0 bytes/tracked subtask, $jname" "$(where_of "$mode")" "$per" B "" "" "" "<=64 B" "$(status "$per" "<=" 64)" "$reps" "(max RSS at $w1_n subtasks $big KiB - at 1 subtask $small KiB) / $w1_n"
  done
  record Memory "rank-0 max RSS, 1-subtask job" "$(where_of "$mode")" "$small" KiB "" "" "" "" "" "$reps"
done

# ---- W2: 2,000 `true` commands ------------------------------------------------------------------
task_file=$work/true.txt
yes true | head -n "$w2_n" >"$task_file"
# Each run writes into a new folder (--output packed, the default: one file per worker rank;
# --output files: 2 x $w2_n files), and the folders are deleted only when the suite ends: on
# ext4, creating files right after deleting thousands nearby costs ~0.5 ms each (ext4_create
# -> recently_deleted scans the inode table), which would charge one run for the clean-up of
# the one before it.
# w2_once MODE KEY OUTPUT_PARENT REP [OUTPUT_MODE]
w2_once() {
  local mode=$1 key=$2 label="w2-$2-$4" limit=300 summary=$work/w2.json out
  rm -f "$summary"
  out=$(mktemp -d "$3/w2.XXXXXX")/output
  launch "$mode" "$tasktrack" run --task-file "$task_file" --output-dir "$out" --quiet \
    --output "${5:-packed}" --summary-json "$summary" || return
  check "W2 $mode" "$summary" .subtasks.done "$w2_n" || return
  add "$key.job" "$(calc "$w2_n / $(jqn .wall_seconds "$summary")")"
  add "$key.e2e" "$(calc "$w2_n / $E2E")"
}
have_parallel=0
command -v parallel >/dev/null && parallel --version 2>/dev/null | grep -q GNU && have_parallel=1
[ -d /dev/shm ] && shm=$(mktemp -d /dev/shm/tasktrack-bench.XXXXXX 2>/dev/null)
for ((i = 0; i < reps; i++)); do
  progress "W2 ($((i + 1))/$reps): $w2_n commands of 'true'"
  if run "spawn-$i" 300 "$spawn_loop" "$task_file" "$cores"; then
    line=$(grep -m1 '^{' "$logs/spawn-$i.out")
    add spawn.job "$(calc "$w2_n / $(jq -r .wall_seconds <<<"$line")")"; add spawn.e2e "$(calc "$w2_n / $E2E")"
  fi
  run "xargs-$i" 300 sh -c "tr '\\n' '\\0' < '$task_file' | xargs -0 -P$cores -n1 sh -c" &&
    add xargs.e2e "$(calc "$w2_n / $E2E")"
  if [ "$have_parallel" = 1 ]; then
    run "parallel-$i" 300 sh -c "parallel -j$cores < '$task_file'" && add parallel.e2e "$(calc "$w2_n / $E2E")"
  fi
  w2_once one w2.one "$work" "$i"
  # Side by side with the one above (issue 12): two files per attempt instead of packed.
  w2_once one w2.files "$work" "$i" files
  w2_once mpi w2.mpi "$work" "$i"
  # The same with the output on tmpfs: the engine without the file system's cost.
  [ -n "$shm" ] && w2_once one w2.shm "$shm" "$i"
done
[ -n "$shm" ] && rm -rf "$shm"
sl_name="posix_spawn loop -P$cores" sl_job=$(med spawn.job) sl_e2e=$(med spawn.e2e)
one_job=$(med w2.one.job) one_e2e=$(med w2.one.e2e) mpi_job=$(med w2.mpi.job) mpi_e2e=$(med w2.mpi.e2e)
record W2 "commands/s, end to end" "$one_name" "$one_e2e" /s "$sl_name" "$sl_e2e" "$(ratio "$one_e2e" "$sl_e2e")" ">=0.90x" "$(status "$(ratio "$one_e2e" "$sl_e2e")" ">=" 0.90)" "$reps"
record W2 "commands/s, job wall vs loop's" "$one_name" "$one_job" /s "$sl_name" "$sl_job" "$(ratio "$one_job" "$sl_job")" ">=0.90x" "$(status "$(ratio "$one_job" "$sl_job")" ">=" 0.90)" "$reps" "the loop's own wall time: after reading the file, before exit"
record W2 "commands/s, job wall vs loop's" "$mpi_name" "$mpi_job" /s "$sl_name" "$sl_job" "$(ratio "$mpi_job" "$sl_job")" ">=0.90x" "$(status "$(ratio "$mpi_job" "$sl_job")" ">=" 0.90)" "$reps"
record W2 "commands/s, end to end" "$mpi_name" "$mpi_e2e" /s "$sl_name" "$sl_e2e" "$(ratio "$mpi_e2e" "$sl_e2e")" "" "" "$reps" "mpirun start included"
files_e2e=$(med w2.files.e2e) files_job=$(med w2.files.job)
record W2 "commands/s, end to end, --output packed" "$one_name" "$one_e2e" /s "--output files" "$files_e2e" "$(ratio "$one_e2e" "$files_e2e")" ">=1.00x" "$(status "$(ratio "$one_e2e" "$files_e2e")" ">=" 1.00)" "$reps" "one packed file per worker rank vs two files per attempt, runs interleaved"
record W2 "commands/s, job wall, --output packed" "$one_name" "$one_job" /s "--output files" "$files_job" "$(ratio "$one_job" "$files_job")" "" "" "$reps"
shm_e2e=$(med w2.shm.e2e)
if [ -n "$shm_e2e" ]; then
  record W2 "commands/s, end to end, output on tmpfs" "$one_name" "$shm_e2e" /s "$sl_name" "$sl_e2e" "$(ratio "$shm_e2e" "$sl_e2e")" ">=0.90x" "$(status "$(ratio "$shm_e2e" "$sl_e2e")" ">=" 0.90)" "$reps" "--output-dir on /dev/shm"
fi
xa_e2e=$(med xargs.e2e)
record W2 "commands/s, end to end" "$one_name" "$one_e2e" /s "xargs -P$cores -n1 sh -c" "$xa_e2e" "$(ratio "$one_e2e" "$xa_e2e")" "" "" "$reps"
gp_e2e=$(med parallel.e2e)
if [ -n "$gp_e2e" ]; then
  record W2 "commands/s, end to end" "$one_name" "$one_e2e" /s "GNU parallel -j$cores" "$gp_e2e" "$(ratio "$one_e2e" "$gp_e2e")" "" "" "$reps"
fi

# ---- W3: primes over [0, 2*10^7) in 2,000 subtasks ---------------------------------------------
# w3_once MODE REP; MODE single: one process, one thread, whose busy seconds are T1.
w3_once() {
  local mode=$1 label="w3-$1-$2" limit=300 summary=$work/w3.json args wall busy
  rm -f "$summary"
  args=(run --kernel primes --range "0:$w3_hi" --subtasks 2000 --quiet --summary-json "$summary")
  if [ "$mode" = single ]; then
    run "$label" "$limit" "$tasktrack" "${args[@]}" --threads 1 || return
  else
    launch "$mode" "$tasktrack" "${args[@]}" || return
  fi
  [ -z "$w3_primes" ] || check W3 "$summary" .result.primes "$w3_primes" || return
  wall=$(jqn .wall_seconds "$summary") busy=$(jqn '[.per_rank[].busy_seconds] | add' "$summary")
  add "w3.$mode.wall" "$wall"
  add "w3.$mode.busy" "$busy"
  add "w3.$mode.cpu" "$(calc "$(jqn .coordinator_cpu_seconds "$summary") / $wall")"
}
for ((i = 0; i < reps; i++)); do
  progress "W3 ($((i + 1))/$reps): primes over [0, $w3_hi) in 2000 subtasks"
  for mode in single mpi one; do w3_once "$mode" "$i"; done
done
t1=$(med w3.single.busy)
for mode in mpi one; do
  wall=$(med "w3.$mode.wall") busy=$(med "w3.$mode.busy") cpu=$(med "w3.$mode.cpu")
  eff="" util="" inflation=""
  if [ -n "$t1" ] && [ -n "$wall" ]; then
    eff=$(calc "$t1 / ($slots * $wall)") util=$(calc "$busy / ($slots * $wall)") inflation=$(calc "$busy / $t1")
  fi
  record W3 "efficiency T1/(cores x wall)" "$(where_of "$mode")" "$eff" "" "ideal" 1 "$eff" ">=0.97" "$(status "$eff" ">=" 0.97)" "$reps" "T1 = $t1 s (busy seconds of a 1-thread run); wall $wall s"
  # Where a shortfall comes from: idle slots (utilization < 1: dispatch, the tail) or slower
  # subtasks (kernel time > T1: cores taken by rank 0 or by other processes).
  record W3 "utilization busy/(cores x wall)" "$(where_of "$mode")" "$util" "" "" "" "" "" "" "$reps"
  record W3 "kernel time (sum of busy) / T1" "$(where_of "$mode")" "$inflation" "" "" "" "" "" "" "$reps"
  record W3 "rank-0 CPU s per wall s" "$(where_of "$mode")" "$cpu" "" "" "" "" "<=0.05" "$(status "$cpu" "<=" 0.05)" "$reps" \
    "$([ "$mode" = mpi ] && echo "rank 0's whole process" || echo "the coordinating thread alone")"
done

# ---- W4: 2,000 pareto sleeps totalling ~20 s -----------------------------------------------------
w4_once() {
  local mode=$1 label="w4-$1-$2" limit=300 summary=$work/w4.json total longest bound
  rm -f "$summary"
  launch "$mode" "$tasktrack" run --kernel sleep --param distribution=pareto --param "mean=$w4_mean" \
    --range 0:2000 --subtasks 2000 --quiet --summary-json "$summary" || return
  check W4 "$summary" .subtasks.done 2000 || return
  total=$(jqn .result.slept_seconds "$summary") longest=$(jqn '.slowest[0].seconds' "$summary")
  bound=$(awk -v t="$total" -v s="$slots" -v l="$longest" 'BEGIN { b = t / s; if (l > b) b = l; printf "%.6f", b }')
  add "w4.$mode.bound" "$bound"
  add "w4.$mode.wall" "$(jqn .wall_seconds "$summary")"
  add "w4.$mode.ratio" "$(calc "$bound / $(jqn .wall_seconds "$summary")")"
}
for ((i = 0; i < reps; i++)); do
  progress "W4 ($((i + 1))/$reps): 2000 pareto sleeps, mean $w4_mean s"
  for mode in mpi one; do w4_once "$mode" "$i"; done
done
for mode in mpi one; do
  r=$(med "w4.$mode.ratio")
  record W4 "wall (s)" "$(where_of "$mode")" "$(med "w4.$mode.wall")" s "max(total/slots, longest)" "$(med "w4.$mode.bound")" "$r" ">=0.95" "$(status "$r" ">=" 0.95)" "$reps" "ratio = lower bound / wall"
done

# ---- packing: 1- and 2-core commands (issue 11) --------------------------------------------------
# bench/packing.sh measures and writes its rows; they join this table.
progress "Packing: 1- and 2-core CPU-bound commands, per-line sizes against every line at 2 cores"
packing_csv=$work/packing.csv
unquote() { local v=${1#\"}; echo "${v%\"}"; }
if REPS=$reps PACKING_CSV=$packing_csv bash "$root/bench/packing.sh" "$build_dir" >"$logs/packing.out" 2>"$logs/packing.err"; then
  while IFS=, read -r section measure config value unit baseline baseline_value ratio_value target status_value reps_value notes; do
    [ "$section" = Packing ] || continue
    record Packing "$(unquote "$measure")" "$(unquote "$config")" "$value" "$unit" "$(unquote "$baseline")" "$baseline_value" "$ratio_value" "$(unquote "$target")" "$status_value" "$reps_value" "$(unquote "$notes")"
  done <"$packing_csv"
else
  echo "bench/run.sh: packing: failed" >&2
  tail -n 5 "$logs/packing.err" >&2
  failures=$((failures + 1))
fi

# ---- issue 14: the primes kernel against C, commands under mpirun against xargs ----------------
# bench/primes_kernel.sh and bench/commands_vs_xargs.sh measure and write their rows; they
# join this table (same CSV columns).
# joined_rows CSV LABEL CMD...: runs CMD (a script that writes CSV), then records its rows.
joined_rows() {
  local rows=$1 label=$2
  shift 2
  if "$@" >"$logs/$label.out" 2>"$logs/$label.err"; then
    while IFS=, read -r section measure config value unit baseline baseline_value ratio_value target status_value reps_value notes; do
      [ "$section" = section ] && continue
      record "$section" "$(unquote "$measure")" "$(unquote "$config")" "$value" "$unit" "$(unquote "$baseline")" "$baseline_value" "$ratio_value" "$(unquote "$target")" "$status_value" "$reps_value" "$(unquote "$notes")"
    done <"$rows"
  else
    echo "bench/run.sh: $label: failed" >&2
    tail -n 5 "$logs/$label.err" >&2
    failures=$((failures + 1))
  fi
}
i14_hi=$([ "$quick" = 1 ] && echo 2000000 || echo 20000000)
progress "primes kernel: tasktrack's built-in kernel against the C kernel, one thread"
joined_rows "$work/primes.csv" primes-kernel env REPS="$reps" PRIMES_CSV="$work/primes.csv" \
  PRIMES_HI="$i14_hi" bash "$root/bench/primes_kernel.sh" "$build_dir"
progress "commands under mpirun -np 3 --threads 1 against xargs -P2: W2 and $w2_n x primes LO HI"
joined_rows "$work/xargs.csv" commands-vs-xargs env REPS="$reps" XARGS_CSV="$work/xargs.csv" \
  XARGS_COMMANDS="$w2_n" PRIMES_HI="$i14_hi" bash "$root/bench/commands_vs_xargs.sh" "$build_dir"

# ---- task-size sweep ----------------------------------------------------------------------------
rate=$("$spin" calibrate)
# The calibration itself: one thread, 1 ms subtasks; busy per subtask should be 1 ms (more when
# other processes take the core).
rm -f "$work/cal.json"
cal_n=$(awk -v s="$sweep_seconds" 'BEGIN { n = int(s * 300); if (n < 50) n = 50; print n }')
if run calibration-check 120 "$spin" run --kernel spin --param micros=1000 --param "iterations_per_micro=$rate" \
  --range "0:$cal_n" --subtasks "$cal_n" --threads 1 --quiet --summary-json "$work/cal.json"; then
  cal=$(calc "$(jqn '.per_rank[0].busy_seconds' "$work/cal.json") / $cal_n * 1e6")
  record Sweep "calibration: busy per 1 ms subtask" "1 process x 1" "$cal" us "nominal" 1000 "$(ratio "$cal" 1000)" "" "" 1 "$rate loop iterations per us of thread CPU time"
fi
sizes=(1 10 100 1000 10000)
sweep_n() { awk -v s="$sweep_seconds" -v c="$slots" -v u="$1" 'BEGIN { printf "%d", s * c * 1e6 / u }'; }
sweep_once() {  # sweep_once MODE SIZE REP
  local mode=$1 size=$2 label="sweep-$1-$2-$3" limit=300 summary=$work/sweep.json n wall cpu busy
  n=$(sweep_n "$size")
  rm -f "$summary"
  launch "$mode" "$spin" run --kernel spin --param "micros=$size" --param "iterations_per_micro=$rate" \
    --range "0:$n" --subtasks "$n" --quiet --summary-json "$summary" || return
  check Sweep "$summary" .result.elements "$n" || return
  wall=$(jqn .wall_seconds "$summary") cpu=$(jqn .coordinator_cpu_seconds "$summary")
  busy=$(jqn '[.per_rank[].busy_seconds] | add' "$summary")
  add "sweep.$mode$size.eff" "$(calc "$n * $size * 1e-6 / ($slots * $wall)")"
  add "sweep.$mode$size.cpu" "$(calc "$cpu / $n")"
  add "sweep.$mode$size.cpuwall" "$(calc "$cpu / $wall")"
  add "sweep.$mode$size.util" "$(calc "$busy / ($slots * $wall)")"
  add "sweep.$mode$size.inflation" "$(calc "$busy / ($n * $size * 1e-6)")"
}
for ((i = 0; i < reps; i++)); do
  progress "sweep ($((i + 1))/$reps): spin at 1 us .. 10 ms ($rate iterations/us)"
  for size in "${sizes[@]}"; do
    for mode in mpi one; do sweep_once "$mode" "$size" "$i"; done
  done
done
declare -A sweep_eff sweep_cpu
for mode in mpi one; do
  for size in "${sizes[@]}"; do
    sweep_eff[$mode$size]=$(med "sweep.$mode$size.eff") sweep_cpu[$mode$size]=$(med "sweep.$mode$size.cpu")
  done
done
# METG(50%): the smallest size reaching 50%, interpolated on a log scale between the largest
# size below 50% and the next one up.
metg() {
  local mode=$1 prev_size="" prev_eff="" size eff
  for size in "${sizes[@]}"; do
    eff=${sweep_eff[$mode$size]}
    [ -z "$eff" ] && continue
    if ge "$eff" 0.5; then
      if [ -z "$prev_size" ]; then echo "$size"; else
        awk -v s0="$prev_size" -v e0="$prev_eff" -v s1="$size" -v e1="$eff" \
          'BEGIN { printf "%.4g", exp(log(s0) + (0.5 - e0) / (e1 - e0) * (log(s1) - log(s0))) }'
      fi
      return
    fi
    prev_size=$size prev_eff=$eff
  done
  echo ""
}
for mode in mpi one; do
  where=$(where_of "$mode")
  for size in "${sizes[@]}"; do
    target="" st="" eff=${sweep_eff[$mode$size]}
    [ "$size" = 10 ] && { target=">=0.90"; st=$(status "$eff" ">=" 0.90); }
    record Sweep "efficiency at $size us" "$where" "$eff" "" "ideal" 1 "$eff" "$target" "$st" "$reps" "$(sweep_n "$size") subtasks; utilization busy/(slots x wall) $(med "sweep.$mode$size.util"); kernel time / nominal $(med "sweep.$mode$size.inflation"); rank-0 CPU ${sweep_cpu[$mode$size]} s/subtask, $(med "sweep.$mode$size.cpuwall") s/s"
  done
  m=$(metg "$mode") first=${sweep_eff[$mode${sizes[0]}]}
  if [ -n "$first" ] && ge "$first" 0.5; then
    record Sweep "METG(50%) (<= smallest size)" "$where" "${sizes[0]}" us "Task Bench plain MPI" 0.39 "" "<=2 us" met "$reps"
  elif [ -z "$m" ]; then
    record Sweep "METG(50%) (no size reached 50%)" "$where" "" us "Task Bench plain MPI" 0.39 "" "<=2 us" MISSED "$reps"
  else
    record Sweep "METG(50%)" "$where" "$m" us "Task Bench plain MPI" 0.39 "$(ratio "$m" 0.39)" "<=2 us" "$(status "$m" "<=" 2)" "$reps"
  fi
done
# Utilization near 1 with a low efficiency: the subtasks themselves ran slow (cores shared
# with rank 0 or other processes), not idle slots.
for size in "${sizes[@]}"; do
  record Sweep "utilization at $size us" "$mpi_name" "$(med "sweep.mpi$size.util")" "" "" "" "" "" "" "$reps" "sum of busy / (slots x wall); kernel time / nominal $(med "sweep.mpi$size.inflation")"
done
for size in "${sizes[@]}"; do
  record Sweep "rank-0 CPU per subtask at $size us" "$mpi_name" "$(calc "${sweep_cpu[mpi$size]:-0} * 1e9")" ns "" "" "" "" "" "$reps" "rank-0 CPU s per wall s: $(med "sweep.mpi$size.cpuwall")"
done

# ---- scale: 64 ranks ----------------------------------------------------------------------------
progress "scale: 64 ranks"
rm -f "$work/scale.json"
if run scale 300 "${mpirun[@]}" -np 64 "$tasktrack" run --kernel noop --range 0:1000000 --subtasks 100000 \
  --threads 1 --quiet --summary-json "$work/scale.json" &&
  check Scale "$work/scale.json" .subtasks.done 100000 && check Scale "$work/scale.json" .result.elements 1000000; then
  add scale.job "$(calc "100000 / $(jqn .wall_seconds "$work/scale.json")")"
  add scale.e2e "$(calc "100000 / $E2E")"
fi
textbook_once 100000 64 scale.tb 0
scale_job=$(med scale.job) scale_e2e=$(med scale.e2e) scale_tb=$(med scale.tb.job) scale_tb_e2e=$(med scale.tb.e2e)
record Scale "noop/s, job wall" "mpirun -np 64" "$scale_job" /s "textbook -np 64" "$scale_tb" "$(ratio "$scale_job" "$scale_tb")" "completes" "$([ -n "$scale_job" ] && echo met || echo MISSED)" 1 "noop over [0, 10^6) in 10^5 subtasks, --threads 1"
record Scale "noop/s, end to end" "mpirun -np 64" "$scale_e2e" /s "textbook -np 64" "$scale_tb_e2e" "$(ratio "$scale_e2e" "$scale_tb_e2e")" "" "" 1 "mpirun start of 64 processes included"

# ---- micro-benchmarks ---------------------------------------------------------------------------
declare -A micro_ns
if [ "$have_micro" = 1 ]; then
  progress "micro-benchmarks"
  if run micro 300 "$micro" --benchmark_format=json --benchmark_min_time=0.2; then
    while IFS=$'\t' read -r name ns; do micro_ns[$name]=$ns; done < <(
      jq -r '.benchmarks[] | select(.items_per_second != null) |
        [(.name | sub("/min_time:[0-9.]+"; "") | sub("/real_time"; "")), (1e9 / .items_per_second)] | @tsv' "$logs/micro.out")
    for name in BM_TrackerAssignComplete/1 BM_TrackerAssignComplete/256 BM_TrackerAssignComplete/4096 \
      BM_TrackerAssignRunningComplete/256 BM_StatusBatchEncode/1 BM_StatusBatchEncode/256 \
      BM_StatusBatchEncode/4096 BM_StatusBatchDecode/1 BM_StatusBatchDecode/256 BM_StatusBatchDecode/4096 \
      BM_AssignEncodeDecode/256 BM_JournalAppend BM_JournalAppendRun/16 BM_JournalAppendRun/256 \
      BM_JournalAppendFlush/1024 BM_JournalAppendFlush/65536; do
      [ -n "${micro_ns[$name]:-}" ] || continue
      unit=$(case "$name" in BM_Tracker*|BM_JournalAppendRun*) echo "per subtask" ;; BM_AssignEncodeDecode*) echo "per message" ;; *) echo "per record" ;; esac)
      record Micro "${name#BM_} $unit" "batch after /" "${micro_ns[$name]}" ns "" "" "" "" "" 1
    done
  fi
else
  echo "bench/run.sh: tasktrack_micro did not build (libbenchmark-dev missing, or a compile error):" \
    "no micro-benchmarks" >&2
  failures=$((failures + 1))
fi

# ---- the core under simulated workers ------------------------------------------------------------
# tasktrack_simulate drives the pure core (JobState) with 16 to 10,000 simulated one-thread
# workers and 1, 10 and 100 ms subtasks in virtual time: rank 0's scheduling CPU per event and
# per subtask, without the transport (bench/README.md, the scale model).
progress "core simulator"
if run simulate 600 "$simulate"; then
  while IFS=$'\t' read -r workers seconds subtasks events per_event per_subtask feeds; do
    [ "$workers" = workers ] && continue
    ms=$(calc "$seconds * 1000")
    record Sim "core CPU per subtask, $workers workers, $ms ms" "simulated" "$per_subtask" ns "" "" "" "" "" 1 "$subtasks subtasks, $events events, $per_event ns per event; one core feeds ~$feeds threads before the transport"
  done <"$logs/simulate.out"
fi

# ---- model: how many workers one rank 0 feeds ---------------------------------------------------
# Rank 0's CPU per subtask when every message carries one subtask (W1, --chunk 1: an Assign
# and a StatusBatch per subtask, polling and sleeping included) against full batches (W1 with
# the journal on). One worker thread of subtasks of d seconds costs rank 0 c / d CPU seconds
# per second, so one core of rank 0 feeds d / c threads.
model_lines=()
c_msg=${w1b_cpu:-} c_batched=$(med w1.mpi1.cpu)
if [ -n "$c_msg" ] && [ -n "$c_batched" ]; then
  for d in 0.001 0.01 0.1; do
    slots_msg=$(calc "$d / $c_msg") slots_batched=$(calc "$d / $c_batched")
    model_lines+=("$(awk -v d="$d" -v a="$slots_msg" -v b="$slots_batched" -v cm="$c_msg" -v cb="$c_batched" 'BEGIN {
      printf "%5g ms subtasks: ~%.0f worker threads at one message per subtask (%.2f us of rank-0 CPU each), ~%.0f with full batches (%.0f ns each)", d * 1e3, a, cm * 1e6, b, cb * 1e9 }')")
    record Model "threads one rank 0 feeds, $(calc "$d * 1000") ms subtasks" "1 subtask/message" "$slots_msg" threads "full batches" "$slots_batched" "" "" "" "" "rank-0 CPU per subtask: $c_msg s with one per message (W1 --chunk 1), $c_batched s batched (W1, journal on)"
  done
fi

# ---- the table ----------------------------------------------------------------------------------
suite_seconds=$(calc "$(now) - $suite_start")
{
  echo "tasktrack benchmarks  $stamp  commit $commit"
  echo "machine: $cores cores, $cpu_model; load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "medians of $reps runs; mpirun: ${mpirun[*]}; build $build_seconds s, suite $(printf %.0f "$suite_seconds") s"
  echo
  printf '%s\n' "section|measure|config|tasktrack|baseline|baseline value|ratio|target|status" "${table_rows[@]}" |
    column -t -s '|' -o '  '
  if [ ${#model_lines[@]} -gt 0 ]; then
    echo
    echo "model (rank 0 at one full core):"
    printf '  %s\n' "${model_lines[@]}"
  fi
  [ "$failures" -gt 0 ] && echo && echo "$failures run(s) failed their sanity checks: see the messages above"
} | tee "$table_file"
{
  echo "meta,machine,\"$cores cores; $cpu_model\",,,,,,,,,"
  echo "meta,date,\"$stamp\",,,,,,,,,"
  echo "meta,commit,\"$commit\",,,,,,,,,"
  echo "meta,load average at start and end,\"$load_start / $(cut -d' ' -f1-3 /proc/loadavg)\",,,,,,,,,"
  echo "meta,build seconds,,$build_seconds,s,,,,,,,"
  echo "meta,suite seconds,,$(printf %.0f "$suite_seconds"),s,,,,,,,"
} >>"$csv"
echo
echo "CSV: $csv"
if [ "$quick" != 1 ]; then cp "$csv" "$results_dir/latest.csv"; fi
[ "$failures" -eq 0 ]
