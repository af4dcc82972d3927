// Rank 0's loop: hands subtasks to workers, feeds status reports into the Tracker and the
// kernel's Reduction, and builds the Summary. No business logic of its own: the schedule
// decides batch sizes, the Tracker decides what a report means.
#pragma once

#include <memory>
#include <vector>

#include "tasktrack/job_clock.hpp"
#include "tasktrack/job_spec.hpp"
#include "tasktrack/kernel.hpp"
#include "tasktrack/progress.hpp"
#include "tasktrack/summary.hpp"
#include "tasktrack/tracker.hpp"
#include "tasktrack/transport.hpp"

namespace tasktrack {

class Coordinator {
 public:
  // `ranks`: processes in the job (1 for a one-process run).
  Coordinator(const JobSpec& job, const Kernel& kernel, Transport& transport, int ranks,
              JobClock clock, Progress& progress);

  // Runs the job to the end and returns its summary. Never spins: between polls that find
  // nothing it sleeps, backing off up to a millisecond. Throws ProtocolError or
  // IllegalTransition when a worker breaks the protocol; SystemError from the reduction.
  Summary run();

 private:
  void dispatch_initial();
  void top_up(const WorkerInfo& worker);
  void handle_batch(int rank, std::span<const std::byte> batch);
  void handle_record(int rank, const StatusRecord& record, std::span<const std::byte> payload);
  void note_slow(SubtaskId id, int rank, double seconds);
  RankSummary& rank_summary(int rank);
  Summary build_summary(double wall_seconds, double cpu_seconds);

  const JobSpec& job_;
  const Kernel& kernel_;
  Transport& transport_;
  int ranks_;
  JobClock clock_;
  Progress& progress_;
  Partition partition_;
  Tracker tracker_;
  std::unique_ptr<Reduction> reduction_;
  std::uint32_t total_threads_ = 0;
  std::vector<IdRun> runs_;  // scratch for assignments
  std::vector<RankSummary> per_rank_;  // indexed by rank
  std::vector<FailureSummary> failures_;
  std::vector<SlowSubtask> slowest_;  // a min-heap on seconds, at most slowest_kept long
};

// CPU seconds this thread (thread = true) or this process has used so far (getrusage).
double cpu_seconds(bool thread);

}  // namespace tasktrack
