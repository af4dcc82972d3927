// Rank 0's loop, thin by design: it reads the clock, the signals and the workers' processes,
// feeds what happened to the JobState (the pure core, core/job_state.hpp) and carries out
// the core's effects: assignments, drains and limits over the Transport, results into the
// kernel's Reduction, records into the Journal and the trace, notices onto stderr, the
// workers' --output stdout blocks onto stdout. Every decision is the core's.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/job_spec.hpp"
#include "commands/growing_task_list.hpp"
#include "core/job_clock.hpp"
#include "core/job_effects.hpp"
#include "core/job_state.hpp"
#include "journal/journal.hpp"
#include "report/progress.hpp"
#include "report/summary.hpp"
#include "report/trace.hpp"
#include "runtime/terminal_relay.hpp"
#include "runtime/transport.hpp"
#include "tasktrack/kernel.hpp"

namespace tasktrack {

// Where a coordinator's records go besides the summary, and what it reads besides the
// workers; each may be null.
struct CoordinatorSinks {
  JournalWriter* journal = nullptr;         // finished attempts
  const JournalContents* resume = nullptr;  // an earlier run's journal: not run again
  TraceWriter* trace = nullptr;             // every attempt, dispatch and marker
  GrowingTaskList* growing = nullptr;       // a growing task list's input (issue 13)
};

class Coordinator : private JobEffects {
 public:
  // `ranks`: processes in the job (1 for a one-process run).
  Coordinator(const JobSpec& job, const Kernel& kernel, Transport& transport, int ranks,
              JobClock clock, Progress& progress, CoordinatorSinks sinks = {});

  // Before run(): the workers that never said hello within --worker-timeout (issue 14) are
  // lost from the start; the job runs on the rest.
  void declare_never_started(std::span<const int> ranks, double start_limit);

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
  bool must_skip_finalize() const { return state_.any_lost_or_dead(); }

 private:
  // JobEffects: what the core asks for.
  void assign(int rank, std::span<const IdRun> runs) override;
  void drain(int rank) override;
  void set_time_limit(int rank, const TimeLimit& limit) override;
  void accept_result(SubtaskId id, std::int64_t value, std::span<const std::byte> payload) override;
  void journal_attempt(const JournalAttempt& attempt) override;
  void journal_run(const JournalRun& run) override;
  void trace_attempt(int rank, const StatusRecord& record, const AttemptReport* report,
                     bool duplicate) override;
  void trace_dispatch(double seconds, int rank, std::uint32_t count) override;
  void trace_instant(double seconds, int rank, const std::string& name,
                     const std::string& detail) override;
  void notice(const std::string& line) override;

  void name_trace_rows();
  void record_session();
  // Workers on this host whose process is gone are lost at once, not after the timeout.
  void look_for_gone_workers(double now);
  // While the workers are stopped: marks those whose connection broke or (on this host)
  // whose process is gone, so stop_workers waits for none of them.
  void look_for_workers_gone_at_end();
  void feed_signals(double now);
  // A worker's message: a TerminalChunk is printed (terminal_), then the core hears it.
  void handle_message(int rank, const FromWorkerMessage& message);
  // A growing task list: what arrived becomes subtasks; the end of input ends the list.
  void read_growing_tasks();
  Summary build_summary(double started, double wall_seconds, double cpu_seconds);

  const JobSpec& job_;
  const Kernel& kernel_;
  Transport& transport_;
  int ranks_;
  JobClock clock_;
  Progress& progress_;
  CoordinatorSinks sinks_;
  Partition partition_;
  std::unique_ptr<Reduction> reduction_;
  JobState state_;
  TerminalRelay terminal_;  // --output stdout under MPI: the workers' blocks, printed here
  std::string host_;        // rank 0's host
  double last_process_check_ = 0;
  double last_growing_read_ = 0;  // job-clock seconds of the last read_growing_tasks()
  double last_slack_check_ = -1;  // job-clock seconds of the last JobState::slack_seconds()
  bool relaxed_ = false;          // its answer: every worker had work for a while
};

}  // namespace tasktrack
