#!/bin/sh
# Runs "$@" and, on MPI rank 0 only (or outside mpirun), under GNU time, which writes the
# process's maximum resident set size in KiB to $RANK0_RSS_FILE. Other ranks run "$@" as is.
#   mpirun -x RANK0_RSS_FILE=/tmp/rss -np 3 bench/rank0_rss.sh build/tasktrack run ...
rank=${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-${PMI_RANK:-0}}}
if [ "$rank" = 0 ] && [ -n "${RANK0_RSS_FILE:-}" ]; then
  exec /usr/bin/time -f %M -o "$RANK0_RSS_FILE" "$@"
fi
exec "$@"
