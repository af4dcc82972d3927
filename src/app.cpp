#include "tasktrack/app.hpp"

#include <fmt/format.h>
#include <mpi.h>
#include <unistd.h>

#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>

#include "tasktrack/coordinator.hpp"
#include "tasktrack/error.hpp"
#include "tasktrack/in_process_transport.hpp"
#include "tasktrack/job_spec.hpp"
#include "tasktrack/mpi_transport.hpp"
#include "tasktrack/summary.hpp"
#include "tasktrack/thread_pool.hpp"
#include "tasktrack/worker.hpp"

namespace tasktrack {

namespace {

using nlohmann::json;

void print_error(const std::string& message) {
  std::fflush(stdout);
  fmt::print(stderr, "tasktrack: error: {}\n", message);
  std::fflush(stderr);
}

// True when a launcher (mpirun, or srun --mpi=pmix) started this process as an MPI rank. A
// plain `tasktrack run ...` then never initializes MPI: the one-process run needs none.
bool launched_as_mpi_rank() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr ||
         std::getenv("PMI_RANK") != nullptr;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

void print_kernels(const KernelRegistry& registry) {
  for (const KernelInfo* kernel : registry.all()) {
    fmt::print("{:<12} {}\n", kernel->name, kernel->description);
    for (const ParamSpec& param : kernel->params) {
      std::string kind;
      switch (param.type) {
        case ParamType::integer: kind = "integer"; break;
        case ParamType::real: kind = "real"; break;
        case ParamType::string: kind = "text"; break;
        case ParamType::choice: kind = fmt::format("{}", fmt::join(param.choices, "|")); break;
      }
      fmt::print("  --param {}=<{}>  (default {}) {}\n", param.name, kind, param.default_value,
                 param.description);
    }
  }
}

std::unique_ptr<Kernel> make_kernel(const KernelRegistry& registry, const JobSpec& job) {
  const KernelInfo* info = registry.find(job.kernel);
  if (info == nullptr) throw UsageError("unknown kernel '" + job.kernel + "'");
  return info->make(ParamValues(job.params));
}

// Fails early, before any work, when the JSON summary could not be written at the end.
void check_writable(const std::string& path) {
  if (path.empty()) return;
  std::ofstream probe(path, std::ios::app);
  if (!probe) throw UsageError("cannot write --summary-json file '" + path + "'");
}

int report(const Summary& summary) {
  print_summary(std::cout, summary);
  std::cout.flush();
  if (!summary.job.summary_json.empty()) {
    std::ofstream out(summary.job.summary_json, std::ios::trunc);
    out << summary_to_json(summary).dump(2) << "\n";
    if (!out) throw system_error_from_errno("write " + summary.job.summary_json);
  }
  return summary.exit_code();
}

Progress make_progress(const JobSpec& job) {
  return Progress(job.subtasks, job.quiet, Progress::stderr_is_terminal(), job.progress_interval);
}

int run_in_process(const JobSpec& job, const Kernel& kernel, JobClock clock) {
  const unsigned threads = job.threads > 0 ? job.threads : default_thread_count(1);
  InProcessTransport transport(kernel, job.partition(), threads, host_name(), clock);
  Progress progress = make_progress(job);
  Coordinator coordinator(job, kernel, transport, 1, clock, progress);
  return report(coordinator.run());
}

// What rank 0 tells every rank after parsing: run this job, or exit with this code.
struct Decision {
  std::optional<JobSpec> job;
  int exit_code = exit_success;
  double epoch = 0;
};

// Parses the command line and acts on everything but `run`. Prints for rank 0 only.
Decision decide(const std::vector<std::string>& args, const KernelRegistry& registry,
                bool print) {
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
      case Command::Kind::run:
        make_kernel(registry, command.job);  // a kernel may refuse its parameters
        check_writable(command.job.summary_json);
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

// Worker ranks sharing this node with this rank (rank 0 does not count: it sleeps).
unsigned worker_ranks_on_node(const boost::mpi::communicator& world) {
  MPI_Comm node;
  MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, world.rank(), MPI_INFO_NULL, &node);
  int local_size = 0;
  MPI_Comm_size(node, &local_size);
  int is_rank0 = world.rank() == 0 ? 1 : 0;
  int rank0_here = 0;
  MPI_Allreduce(&is_rank0, &rank0_here, 1, MPI_INT, MPI_SUM, node);
  MPI_Comm_free(&node);
  return static_cast<unsigned>(std::max(1, local_size - rank0_here));
}

int run_mpi(int argc, char** argv, const std::vector<std::string>& args,
            const KernelRegistry& registry) {
  boost::mpi::environment environment(argc, argv, boost::mpi::threading::funneled, false);
  boost::mpi::communicator world;
  const bool is_rank0 = world.rank() == 0;
  if (environment.thread_level() < boost::mpi::threading::funneled) {
    if (is_rank0) print_error("the MPI library does not provide MPI_THREAD_FUNNELED");
    return exit_usage;
  }

  // Rank 0 alone reads the command line and any job file, so a bad input is reported once
  // and every rank leaves with the same code before anything starts.
  std::string message;
  if (is_rank0) {
    const Decision decision = decide(args, registry, true);
    message = decision.job ? json{{"job", *decision.job}, {"epoch", decision.epoch}}.dump()
                           : json{{"exit", decision.exit_code}}.dump();
  }
  boost::mpi::broadcast(world, message, 0);
  const json decided = json::parse(message);
  if (decided.contains("exit")) return decided.at("exit").get<int>();
  const JobSpec job = decided.at("job").get<JobSpec>();
  const JobClock clock{decided.at("epoch").get<double>()};

  try {
    const auto kernel = make_kernel(registry, job);
    if (world.size() == 1) return run_in_process(job, *kernel, clock);

    const unsigned threads = job.threads > 0 ? job.threads
                                             : default_thread_count(worker_ranks_on_node(world));
    const std::string hello = json{{"host", host_name()}, {"threads", threads}}.dump();
    std::vector<std::string> hellos;
    boost::mpi::gather(world, hello, hellos, 0);
    if (!is_rank0) {
      Worker(world, *kernel, job.partition(), threads, clock).run();
      return exit_success;
    }
    std::vector<WorkerInfo> workers;
    for (int rank = 1; rank < world.size(); ++rank) {
      const json info = json::parse(hellos[rank]);
      workers.push_back(WorkerInfo{rank, info.at("host").get<std::string>(),
                                   info.at("threads").get<unsigned>()});
    }
    Progress progress = make_progress(job);
    int exit_code = exit_success;
    {
      MpiTransport transport(world, std::move(workers));
      Coordinator coordinator(job, *kernel, transport, world.size(), clock, progress);
      exit_code = report(coordinator.run());
    }
    return exit_code;
  } catch (const std::exception& error) {
    // Mid-job, other ranks may be waiting on this one: end the whole job, not just this rank.
    print_error(fmt::format("rank {}: {}", world.rank(), error.what()));
    environment.abort(exit_failed_subtasks);
  }
  return exit_failed_subtasks;
}

}  // namespace

int run_main(int argc, char** argv, KernelRegistry& registry) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (launched_as_mpi_rank()) return run_mpi(argc, argv, args, registry);
    const Decision decision = decide(args, registry, true);
    if (!decision.job) return decision.exit_code;
    const auto kernel = make_kernel(registry, *decision.job);
    return run_in_process(*decision.job, *kernel, JobClock{decision.epoch});
  } catch (const UsageError& error) {
    print_error(error.what());
    return exit_usage;
  } catch (const std::exception& error) {
    print_error(error.what());
    return exit_failed_subtasks;
  }
}

}  // namespace tasktrack
