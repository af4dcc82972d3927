#include "runtime/coordinator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <variant>

#include "cli/resource_plan.hpp"
#include "journal/replay.hpp"
#include "runtime/job_deadline.hpp"
#include "runtime/local_process.hpp"
#include "runtime/signals.hpp"

namespace tasktrack {

namespace {

// Rank 0 sleeps between polls that find nothing: from the first value, doubling, up to the
// second. A millisecond bounds the latency it adds to a round trip, while a thousand
// empty polls a second cost well under 1% of a core.
constexpr std::chrono::microseconds first_pause{20};
constexpr std::chrono::microseconds longest_pause{1000};

// With this much slack (JobState::slack_seconds: every worker holds work for that long),
// rank 0 answers within longest_pause without idling a thread, so after a message it sleeps
// the longest pause at once. Each short pause is a wake-up that takes a core from the
// workers' commands (issue 14: 2,000 short commands under mpirun -np 3 on 2 cores, job wall
// 1.07 s -> 0.98 s; xargs -P2 1.09 s).
constexpr double relaxed_slack_seconds = 0.004;
// How often rank 0 asks for that slack (a scan of every worker): at most once per longest
// pause, so that a message costs O(1), not O(workers), with thousands of workers.
constexpr double slack_check_interval = 0.001;

// How often rank 0 reads a growing task list's input (a poll() each time): as often as its
// loop sleeps at the longest, rather than on every turn of a busy loop.
constexpr double growing_read_interval = 0.001;

// How often rank 0 looks whether the processes of workers on its own host still exist.
constexpr double process_check_interval = 0.5;

// After the summary, how long lost workers get to answer Stop before rank 0 gives up on
// them: long enough for one that resumed to say goodbye, short enough not to hold the job.
constexpr std::chrono::milliseconds lost_worker_patience{1500};

JobRules rules_of(const JobSpec& job, const Kernel& kernel, JobClock clock,
                  const CoordinatorSinks& sinks) {
  JobRules rules;
  rules.subtasks = job.subtasks;
  rules.retries = job.retries;
  rules.schedule = job.schedule;
  rules.chunk = job.chunk;
  rules.quarantine_after = job.quarantine_after;
  rules.crash_limit = job.crash_limit;
  rules.max_failures = job.max_failures;
  rules.worker_timeout = job.worker_timeout;
  rules.grace = job.grace;
  rules.timeout_percent = job.timeout_percent;
  rules.retry_failed = job.retry_failed;
  rules.journaling = sinks.journal != nullptr;
  rules.tracing = sinks.trace != nullptr;
  rules.epoch_unix = clock.epoch_unix;
  rules.subtask_key = [&kernel](SubtaskId id) { return kernel.subtask_key(id); };
  RequirementClasses classes = requirement_classes(job);
  rules.requirements = std::move(classes.requirements);
  rules.class_of = std::move(classes.class_of);
  rules.reserve_after = job.reserve_after;
  rules.growing = job.task_list() != nullptr && job.task_list()->growing;
  // The deadline is resolved here, once, on rank 0 (Slurm may be asked); the core gets
  // job-clock seconds.
  const ResolvedDeadline deadline = resolve_deadline(parse_deadline(job.deadline), clock.epoch_unix,
                                                     process_environment, squeue_end_time);
  if (!deadline.warning.empty()) fmt::print(stderr, "tasktrack: {}\n", deadline.warning);
  if (deadline.unix_seconds) {
    rules.deadline = *deadline.unix_seconds - clock.epoch_unix;
    rules.deadline_unix = *deadline.unix_seconds;
  }
  if (const TaskListJob* list = job.task_list()) {
    if (std::any_of(list->tasks.begin(), list->tasks.end(),
                    [](const TaskLine& task) { return task.expected_seconds > 0; })) {
      for (const TaskLine& task : list->tasks)
        rules.expected_seconds.push_back(task.expected_seconds);
    }
    // Barrier i comes before the first task of phase i + 1 (phases rise with the ids).
    SubtaskId first_after = 0;
    for (std::size_t i = 0; i < list->barriers.size(); ++i) {
      while (first_after < list->tasks.size() && list->tasks[first_after].phase <= i) ++first_after;
      rules.barriers.push_back(
          BarrierRule{first_after, list->barriers[i].check, list->barriers[i].line_number});
    }
  }
  return rules;
}

}  // namespace

Coordinator::Coordinator(const JobSpec& job, const Kernel& kernel, Transport& transport, int ranks,
                         JobClock clock, Progress& progress, CoordinatorSinks sinks)
    : job_(job),
      kernel_(kernel),
      transport_(transport),
      ranks_(ranks),
      clock_(clock),
      progress_(progress),
      sinks_(sinks),
      partition_(job.partition()),
      reduction_(kernel_.make_reduction(partition_)),
      state_(rules_of(job, kernel, clock, sinks), transport.workers(), ranks, *this),
      host_(this_host_name()) {
  name_trace_rows();
}

void Coordinator::declare_never_started(std::span<const int> ranks, double start_limit) {
  for (const int rank : ranks) {
    state_.handle_never_started(
        rank, fmt::format("it never said hello within --worker-timeout ({} s) of the start",
                          start_limit));
  }
}

// ---- effects ---------------------------------------------------------------------------------

void Coordinator::assign(int rank, std::span<const IdRun> runs) {
  if (sinks_.growing != nullptr && transport_.needs_task_lines()) {
    // A worker of a growing list learns its tasks with them (messages arrive in order).
    for (const TaskLines& lines : sinks_.growing->task_lines_messages(runs)) {
      transport_.send_task_lines(rank, lines);
    }
  }
  transport_.assign(rank, runs);
}

void Coordinator::drain(int rank) {
  transport_.drain(rank);
}

void Coordinator::set_time_limit(int rank, const TimeLimit& limit) {
  transport_.set_time_limit(rank, limit);
}

void Coordinator::accept_result(SubtaskId id, std::int64_t value,
                                std::span<const std::byte> payload) {
  reduction_->add(id, partition_.subtask(id), value, payload);
}

void Coordinator::journal_attempt(const JournalAttempt& attempt) {
  sinks_.journal->append(attempt);
}

void Coordinator::journal_run(const JournalRun& run) {
  sinks_.journal->append_run(run);
}

void Coordinator::trace_attempt(int rank, const StatusRecord& record, const AttemptReport* report,
                                bool duplicate) {
  sinks_.trace->attempt(rank, record, report, duplicate);
}

void Coordinator::trace_dispatch(double seconds, int rank, std::uint32_t count) {
  sinks_.trace->dispatch(seconds, rank, count);
}

void Coordinator::trace_instant(double seconds, int rank, const std::string& name,
                                const std::string& detail) {
  sinks_.trace->instant(seconds, rank, name, detail);
}

void Coordinator::notice(const std::string& line) {
  if (!job_.quiet) fmt::print(stderr, "tasktrack: {}\n", line);
}

// ---- the loop --------------------------------------------------------------------------------

void Coordinator::name_trace_rows() {
  if (sinks_.trace == nullptr) return;
  for (const WorkerInfo& info : transport_.workers()) {
    sinks_.trace->name_rank(info.rank, fmt::format("rank {} ({})", info.rank, info.host));
    for (unsigned thread = 0; thread < info.threads; ++thread) {
      sinks_.trace->name_thread(info.rank, thread, fmt::format("thread {}", thread));
    }
    if (!info.gpus.empty()) sinks_.trace->name_gpus(info.rank, info.gpus);
  }
  if (ranks_ > 1) sinks_.trace->name_rank(0, "rank 0 (coordinator)");
}

void Coordinator::record_session() {
  if (sinks_.journal == nullptr) return;
  nlohmann::json workers = nlohmann::json::array();
  for (const WorkerInfo& worker : transport_.workers()) {
    workers.push_back({{"rank", worker.rank},
                       {"host", worker.host},
                       {"threads", worker.threads},
                       {"cores", worker.cores},
                       {"gpus", worker.gpus}});
  }
  nlohmann::json session{{"started_unix", clock_.epoch_unix},
                         {"ranks", ranks_},
                         {"workers", workers},
                         {"resumed", state_.resumed()}};
  for (const char* name : {"SLURM_JOB_ID", "SLURM_RESTART_COUNT"}) {
    if (const char* value = std::getenv(name)) session[name] = value;
  }
  if (const TaskListJob* list = job_.task_list()) {
    // Absolute, so that `tasktrack output JOURNAL ID` finds it from any folder.
    std::error_code error;
    const std::filesystem::path dir = std::filesystem::absolute(list->output_dir, error);
    session["output"] = {
        {"mode", to_string(list->output)},
        {"dir",
         (error ? std::filesystem::path(list->output_dir) : dir).lexically_normal().string()},
        {"limit", list->output_limit}};
    // So that status, log and report read the file back as this run read it.
    session["task_format"] = to_string(list->task_format);
  }
  sinks_.journal->append_session(session);
}

void Coordinator::look_for_gone_workers(double now) {
  for (int rank : transport_.take_broken()) {
    state_.handle_worker_gone(rank, "its connection failed", now);
  }
  if (now - last_process_check_ < process_check_interval) return;
  last_process_check_ = now;
  for (const WorkerState& worker : state_.workers()) {
    if (worker.health == Health::lost || worker.said_goodbye) continue;
    if (worker.info.host == host_ && worker.info.rank != 0 &&
        !local_process_running(worker.info.pid)) {
      state_.handle_worker_gone(worker.info.rank, "its process is gone", now);
    }
  }
}

void Coordinator::look_for_workers_gone_at_end() {
  for (int rank : transport_.take_broken()) state_.handle_gone_at_end(rank);
  for (const WorkerState& worker : state_.workers()) {
    if (worker.dead || worker.said_goodbye) continue;
    if (worker.info.host == host_ && worker.info.rank != 0 &&
        !local_process_running(worker.info.pid)) {
      state_.handle_gone_at_end(worker.info.rank);
    }
  }
}

void Coordinator::feed_signals(double now) {
  const StopRequest stop = stop_requested();
  if (stop == StopRequest::none) return;
  state_.handle_signal(stop == StopRequest::fast ? StopKind::fast : StopKind::graceful,
                       last_stop_signal(), now);
}

void Coordinator::read_growing_tasks() {
  GrowingTaskList& growing = *sinks_.growing;
  if (state_.tasks_ended()) return;
  for (const GrowingTaskList::Arrival& arrival : growing.read()) {
    if (arrival.barrier) {
      state_.add_barrier(
          BarrierRule{state_.total(), arrival.barrier->check, arrival.barrier->line_number});
    }
    state_.add_tasks(arrival.tasks);
  }
  progress_.set_total(state_.total(), !growing.ended());
  if (!growing.ended()) return;
  state_.end_of_tasks();
  if (growing.problem()) {
    // Said at once, not only in the summary: the producer may still be writing.
    fmt::print(stderr, "tasktrack: error: {}{}\n", *growing.problem(),
               growing.total() > 0 ? "; the tasks before it run, no more are read" : "");
  }
}

void Coordinator::handle_message(int rank, const FromWorkerMessage& message) {
  // Printed before the core hears of it: the block comes before its attempt's record, so
  // every block of the job is out before the summary.
  if (const auto* chunk = std::get_if<TerminalChunk>(&message)) terminal_.add(rank, *chunk);
  state_.handle_message(rank, message, clock_.now());
}

Summary Coordinator::run() {
  const bool in_process = ranks_ == 1;
  const double cpu_at_start = cpu_seconds(in_process);
  if (sinks_.resume != nullptr) {
    const CurrentWork work{job_.subtasks, [this](SubtaskId id) { return kernel_.subtask_key(id); }};
    state_.restore(replay(*sinks_.resume, work));
    progress_.set_finished_before(state_.done() + state_.failed());
  }
  record_session();
  const double started = clock_.now();
  const WorkerMessageHandler handler = [this](int rank, const FromWorkerMessage& message) {
    handle_message(rank, message);
  };

  if (sinks_.growing != nullptr) read_growing_tasks();
  state_.start(started);
  auto pause = first_pause;
  while (true) {
    const bool heard = transport_.poll(handler) > 0;
    const double now = clock_.now();
    look_for_gone_workers(now);
    feed_signals(now);
    if (sinks_.growing != nullptr && now - last_growing_read_ >= growing_read_interval) {
      last_growing_read_ = now;
      read_growing_tasks();
    }
    if (state_.handle_tick(now)) break;
    progress_.update(state_.done(), state_.failed(), now - started);
    if (heard) {
      if (now - last_slack_check_ >= slack_check_interval) {
        last_slack_check_ = now;
        relaxed_ = state_.slack_seconds() >= relaxed_slack_seconds;
      }
      pause = relaxed_ ? longest_pause : first_pause;
    } else {
      transport_.wait(pause);
      pause = std::min(pause * 2, longest_pause);
    }
  }
  // The last results are on disk before the clock stops: the journal is part of the job.
  state_.finish();
  if (sinks_.journal != nullptr) sinks_.journal->flush();
  const double wall = clock_.now() - started;
  progress_.finish(state_.done(), state_.failed(), wall);
  return build_summary(started, wall, cpu_seconds(in_process) - cpu_at_start);
}

std::vector<WorkerInfo> Coordinator::stop_workers(std::chrono::milliseconds deadline) {
  const bool skip_finalize = must_skip_finalize();
  for (const WorkerState& worker : state_.workers()) {
    if (!worker.dead) transport_.stop(worker.info.rank, skip_finalize);
  }
  // Healthy workers answer within milliseconds; their goodbye means nothing of theirs is
  // in flight. Lost ones are not waited for.
  const WorkerMessageHandler goodbyes = [this](int rank, const FromWorkerMessage& message) {
    // The output of attempts that ended as the workers stopped is printed still, as a
    // one-process run's own threads would print it.
    if (const auto* chunk = std::get_if<TerminalChunk>(&message)) terminal_.add(rank, *chunk);
    if (std::holds_alternative<Goodbye>(message)) state_.handle_goodbye(rank);
  };
  // A worker that died after the last result (issue 14: while the summary was printed, or
  // now) never says goodbye: it is noticed here, at most every process_check_interval,
  // instead of holding the end for the whole deadline.
  auto wait_for_goodbyes = [&](auto deadline_from_now, bool include_lost) {
    const auto give_up = std::chrono::steady_clock::now() + deadline_from_now;
    auto pause = first_pause;
    auto next_check = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < give_up) {
      if (std::chrono::steady_clock::now() >= next_check) {
        look_for_workers_gone_at_end();
        next_check = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(process_check_interval));
      }
      const auto workers = state_.workers();
      const bool waiting = std::any_of(workers.begin(), workers.end(), [&](const auto& w) {
        return !w.said_goodbye && !w.dead && (include_lost || w.health != Health::lost);
      });
      if (!waiting) return;
      if (transport_.poll(goodbyes) == 0) {
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
  for (const WorkerState& worker : state_.workers()) {
    if (!worker.said_goodbye && !worker.dead) silent.push_back(worker.info);
  }
  return silent;
}

Summary Coordinator::build_summary(double started, double wall_seconds, double cpu) {
  Summary s;
  s.job = job_;
  s.ranks = ranks_;
  if (sinks_.growing != nullptr) {
    // The tasks that arrived, so that the summary names failed ones as a task file's.
    std::vector<TaskLine>& tasks = std::get<TaskListJob>(s.job.work).tasks;
    for (SubtaskId id = 0; id < state_.total(); ++id) tasks.push_back(sinks_.growing->task(id));
    s.job.subtasks = state_.total();
    s.input_problem = sinks_.growing->problem().value_or("");
  }
  state_.fill_summary(s, started, wall_seconds);
  s.result = reduction_->finish();
  s.result_line = reduction_->describe();
  s.coordinator_cpu_seconds = cpu;
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
