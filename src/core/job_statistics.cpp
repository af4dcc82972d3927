#include "core/job_statistics.hpp"

#include <algorithm>

#include "core/tracker.hpp"

namespace tasktrack {

namespace {

constexpr std::size_t slowest_kept = 5;

bool slower(const SlowSubtask& a, const SlowSubtask& b) {
  return a.seconds > b.seconds;
}

}  // namespace

JobStatistics::JobStatistics(std::span<const WorkerInfo> workers, int ranks, std::uint32_t subtasks)
    : per_rank_(static_cast<std::size_t>(ranks)), dispatched_at_(subtasks, 0.0) {
  for (const WorkerInfo& info : workers) {
    RankSummary& r = rank(info.rank);
    r.rank = info.rank;
    r.host = info.host;
    r.threads = info.threads;
    r.cores = info.cores;
    r.gpus = info.gpus;
    r.memory_bytes = info.memory_bytes;
  }
}

void JobStatistics::note_busy(int rank, double seconds) {
  per_rank_.at(rank).busy_seconds += seconds;
  seconds_reported_ += seconds;
  ++attempts_reported_;
}

void JobStatistics::note_dispatch(std::span<const IdRun> runs, double now) {
  for (const IdRun& run : runs) std::fill_n(dispatched_at_.begin() + run.first, run.count, now);
  last_dispatch_ = now;
}

void JobStatistics::note_started(const StatusRecord& record) {
  start_latency_.add(record.start_seconds - dispatched_at_[record.subtask]);
}

void JobStatistics::note_completed(SubtaskId id, int rank, double seconds) {
  if (slowest_.size() == slowest_kept && seconds <= slowest_.front().seconds) return;
  slowest_.push_back(SlowSubtask{id, rank, seconds});
  std::push_heap(slowest_.begin(), slowest_.end(), slower);
  if (slowest_.size() > slowest_kept) {
    std::pop_heap(slowest_.begin(), slowest_.end(), slower);
    slowest_.pop_back();
  }
}

void JobStatistics::note_attempt(const StatusRecord& record, int rank, const AttemptReport& report,
                                 std::size_t class_index) {
  const AttemptRef ref{record.subtask, record.attempt, rank};
  if (report.output_capped) capped_.push_back(ref);
  if (report.left_processes) ++left_processes_;
  if (!report.measured) return;
  const double seconds = record.end_seconds - record.start_seconds;
  cost_.add(ref, seconds, report.usage);
  if (class_costs_.size() <= class_index) class_costs_.resize(class_index + 1);
  class_costs_[class_index].add(ref, seconds, report.usage);
}

void JobStatistics::fill(Summary& s, const Tracker& tracker, std::span<const WorkerState> workers,
                         double started, double wall_seconds) const {
  s.workers = static_cast<unsigned>(workers.size());
  for (const WorkerState& worker : workers) {
    s.threads_per_worker = std::max(s.threads_per_worker, worker.info.threads);
    RankSummary r = per_rank_.at(worker.info.rank);
    r.utilization =
        wall_seconds > 0 && r.threads > 0 ? r.busy_seconds / (wall_seconds * r.threads) : 0;
    s.per_rank.push_back(r);
  }
  s.wall_seconds = wall_seconds;
  s.total = tracker.total();
  s.done = tracker.done();
  s.failed = tracker.failed();
  s.not_run = s.total - s.done - s.failed;
  s.retried = tracker.retried();
  s.timed_out = timed_out;
  s.reassigned = tracker.reassigned();
  s.resumed = resumed;
  s.duplicates = tracker.duplicates() + late_duplicates;
  s.failures = failures_;
  std::sort(s.failures.begin(), s.failures.end(),
            [](const auto& a, const auto& b) { return a.subtask < b.subtask; });
  s.cost = cost_;
  s.capped = capped_;
  s.left_processes = left_processes_;
  std::sort(s.capped.begin(), s.capped.end(), [](const AttemptRef& a, const AttemptRef& b) {
    return a.subtask != b.subtask ? a.subtask < b.subtask : a.attempt < b.attempt;
  });
  s.slowest = slowest_;
  std::sort(s.slowest.begin(), s.slowest.end(), slower);
  s.start_latency_p50 = start_latency_.quantile(0.5);
  s.start_latency_p99 = start_latency_.quantile(0.99);
  double busiest = 0;
  double busy_total = 0;
  for (const RankSummary& r : s.per_rank) {
    busiest = std::max(busiest, r.busy_seconds);
    busy_total += r.busy_seconds;
  }
  s.load_imbalance = busy_total > 0 ? busiest / (busy_total / s.per_rank.size()) : 1.0;
  s.tail_seconds =
      last_dispatch_ > 0 ? std::max(0.0, wall_seconds - (last_dispatch_ - started)) : 0.0;
}

}  // namespace tasktrack
