// What the core's tests share: effects that record everything the core asks for, and
// helpers that script workers, rules and status reports (test_job_state.cpp,
// test_packing.cpp).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/job_state.hpp"
#include "journal/journal.hpp"
#include "runtime/protocol.hpp"

namespace tasktrack::testing_core {

// Records every effect, by rank where it has one.
struct RecordedEffects final : JobEffects {
  std::map<int, std::vector<IdRun>> assigned;  // every run handed to a rank, in order
  std::vector<int> drained;
  std::vector<std::pair<int, TimeLimit>> limits;
  std::map<SubtaskId, std::int64_t> results;
  int results_accepted = 0;
  std::vector<JournalAttempt> attempts;
  std::vector<JournalRun> runs;
  std::vector<std::string> notices;
  std::vector<std::string> instants;

  void assign(int rank, std::span<const IdRun> runs_given) override {
    auto& list = assigned[rank];
    list.insert(list.end(), runs_given.begin(), runs_given.end());
  }
  void drain(int rank) override { drained.push_back(rank); }
  void set_time_limit(int rank, const TimeLimit& limit) override {
    limits.emplace_back(rank, limit);
  }
  void accept_result(SubtaskId id, std::int64_t value, std::span<const std::byte>) override {
    results[id] = value;
    ++results_accepted;
  }
  void journal_attempt(const JournalAttempt& attempt) override { attempts.push_back(attempt); }
  void journal_run(const JournalRun& run) override { runs.push_back(run); }
  void trace_attempt(int, const StatusRecord&, const AttemptReport*, bool) override {}
  void trace_dispatch(double, int, std::uint32_t) override {}
  void trace_instant(double, int, const std::string& name, const std::string&) override {
    instants.push_back(name);
  }
  void notice(const std::string& line) override { notices.push_back(line); }

  // Every subtask id handed to `rank` so far (attempt numbers dropped).
  std::vector<SubtaskId> ids_for(int rank) const {
    std::vector<SubtaskId> ids;
    const auto found = assigned.find(rank);
    if (found == assigned.end()) return ids;
    for (const IdRun& run : found->second) {
      for (std::uint32_t i = 0; i < run.count; ++i) ids.push_back(run.first + i);
    }
    return ids;
  }
  std::size_t count_for(int rank) const { return ids_for(rank).size(); }
  void clear_assignments() { assigned.clear(); }
};

inline std::vector<WorkerInfo> workers(int count, unsigned threads = 1) {
  std::vector<WorkerInfo> list;
  for (int rank = 1; rank <= count; ++rank) {
    list.push_back(
        WorkerInfo{rank, "node" + std::to_string(rank), threads, 1000 + rank, threads, {}, 0});
  }
  return list;
}

inline JobRules rules(std::uint32_t subtasks, Schedule schedule = Schedule::dynamic) {
  JobRules r;
  r.subtasks = subtasks;
  r.schedule = schedule;
  r.chunk = schedule == Schedule::static_shares ? 0 : 1;
  r.retries = 2;
  r.worker_timeout = 30;
  r.grace = 10;
  return r;
}

inline StatusRecord record(SubtaskId id, SubtaskState state, std::uint32_t attempt = 0,
                           double start = 1.0, double end = 1.5) {
  StatusRecord r;
  r.subtask = id;
  r.state = state;
  r.attempt = attempt;
  r.start_seconds = start;
  r.end_seconds = state == SubtaskState::running ? 0 : end;
  r.value = 10 * static_cast<std::int64_t>(id);
  if (state == SubtaskState::failed) r.reason = FailureReason::exit_code;
  return r;
}

// One status batch of `records` from `rank` at `now`.
inline void report(JobState& state, int rank, const std::vector<StatusRecord>& records,
                   double now) {
  StatusBatchWriter writer;
  for (const StatusRecord& r : records) writer.add(r, {});
  const std::vector<std::byte> message = writer.finish();
  state.handle_message(rank, StatusBatchReader(message), now);
}

// Reports every subtask handed to `rank` so far and not reported yet as done.
inline void complete_all(JobState& state, RecordedEffects& effects, int rank,
                         std::set<SubtaskId>& seen, double now) {
  std::vector<StatusRecord> records;
  for (const IdRun& run : effects.assigned[rank]) {
    for (std::uint32_t i = 0; i < run.count; ++i) {
      if (seen.insert(run.first + i).second) {
        records.push_back(record(run.first + i, SubtaskState::done, run.attempt, now, now));
      }
    }
  }
  if (!records.empty()) report(state, rank, records, now);
}

// The subtask ids of `runs`, one by one, in order.
inline std::vector<SubtaskId> ids_of(const std::vector<IdRun>& runs) {
  std::vector<SubtaskId> ids;
  for (const IdRun& run : runs) {
    for (std::uint32_t i = 0; i < run.count; ++i) ids.push_back(run.first + i);
  }
  return ids;
}

}  // namespace tasktrack::testing_core
