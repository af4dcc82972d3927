#include "tasktrack/app.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/command_line.hpp"
#include "cli/job_outputs.hpp"
#include "cli/resource_plan.hpp"
#include "cli/status_watch.hpp"
#include "cli/summary_command.hpp"
#include "cli/user_messages.hpp"
#include "cli/version.hpp"
#include "commands/command_list_kernel.hpp"
#include "commands/growing_task_list.hpp"
#include "journal/attempt_log.hpp"
#include "journal/journal.hpp"
#include "journal/journal_status.hpp"
#include "report/report.hpp"
#include "report/summary.hpp"
#include "report/trace.hpp"
#include "runtime/coordinator.hpp"
#include "runtime/in_process_transport.hpp"
#include "runtime/local_process.hpp"
#include "runtime/mpi_session.hpp"
#include "runtime/signals.hpp"
#include "runtime/start_watchdog.hpp"
#include "runtime/terminal_outbox.hpp"
#include "runtime/thread_pool.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {

namespace {

using nlohmann::json;

// How long rank 0 waits, after the summary, for healthy workers to say goodbye.
constexpr std::chrono::milliseconds goodbye_deadline{10000};

// How long, after the summary, the pool of a one-process run gives kernels to notice their
// stop token before it leaves them behind (a worker rank gives them less: see WorkerOptions).
constexpr std::chrono::milliseconds in_process_stop_patience{2000};

// True when a launcher (mpirun, or srun --mpi=pmix) started this process as an MPI rank. A
// plain `tasktrack run ...` then never initializes MPI: the one-process run needs none.
bool launched_as_mpi_rank() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr ||
         std::getenv("PMI_RANK") != nullptr;
}

// This process's MPI rank as the launcher's environment gives it before MPI_Init; -1 when
// it does not say.
int mpi_launcher_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"}) {
    if (const char* text = std::getenv(name); text != nullptr && *text != '\0') {
      return std::atoi(text);
    }
  }
  return -1;
}

void print_kernels(const KernelRegistry& registry) {
  for (const KernelInfo* kernel : registry.all()) {
    fmt::print("{:<12} {}\n", kernel->name, kernel->description);
    for (const ParamSpec& param : kernel->params) {
      std::string kind;
      switch (param.type) {
        case ParamType::integer:
          kind = "integer";
          break;
        case ParamType::real:
          kind = "real";
          break;
        case ParamType::string:
          kind = "text";
          break;
        case ParamType::choice:
          kind = fmt::format("{}", fmt::join(param.choices, "|"));
          break;
      }
      fmt::print("  --param {}=<{}>  (default {}) {}\n", param.name, kind, param.default_value,
                 param.description);
    }
  }
}

void print_status(const std::string& journal, bool json) {
  const JournalStatus status = journal_status(journal);
  if (json) {
    // Task files and details may hold bytes that are not UTF-8: replaced, so it parses.
    std::cout << status_to_json(status).dump(-1, ' ', false, json::error_handler_t::replace)
              << "\n";
  } else {
    print_status_text(status, std::cout);
  }
}

// `tasktrack log`: to stdout, or to a file written whole or not at all (a temporary beside
// it, renamed), so a reader never loads half a log.
void write_log(const Command& command) {
  if (command.log_output.empty()) {
    const std::string warning = write_journal_log(command.journal, std::cout, command.log_format);
    std::cout.flush();
    if (!warning.empty()) print_warning(warning);
    return;
  }
  const std::string temporary = command.log_output + ".partial";
  std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
  if (!out) throw UsageError("log: cannot write '" + command.log_output + "'");
  std::string warning;
  try {
    warning = write_journal_log(command.journal, out, command.log_format);
  } catch (...) {
    out.close();
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
  out.close();
  std::error_code error;
  if (!out) error = std::make_error_code(std::errc::io_error);
  if (!error) std::filesystem::rename(temporary, command.log_output, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    throw UsageError("log: cannot write '" + command.log_output + "'");
  }
  if (!warning.empty()) print_warning(warning);
}

// The job's id in command tasks' environment (TASKTRACK_JOB): the Slurm job id, else the
// job's fingerprint digest, which stays the same across resumes.
std::string job_id(const JobSpec& job) {
  if (const char* slurm = std::getenv("SLURM_JOB_ID")) return slurm;
  return fingerprint_digest(job_fingerprint(job));
}

// The job's kernel on `rank`; each rank builds it once. Throws UsageError when the kernel
// refuses its parameters (or a task list's kernel lines or output folder are bad).
// `terminal`: where a task list's --output stdout blocks go (empty: this process's stdout).
std::unique_ptr<Kernel> make_kernel(const KernelRegistry& registry, const JobSpec& job, int rank,
                                    TerminalBlockWriter terminal = {}) {
  if (const TaskListJob* list = job.task_list()) {
    return std::make_unique<CommandListKernel>(*list, registry, rank, job_id(job), job.bind,
                                               std::move(terminal));
  }
  const RangeJob& range_job = *job.range_job();
  const KernelInfo* info = registry.find(range_job.kernel);
  if (info == nullptr) throw UsageError("unknown kernel '" + range_job.kernel + "'");
  return info->make(ParamValues(range_job.params));
}

Progress make_progress(const JobSpec& job) {
  const ProgressStyle style = job.quiet ? ProgressStyle::none : Progress::resolve(job.progress);
  return Progress(job.subtasks, style, job.progress_interval);
}

// Ends the process without MPI_Finalize, which after a rank died or was lost can wait for it
// forever (Open MPI 4.1.4, measured here). Everything of ours is flushed and delivered by
// then; mpirun --enable-recovery ends the job normally when the survivors exit.
[[noreturn]] void exit_without_finalize(int exit_code) {
  std::fflush(nullptr);
  ::_exit(exit_code);
}

// Ends the process at once when pool threads are stuck inside kernels that ignored their
// stop token: unwinding would destroy what they still use.
void exit_if_threads_left_behind(unsigned left_behind, int exit_code) {
  if (left_behind == 0) return;
  print_warning(fmt::format(
      "{} pool thread{} still inside a kernel that ignored its stop "
      "token; ending the process without waiting for {}",
      left_behind, left_behind == 1 ? " is" : "s are", left_behind == 1 ? "it" : "them"));
  std::fflush(nullptr);
  ::_exit(exit_code);
}

int run_in_process(const JobSpec& job, const Kernel& kernel, JobClock clock,
                   JournalSetup& journal) {
  const OwnedResources owned =
      discover_owned_resources(job.threads, job.gpus, job.memory, NodeShare{0, 1});
  const WorkerInfo worker = worker_info(this_host_name(), pool_threads(job, owned), owned);
  check_every_task_fits(job, std::span(&worker, 1));
  WorkerOptions options = worker_options(job, owned, worker.threads);
  options.stop_patience = in_process_stop_patience;
  InProcessTransport transport(kernel, job.partition(), options, worker, clock);
  Progress progress = make_progress(job);
  Coordinator coordinator(job, kernel, transport, 1, clock, progress, journal.sinks());
  const Summary summary = coordinator.run();
  if (journal.trace) journal.trace->close();
  const int exit_code = report(summary);
  coordinator.stop_workers(goodbye_deadline);
  journal.writer.reset();
  write_finished_file(job.finished_file, exit_code);
  exit_if_threads_left_behind(transport.threads_left_behind(), exit_code);
  return exit_code;
}

// What rank 0 tells every rank after parsing: run this job, or exit with this code.
struct Decision {
  std::optional<JobSpec> job;
  std::unique_ptr<Kernel> kernel;  // rank 0 only: built once, while checking the job
  int exit_code = exit_success;
  double epoch = 0;
  JournalSetup journal;  // rank 0 only
};

// Parses the command line and acts on everything but `run`. Prints for rank 0 only.
Decision decide(const std::vector<std::string>& args, const KernelRegistry& registry, bool print) {
  Decision decision;
  try {
    Command command = parse_command_line(args, registry);
    switch (command.kind) {
      case Command::Kind::help:
        if (print) std::cout << command.help_text;
        return decision;
      case Command::Kind::kernels:
        if (print) print_kernels(registry);
        return decision;
      case Command::Kind::status:
        if (print && command.watch_seconds) {
          decision.exit_code = watch_status(command.journal, *command.watch_seconds);
        } else if (print) {
          print_status(command.journal, command.json);
        }
        return decision;
      case Command::Kind::log:
        if (print) write_log(command);
        return decision;
      case Command::Kind::version:
        if (print) std::cout << version_text();
        return decision;
      case Command::Kind::report:
        if (print) decision.exit_code = run_report_command(command.journal, command.html);
        return decision;
      case Command::Kind::output:
        if (print) decision.exit_code = run_output_command(command.output, std::cout);
        return decision;
      case Command::Kind::summary:
        if (print) print_saved_summary(command.summary_json, std::cout);
        return decision;
      case Command::Kind::run:
        // A kernel may refuse its parameters: bad input, before anything starts.
        decision.kernel = make_kernel(registry, command.job, 0);
        check_writable(command.job.summary_json);
        decision.journal = open_outputs(command.job);
        if (const TaskListJob* list = command.job.task_list(); list && list->growing) {
          decision.journal.growing = std::make_unique<GrowingTaskList>(
              *list, dynamic_cast<CommandListKernel&>(*decision.kernel));
        }
        decision.job = std::move(command.job);
        decision.epoch = JobClock{}.epoch_unix;
        return decision;
    }
  } catch (const UsageError& error) {
    if (print) print_error(error.what());
    decision.exit_code = exit_usage;
  }
  return decision;
}

// A lost worker that never came back (stopped, hung in the kernel's host code) would hold
// MPI_Finalize forever: rank 0 ends it with SIGKILL when it runs on this host. Under
// mpirun --enable-recovery the job then finalizes normally. One on another host is left to
// mpirun (documented in README). A worker that never said hello has no pid on record: it is
// looked for among this process's siblings.
void end_silent_workers(const std::vector<WorkerInfo>& silent) {
  const std::string here = this_host_name();
  for (const WorkerInfo& worker : silent) {
    const bool never_started = worker.host == "?";
    const long pid = never_started ? sibling_rank_pid(worker.rank) : worker.pid;
    if (!never_started && worker.host == here && !local_process_running(pid)) continue;  // died
    if ((never_started && pid > 0) || (worker.host == here && pid > 0 && pid != ::getpid())) {
      print_warning(fmt::format("rank {} (pid {}) never answered Stop; ending it with SIGKILL",
                                worker.rank, pid));
      ::kill(static_cast<pid_t>(pid), SIGKILL);
    } else if (never_started) {
      print_warning(fmt::format(
          "rank {} never said hello and is not on this host; mpirun waits for it", worker.rank));
    } else {
      print_warning(fmt::format("rank {} on {} never answered Stop; mpirun waits for it",
                                worker.rank, worker.host));
    }
  }
}

int run_mpi(int argc, char** argv, const std::vector<std::string>& args,
            const KernelRegistry& registry) {
  StartWatchdog watchdog(mpi_start_limit(), mpi_launcher_rank() <= 0, !launched_by_plain_mpirun());
  MpiSession session(argc, argv);
  watchdog.disarm();
  const bool is_rank0 = session.rank() == 0;
  if (!session.funneled()) {
    if (is_rank0) print_error("the MPI library does not provide MPI_THREAD_FUNNELED");
    return exit_usage;
  }

  // Rank 0 alone reads the command line, any job file and the journal, so a bad input is
  // reported once and every rank leaves with the same code before anything starts.
  Decision decision;
  JobMessage decided;
  if (is_rank0) {
    decision = decide(args, registry, true);
    decided = decision.job ? JobMessage{true, 0, json(*decision.job).dump(), decision.epoch,
                                        this_host_name()}
                           : JobMessage{false, decision.exit_code, {}, 0, {}};
  }
  decided = session.share_job(decided);
  if (!decided.run) return decided.exit_code;
  const JobSpec job = json::parse(decided.spec_json).get<JobSpec>();
  const JobClock clock{decided.epoch_unix};

  try {
    // --output stdout on a worker rank: blocks go to rank 0, which prints them (mpirun would
    // interleave blocks the ranks printed themselves). Rank 0 runs no command under mpirun;
    // alone (-np 1) it prints its own.
    std::shared_ptr<TerminalOutbox> terminal_blocks;
    if (const TaskListJob* list = job.task_list();
        !is_rank0 && list && list->output == OutputMode::terminal) {
      terminal_blocks = std::make_shared<TerminalOutbox>();
    }
    const std::unique_ptr<Kernel> kernel =
        is_rank0 ? std::move(decision.kernel)
                 : make_kernel(registry, job, session.rank(),
                               terminal_blocks ? TerminalOutbox::writer(terminal_blocks)
                                               : TerminalBlockWriter{});
    if (session.size() == 1) return run_in_process(job, *kernel, clock, decision.journal);

    const OwnedResources owned = discover_owned_resources(
        job.threads, job.gpus, job.memory, session.worker_share_on_node(decided.coordinator_host));
    const unsigned threads = pool_threads(job, owned);
    const std::chrono::duration<double> start_limit(job.worker_timeout);
    MpiSession::Hellos hellos =
        session.exchange_hellos(worker_info(this_host_name(), threads, owned), start_limit);
    if (!is_rank0) {
      WorkerOptions options = worker_options(job, owned, threads);
      options.terminal_blocks = terminal_blocks;
      if (const TaskListJob* list = job.task_list(); list && list->growing) {
        auto& commands = dynamic_cast<CommandListKernel&>(*kernel);
        options.add_task_lines = [&commands](const std::string& json) {
          commands.add_task_lines(json);
        };
      }
      const WorkerLoop::Ending ending =
          session.run_worker(*kernel, job.partition(), options, clock);
      if (ending.skip_finalize) exit_without_finalize(exit_success);
      if (ending.threads_left_behind > 0) session.finalize();  // before _exit: mpirun waits
      exit_if_threads_left_behind(ending.threads_left_behind, exit_success);
      return exit_success;
    }
    Progress progress = make_progress(job);
    int exit_code = exit_success;
    bool skip_finalize = false;
    if (hellos.workers.empty()) {
      // Nothing can run. The workers that wake up later find Stop waiting for them.
      print_error(fmt::format("no worker said hello within --worker-timeout ({} s) of the start",
                              job.worker_timeout));
      const std::unique_ptr<Transport> transport = session.connect_workers(hellos);
      for (const WorkerInfo& worker : transport->workers()) transport->stop(worker.rank, true);
      // A plain mpirun ends every rank when this one exits with 2 (and would report a
      // worker ended here as the first failure, 137); under --enable-recovery or srun
      // nobody would, and a stopped worker would hold the job.
      if (!launched_by_plain_mpirun()) end_silent_workers(transport->workers());
      write_finished_file(job.finished_file, exit_usage);
      exit_without_finalize(exit_usage);
    }
    {
      // A task no worker can hold is bad input: said once, before anything runs, and the
      // workers are stopped cleanly rather than aborted.
      std::string misfit;
      try {
        check_every_task_fits(job, hellos.workers);
      } catch (const UsageError& error) {
        misfit = error.what();
      }
      const std::unique_ptr<Transport> transport = session.connect_workers(hellos);
      Coordinator coordinator(job, *kernel, *transport, session.size(), clock, progress,
                              decision.journal.sinks());
      coordinator.declare_never_started(hellos.missing, job.worker_timeout);
      if (!misfit.empty()) {
        print_error(misfit);
        end_silent_workers(coordinator.stop_workers(goodbye_deadline));
        write_finished_file(job.finished_file, exit_usage);
        return exit_usage;
      }
      const Summary summary = coordinator.run();
      if (decision.journal.trace) decision.journal.trace->close();
      exit_code = report(summary);
      decision.journal.writer.reset();
      end_silent_workers(coordinator.stop_workers(goodbye_deadline));
      skip_finalize = coordinator.must_skip_finalize();
    }
    write_finished_file(job.finished_file, exit_code);
    if (skip_finalize) exit_without_finalize(exit_code);
    return exit_code;  // MPI_Finalize follows, in ~MpiSession
  } catch (const std::exception& error) {
    // Mid-job, other ranks may be waiting on this one: end the whole job, not just this rank.
    print_error(fmt::format("rank {}: {}", session.rank(), error.what()));
    session.abort(exit_failed_subtasks);
  }
}

}  // namespace

int run_main(int argc, char** argv, KernelRegistry& registry) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  install_stop_signal_handlers();
  try {
    if (launched_as_mpi_rank()) return run_mpi(argc, argv, args, registry);
    Decision decision = decide(args, registry, true);
    if (!decision.job) return decision.exit_code;
    return run_in_process(*decision.job, *decision.kernel, JobClock{decision.epoch},
                          decision.journal);
  } catch (const UsageError& error) {
    print_error(error.what());
    return exit_usage;
  } catch (const std::exception& error) {
    print_error(error.what());
    return exit_failed_subtasks;
  }
}

}  // namespace tasktrack
