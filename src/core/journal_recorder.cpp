#include "core/journal_recorder.hpp"

#include <algorithm>

namespace tasktrack {

namespace {

// Done subtasks shorter than this may share a run record (which keeps one time span for
// the run): per-subtask times matter for subtasks that take real time.
constexpr double run_record_max_seconds = 0.001;

}  // namespace

void JournalRecorder::done(const WorkerInfo& worker, const StatusRecord& record,
                           std::span<const std::byte> payload, const AttemptReport* report,
                           JobEffects& effects) {
  const int rank = worker.rank;
  const bool fast = record.end_seconds - record.start_seconds < run_record_max_seconds;
  if (!payload.empty() || !fast || report != nullptr) {
    flush(effects);
    attempt(worker, record, payload, report, effects);
    return;
  }
  JournalRun& run = pending_run_;
  const bool extends = !run.values.empty() && run.rank == rank && run.thread == record.thread &&
                       run.attempt == record.attempt &&
                       run.first + run.values.size() == record.subtask;
  if (!extends) {
    flush(effects);
    run.first = record.subtask;
    run.thread = record.thread;
    run.attempt = record.attempt;
    run.rank = rank;
    run.start_unix = epoch_unix_ + record.start_seconds;
  }
  run.end_unix = epoch_unix_ + record.end_seconds;
  run.values.push_back(record.value);
  run.keys.push_back(key_(record.subtask));
}

void JournalRecorder::attempt(const WorkerInfo& worker, const StatusRecord& record,
                              std::span<const std::byte> payload, const AttemptReport* report,
                              JobEffects& effects, bool retried) {
  const int rank = worker.rank;
  JournalAttempt attempt;
  attempt.subtask = record.subtask;
  attempt.state = record.state;
  attempt.reason = record.reason;
  attempt.thread = record.thread;
  attempt.attempt = record.attempt;
  attempt.rank = rank;
  attempt.start_unix = epoch_unix_ + record.start_seconds;
  attempt.end_unix = epoch_unix_ + record.end_seconds;
  attempt.value = record.value;
  attempt.key = key_(record.subtask);
  attempt.payload.assign(payload.begin(), payload.end());
  attempt.retried = retried;
  if (report != nullptr) {
    attempt.cores = report->cores;
    attempt.gpus = worker.gpus_of(report->gpu_mask);
    if (report->measured) attempt.usage = report->usage;
    attempt.output_capped = report->output_capped;
  }
  effects.journal_attempt(attempt);
}

void JournalRecorder::flush(JobEffects& effects) {
  JournalRun& run = pending_run_;
  if (run.values.empty()) return;
  if (run.values.size() == 1) {
    // Not worth a run: the plain record keeps its times.
    JournalAttempt attempt;
    attempt.subtask = run.first;
    attempt.state = SubtaskState::done;
    attempt.thread = run.thread;
    attempt.attempt = run.attempt;
    attempt.rank = run.rank;
    attempt.start_unix = run.start_unix;
    attempt.end_unix = run.end_unix;
    attempt.value = run.values[0];
    attempt.key = run.keys[0];
    effects.journal_attempt(attempt);
  } else {
    if (std::all_of(run.keys.begin(), run.keys.end(), [](std::uint64_t key) { return key == 0; })) {
      run.keys.clear();
    }
    effects.journal_run(run);
  }
  run.values.clear();
  run.keys.clear();
}

}  // namespace tasktrack
