#!/usr/bin/env bash
# tasktrack's one entry point.
#   ./run.sh          install what is missing, build, run the default job, print the summary
#   ./run.sh test     the same set-up, then the whole test suite
# Environment: BUILD_DIR (default build), TASKTRACK_WERROR=ON to make warnings errors (CI).
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-run}
case "$mode" in
  run | test) ;;
  *) echo "usage: ./run.sh [test]" >&2; exit 2 ;;
esac

# Debian packages the build and the default job need.
packages=(
  cmake make g++ pkg-config
  openmpi-bin libopenmpi-dev
  libboost-mpi-dev libboost-serialization-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libtomlplusplus-dev libpng-dev zlib1g-dev
)
# And what the tests drive for real: a Slurm controller, network namespaces, a browser, GNU
# parallel (it reads `tasktrack log` as its joblog).
if [ "$mode" = test ]; then
  packages+=(slurm-wlm munge jq iproute2 chromium python3 parallel)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "run.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "run.sh: missing Debian packages; install them with:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
  -DTASKTRACK_WERROR="${TASKTRACK_WERROR:-OFF}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"

# Open MPI refuses to run as root unless told; containers and CI machines often are root.
if [ "$(id -u)" = 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

if [ "$mode" = test ]; then
  ctest --test-dir "$build_dir" --output-on-failure
  exit
fi

# The default job: 1 coordinator + at least 2 worker ranks on this machine.
ranks=$(( $(nproc) + 1 ))
[ "$ranks" -ge 3 ] || ranks=3
echo "run.sh: mpirun -np $ranks $build_dir/tasktrack run jobs/default.toml" >&2
exec mpirun -q --oversubscribe -np "$ranks" "$build_dir/tasktrack" run jobs/default.toml
