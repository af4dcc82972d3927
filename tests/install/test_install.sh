#!/usr/bin/env bash
# The installed package, used the way a kernel author uses it (issue 4):
#   1. cmake --install the build tree into a temporary prefix;
#   2. every installed public header compiles on its own against find_package(tasktrack),
#      so none needs a private src/ header or a dependency the package does not bring;
#   3. examples/custom_kernel configures against that prefix (find_package(tasktrack)),
#      builds, and its `squares` kernel gives, under mpirun -np 3, the sum of squares
#      computed here independently (text summary and --summary-json);
#   4. `my_tasktrack kernels` lists squares beside the built-ins; a bad parameter exits 2.
#
# Usage: test_install.sh PROJECT_SOURCE_DIR BUILD_DIR   (BUILD_DIR already built)
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 PROJECT_SOURCE_DIR BUILD_DIR" >&2
  exit 2
fi
source_dir=$(cd "$1" && pwd)
build_dir=$(cd "$2" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/tasktrack_install.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "--- $*"; }

# Settings of the build under test that a consumer must share: the compiler, sanitizers
# (a sanitized static library needs the sanitizer runtime at link time) and the launcher.
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$build_dir/CMakeCache.txt" | head -n 1; }
cxx=$(cache_value CMAKE_CXX_COMPILER)
sanitize=$(cache_value TASKTRACK_SANITIZE)
mpiexec=$(cache_value MPIEXEC_EXECUTABLE)
[[ -n "$mpiexec" ]] || mpiexec=mpirun
consumer_args=(-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release)
[[ -n "$cxx" ]] && consumer_args+=(-DCMAKE_CXX_COMPILER="$cxx")
if [[ -n "$sanitize" ]]; then
  consumer_args+=(-DCMAKE_CXX_FLAGS="-fsanitize=$sanitize -fno-omit-frame-pointer"
                  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$sanitize")
fi

# Runs a command quietly; on failure shows its output and fails the test.
quietly() {
  local log=$work/last.log
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    fail "$*"
  fi
}

step "cmake --install $build_dir --prefix $prefix"
quietly cmake --install "$build_dir" --prefix "$prefix"
config=$(find "$prefix" -name tasktrackConfig.cmake -print -quit)
[[ -n "$config" ]] || fail "no tasktrackConfig.cmake installed under $prefix"
[[ -f "$(dirname "$config")/tasktrackConfigVersion.cmake" ]] || fail "no version file"
[[ -n "$(find "$prefix" -name 'libtasktrack.*' -print -quit)" ]] || fail "no libtasktrack"
[[ -x "$prefix/bin/tasktrack" ]] || fail "no bin/tasktrack"
[[ -f "$prefix/include/tasktrack/tasktrack.hpp" ]] || fail "no umbrella header"
if grep -rl 'tasktrack_warnings' "$(dirname "$config")" >/dev/null; then
  fail "tasktrack_warnings leaked into the exported package"
fi

step "public headers need only public headers"
shopt -s nullglob
headers=("$prefix"/include/tasktrack/*.hpp)
[[ ${#headers[@]} -gt 0 ]] || fail "no headers installed"
# A quoted include must name another public header ("tasktrack/..."), never src/.
if private=$(grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "${headers[@]}" |
             grep -v '#[[:space:]]*include[[:space:]]*"tasktrack/'); then
  fail "public headers include private ones:"$'\n'"$private"
fi
mkdir -p "$work/headers"
{
  echo 'cmake_minimum_required(VERSION 3.20)'
  echo 'project(tasktrack_header_check LANGUAGES CXX)'
  echo 'find_package(tasktrack REQUIRED)'
  echo 'file(GLOB sources ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)'
  echo 'add_library(header_check OBJECT ${sources})'
  echo 'target_link_libraries(header_check PRIVATE tasktrack::tasktrack)'
} >"$work/headers/CMakeLists.txt"
for header in "${headers[@]}"; do
  name=$(basename "$header" .hpp)
  printf '#include <tasktrack/%s.hpp>\n' "$name" >"$work/headers/$name.cpp"
done
quietly cmake -S "$work/headers" -B "$work/headers/build" "${consumer_args[@]}"
quietly cmake --build "$work/headers/build" --parallel 2

step "examples/custom_kernel against the installed package"
example=$work/example
quietly cmake -S "$source_dir/examples/custom_kernel" -B "$example" "${consumer_args[@]}"
quietly cmake --build "$example" --parallel 2
binary=$example/my_tasktrack
[[ -x "$binary" ]] || fail "my_tasktrack was not built"

step "my_tasktrack kernels"
kernels=$("$binary" kernels) || fail "my_tasktrack kernels exited $?"
for kernel in squares primes pi mandelbrot sleep noop; do
  grep -Eq "^$kernel[[:space:]]" <<<"$kernels" || fail "'$kernel' missing from:"$'\n'"$kernels"
done
grep -q 'modulus' <<<"$kernels" || fail "squares' parameter 'modulus' not listed"

step "a bad parameter exits 2"
set +e
"$binary" run --kernel squares --range 0:10 --param modulus=-1 --quiet >/dev/null 2>"$work/bad.err"
code=$?
set -e
[[ $code -eq 2 ]] || fail "modulus=-1 exited $code, not 2: $(cat "$work/bad.err")"

mpirun_args=(-q --oversubscribe -np 3)
[[ $(id -u) -eq 0 ]] && mpirun_args+=(--allow-run-as-root)

# Runs squares under mpirun and checks the result line and the JSON against `expected`.
check_squares() {
  local expected=$1
  shift
  local out=$work/summary.txt json=$work/summary.json
  rm -f "$json"
  echo "$mpiexec ${mpirun_args[*]} my_tasktrack run --kernel squares $*"
  set +e
  "$mpiexec" "${mpirun_args[@]}" "$binary" run --kernel squares "$@" --quiet \
    --summary-json "$json" >"$out" 2>"$work/run.err"
  local code=$?
  set -e
  if [[ $code -ne 0 ]]; then
    cat "$out" "$work/run.err" >&2
    fail "my_tasktrack exited $code"
  fi
  grep -Eq "^[[:space:]]*result[[:space:]]+squares: $expected\$" "$out" ||
    { cat "$out" >&2; fail "summary does not say 'squares: $expected'"; }
  grep -Eq "\"squares\":[[:space:]]*$expected([^0-9]|\$)" "$json" ||
    { cat "$json" >&2; fail "summary JSON does not hold squares = $expected"; }
  grep -Eq '"status":[[:space:]]*"completed"' "$json" ||
    { cat "$json" >&2; fail "summary JSON status is not completed"; }
  grep -Eq '^[[:space:]]*ranks[[:space:]]+3[[:space:]]' "$out" ||
    { cat "$out" >&2; fail "the job did not run on 3 ranks"; }
}

# sum_{i=0}^{n-1} i^2 = n(n-1)(2n-1)/6; exact in bash's 64-bit arithmetic for n <= 1.6e6.
sum_below() { local n=$1; echo $(((n * (n - 1) * (2 * n - 1)) / 6)); }

step "squares over [12345, 1000000) under mpirun -np 3"
lo=12345 hi=1000000
check_squares "$(($(sum_below $hi) - $(sum_below $lo)))" --range "$lo:$hi" --subtasks 100

step "squares modulo 997 over [0, 300000) under mpirun -np 3"
# (i*i) mod m has period m in i: whole periods times one period's sum, plus the rest.
modulus=997 n=300000
period=0 rest=0
for ((j = 0; j < modulus; ++j)); do
  term=$((j * j % modulus))
  period=$((period + term))
  ((j < n % modulus)) && rest=$((rest + term))
done
check_squares "$((n / modulus * period + rest))" --range "0:$n" --subtasks 37 \
  --param "modulus=$modulus" --schedule dynamic

echo "PASS: installed package, header check and custom kernel example"
