#include "runtime/coordinator.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <thread>
#include <variant>

#include "runtime/local_process.hpp"
#include "runtime/signals.hpp"

namespace tasktrack {

namespace {

constexpr std::size_t slowest_kept = 5;

// Done subtasks shorter than this may share a journal run record (which keeps one time span
// for the run): per-subtask times matter for subtasks that take real time.
constexpr double run_record_max_seconds = 0.001;

// Rank 0 sleeps between polls that find nothing: from the first value, doubling, up to the
// second. A millisecond bounds the latency it adds to a round trip, while a thousand
// empty polls a second cost well under 1% of a core.
constexpr std::chrono::microseconds first_pause{20};
constexpr std::chrono::microseconds longest_pause{1000};

// How often rank 0 looks whether the processes of workers on its own host still exist.
constexpr double process_check_interval = 0.5;

// After the summary, how long lost workers get to answer Stop before rank 0 gives up on
// them: long enough for one that resumed to say goodbye, short enough not to hold the job.
constexpr std::chrono::milliseconds lost_worker_patience{1500};

bool slower(const SlowSubtask& a, const SlowSubtask& b) {
  return a.seconds > b.seconds;
}

std::string text_of(std::span<const std::byte> payload) {
  return std::string(reinterpret_cast<const char*>(payload.data()), payload.size());
}

std::span<const std::byte> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

}  // namespace

double cpu_seconds(bool thread) {
  rusage usage{};
  ::getrusage(thread ? RUSAGE_THREAD : RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

Coordinator::Coordinator(const JobSpec& job, const Kernel& kernel, Transport& transport, int ranks,
                         JobClock clock, Progress& progress, CoordinatorSinks sinks)
    : job_(job),
      kernel_(kernel),
      transport_(transport),
      ranks_(ranks),
      clock_(clock),
      progress_(progress),
      journal_(sinks.journal),
      resume_(sinks.resume),
      trace_(sinks.trace),
      partition_(job.partition()),
      tracker_(job.subtasks, job.retries, ranks),
      reduction_(kernel_.make_reduction(partition_)),
      worker_index_(static_cast<std::size_t>(ranks), -1),
      per_rank_(static_cast<std::size_t>(ranks)),
      host_(this_host_name()),
      dispatched_at_(job.subtasks, 0.0) {
  for (const WorkerInfo& info : transport_.workers()) {
    total_threads_ += info.threads;
    worker_index_.at(info.rank) = static_cast<int>(workers_.size());
    WorkerState state;
    state.info = info;
    workers_.push_back(std::move(state));
    RankSummary& r = rank_summary(info.rank);
    r.rank = info.rank;
    r.host = info.host;
    r.threads = info.threads;
    if (trace_ != nullptr) {
      trace_->name_rank(info.rank, fmt::format("rank {} ({})", info.rank, info.host));
      for (unsigned thread = 0; thread < info.threads; ++thread) {
        trace_->name_thread(info.rank, thread, fmt::format("thread {}", thread));
      }
    }
  }
  if (trace_ != nullptr && ranks_ > 1) trace_->name_rank(0, "rank 0 (coordinator)");
}

void Coordinator::send_runs(int rank) {
  if (runs_.empty()) return;
  const double now = clock_.now();
  std::uint32_t count = 0;
  for (const IdRun& run : runs_) {
    std::fill_n(dispatched_at_.begin() + run.first, run.count, now);
    count += run.count;
  }
  last_dispatch_ = now;
  if (trace_ != nullptr) trace_->dispatch(now, rank, count);
  transport_.assign(rank, runs_);
}

Coordinator::WorkerState& Coordinator::worker_state(int rank) {
  const int index = rank >= 0 && rank < ranks_ ? worker_index_[rank] : -1;
  if (index < 0)
    throw ProtocolError("status batch from rank " + std::to_string(rank) +
                        ", which is not a worker");
  return workers_[index];
}

RankSummary& Coordinator::rank_summary(int rank) {
  return per_rank_.at(rank);
}

void Coordinator::restore(const JournalContents& contents) {
  // Replays the journal in file order. A subtask done in any earlier run stays done; one
  // whose latest word is "failed for good" runs again unless --no-retry-failed.
  // A record counts only while its key matches the subtask's work (a task list's edited
  // line is new work; a line beyond the end of a shortened file is gone).
  std::map<SubtaskId, const JournalAttempt*> failed_for_good;
  for (const JournalRun& run : contents.runs) {
    for (std::size_t i = 0; i < run.values.size(); ++i) {
      const SubtaskId id = run.first + static_cast<SubtaskId>(i);
      const std::uint64_t key = run.keys.empty() ? 0 : run.keys[i];
      if (id >= tracker_.total() || key != kernel_.subtask_key(id)) continue;
      if (tracker_.restore_done(id)) {
        reduction_->add(id, partition_.subtask(id), run.values[i], {});
        ++resumed_;
      }
    }
  }
  for (const JournalAttempt& attempt : contents.attempts) {
    if (attempt.subtask >= tracker_.total() ||
        attempt.key != kernel_.subtask_key(attempt.subtask)) {
      continue;
    }
    if (attempt.state == SubtaskState::done) {
      failed_for_good.erase(attempt.subtask);
      if (tracker_.restore_done(attempt.subtask)) {
        reduction_->add(attempt.subtask, partition_.subtask(attempt.subtask), attempt.value,
                        attempt.payload);
        ++resumed_;
      }
    } else if (tracker_.state(attempt.subtask) != SubtaskState::done) {
      failed_for_good[attempt.subtask] = &attempt;
    }
  }
  if (job_.retry_failed) return;
  for (const auto& [id, attempt] : failed_for_good) {
    tracker_.restore_failed(id, attempt->attempt);
    failures_.push_back(
        FailureSummary{id, attempt->attempt + 1, attempt->reason, text_of(attempt->payload)});
  }
}

void Coordinator::record_session() {
  if (journal_ == nullptr) return;
  nlohmann::json workers = nlohmann::json::array();
  for (const WorkerState& worker : workers_) {
    workers.push_back(
        {{"rank", worker.info.rank}, {"host", worker.info.host}, {"threads", worker.info.threads}});
  }
  nlohmann::json session{{"started_unix", clock_.epoch_unix},
                         {"ranks", ranks_},
                         {"workers", workers},
                         {"resumed", resumed_}};
  for (const char* name : {"SLURM_JOB_ID", "SLURM_RESTART_COUNT"}) {
    if (const char* value = std::getenv(name)) session[name] = value;
  }
  journal_->append_session(session);
}

void Coordinator::dispatch_initial() {
  if (job_.schedule == Schedule::static_shares) {
    // One contiguous share per worker, in rank order, sized by its threads. A journal's
    // finished subtasks are skipped, so shares count what is left.
    const std::uint32_t left = tracker_.never_dispatched();
    std::uint32_t given = 0;
    std::uint32_t threads_before = 0;
    for (WorkerState& worker : workers_) {
      threads_before += worker.info.threads;
      const auto until = static_cast<std::uint32_t>(static_cast<std::uint64_t>(left) *
                                                    threads_before / total_threads_);
      runs_.clear();
      tracker_.assign_next(worker.info.rank, until - given, runs_);
      given = until;
      send_runs(worker.info.rank);
    }
    return;
  }
  top_up_all();
}

void Coordinator::top_up(WorkerState& worker, bool alone) {
  runs_.clear();
  const int rank = worker.info.rank;
  const std::uint32_t wanted = low_water_mark(worker.info.threads);
  while (tracker_.outstanding(rank) < wanted) {
    // Fresh subtasks go out in the schedule's batch sizes (static handed them all out at
    // the start); retries go out as needed to reach the water mark.
    std::uint32_t count = 0;
    if (job_.schedule != Schedule::static_shares) {
      const BatchContext context{job_.subtasks, tracker_.never_dispatched(), total_threads_,
                                 worker.info.threads, job_.chunk};
      count = next_batch_size(job_.schedule, context);
    }
    if (count == 0) count = wanted - tracker_.outstanding(rank);
    if (tracker_.assign_next(rank, count, runs_, alone) == 0) break;
  }
  send_runs(rank);
}

void Coordinator::top_up_all() {
  const auto eligible = std::count_if(workers_.begin(), workers_.end(),
                                      [](const auto& w) { return w.health == Health::active; });
  for (WorkerState& worker : workers_) {
    if (worker.health == Health::active) top_up(worker, eligible == 1);
  }
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

void Coordinator::journal_done(int rank, const StatusRecord& record,
                               std::span<const std::byte> payload) {
  if (journal_ == nullptr) return;
  // Fast subtasks with no payload, finished one after the other by one thread, become one
  // run record: 8 bytes each instead of a record each.
  const bool fast = record.end_seconds - record.start_seconds < run_record_max_seconds;
  if (!payload.empty() || !fast) {
    flush_journal_run();
    journal_attempt(rank, record, payload);
    return;
  }
  JournalRun& run = pending_run_;
  const bool extends = !run.values.empty() && run.rank == rank && run.thread == record.thread &&
                       run.attempt == record.attempt &&
                       run.first + run.values.size() == record.subtask;
  if (!extends) {
    flush_journal_run();
    run.first = record.subtask;
    run.thread = record.thread;
    run.attempt = record.attempt;
    run.rank = rank;
    run.start_unix = clock_.epoch_unix + record.start_seconds;
  }
  run.end_unix = clock_.epoch_unix + record.end_seconds;
  run.values.push_back(record.value);
  run.keys.push_back(kernel_.subtask_key(record.subtask));
}

void Coordinator::flush_journal_run() {
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
    journal_->append(attempt);
  } else {
    if (std::all_of(run.keys.begin(), run.keys.end(), [](std::uint64_t key) { return key == 0; })) {
      run.keys.clear();
    }
    journal_->append_run(run);
  }
  run.values.clear();
  run.keys.clear();
}

void Coordinator::journal_attempt(int rank, const StatusRecord& record,
                                  std::span<const std::byte> payload) {
  if (journal_ == nullptr) return;
  JournalAttempt attempt;
  attempt.subtask = record.subtask;
  attempt.state = record.state;
  attempt.reason = record.reason;
  attempt.thread = record.thread;
  attempt.attempt = record.attempt;
  attempt.rank = rank;
  attempt.start_unix = clock_.epoch_unix + record.start_seconds;
  attempt.end_unix = clock_.epoch_unix + record.end_seconds;
  attempt.value = record.value;
  attempt.key = kernel_.subtask_key(record.subtask);
  attempt.payload.assign(payload.begin(), payload.end());
  journal_->append(attempt);
}

void Coordinator::record_failure(WorkerState& worker, const StatusRecord& record,
                                 std::span<const std::byte> payload) {
  RankSummary& r = rank_summary(worker.info.rank);
  const Verdict verdict = tracker_.fail(record.subtask, worker.info.rank, record.attempt);
  if (verdict != Verdict::retry && verdict != Verdict::failed_for_good) return;
  ++r.failed;
  start_latency_.add(record.start_seconds - dispatched_at_[record.subtask]);
  if (trace_ != nullptr && verdict == Verdict::retry) {
    trace_->instant(record.end_seconds, worker.info.rank,
                    fmt::format("retry subtask {}", record.subtask),
                    std::string(to_string(record.reason)));
  }
  if (record.reason == FailureReason::timeout) ++timed_out_;
  if (verdict == Verdict::failed_for_good) {
    failures_.push_back(
        FailureSummary{record.subtask, record.attempt + 1, record.reason, text_of(payload)});
    flush_journal_run();
    journal_attempt(worker.info.rank, record, payload);
  }
  // A bad node fails whatever it gets: after K failed attempts in a row on K different
  // subtasks it gets no more work. A retry that fails again says more about the subtask
  // than the node (retries go out ahead of fresh work, so a healthy worker may get several
  // in a row), so only first attempts count; and the last active worker is never benched.
  auto& streak = worker.failure_streak;
  if (record.attempt == 0 &&
      std::find(streak.begin(), streak.end(), record.subtask) == streak.end()) {
    streak.push_back(record.subtask);
  }
  const auto active = std::count_if(workers_.begin(), workers_.end(),
                                    [](const auto& w) { return w.health == Health::active; });
  if (job_.quarantine_after > 0 && streak.size() >= job_.quarantine_after &&
      worker.health == Health::active && active > 1) {
    worker.health = Health::quarantined;
    r.quarantined = true;
    if (!job_.quiet) {
      fmt::print(stderr, "tasktrack: rank {} ({}) quarantined after {} failed attempts in a row\n",
                 worker.info.rank, worker.info.host, streak.size());
    }
    if (trace_ != nullptr) {
      trace_->instant(clock_.now(), worker.info.rank, "quarantined",
                      fmt::format("{} failed attempts in a row", streak.size()));
    }
  }
}

void Coordinator::handle_record(WorkerState& worker, const StatusRecord& record,
                                std::span<const std::byte> payload) {
  const int rank = worker.info.rank;
  if (worker.health == Health::lost && record.state != SubtaskState::running) {
    // Its subtasks went to others when it was declared lost; whatever it still says is a
    // late duplicate, counted and dropped.
    ++late_duplicates_;
    if (trace_ != nullptr) trace_->attempt(rank, record, true);
    return;
  }
  if (trace_ != nullptr && record.state != SubtaskState::running) {
    trace_->attempt(rank, record,
                    tracker_.state(record.subtask) == SubtaskState::done ||
                        tracker_.state(record.subtask) == SubtaskState::failed);
  }
  switch (record.state) {
    case SubtaskState::running:
      if (worker.health != Health::lost)
        tracker_.mark_running(record.subtask, rank, record.attempt);
      return;
    case SubtaskState::done: {
      RankSummary& r = rank_summary(rank);
      const double seconds = record.end_seconds - record.start_seconds;
      r.busy_seconds += seconds;
      worker.failure_streak.clear();
      if (tracker_.complete(record.subtask, rank, record.attempt) != Verdict::accepted) return;
      ++r.done;
      start_latency_.add(record.start_seconds - dispatched_at_[record.subtask]);
      if (job_.timeout_percent > 0) update_time_limit(seconds);
      reduction_->add(record.subtask, partition_.subtask(record.subtask), record.value, payload);
      journal_done(rank, record, payload);
      note_slow(record.subtask, rank, seconds);
      return;
    }
    case SubtaskState::failed:
      rank_summary(rank).busy_seconds += record.end_seconds - record.start_seconds;
      record_failure(worker, record, payload);
      return;
    default:
      throw ProtocolError(fmt::format("status record for subtask {} from rank {} has state {}",
                                      record.subtask, rank, to_string(record.state)));
  }
}

// --timeout P%: no limit until a few attempts have finished (GNU parallel waits for 3
// too); then P% of the median run time of the finished attempts, never under a floor, so
// that a job of very short tasks does not kill them over scheduling noise. Recomputed every
// 16 finished attempts and sent only when it moved by a tenth or more: a message per worker
// now and then, nothing per subtask.
void Coordinator::update_time_limit(double seconds) {
  constexpr std::uint64_t min_attempts = 3;
  constexpr double floor_seconds = 1.0;
  run_times_.add(seconds);
  const std::uint64_t finished = run_times_.count();
  if (finished < min_attempts) return;
  if (sent_time_limit_ > 0 && finished % 16 != 0) return;
  const double median = run_times_.quantile(0.5);
  const double limit = std::max(floor_seconds, job_.timeout_percent / 100 * median);
  if (sent_time_limit_ > 0 && std::abs(limit - sent_time_limit_) < 0.1 * sent_time_limit_) return;
  sent_time_limit_ = limit;
  const TimeLimit message{limit, job_.timeout_percent, median};
  for (const WorkerState& worker : workers_) {
    if (worker.health != Health::lost && !worker.dead) {
      transport_.set_time_limit(worker.info.rank, message);
    }
  }
}

void Coordinator::handle_batch(WorkerState& worker, const StatusBatchReader& batch) {
  batch.for_each([&](const StatusRecord& record, std::span<const std::byte> payload) {
    handle_record(worker, record, payload);
  });
  if (journal_ != nullptr) flush_journal_run();
}

void Coordinator::declare_lost(WorkerState& worker, const std::string& why) {
  if (worker.health == Health::lost) return;
  worker.health = Health::lost;
  rank_summary(worker.info.rank).lost = true;
  const std::uint32_t released = tracker_.release_rank(worker.info.rank);
  if (trace_ != nullptr) {
    trace_->instant(clock_.now(), worker.info.rank, "worker lost",
                    fmt::format("{}; {} subtasks reassigned", why, released));
  }
  if (!job_.quiet) {
    fmt::print(stderr, "tasktrack: rank {} ({}) lost: {}; {} subtask{} reassigned\n",
               worker.info.rank, worker.info.host, why, released, released == 1 ? "" : "s");
  }
}

void Coordinator::check_health(double now) {
  for (int rank : transport_.take_broken()) {
    WorkerState& worker = worker_state(rank);
    worker.dead = true;
    declare_lost(worker, "its connection failed");
  }
  // A worker on this host whose process is gone is lost at once, not after the timeout.
  const bool look_at_processes = now - last_process_check_ >= process_check_interval;
  if (look_at_processes) last_process_check_ = now;
  for (WorkerState& worker : workers_) {
    if (worker.health == Health::lost || worker.said_goodbye) continue;
    if (look_at_processes && worker.info.host == host_ && worker.info.rank != 0 &&
        !local_process_running(worker.info.pid)) {
      worker.dead = true;
      declare_lost(worker, "its process is gone");
      continue;
    }
    const double silent = now - worker.last_heard;
    if (silent > job_.worker_timeout) {
      declare_lost(worker, fmt::format("silent for {:.1f} s (--worker-timeout {} s)", silent,
                                       job_.worker_timeout));
    }
  }
}

void Coordinator::begin_drain(double deadline, std::string reason) {
  if (draining_) return;
  draining_ = true;
  drain_deadline_ = deadline;
  stop_reason_ = std::move(reason);
  for (WorkerState& worker : workers_) {
    if (worker.health != Health::lost) transport_.drain(worker.info.rank);
  }
}

bool Coordinator::drain_finished(double now) const {
  if (now >= drain_deadline_) return true;
  return std::all_of(workers_.begin(), workers_.end(),
                     [](const WorkerState& w) { return w.drained || w.health == Health::lost; });
}

void Coordinator::fail_unrunnable() {
  // Every worker is lost or quarantined and nothing is running: what is pending can never
  // run in this job. It fails for good (a journal resume runs it again).
  for (SubtaskId id : tracker_.fail_pending()) {
    StatusRecord record;
    record.subtask = id;
    record.state = SubtaskState::failed;
    record.reason = FailureReason::worker_lost;
    record.attempt = tracker_.attempt(id);
    flush_journal_run();
    const std::string detail = "no worker left to run it (all lost or quarantined)";
    failures_.push_back(FailureSummary{id, record.attempt + 1, record.reason, detail});
    journal_attempt(0, record, bytes_of(detail));
  }
}

Summary Coordinator::run() {
  const bool in_process = ranks_ == 1;
  const double cpu_at_start = cpu_seconds(in_process);
  if (resume_ != nullptr) restore(*resume_);
  record_session();
  const double started = clock_.now();
  started_ = started;
  for (WorkerState& worker : workers_) worker.last_heard = started;
  const WorkerMessageHandler handler = [this](int rank, const FromWorkerMessage& message) {
    WorkerState& worker = worker_state(rank);
    worker.last_heard = clock_.now();
    if (const auto* batch = std::get_if<StatusBatchReader>(&message)) handle_batch(worker, *batch);
    if (std::holds_alternative<Drained>(message)) worker.drained = true;
    if (std::holds_alternative<Goodbye>(message)) worker.said_goodbye = true;
  };

  dispatch_initial();
  auto pause = first_pause;
  while (true) {
    const bool heard = transport_.poll(handler) > 0;
    const double now = clock_.now();
    check_health(now);

    const StopRequest stop = stop_requested();
    if (stop != StopRequest::none && trace_ != nullptr && !interrupted_) {
      trace_->instant(now, 0, fmt::format("signal {}", last_stop_signal()),
                      stop == StopRequest::fast ? "fast stop" : "graceful stop");
    }
    if (stop == StopRequest::fast) {
      interrupted_ = true;
      stop_reason_ = fmt::format("signal {}: stopped at once", last_stop_signal());
      break;
    }
    if (stop == StopRequest::graceful && !interrupted_) {
      interrupted_ = true;
      draining_ = false;  // a signal's grace replaces an open-ended --max-failures drain
      begin_drain(now + job_.grace, fmt::format("signal {}: running subtasks given {} s to finish",
                                                last_stop_signal(), job_.grace));
    }
    if (job_.max_failures > 0 && tracker_.failed() >= job_.max_failures && !draining_) {
      begin_drain(1e300, fmt::format("{} subtasks failed for good (--max-failures {})",
                                     tracker_.failed(), job_.max_failures));
    }
    if (tracker_.finished() || (draining_ && drain_finished(now))) break;

    if (!draining_) {
      top_up_all();
      const bool any_eligible = std::any_of(workers_.begin(), workers_.end(), [](const auto& w) {
        return w.health == Health::active;
      });
      if (!any_eligible && tracker_.outstanding_total() == 0) fail_unrunnable();
    }
    progress_.update(tracker_.done(), tracker_.failed(), now - started);
    if (heard) {
      pause = first_pause;
    } else {
      transport_.wait(pause);
      pause = std::min(pause * 2, longest_pause);
    }
  }
  // The last results are on disk before the clock stops: the journal is part of the job.
  if (journal_ != nullptr) {
    flush_journal_run();
    journal_->flush();
  }
  const double wall = clock_.now() - started;
  progress_.finish(tracker_.done(), tracker_.failed(), wall);
  return build_summary(wall, cpu_seconds(in_process) - cpu_at_start);
}

bool Coordinator::must_skip_finalize() const {
  return std::any_of(workers_.begin(), workers_.end(),
                     [](const WorkerState& w) { return w.health == Health::lost || w.dead; });
}

std::vector<WorkerInfo> Coordinator::stop_workers(std::chrono::milliseconds deadline) {
  const bool skip_finalize = must_skip_finalize();
  for (WorkerState& worker : workers_) {
    if (!worker.dead) transport_.stop(worker.info.rank, skip_finalize);
  }
  // Healthy workers answer within milliseconds; their goodbye means nothing of theirs is
  // in flight. Lost ones are not waited for.
  const WorkerMessageHandler ignore = [this](int rank, const FromWorkerMessage& message) {
    if (std::holds_alternative<Goodbye>(message)) worker_state(rank).said_goodbye = true;
  };
  auto wait_for_goodbyes = [&](auto deadline_from_now, bool include_lost) {
    const auto give_up = std::chrono::steady_clock::now() + deadline_from_now;
    auto pause = first_pause;
    while (std::chrono::steady_clock::now() < give_up) {
      const bool waiting = std::any_of(workers_.begin(), workers_.end(), [&](const auto& w) {
        return !w.said_goodbye && !w.dead && (include_lost || w.health != Health::lost);
      });
      if (!waiting) return;
      if (transport_.poll(ignore) == 0) {
        transport_.wait(pause);
        pause = std::min(pause * 2, longest_pause);
      }
    }
  };
  wait_for_goodbyes(deadline, false);
  // A lost worker that came back (SIGCONT) answers within milliseconds too; one that did
  // not gets this long before the caller ends it.
  wait_for_goodbyes(lost_worker_patience, true);
  std::vector<WorkerInfo> silent;
  for (const WorkerState& worker : workers_) {
    if (!worker.said_goodbye && !worker.dead) silent.push_back(worker.info);
  }
  return silent;
}

Summary Coordinator::build_summary(double wall_seconds, double cpu) {
  Summary s;
  s.job = job_;
  s.ranks = ranks_;
  s.workers = static_cast<unsigned>(workers_.size());
  for (const WorkerState& worker : workers_) {
    s.threads_per_worker = std::max(s.threads_per_worker, worker.info.threads);
    RankSummary r = rank_summary(worker.info.rank);
    r.utilization = wall_seconds > 0 ? r.busy_seconds / (wall_seconds * r.threads) : 0;
    s.per_rank.push_back(r);
  }
  s.wall_seconds = wall_seconds;
  s.total = tracker_.total();
  s.done = tracker_.done();
  s.failed = tracker_.failed();
  s.not_run = s.total - s.done - s.failed;
  s.retried = tracker_.retried();
  s.timed_out = timed_out_;
  s.reassigned = tracker_.reassigned();
  s.resumed = resumed_;
  s.duplicates = tracker_.duplicates() + late_duplicates_;
  s.interrupted = interrupted_;
  s.stop_reason = stop_reason_;
  s.result = reduction_->finish();
  s.result_line = reduction_->describe();
  s.coordinator_cpu_seconds = cpu;
  s.failures = failures_;
  std::sort(s.failures.begin(), s.failures.end(),
            [](const auto& a, const auto& b) { return a.subtask < b.subtask; });
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
      last_dispatch_ > 0 ? std::max(0.0, wall_seconds - (last_dispatch_ - started_)) : 0.0;
  auto environment = [](const char* name) {
    const char* value = std::getenv(name);
    return std::string(value != nullptr ? value : "");
  };
  s.slurm_job_id = environment("SLURM_JOB_ID");
  s.slurm_restart_count = environment("SLURM_RESTART_COUNT");
  s.slurm_submit_dir = environment("SLURM_SUBMIT_DIR");
  return s;
}

}  // namespace tasktrack
