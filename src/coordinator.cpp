#include "tasktrack/coordinator.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>

namespace tasktrack {

namespace {

constexpr std::size_t slowest_kept = 5;

// Rank 0 sleeps between polls that find nothing: from the first value, doubling, up to the
// second. A millisecond bounds the latency it adds to a round trip, while a thousand
// empty polls a second cost well under 1% of a core.
constexpr std::chrono::microseconds first_pause{20};
constexpr std::chrono::microseconds longest_pause{1000};

// How long rank 0 waits for workers to say goodbye at the end.
constexpr std::chrono::milliseconds stop_deadline{10000};

bool slower(const SlowSubtask& a, const SlowSubtask& b) { return a.seconds > b.seconds; }

}  // namespace

double cpu_seconds(bool thread) {
  rusage usage{};
  ::getrusage(thread ? RUSAGE_THREAD : RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

Coordinator::Coordinator(const JobSpec& job, const Kernel& kernel, Transport& transport,
                         int ranks, JobClock clock, Progress& progress)
    : job_(job),
      kernel_(kernel),
      transport_(transport),
      ranks_(ranks),
      clock_(clock),
      progress_(progress),
      partition_(job.partition()),
      tracker_(job.subtasks, job.retries, ranks),
      reduction_(kernel.make_reduction(partition_)),
      per_rank_(static_cast<std::size_t>(ranks)) {
  for (const WorkerInfo& worker : transport_.workers()) {
    total_threads_ += worker.threads;
    RankSummary& r = rank_summary(worker.rank);
    r.rank = worker.rank;
    r.host = worker.host;
    r.threads = worker.threads;
  }
}

RankSummary& Coordinator::rank_summary(int rank) { return per_rank_.at(rank); }

void Coordinator::dispatch_initial() {
  const auto& workers = transport_.workers();
  if (job_.schedule == Schedule::static_shares) {
    // One contiguous share per worker, in rank order, sized by its threads.
    std::uint32_t given = 0;
    std::uint32_t threads_before = 0;
    for (const WorkerInfo& worker : workers) {
      threads_before += worker.threads;
      const auto until = static_cast<std::uint32_t>(
          static_cast<std::uint64_t>(job_.subtasks) * threads_before / total_threads_);
      runs_.clear();
      tracker_.assign_next(worker.rank, until - given, runs_);
      given = until;
      transport_.assign(worker.rank, runs_);
    }
    return;
  }
  for (const WorkerInfo& worker : workers) top_up(worker);
}

void Coordinator::top_up(const WorkerInfo& worker) {
  runs_.clear();
  const std::uint32_t wanted = low_water_mark(worker.threads);
  while (tracker_.outstanding(worker.rank) < wanted) {
    // Fresh subtasks go out in the schedule's batch sizes (static handed them all out at
    // the start); retries go out as needed to reach the water mark.
    std::uint32_t count = 0;
    if (job_.schedule != Schedule::static_shares) {
      const BatchContext context{job_.subtasks, tracker_.never_dispatched(), total_threads_,
                                 worker.threads, job_.chunk};
      count = next_batch_size(job_.schedule, context);
    }
    if (count == 0) count = wanted - tracker_.outstanding(worker.rank);
    if (tracker_.assign_next(worker.rank, count, runs_) == 0) break;
  }
  if (!runs_.empty()) transport_.assign(worker.rank, runs_);
}

void Coordinator::note_slow(SubtaskId id, int rank, double seconds) {
  if (slowest_.size() == slowest_kept && seconds <= slowest_.front().seconds) return;
  slowest_.push_back(SlowSubtask{id, rank, seconds});
  std::push_heap(slowest_.begin(), slowest_.end(), slower);
  if (slowest_.size() > slowest_kept) {
    std::pop_heap(slowest_.begin(), slowest_.end(), slower);
    slowest_.pop_back();
  }
}

void Coordinator::handle_record(int rank, const StatusRecord& record,
                                std::span<const std::byte> payload) {
  const SubtaskId id = record.subtask;
  switch (record.state) {
    case SubtaskState::running:
      tracker_.mark_running(id, rank, record.attempt);
      return;
    case SubtaskState::done: {
      RankSummary& r = rank_summary(rank);
      const double seconds = record.end_seconds - record.start_seconds;
      r.busy_seconds += seconds;
      if (tracker_.complete(id, rank, record.attempt) != Verdict::accepted) return;
      ++r.done;
      reduction_->add(id, partition_.subtask(id), record.value, payload);
      note_slow(id, rank, seconds);
      return;
    }
    case SubtaskState::failed: {
      RankSummary& r = rank_summary(rank);
      r.busy_seconds += record.end_seconds - record.start_seconds;
      const Verdict verdict = tracker_.fail(id, rank, record.attempt);
      if (verdict == Verdict::retry || verdict == Verdict::failed_for_good) ++r.failed;
      if (verdict == Verdict::failed_for_good) {
        failures_.push_back(FailureSummary{
            id, record.attempt + 1, record.reason,
            std::string(reinterpret_cast<const char*>(payload.data()), payload.size())});
      }
      return;
    }
    default:
      throw ProtocolError("status record for subtask " + std::to_string(id) + " from rank " +
                          std::to_string(rank) + " has state " +
                          std::string(to_string(record.state)));
  }
}

void Coordinator::handle_batch(int rank, std::span<const std::byte> batch) {
  StatusBatchReader(batch).for_each(
      [&](const StatusRecord& record, std::span<const std::byte> payload) {
        handle_record(rank, record, payload);
      });
}

Summary Coordinator::run() {
  const bool in_process = ranks_ == 1;
  const double cpu_at_start = cpu_seconds(in_process);
  const double started = clock_.now();
  const StatusHandler handler = [this](int rank, std::span<const std::byte> batch) {
    handle_batch(rank, batch);
  };

  dispatch_initial();
  auto pause = first_pause;
  while (!tracker_.finished()) {
    if (transport_.poll(handler) > 0) {
      for (const WorkerInfo& worker : transport_.workers()) top_up(worker);
      pause = first_pause;
    } else {
      transport_.wait(pause);
      pause = std::min(pause * 2, longest_pause);
    }
    progress_.update(tracker_.done(), tracker_.failed(), clock_.now() - started);
  }
  const double wall = clock_.now() - started;
  progress_.finish(tracker_.done(), tracker_.failed(), wall);
  transport_.stop_workers(handler, stop_deadline);
  return build_summary(wall, cpu_seconds(in_process) - cpu_at_start);
}

Summary Coordinator::build_summary(double wall_seconds, double cpu) {
  Summary s;
  s.job = job_;
  s.ranks = ranks_;
  s.workers = static_cast<unsigned>(transport_.workers().size());
  for (const WorkerInfo& worker : transport_.workers()) {
    s.threads_per_worker = std::max(s.threads_per_worker, worker.threads);
    RankSummary r = rank_summary(worker.rank);
    r.utilization = wall_seconds > 0 ? r.busy_seconds / (wall_seconds * r.threads) : 0;
    s.per_rank.push_back(r);
  }
  s.wall_seconds = wall_seconds;
  s.total = tracker_.total();
  s.done = tracker_.done();
  s.failed = tracker_.failed();
  s.retried = tracker_.retried();
  s.duplicates = tracker_.duplicates();
  s.result = reduction_->finish();
  s.result_line = reduction_->describe();
  s.coordinator_cpu_seconds = cpu;
  s.failures = failures_;
  std::sort(s.failures.begin(), s.failures.end(),
            [](const auto& a, const auto& b) { return a.subtask < b.subtask; });
  s.slowest = slowest_;
  std::sort(s.slowest.begin(), s.slowest.end(), slower);
  return s;
}

}  // namespace tasktrack
