#!/bin/sh
# rsh-agent.sh -- an ssh stand-in for Open MPI (--mca plm_rsh_agent) on up.sh's fake hosts.
#   rsh-agent.sh [-flags] HOST CMD...       like ssh: the CMD words are joined, run by `sh -c`
#   rsh-agent.sh --exec HOST PROGRAM ARGS...  runs argv unchanged (start mpirun this way)
# "On HOST" means: in HOST's network namespace (ip netns exec), in a private UTS namespace
# whose hostname is HOST, with STATE/hosts bind-mounted over /etc/hosts in a private mount
# namespace (the real file is not touched) and TMPDIR=STATE/node/HOST/tmp, so each host has
# its own name, name resolution and Open MPI session folder. STATE is $TASKTRACK_NETNS_DIR,
# made by up.sh; it is passed on, since the orteds Open MPI starts may call this again.
set -eu
state=${TASKTRACK_NETNS_DIR:?rsh-agent.sh: set TASKTRACK_NETNS_DIR to the folder up.sh made}
mode=ssh
while [ $# -gt 0 ]; do
  case $1 in
    --exec) mode='exec'; shift ;;
    -*) shift ;; # ssh flags such as -x
    *) break ;;
  esac
done
[ $# -ge 2 ] || { echo "usage: rsh-agent.sh [--exec] HOST CMD..." >&2; exit 255; }
host=$1
shift
ns=$(awk -v h="$host" '$1 == h { print $2; exit }' "$state/nodes" 2>/dev/null || true)
[ -n "$ns" ] || { echo "rsh-agent.sh: unknown host '$host' (not in $state/nodes)" >&2; exit 255; }
export TASKTRACK_NETNS_DIR="$state"
# inner sh: $1 hostname, $2 hosts file, $3 TMPDIR, $4 mode, then the command
exec ip netns exec "$ns" unshare --uts -- sh -c '
  hostname "$1" && mount --bind "$2" /etc/hosts || exit 255
  tmp=$3 mode=$4
  shift 4
  if [ "$mode" = ssh ]; then command="$*"; set -- sh -c "$command"; fi
  export TMPDIR="$tmp"
  exec "$@"
' rsh-agent "$host" "$state/hosts" "$state/node/$host/tmp" "$mode" "$@"
