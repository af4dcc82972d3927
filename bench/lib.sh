# shellcheck shell=bash
# bench/lib.sh: the helpers every benchmark script shares. Sourced (`. bench/lib.sh`) from
# the repository root, after the script's own `cd`.
#
#   now                 this moment, seconds with nanoseconds
#   calc EXPR           EXPR evaluated by awk (%.10g)
#   median VALUES...    the median of the values; empty when there are none
#   add KEY VALUE       one more sample of KEY (in the associative array `samples`)
#   med KEY             the median of KEY's samples
#
# Runs of a workload are interleaved with its baselines' (rep 1 of each, rep 2 of each, ...),
# so that load from other processes, which drifts, falls on both sides of each ratio alike:
# keep the samples by key and take medians at the end.

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.10g\", $* }"; }
median() { printf '%s\n' "$@" | sort -g | awk 'NF { v[++n] = $1 } END {
  if (n == 0) print ""; else if (n % 2) print v[(n + 1) / 2]; else print (v[n / 2] + v[n / 2 + 1]) / 2 }'; }
declare -A samples
add() { samples[$1]="${samples[$1]:+${samples[$1]} }$2"; }
# shellcheck disable=SC2086 # the samples are a word list on purpose
med() { median ${samples[$1]:-}; }
