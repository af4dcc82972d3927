#!/usr/bin/env bash
# readme_examples.sh SOURCE_DIR BUILD_DIR -- the commands of README's "Running a job" block
# run as written on this machine (2 cores in CI): each must exit 0. A user's first try is
# that block; on a small machine a plain `mpirun -np 4` fails with no text under -q.
# build/tasktrack becomes BUILD_DIR/tasktrack; the commands run in a scratch folder beside
# a link to jobs/, so what they write (an image) lands there.
set -uo pipefail
[[ $# -eq 2 ]] || { echo "usage: readme_examples.sh SOURCE_DIR BUILD_DIR" >&2; exit 2; }
source_dir=$(realpath -- "$1")
build_dir=$(realpath -- "$2")
if [[ $(id -u) -eq 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

# The first ```sh block after the "## Running a job" heading, comments and blank lines out.
commands=$(awk '/^## Running a job/ { section = 1 }
                section && /^```sh/ { block = 1; next }
                block && /^```/ { exit }
                block { print }' "$source_dir/README.md" |
  sed -e 's/[[:space:]]#.*$//' -e '/^[[:space:]]*$/d')
[[ -n $commands ]] || { echo "FAIL: no sh block under '## Running a job' in README.md"; exit 1; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/tasktrack-readme.XXXXXX")
trap 'rm -rf -- "$scratch"' EXIT
ln -s "$source_dir/jobs" "$scratch/jobs"
mkdir "$scratch/build"
ln -s "$build_dir/tasktrack" "$scratch/build/tasktrack"
cd "$scratch" || exit 1

failures=0
while IFS= read -r command; do
  echo "== $command"
  timeout 300 bash -c "$command" >"$scratch/out" 2>"$scratch/err" </dev/null
  rc=$?
  if ((rc == 0)); then
    echo "PASS (exit 0): $(head -c 300 "$scratch/out" | head -3)"
  else
    echo "FAIL (exit $rc): stderr: $(head -c 600 "$scratch/err")"
    failures=$((failures + 1))
  fi
done <<<"$commands"
((failures == 0)) || { echo "README EXAMPLES FAILED: $failures"; exit 1; }
echo "README EXAMPLES PASSED"
