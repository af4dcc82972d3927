#include "report/report_model.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iterator>

#include "journal/fingerprint.hpp"
#include "journal/job_commands.hpp"

namespace tasktrack::report_html {
namespace {

void read_job(Report& report, const RecordedJob& job) {
  if (job.kernel) report.kernel = *job.kernel;
  if (job.task_file) {
    report.task_file = *job.task_file;
    report.kernel = "commands";
  }
  if (job.range && job.range->first < job.range->second) {
    report.range = Range{job.range->first, job.range->second};
  }
  if (job.subtasks && *job.subtasks > 0 &&
      *job.subtasks <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    report.total = *job.subtasks;
  }
  report.params = job.params;
}

void read_sessions(Report& report, const std::vector<JournalSession>& sessions) {
  for (const JournalSession& recorded : sessions) {
    SessionInfo session;
    session.started = recorded.started_unix;
    session.ranks = recorded.ranks;
    session.resumed = recorded.resumed;
    session.slurm_job_id = recorded.slurm_job_id;
    for (const SessionWorker& worker : recorded.workers) {
      ++session.workers;
      session.threads += worker.threads;
      // A later session's word on a rank replaces an earlier one's.
      RankStats& stats = report.ranks[worker.rank];
      if (!worker.host.empty()) stats.host = worker.host;
      if (worker.threads > 0) stats.threads = worker.threads;
      if (!worker.gpus.empty()) stats.gpus = worker.gpus;
    }
    report.sessions.push_back(std::move(session));
  }
}

// The session a record belongs to: the last one started at or before it (records are
// appended by the session that ran them, and a session's start precedes its attempts).
class SessionFinder {
 public:
  explicit SessionFinder(const std::vector<SessionInfo>& sessions) {
    for (std::size_t i = 0; i < sessions.size(); ++i) {
      if (std::isfinite(sessions[i].started)) starts_.emplace_back(sessions[i].started, i);
    }
    std::stable_sort(starts_.begin(), starts_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  std::size_t find(double start) const {
    if (starts_.empty()) return 0;
    auto after = std::upper_bound(starts_.begin(), starts_.end(), start,
                                  [](double t, const auto& entry) { return t < entry.first; });
    if (after == starts_.begin()) return starts_.front().second;
    return std::prev(after)->second;
  }

 private:
  std::vector<std::pair<double, std::size_t>> starts_;
};

// A task list's lines, from the first of task_file_candidates() that reads; none when no
// candidate does (the page then says less, never fails).
void read_tasks(Report& report) {
  if (report.task_file.empty()) return;
  for (const auto& candidate : task_file_candidates(report.task_file, report.journal_path)) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(candidate, error)) continue;
    try {
      report.tasks =
          read_task_file(candidate.string(), {},
                         report.journal != nullptr ? recorded_task_format(*report.journal)
                                                   : TaskFormat::automatic);
    } catch (const std::exception&) {
      report.tasks.clear();
    }
    break;
  }
  for (const TaskLine& task : report.tasks) report.task_keys.push_back(task_line_key(task));
  if (!report.total && !report.tasks.empty()) report.total = report.tasks.size();
}

bool add_overflows(std::int64_t& sum, std::int64_t value) {
  return __builtin_add_overflow(sum, value, &sum);
}

}  // namespace

Report build_report(const JournalHistory& history, const std::string& journal_path) {
  Report report;
  report.journal = history.contents;
  report.journal_path = journal_path;
  read_job(report, history.job);
  read_sessions(report, history.sessions);
  read_tasks(report);

  history.for_each_attempt([&](const JournalAttempt& attempt) {
    JournalAttempt& kept = report.records.emplace_back();
    kept.subtask = attempt.subtask;
    kept.state = attempt.state;
    kept.reason = attempt.reason;
    kept.thread = attempt.thread;
    kept.attempt = attempt.attempt;
    kept.rank = attempt.rank;
    kept.start_unix = attempt.start_unix;
    kept.end_unix = attempt.end_unix;
    kept.value = attempt.value;
    kept.key = attempt.key;
    kept.cores = attempt.cores;
    kept.gpus = attempt.gpus;
    kept.usage = attempt.usage;
    kept.output_capped = attempt.output_capped;
    if (attempt.state != SubtaskState::done) kept.payload = attempt.payload;
  });
  report.run_subtasks = report.records.size() - history.contents->attempts.size();
  if (report.sessions.empty() && !report.records.empty()) report.sessions.emplace_back();
  const SessionFinder finder(report.sessions);

  for (const JournalAttempt& attempt : report.records) {
    if (attempt.output_capped) report.capped.push_back(&attempt);
    if (attempt.usage) {
      ++report.measured_records;
      report.measured_cpu += attempt.usage->user_cpu_seconds + attempt.usage->system_cpu_seconds;
      const double seconds = attempt.end_unix - attempt.start_unix;
      if (std::isfinite(seconds) && seconds > 0) report.measured_seconds += seconds;
      if (attempt.usage->max_rss_bytes > 0) report.by_memory.push_back(&attempt);
    }
    if (attempt.state == SubtaskState::failed) ++report.failed_records;
    if (attempt.attempt > 0) ++report.retried_records;
    if (!std::isfinite(attempt.start_unix) || !std::isfinite(attempt.end_unix) ||
        !std::isfinite(attempt.end_unix - attempt.start_unix)) {
      ++report.unusable_records;
      continue;
    }
    report.bars.push_back(
        Bar{attempt.start_unix, std::max(attempt.start_unix, attempt.end_unix), &attempt});
    if (!attempt.gpus.empty()) ++report.gpu_records;
  }
  std::stable_sort(report.by_memory.begin(), report.by_memory.end(),
                   [](const JournalAttempt* a, const JournalAttempt* b) {
                     return a->usage->max_rss_bytes > b->usage->max_rss_bytes;
                   });
  std::stable_sort(report.bars.begin(), report.bars.end(),
                   [](const Bar& a, const Bar& b) { return a.start < b.start; });

  // The size of subtask `id`'s share of the range (Partition's rule: the remainder goes one
  // each to the first subtasks), for kernels whose result is per element.
  const auto elements_of = [&](SubtaskId id) -> std::uint64_t {
    if (!report.range || !report.total || *report.total == 0) return 0;
    const std::uint64_t size = range_size(*report.range);
    return size / *report.total + (id < size % *report.total ? 1 : 0);
  };
  for (const DoneSubtask& done : history.done) {
    ++report.done_subtasks;
    if (add_overflows(report.value_sum, done.value)) report.value_overflow = true;
    report.done_elements += elements_of(done.subtask);
  }
  report.failed_subtasks = history.failed.size();
  report.failures = history.failed;

  if (!report.bars.empty()) {
    report.t0 = report.bars.front().start;
    report.t1 = report.bars.front().end;
  }
  for (const Bar& bar : report.bars) {
    const JournalAttempt& record = *bar.record;
    report.t1 = std::max(report.t1, bar.end);
    report.busy += bar.seconds();
    const std::size_t session_index = finder.find(bar.start);
    SessionInfo& session = report.sessions[session_index];
    ++session.records;
    session.first = std::min(session.first, bar.start);
    session.last = std::max(session.last, bar.end);
    RankStats& rank = report.ranks[record.rank];
    rank.threads_seen.insert(record.thread);
    (record.state == SubtaskState::done ? rank.done : rank.failed) += 1;
    rank.busy += bar.seconds();
    rank.first = std::min(rank.first, bar.start);
    rank.last = std::max(rank.last, bar.end);
    rank.sessions.insert(session_index);
  }
  for (const SessionInfo& session : report.sessions) {
    if (session.has_records()) report.active += session.last - session.first;
  }
  return report;
}

const TaskLine* command_of(const Report& report, const JournalAttempt& record) {
  if (record.subtask >= report.tasks.size()) return nullptr;
  if (report.task_keys[record.subtask] != record.key) return nullptr;
  return &report.tasks[record.subtask];
}

std::uint64_t range_size(Range range) {
  return static_cast<std::uint64_t>(range.hi) - static_cast<std::uint64_t>(range.lo);
}

std::uint64_t rank_threads(const RankStats& rank) {
  return rank.threads > 0 ? rank.threads : rank.threads_seen.size();
}

}  // namespace tasktrack::report_html
