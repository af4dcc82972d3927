// Rank 0's loop: hands subtasks to workers, feeds status reports into the Tracker, the
// kernel's Reduction and the Journal, watches workers' health, and builds the Summary. No
// business logic of its own: the schedule decides batch sizes, the Tracker decides what a
// report means.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/job_spec.hpp"
#include "core/job_clock.hpp"
#include "core/quantiles.hpp"
#include "core/tracker.hpp"
#include "journal/journal.hpp"
#include "report/progress.hpp"
#include "report/summary.hpp"
#include "report/trace.hpp"
#include "runtime/transport.hpp"
#include "tasktrack/kernel.hpp"

namespace tasktrack {

// Where a coordinator's records go besides the summary; each may be null.
struct CoordinatorSinks {
  JournalWriter* journal = nullptr;         // finished attempts
  const JournalContents* resume = nullptr;  // an earlier run's journal: not run again
  TraceWriter* trace = nullptr;             // every attempt, dispatch and marker
};

class Coordinator {
 public:
  // `ranks`: processes in the job (1 for a one-process run).
  Coordinator(const JobSpec& job, const Kernel& kernel, Transport& transport, int ranks,
              JobClock clock, Progress& progress, CoordinatorSinks sinks = {});

  // Runs the job until every subtask finished, or a signal or --max-failures stopped it;
  // flushes the journal and returns the summary. Never spins: between polls that find
  // nothing it sleeps, backing off up to a millisecond. Throws ProtocolError or
  // IllegalTransition when a worker breaks the protocol; SystemError from the reduction
  // or the journal.
  Summary run();

  // After the summary is out: sends Stop to every worker not known to be dead, lost ones
  // included, and waits (at most `deadline`) for the goodbye of those that are healthy
  // only. Returns the workers that never said goodbye (lost, silent).
  std::vector<WorkerInfo> stop_workers(std::chrono::milliseconds deadline);

  // True once a worker was lost or died: MPI_Finalize may then never return (see
  // Stop::skip_finalize), so no rank of this job calls it.
  bool must_skip_finalize() const;

 private:
  enum class Health : std::uint8_t { active, lost, quarantined };
  struct WorkerState {
    WorkerInfo info;
    Health health = Health::active;
    double last_heard = 0;  // job clock seconds
    bool drained = false;
    bool said_goodbye = false;
    bool dead = false;                      // its process is gone (MPI error)
    std::vector<SubtaskId> failure_streak;  // distinct subtasks failed since its last success
  };

  void restore(const JournalContents& contents);
  void record_session();
  void dispatch_initial();
  void top_up(WorkerState& worker, bool alone);
  void top_up_all();
  void send_runs(int rank);  // runs_ to `rank`, noting dispatch times
  void handle_batch(WorkerState& worker, const StatusBatchReader& batch);
  void handle_record(WorkerState& worker, const StatusRecord& record,
                     std::span<const std::byte> payload);
  void record_failure(WorkerState& worker, const StatusRecord& record,
                      std::span<const std::byte> payload);
  void journal_attempt(int rank, const StatusRecord& record, std::span<const std::byte> payload);
  void journal_done(int rank, const StatusRecord& record, std::span<const std::byte> payload);
  void flush_journal_run();
  void check_health(double now);
  void declare_lost(WorkerState& worker, const std::string& why);
  void begin_drain(double deadline, std::string reason);
  bool drain_finished(double now) const;
  void fail_unrunnable();
  void note_slow(SubtaskId id, int rank, double seconds);
  // --timeout P%: notes a done attempt's run time; sends a new limit when it moved.
  void update_time_limit(double seconds);
  WorkerState& worker_state(int rank);
  RankSummary& rank_summary(int rank);
  Summary build_summary(double wall_seconds, double cpu_seconds);

  const JobSpec& job_;
  const Kernel& kernel_;
  Transport& transport_;
  int ranks_;
  JobClock clock_;
  Progress& progress_;
  JournalWriter* journal_;
  const JournalContents* resume_;
  TraceWriter* trace_;
  Partition partition_;
  Tracker tracker_;
  std::unique_ptr<Reduction> reduction_;
  std::uint32_t total_threads_ = 0;
  std::vector<WorkerState> workers_;
  std::vector<int> worker_index_;      // rank -> index into workers_, -1 for rank 0 under MPI
  std::vector<IdRun> runs_;            // scratch for assignments
  std::vector<RankSummary> per_rank_;  // indexed by rank
  std::string host_;                   // rank 0's host
  double last_process_check_ = 0;
  std::vector<FailureSummary> failures_;
  std::vector<SlowSubtask> slowest_;   // a min-heap on seconds, at most slowest_kept long
  JournalRun pending_run_;             // fast consecutive done subtasks not yet journaled
  std::vector<double> dispatched_at_;  // job-clock seconds, by subtask
  double last_dispatch_ = 0;
  double started_ = 0;
  LogHistogram start_latency_;  // dispatch to start of each attempt
  LogHistogram run_times_;      // --timeout P%: run time of each attempt done
  double sent_time_limit_ = 0;  // --timeout P%: the limit the workers have; 0 = none yet
  std::uint32_t timed_out_ = 0;
  std::uint32_t resumed_ = 0;
  std::uint32_t late_duplicates_ = 0;  // reports from lost workers
  bool draining_ = false;
  double drain_deadline_ = 0;
  bool interrupted_ = false;
  std::string stop_reason_;
};

// CPU seconds this thread (thread = true) or this process has used so far (getrusage).
double cpu_seconds(bool thread);

}  // namespace tasktrack
