#!/usr/bin/env bash
# test_log_and_watch.sh TASKTRACK -- `tasktrack log` and `tasktrack status --json/--watch`
# through the real binary (issue 12): a task file of succeeding and failing commands runs
# with --retries 0; its log, in each format, must parse with Python's csv and json modules,
# start with GNU parallel's joblog columns, and agree attempt by attempt with the run's
# JSON summary and `status --json`. `status --watch` runs under a pseudo-terminal
# (util-linux `script`): it ends by itself on a finished job, ends when a running job ends,
# and quits on `q` and on Ctrl-C (exit 0, nothing on stderr).
set -uo pipefail
[[ $# -eq 1 ]] || { echo "usage: test_log_and_watch.sh TASKTRACK" >&2; exit 2; }
tasktrack=$(realpath -- "$1")
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
command -v script >/dev/null || { echo "SKIP: no script (util-linux)"; exit 77; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/tasktrack-log.XXXXXX")
background=""
cleanup() {
  [[ -n $background ]] && kill "$background" 2>/dev/null
  rm -rf -- "$scratch"
}
trap cleanup EXIT
cd "$scratch" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

# ---- a finished job: two successes, exit 3, a signal, a command with a comma, quotes and a tab
tab=$'\t'
printf '%s\n' 'echo one' "sh -c 'exit 3'" '# a comment takes no subtask' \
  "printf 'a, \"b\"${tab}c\\n'" 'kill -SEGV $$' 'true' >tasks.txt
"$tasktrack" run --task-file tasks.txt --journal job.journal --output-dir out --retries 0 \
  --threads 2 --quiet --summary-json summary.json >run.out 2>run.err </dev/null
rc=$?
[[ $rc -eq 1 ]] || fail "run: exit $rc, expected 1 (two commands fail); $(cat run.err)"

"$tasktrack" log job.journal >log.tsv 2>log.err || fail "log (tsv): $(cat log.err)"
"$tasktrack" log job.journal --format csv -o log.csv 2>log.err || fail "log csv: $(cat log.err)"
"$tasktrack" log job.journal --format jsonl -o log.jsonl 2>log.err ||
  fail "log jsonl: $(cat log.err)"
[[ ! -e log.csv.partial ]] || fail "log -o left its temporary file behind"
"$tasktrack" status job.journal --json >status.json 2>status.err ||
  fail "status --json: $(cat status.err)"

python3 - <<'EOF' || fail "the log and status disagree with the journal (see above)"
import csv, json, signal, sys

joblog = ["Seq", "Host", "Starttime", "JobRuntime", "Send", "Receive", "Exitval", "Signal",
          "Command"]
summary = json.load(open("summary.json"))
status = json.loads(open("status.json").read())  # one line of JSON

with open("log.tsv", newline="") as f:
    tsv = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
with open("log.tsv") as f:
    header = f.readline().rstrip("\n").split("\t")
with open("log.csv", newline="") as f:
    rows = list(csv.DictReader(f))
jsonl = [json.loads(line) for line in open("log.jsonl")]

assert header[:9] == joblog, header
assert list(rows[0].keys()) == header, (list(rows[0].keys()), header)
assert list(jsonl[0].keys()) == header

# One row per attempt: 5 commands, --retries 0, so 5 attempts, in every format.
assert summary["subtasks"]["total"] == 5, summary["subtasks"]
assert len(tsv) == len(rows) == len(jsonl) == 5, (len(tsv), len(rows), len(jsonl))
expected = {0: (0, 0), 1: (3, 0), 2: (0, 0), 3: (-1, signal.SIGSEGV), 4: (0, 0)}
lines = {0: 1, 1: 2, 2: 4, 3: 5, 4: 6}
failed = {f["subtask"] for f in summary["failures"]}
assert failed == {1, 3}, summary["failures"]
for t, c, j in zip(tsv, rows, jsonl):
    subtask = j["subtask"]
    assert int(t["subtask"]) == int(c["subtask"]) == subtask
    assert (j["Exitval"], j["Signal"]) == expected[subtask], j
    assert (int(t["Exitval"]), int(t["Signal"])) == expected[subtask], t
    assert (int(c["Exitval"]), int(c["Signal"])) == expected[subtask], c
    assert j["Seq"] == subtask + 1 and int(t["Seq"]) == subtask + 1
    assert j["line"] == lines[subtask] and int(c["line"]) == lines[subtask]
    assert j["state"] == ("failed" if subtask in failed else "done"), j
    assert j["attempt"] == 0 and j["rank"] == 0
    assert isinstance(j["Starttime"], float) and isinstance(j["JobRuntime"], (int, float))
    assert abs(float(t["Starttime"]) - j["Starttime"]) < 0.001
    assert t["start_iso"].endswith("Z") and t["start_iso"] == j["start_iso"]
    assert c["Command"] == j["Command"], (c["Command"], j["Command"])
    assert t["Send"] == "0" and t["Receive"] == "0"
starts = [j["Starttime"] for j in jsonl]
assert starts == sorted(starts), starts

by_subtask = {j["subtask"]: j for j in jsonl}
quoted = 'printf \'a, "b"\tc\\n\''
assert by_subtask[2]["Command"] == quoted, by_subtask[2]["Command"]
assert [c for c in rows if c["subtask"] == "2"][0]["Command"] == quoted
assert [t for t in tsv if t["subtask"] == "2"][0]["Command"] == quoted.replace("\\", "\\\\").replace("\t", "\\t")
assert by_subtask[1]["reason"] == "exit_code" and by_subtask[3]["reason"] == "signal"
assert "exit code 3" in by_subtask[1]["detail"]

# status --json: the same counts; failures carry line, command and the ending as numbers.
assert status["state"] == "failed" and status["done"] == 3 and status["failed"] == 2, status
assert sum(r["failed"] for r in status["per_rank"]) == 2
assert [r["failed"] for r in status["per_rank"]] == [r["failed"] for r in summary["per_rank"]]
failures = {f["subtask"]: f for f in status["failures"]}
assert failures[1]["exit_status"] == 3 and failures[1]["signal"] is None, failures[1]
assert failures[1]["line"] == 2 and failures[1]["command"] == "sh -c 'exit 3'"
assert failures[3]["signal"] == signal.SIGSEGV and failures[3]["exit_status"] is None
assert failures[3]["signal_name"] == "SIGSEGV" and failures[3]["line"] == 5
print("log and status agree with the journal:", len(jsonl), "attempts")
EOF

# ---- GNU parallel reads the TSV as its own --joblog: --resume-failed runs again exactly the
# commands the log says failed (an exit status, a signal), --resume runs none of those it lists.
if command -v parallel >/dev/null && parallel --version 2>/dev/null | grep -q "GNU parallel"; then
  printf '%s\n' 'echo 1 >> ran.txt' 'echo 2 >> ran.txt; exit 3' 'echo 3 >> ran.txt' \
    'echo 4 >> ran.txt; kill -TERM $$' 'echo 5 >> ran.txt' >joblog-tasks.txt
  "$tasktrack" run --task-file joblog-tasks.txt --journal joblog.journal --output-dir joblog-out \
    --retries 0 --threads 2 --quiet >/dev/null 2>&1 </dev/null
  [[ $(sort ran.txt | tr '\n' ' ') == "1 2 3 4 5 " ]] || fail "joblog job ran: $(cat ran.txt)"
  "$tasktrack" log joblog.journal -o joblog.tsv 2>log.err || fail "log: $(cat log.err)"
  cp joblog.tsv joblog-resume.tsv
  rm ran.txt
  parallel --will-cite -j1 --resume-failed --joblog joblog.tsv <joblog-tasks.txt >/dev/null 2>&1
  [[ $(sort ran.txt | tr '\n' ' ') == "2 4 " ]] ||
    fail "parallel --resume-failed on the log ran: $(cat ran.txt 2>&1)"
  rm ran.txt
  parallel --will-cite -j1 --resume --joblog joblog-resume.tsv <joblog-tasks.txt >/dev/null 2>&1 ||
    fail "parallel --resume on the log: exit $?"
  [[ ! -e ran.txt ]] || fail "parallel --resume on the log ran: $(cat ran.txt)"
else
  echo "note: no GNU parallel; its reading of the log as a joblog is not checked"
fi

# The text status of a task list speaks of commands and shows them.
"$tasktrack" status job.journal >status.txt 2>&1 || fail "status: $(cat status.txt)"
grep -q "failed commands: 2" status.txt || fail "status text: $(cat status.txt)"
grep -q "sh -c 'exit 3'" status.txt || fail "status text lacks the command: $(cat status.txt)"
! grep -q "subtasks" status.txt || fail "status text of a task list says subtasks: $(cat status.txt)"

# ---- --watch on a finished job ends by itself, on a terminal and off one
# `script` runs its command through $SHELL -c, or /bin/sh when SHELL is unset (as under CI);
# dash forks rather than execs, and a Ctrl-C would then kill the shell between `script` and
# tasktrack (exit 130). `exec` makes tasktrack the terminal's own process.
timeout 30 script -qfec "exec $tasktrack status job.journal --watch 0.2" /dev/null </dev/null \
  >watch.out 2>&1
rc=$?
[[ $rc -eq 0 ]] || fail "watch of a finished job: exit $rc: $(cat watch.out)"
grep -q "ended     failed" watch.out || fail "watch did not say the job ended: $(cat watch.out)"
timeout 30 "$tasktrack" status job.journal --watch 0.2 >watch.pipe 2>&1 </dev/null ||
  fail "watch off a terminal: $(cat watch.pipe)"
[[ $(wc -l <watch.pipe) -eq 1 ]] || fail "watch off a terminal printed: $(cat watch.pipe)"
grep -q "ended: failed" watch.pipe || fail "watch off a terminal: $(cat watch.pipe)"

# ---- a running job: q and Ctrl-C quit the watch at once; otherwise it ends with the job
for i in 1 2 3 4 5 6; do echo "sleep 1"; done >slow.txt
"$tasktrack" run --task-file slow.txt --journal slow.journal --output-dir slow-out --threads 1 \
  --quiet >slow.out 2>&1 </dev/null &
background=$!
for _ in $(seq 100); do [[ -s slow.journal ]] && break; sleep 0.1; done
[[ -s slow.journal ]] || fail "the slow job wrote no journal"

(sleep 1; printf q) | timeout 30 script -qfec "exec $tasktrack status slow.journal --watch 0.2" \
  /dev/null >watch-q.out 2>&1
rc=$?
[[ $rc -eq 0 ]] || fail "q: exit $rc: $(cat watch-q.out)"
kill -0 "$background" 2>/dev/null || fail "the job ended before q was tested; make it slower"

(sleep 1; printf '\003') | timeout 30 script -qfec "exec $tasktrack status slow.journal --watch 0.2" \
  /dev/null >watch-c.out 2>&1
rc=$?
[[ $rc -eq 0 ]] || fail "Ctrl-C: exit $rc: $(cat watch-c.out)"
! grep -qi "error\|interrupt" watch-c.out || fail "Ctrl-C was not quiet: $(cat watch-c.out)"
kill -0 "$background" 2>/dev/null || fail "the job ended before Ctrl-C was tested"

timeout 60 script -qfec "exec $tasktrack status slow.journal --watch 0.2" /dev/null </dev/null \
  >watch-run.out 2>&1
rc=$?
[[ $rc -eq 0 ]] || fail "watch of a running job: exit $rc: $(cat watch-run.out)"
grep -q "ended     done" watch-run.out || fail "watch did not see the job end: $(cat watch-run.out)"
wait "$background"
rc=$?
background=""
[[ $rc -eq 0 ]] || fail "the slow job: exit $rc: $(cat slow.out)"
state=$("$tasktrack" status slow.journal --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
[[ $state == done ]] || fail "after the watch ended the job's state is $state"

# ---- bad input: one line, exit 2
"$tasktrack" log job.journal --format xml >/dev/null 2>bad.err
rc=$?
[[ $rc -eq 2 && $(wc -l <bad.err) -eq 1 ]] || fail "--format xml: exit $rc: $(cat bad.err)"
"$tasktrack" status job.journal --watch 0 >/dev/null 2>bad.err
rc=$?
[[ $rc -eq 2 && $(wc -l <bad.err) -eq 1 ]] || fail "--watch 0: exit $rc: $(cat bad.err)"
"$tasktrack" log missing.journal >/dev/null 2>bad.err
rc=$?
[[ $rc -eq 2 && $(wc -l <bad.err) -eq 1 ]] || fail "missing journal: exit $rc: $(cat bad.err)"
echo PASS
