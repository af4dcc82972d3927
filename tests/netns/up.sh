#!/usr/bin/env bash
# up.sh STATE_DIR [HOSTS] -- three (or HOSTS) fake hosts for multi-host MPI tests, made of
# network namespaces on this machine, no ssh:
#   <prefix>-br            a namespace holding bridge br0 (nothing is added to the root namespace
#                          but one guard route, below)
#   <prefix>-node1..N      one namespace per host: lo and a veth "mpi0" = 10.200.0.i/24 on br0;
#                          no default route, so their traffic can only reach each other
# The root namespace gets an `unreachable` route for 10.200.0.0/24, so no packet for these
# addresses can ever leave the machine; down.sh removes it (when up.sh added it).
# STATE_DIR (must not exist or be empty) receives: nodes (host -> namespace), hosts (an
# /etc/hosts for the hosts), hostfile (Open MPI, TASKTRACK_NETNS_SLOTS slots each, default 2),
# node/HOST/tmp (each host's TMPDIR) and prefix. Run commands on a host with rsh-agent.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: up.sh STATE_DIR [HOSTS]" >&2; exit 2; }
state=$(realpath -m -- "$1")
count=${2:-3}
slots=${TASKTRACK_NETNS_SLOTS:-2}
subnet=10.200.0

[[ $(id -u) -eq 0 ]] || { echo "up.sh: must run as root (ip netns needs CAP_SYS_ADMIN)" >&2; exit 1; }
[[ $count =~ ^[0-9]+$ ]] && ((count >= 1 && count <= 250)) || { echo "up.sh: bad host count '$count'" >&2; exit 2; }
for program in ip unshare mount awk; do
  command -v "$program" >/dev/null || { echo "up.sh: '$program' not found" >&2; exit 1; }
done
if [[ -e $state && -n $(ls -A -- "$state" 2>/dev/null) ]]; then
  echo "up.sh: $state exists and is not empty; refusing" >&2
  exit 1
fi
mkdir -p -- "$state"
# Namespace names unique to this state folder, so clusters of parallel runs never collide.
prefix=ttnet-$(basename "$state" | md5sum | cut -c1-6)
echo "$prefix" >"$state/prefix"
touch "$state/.tasktrack-netns"

fail() {
  echo "up.sh: FAILED: $*" >&2
  "$here/down.sh" "$state" >&2 || true
  exit 1
}
trap 'fail "command failed at line $LINENO"' ERR

# The guard: in the root namespace this subnet goes nowhere, never out through a real interface.
if ! ip route show type unreachable | grep -q "^unreachable $subnet.0/24"; then
  ip route add unreachable "$subnet.0/24"
  touch "$state/guard-route-added"
fi
{
  echo "127.0.0.1 localhost"
  for i in $(seq 1 "$count"); do echo "$subnet.$i node$i"; done
} >"$state/hosts"
: >"$state/nodes"
: >"$state/hostfile"

bridge=$prefix-br
ip netns add "$bridge"
ip -n "$bridge" link set lo up
ip -n "$bridge" link add br0 type bridge stp_state 0 forward_delay 0
ip -n "$bridge" link set br0 up
for i in $(seq 1 "$count"); do
  ns=$prefix-node$i
  ip netns add "$ns"
  # The veth pair is created straight inside the two namespaces: never seen in the root one.
  ip link add name mpi0 netns "$ns" type veth peer name "v$i" netns "$bridge"
  ip -n "$bridge" link set "v$i" master br0
  ip -n "$bridge" link set "v$i" up
  # IPv4 only: no IPv6 address to wait for, and Open MPI sees exactly one address per host.
  ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
                             echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6' 2>/dev/null || true
  ip -n "$ns" addr add "$subnet.$i/24" dev mpi0
  ip -n "$ns" link set lo up
  ip -n "$ns" link set mpi0 up
  mkdir -p "$state/node/node$i/tmp"
  echo "node$i $ns $subnet.$i" >>"$state/nodes"
  echo "node$i slots=$slots" >>"$state/hostfile"
done
trap - ERR

# reachable NS ADDRESS: a TCP connect to port 9 (nothing listens): "refused" means it answered
reachable() {
  local out
  out=$(ip netns exec "$1" timeout 3 bash -c "exec 3<>/dev/tcp/$2/9" 2>&1) && return 0
  [[ $out == *"Connection refused"* ]]
}
for i in $(seq 1 "$count"); do
  ok=0
  for _ in $(seq 1 50); do reachable "$prefix-node1" "$subnet.$i" && { ok=1; break; }; sleep 0.1; done
  ((ok)) || fail "node1 cannot reach $subnet.$i"
done
echo "up.sh: $count hosts node1..node$count = $subnet.1..$subnet.$count, namespaces $prefix-*, state $state"
