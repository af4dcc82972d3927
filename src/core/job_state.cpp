#include "core/job_state.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <variant>

#include "core/crash_detail.hpp"
#include "journal/replay.hpp"

namespace tasktrack {

namespace {

// How often a tick looks for silent workers: a scan of every worker, so not on every tick;
// a tenth of a second is nothing against --worker-timeout (seconds).
constexpr double silence_check_interval = 0.1;

std::string text_of(std::span<const std::byte> payload) {
  return std::string(reinterpret_cast<const char*>(payload.data()), payload.size());
}

std::span<const std::byte> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

}  // namespace

JobState::JobState(JobRules rules, std::vector<WorkerInfo> workers, int ranks, JobEffects& effects)
    : rules_(std::move(rules)),
      effects_(effects),
      schedule_(schedule_policy(rules_.schedule)),
      tracker_(rules_.subtasks, rules_.retries, ranks),
      roster_(workers, ranks),
      statistics_(workers, ranks, rules_.subtasks),
      journal_(rules_.epoch_unix, rules_.subtask_key),
      time_limit_(rules_.timeout_percent),
      deadline_(rules_.deadline, rules_.grace, rules_.expected_seconds) {
  tracker_.set_crash_limit(rules_.crash_limit);
  if (rules_.requirements.size() > 1) {
    tracker_.set_classes(rules_.class_of, rules_.requirements);
    packer_.emplace(rules_.requirements, rules_.reserve_after);
  }
  if (!rules_.barriers.empty()) {
    std::vector<SubtaskId> starts;
    std::vector<bool> checks;
    for (const BarrierRule& barrier : rules_.barriers) {
      starts.push_back(barrier.first_after);
      checks.push_back(barrier.check);
    }
    tracker_.set_barriers(std::move(starts), std::move(checks));
  }
  dispatch_limit_ = tracker_.dispatch_limit();
  tasks_ended_ = !rules_.growing;
}

void JobState::add_tasks(std::uint32_t count) {
  if (count == 0) return;
  tracker_.add_subtasks(count);
  statistics_.add_subtasks(count);
  rules_.subtasks += count;
  top_up_everyone_ = true;  // every worker may take them, not only those that reported
}

void JobState::add_barrier(const BarrierRule& barrier) {
  rules_.barriers.push_back(barrier);
  tracker_.add_barrier(barrier.check);
}

void JobState::restore(const JournalHistory& history) {
  for (const DoneSubtask& done : history.done) {
    if (!tracker_.restore_done(done.subtask)) continue;
    effects_.accept_result(done.subtask, done.value, done.payload());
    ++statistics_.resumed;
    // Earlier runs' attempts teach the deadline policy how long this job's tasks take.
    if (done.record != nullptr && done.record->end_unix > done.record->start_unix) {
      deadline_.note_run_time(done.record->end_unix - done.record->start_unix);
    }
  }
  for (const JournalAttempt* interrupted : history.interrupted) {
    // Cut off between a failed attempt and the next: it is run again whatever
    // --no-retry-failed says, numbered on from that attempt.
    if (!tracker_.continue_attempts(interrupted->subtask, interrupted->attempt)) {
      effects_.notice(fmt::format("subtask {}: attempt numbers past {} start over at 0",
                                  interrupted->subtask, interrupted->attempt));
    }
  }
  for (const JournalAttempt* failed : history.failed) {
    // Run again: its attempts are numbered on from the last recorded one (issue 12: no
    // attempt's output is overwritten), unless the numbers ran out, which only a journal of
    // four billion attempts of one subtask can do.
    if (rules_.retry_failed) {
      if (tracker_.continue_attempts(failed->subtask, failed->attempt)) continue;
      effects_.notice(fmt::format(
          "subtask {} is not run again: its last attempt, {}, leaves no attempt numbers for "
          "{} more",
          failed->subtask, failed->attempt, tracker_.max_retries() + 1));
    }
    tracker_.restore_failed(failed->subtask, failed->attempt);
    statistics_.note_failure(FailureSummary{failed->subtask, failed->attempt + 1, failed->reason,
                                            text_of(failed->payload)});
  }
  for (const CrashHistory& crashed : history.crashes) {
    // Crashes of a subtask still to run: its count goes on from there.
    if (tracker_.state(crashed.subtask) != SubtaskState::pending) continue;
    tracker_.restore_crashes(crashed.subtask, static_cast<std::uint32_t>(crashed.records.size()));
    std::vector<std::string>& sites = crash_sites_[crashed.subtask];
    for (const JournalAttempt* record : crashed.records) {
      sites.push_back(crash_site_of(text_of(record->payload)) + " in an earlier run");
    }
  }
}

void JobState::start(double now) {
  for (WorkerState& worker : roster_.all()) worker.last_heard = now;
  if (packer_) {
    packer_->start(now);
    packer_->note_workers(roster_.all());
    top_up_all(now);
    return;
  }
  std::vector<unsigned> threads;
  for (const WorkerState& worker : roster_.all()) threads.push_back(worker.info.threads);
  // A journal's finished subtasks are skipped, so up-front shares count what is left.
  // Under a deadline nothing is handed out up front: every subtask passes the policy when
  // it goes out (a static schedule then hands out as dynamic does).
  const std::vector<std::uint32_t> shares =
      deadline_.enabled() ? std::vector<std::uint32_t>{}
                          : schedule_.up_front(threads, tracker_.never_dispatched());
  if (shares.empty()) {
    top_up_all(now);
    return;
  }
  for (std::size_t i = 0; i < shares.size(); ++i) {
    const int rank = roster_.all()[i].info.rank;
    runs_.clear();
    tracker_.assign_next(rank, shares[i], runs_);
    send(rank, now);
  }
}

void JobState::handle_message(int rank, const FromWorkerMessage& message, double now) {
  WorkerState& worker = roster_.at(rank);
  worker.last_heard = now;
  if (const auto* batch = std::get_if<StatusBatchReader>(&message)) {
    handle_status(worker, *batch, now);
  } else if (std::holds_alternative<Drained>(message)) {
    worker.drained = true;
  } else if (std::holds_alternative<Goodbye>(message)) {
    worker.said_goodbye = true;
  }
  // A TerminalChunk is output for the terminal, which the coordinator prints: here it only
  // says the worker is alive.
}

void JobState::handle_status(WorkerState& worker, const StatusBatchReader& batch, double now) {
  if (!worker.reported) {
    worker.reported = true;
    reported_.push_back(worker.info.rank);
  }
  batch.for_each(
      [&](const StatusRecord& record, std::span<const std::byte> payload,
          const AttemptReport* report) { handle_record(worker, record, payload, report, now); });
  if (rules_.journaling) journal_.flush(effects_);
}

void JobState::handle_record(WorkerState& worker, const StatusRecord& record,
                             std::span<const std::byte> payload, const AttemptReport* report,
                             double now) {
  const int rank = worker.info.rank;
  if (worker.health == Health::lost && record.state != SubtaskState::running) {
    // Its subtasks went to others when it was declared lost; whatever it still says is a
    // late duplicate, counted and dropped.
    ++statistics_.late_duplicates;
    if (rules_.tracing) effects_.trace_attempt(rank, record, report, true);
    return;
  }
  if (rules_.tracing && record.state != SubtaskState::running) {
    const SubtaskState state = tracker_.state(record.subtask);
    effects_.trace_attempt(rank, record, report,
                           state == SubtaskState::done || state == SubtaskState::failed);
  }
  if (report != nullptr && record.state != SubtaskState::running) {
    const std::size_t class_index = rules_.class_of.empty() ? 0 : rules_.class_of[record.subtask];
    statistics_.note_attempt(record, rank, *report, class_index);
  }
  switch (record.state) {
    case SubtaskState::running:
      if (worker.health != Health::lost) {
        tracker_.mark_running(record.subtask, rank, record.attempt);
      }
      return;
    case SubtaskState::done:
      handle_done(worker, record, payload, report);
      return;
    case SubtaskState::failed:
      handle_failed(worker, record, payload, report, now);
      return;
    default:
      throw ProtocolError(fmt::format("status record for subtask {} from rank {} has state {}",
                                      record.subtask, rank, to_string(record.state)));
  }
}

void JobState::handle_done(WorkerState& worker, const StatusRecord& record,
                           std::span<const std::byte> payload, const AttemptReport* report) {
  const int rank = worker.info.rank;
  RankSummary& r = statistics_.rank(rank);
  const double seconds = record.end_seconds - record.start_seconds;
  statistics_.note_busy(rank, seconds);
  WorkerRoster::note_success(worker);
  if (tracker_.complete(record.subtask, rank, record.attempt) != Verdict::accepted) return;
  ++r.done;
  statistics_.note_started(record);
  if (deadline_.enabled()) deadline_.note_run_time(seconds);
  if (time_limit_.enabled()) {
    if (const auto limit = time_limit_.note(seconds)) {
      for (const WorkerState& other : roster_.all()) {
        if (other.health != Health::lost && !other.dead) {
          effects_.set_time_limit(other.info.rank, *limit);
        }
      }
    }
  }
  effects_.accept_result(record.subtask, record.value, payload);
  if (rules_.journaling) journal_.done(worker.info, record, payload, report, effects_);
  statistics_.note_completed(record.subtask, rank, seconds);
}

void JobState::handle_failed(WorkerState& worker, const StatusRecord& record,
                             std::span<const std::byte> payload, const AttemptReport* report,
                             double now) {
  const int rank = worker.info.rank;
  RankSummary& r = statistics_.rank(rank);
  statistics_.note_busy(rank, record.end_seconds - record.start_seconds);
  const Verdict verdict = tracker_.fail(record.subtask, rank, record.attempt);
  if (verdict != Verdict::retry && verdict != Verdict::failed_for_good) return;
  ++r.failed;
  statistics_.note_started(record);
  if (rules_.tracing && verdict == Verdict::retry) {
    effects_.trace_instant(record.end_seconds, rank,
                           fmt::format("retry subtask {}", record.subtask),
                           std::string(to_string(record.reason)));
  }
  if (verdict == Verdict::retry) top_up_everyone_ = true;
  if (record.reason == FailureReason::timeout) ++statistics_.timed_out;
  // Every failed attempt is journaled, a retried one too, so that `status` and `log` count
  // what the summary counts and a resumed run numbers its attempts on from the last one.
  if (rules_.journaling) {
    journal_.flush(effects_);
    journal_.attempt(worker.info, record, payload, report, effects_, verdict == Verdict::retry);
  }
  if (verdict == Verdict::failed_for_good) {
    statistics_.note_failure(
        FailureSummary{record.subtask, record.attempt + 1, record.reason, text_of(payload)});
  }
  if (roster_.note_failed_attempt(worker, record.subtask, record.attempt,
                                  rules_.quarantine_after)) {
    r.quarantined = true;
    top_up_everyone_ = true;  // the last active worker may now be alone
    const std::size_t streak = worker.failure_streak.size();
    effects_.notice(fmt::format("rank {} ({}) quarantined after {} failed attempts in a row", rank,
                                worker.info.host, streak));
    if (rules_.tracing) {
      effects_.trace_instant(now, rank, "quarantined",
                             fmt::format("{} failed attempts in a row", streak));
    }
  }
}

void JobState::handle_signal(StopKind kind, int signal, double now) {
  if (signalled_ && kind == StopKind::graceful) return;
  if (rules_.tracing && !signalled_) {
    effects_.trace_instant(now, 0, fmt::format("signal {}", signal),
                           kind == StopKind::fast ? "fast stop" : "graceful stop");
  }
  signalled_ = true;
  interrupted_ = true;
  if (kind == StopKind::fast) {
    stop_reason_ = fmt::format("signal {}: stopped at once", signal);
    over_ = true;
    return;
  }
  if (deadline_drain_ && draining_) {
    // The deadline drain is under way (the workers have their Drain): the signal only
    // brings its end forward. It is the last resort when the estimates were too short.
    drain_deadline_ = std::min(drain_deadline_, now + rules_.grace);
    stop_reason_ += fmt::format("; then signal {}: running subtasks given {} s to finish", signal,
                                rules_.grace);
    return;
  }
  draining_ = false;  // a signal's grace replaces an open-ended --max-failures drain
  begin_drain(now + rules_.grace, fmt::format("signal {}: running subtasks given {} s to finish",
                                              signal, rules_.grace));
}

void JobState::begin_drain(double deadline, std::string reason) {
  if (draining_) return;
  draining_ = true;
  drain_deadline_ = deadline;
  stop_reason_ = std::move(reason);
  for (const WorkerState& worker : roster_.all()) {
    if (worker.health != Health::lost) effects_.drain(worker.info.rank);
  }
}

bool JobState::drain_finished(double now) const {
  if (now >= drain_deadline_) return true;
  return std::all_of(roster_.all().begin(), roster_.all().end(),
                     [](const WorkerState& w) { return w.drained || w.health == Health::lost; });
}

bool JobState::handle_tick(double now) {
  if (over_) return true;
  if (now - last_silence_check_ >= silence_check_interval) {
    last_silence_check_ = now;
    declare_silent_workers_lost(now);
    if (packer_ && !draining_) {
      if (packer_->check_reservation(tracker_, roster_.all(), now)) top_up_everyone_ = true;
      for (const std::uint16_t unrunnable : packer_->unrunnable_classes(roster_.all())) {
        fail_for_good(tracker_.fail_pending_of_class(unrunnable),
                      "no worker left can hold its " + describe(packer_->requirement(unrunnable)));
      }
    }
  }
  if (rules_.max_failures > 0 && tracker_.failed() >= rules_.max_failures && !draining_) {
    begin_drain(1e300, fmt::format("{} subtasks failed for good (--max-failures {})",
                                   tracker_.failed(), rules_.max_failures));
  }
  if (const auto stop = tracker_.barrier_stop(); stop && !draining_) {
    // As --max-failures: nothing more is handed out, what runs finishes.
    begin_drain(1e300, fmt::format("barrier check at line {}: {} task{} before it failed for good",
                                   rules_.barriers.at(stop->barrier).line, stop->failures,
                                   stop->failures == 1 ? "" : "s"));
  }
  if ((tracker_.finished() && tasks_ended_) || (draining_ && drain_finished(now))) {
    over_ = true;
    return true;
  }
  if (tracker_.dispatch_limit() != dispatch_limit_) {
    // A barrier opened: every worker may take what lies past it, not only those that reported.
    dispatch_limit_ = tracker_.dispatch_limit();
    top_up_everyone_ = true;
  }
  if (!draining_) {
    top_up_reported(now);
    drain_if_nothing_fits(now);
    if (roster_.active_count() == 0 && tracker_.outstanding_total() == 0) {
      if (!tasks_ended_) {
        // A growing list's later tasks could not run either: its input is read no more.
        tasks_ended_ = true;
        effects_.notice("no worker left: no more tasks are read");
      }
      fail_unrunnable();
    }
  }
  return false;
}

void JobState::fail_unrunnable() {
  // Every worker is lost or quarantined and nothing is running: what is pending can never
  // run in this job. It fails for good (a journal resume runs it again).
  fail_for_good(tracker_.fail_pending(), "no worker left to run it (all lost or quarantined)");
}

void JobState::fail_for_good(const std::vector<SubtaskId>& ids, const std::string& detail) {
  for (SubtaskId id : ids) {
    StatusRecord record;
    record.subtask = id;
    record.state = SubtaskState::failed;
    record.reason = FailureReason::worker_lost;
    record.attempt = tracker_.attempt(id);
    statistics_.note_failure(FailureSummary{id, record.attempt + 1, record.reason, detail});
    if (rules_.journaling) {
      journal_.flush(effects_);
      journal_.attempt(WorkerInfo{}, record, bytes_of(detail), nullptr, effects_);  // rank 0's
    }
  }
}

void JobState::finish() {
  if (rules_.journaling) journal_.flush(effects_);
}

}  // namespace tasktrack
