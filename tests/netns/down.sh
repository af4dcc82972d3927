#!/usr/bin/env bash
# down.sh STATE_DIR -- undo up.sh STATE_DIR: kill what still runs inside its namespaces (the
# PIDs `ip netns pids` names), delete the namespaces (and with them the veths and the bridge),
# remove the guard route when up.sh added it, delete STATE_DIR. Nothing to do: says so.
set -uo pipefail
[[ $# -eq 1 ]] || { echo "usage: down.sh STATE_DIR" >&2; exit 2; }
state=$(realpath -m -- "$1")
[[ -f $state/.tasktrack-netns ]] || { echo "down.sh: no cluster in $state"; exit 0; }
prefix=$(cat "$state/prefix" 2>/dev/null)
[[ $prefix =~ ^ttnet-[0-9a-f]+$ ]] || { echo "down.sh: bad prefix '$prefix' in $state" >&2; exit 1; }

mapfile -t ours < <(ip netns list 2>/dev/null | awk '{print $1}' |
  grep -E "^$prefix-(node[0-9]+|br)$")
for ns in "${ours[@]}"; do
  pids=$(ip netns pids "$ns" 2>/dev/null)
  [[ -n $pids ]] || continue
  echo "down.sh: killing what is left in $ns: $(echo $pids)"
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null
  for _ in $(seq 1 30); do [[ -z $(ip netns pids "$ns" 2>/dev/null) ]] && break; sleep 0.1; done
  pids=$(ip netns pids "$ns" 2>/dev/null)
  # shellcheck disable=SC2086
  [[ -z $pids ]] || kill -KILL $pids 2>/dev/null
done
for ns in "${ours[@]}"; do [[ $ns == "$prefix-br" ]] || ip netns del "$ns"; done
for ns in "${ours[@]}"; do [[ $ns == "$prefix-br" ]] && ip netns del "$ns"; done
if [[ -f $state/guard-route-added ]]; then
  ip route del unreachable 10.200.0.0/24 2>/dev/null
fi
rm -rf -- "$state"
echo "down.sh: deleted ${#ours[@]} namespaces ($prefix-*) and $state"
