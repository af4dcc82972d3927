#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each for SECONDS
# (default 60) from its seed corpus in fuzz/corpus/. Prints executions and crashes per
# target; exits 1 when any target found a crash (its reproducer is left in build-fuzz/).
#   fuzz/run.sh [SECONDS]
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"
jobs="$(nproc 2>/dev/null || echo 2)"

cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER="${CXX_FUZZ:-clang++-14}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTASKTRACK_BUILD_FUZZERS=ON -DTASKTRACK_BUILD_TESTS=OFF \
  -DTASKTRACK_SANITIZE=fuzzer-no-link,address,undefined >/dev/null
cmake --build "$build" -j "$jobs" --target journal_fuzzer job_file_fuzzer

# A finding must stop the run: UBSan reports are fatal, not just printed.
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"

status=0
for target in journal_fuzzer:journal job_file_fuzzer:job_file; do
  name="${target%%:*}"
  seeds="$root/fuzz/corpus/${target##*:}"
  # Inputs the fuzzer finds go to a scratch corpus; the committed seeds stay as they are.
  work="$build/corpus-$name"
  artifacts="$build/artifacts-$name/"
  log="$build/$name.log"
  mkdir -p "$work" "$artifacts"
  set +e
  "$build/fuzz/$name" "$work" "$seeds" -max_total_time="$seconds" -print_final_stats=1 \
    -max_len=65536 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts" >"$log" 2>&1
  rc=$?
  set -e
  executions="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' ||
                echo '?')"
  crashes="$(find "$artifacts" -type f | wc -l)"
  echo "$name: ${executions} executions in ${seconds} s, ${crashes} crashes (exit ${rc})"
  if [[ $rc -ne 0 || $crashes -ne 0 ]]; then
    status=1
    find "$artifacts" -type f -printf '  reproducer: %p\n'
    grep -m 5 -E 'ERROR|SUMMARY|runtime error|deadly signal' "$log" | sed 's/^/  /' || true
    echo "  full log: $log"
  fi
done
exit "$status"
