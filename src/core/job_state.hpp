// The pure core of rank 0: everything the coordinator decides, as a state machine with
// events in and effects out. It owns the Tracker, the schedule policy, worker health (lost,
// quarantined, drained), drain and stop, retries, resume from an earlier run's journal, and
// the statistics that become the Summary. It reads no clock (every event carries `now`, in
// job-clock seconds), no environment and no /proc, prints nothing and sends nothing: what
// it decides goes to JobEffects. No MPI header; tested by scripted event sequences
// (tests/unit/test_job_state.cpp). Not thread-safe: owned by rank 0's main thread.
//
// Where a change goes: what a worker is handed and when is job_state_dispatch.cpp, the
// batch sizes a SchedulePolicy (core/schedule_policy.hpp); a new
// health rule goes into WorkerRoster or handle_tick, and what a lost worker costs into
// job_state_workers.cpp; a new statistic into JobStatistics (the summary: job_summary.cpp);
// a packing rule (lines with different cores, GPUs, memory) into Packer; dispatch under a
// deadline into DeadlinePolicy and job_state_deadline.cpp.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/adaptive_time_limit.hpp"
#include "core/deadline_policy.hpp"
#include "core/job_effects.hpp"
#include "core/job_rules.hpp"
#include "core/job_statistics.hpp"
#include "core/journal_recorder.hpp"
#include "core/packer.hpp"
#include "core/schedule_policy.hpp"
#include "core/tracker.hpp"
#include "core/worker_roster.hpp"

namespace tasktrack {

struct JournalHistory;

enum class StopKind : std::uint8_t {
  graceful,  // SIGUSR1 / SIGTERM: drain, give running subtasks the grace period
  fast,      // a second signal: stop at once
};

class JobState {
 public:
  // `ranks`: processes in the job (1 for a one-process run). `effects` outlives the state.
  JobState(JobRules rules, std::vector<WorkerInfo> workers, int ranks, JobEffects& effects);

  // Before start(): an earlier run's journal, replayed against this job's work (replay()
  // with a CurrentWork: a record counts only while its key matches). A subtask done in any
  // earlier run stays done (its result is accepted again); one that failed for good stays
  // failed unless the rules say retry_failed: then it runs again, its attempts numbered on
  // from its last recorded one (1 + retries of them, as in any run).
  void restore(const JournalHistory& history);

  // The job starts: the first assignments (static shares, or every worker topped up).
  void start(double now);

  // One message from a worker: a status batch (its records), a heartbeat, Drained,
  // Goodbye or a TerminalChunk (whose bytes the coordinator prints; nothing else here);
  // each says the worker is alive. Throws ProtocolError or IllegalTransition when
  // the worker breaks the protocol.
  void handle_message(int rank, const FromWorkerMessage& message, double now);
  // The worker's process or connection is gone: it is lost and its subtasks reassigned.
  void handle_worker_gone(int rank, const std::string& why, double now);
  // Before start(): a worker that never said hello within the start limit (issue 14). It is
  // lost from the start: nothing is handed to it and the summary names it. It is not dead:
  // it still gets Stop at the end (it may wake up), but nobody waits for its Goodbye.
  void handle_never_started(int rank, const std::string& why);
  // After the job, while the workers are stopped: the worker's Goodbye.
  void handle_goodbye(int rank);
  // After the job, while the workers are stopped: the worker's process or connection is
  // gone, so no Goodbye will come and nobody waits for one (issue 14). Nothing else changes
  // (the summary is out) but a notice that it died, unless it was lost before.
  void handle_gone_at_end(int rank);
  // A stop signal (`signal` is its number, for the record). After a deadline drain began,
  // a graceful signal still shortens it to `now + grace` (the signal is the last resort).
  void handle_signal(StopKind kind, int signal, double now);
  // A growing task list (issue 13). `count` new subtasks after the last, in order;
  // a barrier after every subtask so far; the end of its input (no task follows).
  void add_tasks(std::uint32_t count);
  void add_barrier(const BarrierRule& barrier);
  void end_of_tasks() { tasks_ended_ = true; }
  bool tasks_ended() const { return tasks_ended_; }
  std::uint32_t total() const { return tracker_.total(); }

  // Time passed: silent workers are lost, --max-failures drains, idle workers are topped
  // up, work no worker can run fails, and when no pending subtask can end before the
  // deadline (deadline_policy.hpp) the job drains until the deadline: running subtasks are
  // not stopped before it, and the job ends interrupted (exit 3). Returns over().
  bool handle_tick(double now);

  // True once every subtask finished, the drain ended, or a fast stop came.
  bool over() const { return over_; }
  // How long rank 0 may take to answer without leaving a thread idle: the shortest time any
  // active worker can keep its threads busy with the subtasks it holds beyond the running
  // ones, at the mean attempt time so far. 0 before any attempt finished, or while some
  // worker holds nothing beyond what runs (it waits on rank 0's next top-up).
  double slack_seconds() const;
  // Ends the pending journal run (before the journal is flushed).
  void finish();

  std::uint32_t done() const { return tracker_.done(); }
  std::uint32_t failed() const { return tracker_.failed(); }
  std::uint32_t resumed() const { return statistics_.resumed; }
  bool interrupted() const { return interrupted_; }
  std::span<const WorkerState> workers() const { return roster_.all(); }
  bool any_lost_or_dead() const { return roster_.any_lost_or_dead(); }

  // Fills what the core knows of the summary (counts, statistics, stop reason) for a job
  // that started at `started` and ran `wall_seconds`.
  void fill_summary(Summary& summary, double started, double wall_seconds) const;

 private:
  void top_up(WorkerState& worker, bool alone, double now);
  void top_up_all(double now);
  void top_up_reported(double now);
  void declare_silent_workers_lost(double now);
  void send(int rank, double now);  // runs_ to `rank`
  void handle_status(WorkerState& worker, const StatusBatchReader& batch, double now);
  void handle_record(WorkerState& worker, const StatusRecord& record,
                     std::span<const std::byte> payload, const AttemptReport* report, double now);
  void handle_done(WorkerState& worker, const StatusRecord& record,
                   std::span<const std::byte> payload, const AttemptReport* report);
  void handle_failed(WorkerState& worker, const StatusRecord& record,
                     std::span<const std::byte> payload, const AttemptReport* report, double now);
  void declare_lost(WorkerState& worker, const std::string& why, double now);
  // The crash limit (issue 14): the subtasks `worker` was running when it was lost, each
  // charged one crash; journals each crash and fails for good those at the limit.
  void charge_crashes(const WorkerState& worker, const Tracker::LostRankRelease& release,
                      const std::string& why, double now);
  void begin_drain(double deadline, std::string reason);
  // Deadline-aware dispatch: hands `worker` up to `count` subtasks one at a time, each only
  // when the deadline policy lets it start. Returns how many it handed out.
  std::uint32_t assign_before_deadline(WorkerState& worker, std::uint32_t count, bool alone,
                                       double now);
  // Drains until the deadline when no pending subtask may start any more.
  void drain_if_nothing_fits(double now);
  bool drain_finished(double now) const;
  void fail_unrunnable();
  // Pending subtasks that can never run here fail with reason worker_lost and `detail`.
  void fail_for_good(const std::vector<SubtaskId>& ids, const std::string& detail);

  JobRules rules_;
  JobEffects& effects_;
  const SchedulePolicy& schedule_;
  Tracker tracker_;
  WorkerRoster roster_;
  JobStatistics statistics_;
  JournalRecorder journal_;
  AdaptiveTimeLimit time_limit_;
  DeadlinePolicy deadline_;
  bool deadline_drain_ = false;   // the drain is the deadline's (a signal may shorten it)
  std::optional<Packer> packer_;  // task lists whose lines ask for different resources
  std::vector<IdRun> runs_;       // scratch for assignments
  std::vector<int> reported_;     // ranks that reported since the last top-up
  bool top_up_everyone_ = true;   // work went back to pending: every worker may take it
  SubtaskId dispatch_limit_ = 0;  // the tracker's at the last tick: a change opened a barrier
  double last_silence_check_ = -1e300;
  bool tasks_ended_ = true;  // false while a growing list's input is open
  bool draining_ = false;
  double drain_deadline_ = 0;
  bool interrupted_ = false;  // by a signal or by the deadline
  bool signalled_ = false;    // a stop signal came
  bool over_ = false;
  std::string stop_reason_;
  // Crash limit: for each subtask charged a crash, the workers it took down ("rank 2
  // (node3)"), earlier runs' included, for the detail of its failure.
  std::map<SubtaskId, std::vector<std::string>> crash_sites_;
};

}  // namespace tasktrack
