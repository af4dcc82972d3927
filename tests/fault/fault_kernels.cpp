// tasktrack_fault: the tasktrack program with kernels that misbehave on purpose, for the
// fault-injection tests (tests/fault/test_fault.cpp). It holds every built-in kernel plus:
//
//   flaky     every=K                 ids with id % K == 0 throw on attempt 0, then succeed
//   failing   every=K                 ids with id % K == 0 always throw
//   hang      every=K seconds=S honor=0|1
//                                     ids with id % K == 0 on attempt 0 take S seconds;
//                                     honor=0 ignores the stop token (one sleep_for),
//                                     honor=1 checks it every 10 ms and throws when stopped
//   crash     id=N rank=R mean=D      attempt 0 of subtask N kills its own process (SIGKILL)
//                                     when it runs on a worker rank (R, or any when R < 0);
//                                     never on rank 0, so a one-process run just succeeds
//   bad_node  rank=R mean=D           every subtask run on MPI rank R throws
//   segfault  id=N after=S            every attempt of subtask N dereferences a null pointer
//                                     (SIGSEGV) after S seconds of work, on worker ranks
//                                     only: a poison subtask (issue 14, --crash-limit)
//   late_start rank=R seconds=S       the kernel's construction on MPI rank R (a worker builds
//                                     its kernel before its hello) takes S seconds, or stops
//                                     the process with SIGSTOP when S = 0: a worker that
//                                     never says hello (issue 14, the bounded start)
//
// Every subtask that succeeds returns value = its range's size; the reduction sums them to
// {"elements": N}, so a job that completed has N = the size of its range, whatever failed,
// retried, timed out or was reassigned on the way. `mean` (crash, bad_node) makes each
// subtask sleep that long (honouring the stop token) so a job lasts long enough to hurt.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "tasktrack/app.hpp"
#include "tasktrack/kernel.hpp"

namespace {

using tasktrack::Kernel;
using tasktrack::KernelInfo;
using tasktrack::ParamSpec;
using tasktrack::ParamType;
using tasktrack::ParamValues;
using tasktrack::Partition;
using tasktrack::Range;
using tasktrack::Reduction;
using tasktrack::SubtaskContext;
using tasktrack::SubtaskId;
using tasktrack::SubtaskResult;

// The MPI rank this process runs as, from the launcher's environment; -1 without mpirun.
int mpi_rank() {
  const char* text = std::getenv("OMPI_COMM_WORLD_RANK");
  if (text == nullptr) text = std::getenv("PMIX_RANK");
  if (text == nullptr) return -1;
  return std::atoi(text);
}

class ElementsReduction final : public Reduction {
 public:
  void add(SubtaskId, Range, std::int64_t value, std::span<const std::byte>) override {
    elements_ += value;
  }
  nlohmann::json finish() override { return {{"elements", elements_}}; }
  std::string describe() const override {
    return "elements: " + std::to_string(elements_) + " elements";
  }

 private:
  std::int64_t elements_ = 0;
};

// Sleeps `seconds` in 10 ms slices; throws std::runtime_error("stopped") once the
// attempt's stop token is set (timeout, shutdown).
void sleep_honouring_stop(const SubtaskContext& context, double seconds) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(seconds));
  while (true) {
    if (context.stop.stop_requested()) {
      throw std::runtime_error("stopped (subtask " + std::to_string(context.id) + ")");
    }
    const auto now = Clock::now();
    if (now >= deadline) return;
    std::this_thread::sleep_for(
        std::min<Clock::duration>(deadline - now, std::chrono::milliseconds(10)));
  }
}

// The common part: value = range size, sums to {"elements": N}.
class ElementsKernel : public Kernel {
 public:
  std::unique_ptr<Reduction> make_reduction(const Partition&) const override {
    return std::make_unique<ElementsReduction>();
  }
};

ParamSpec every_param(const char* what) {
  return {.name = "every",
          .type = ParamType::integer,
          .default_value = "10",
          .description = std::string("subtasks with id % every == 0 ") + what,
          .choices = {},
          .min = 1,
          .max = 1e9};
}

ParamSpec mean_param() {
  return {.name = "mean",
          .type = ParamType::real,
          .default_value = "0",
          .description = "seconds each subtask sleeps (stop token honoured)",
          .choices = {},
          .min = 0,
          .max = 3600};
}

// ---- flaky ------------------------------------------------------------------------------

class FlakyKernel final : public ElementsKernel {
 public:
  explicit FlakyKernel(std::int64_t every) : every_(every) {}
  SubtaskResult run(const SubtaskContext& context) const override {
    if (context.id % every_ == 0 && context.attempt == 0) {
      throw std::runtime_error("injected flaky failure on subtask " + std::to_string(context.id) +
                               " (attempt 0)");
    }
    return {context.range.size(), {}};
  }

 private:
  std::int64_t every_;
};

KernelInfo flaky_info() {
  return {.name = "flaky",
          .description = "test: some subtasks fail their first attempt, then succeed",
          .params = {every_param("throw on attempt 0")},
          .make = [](const ParamValues& values) {
            return std::make_unique<FlakyKernel>(values.integer("every"));
          }};
}

// ---- failing ----------------------------------------------------------------------------

class FailingKernel final : public ElementsKernel {
 public:
  explicit FailingKernel(std::int64_t every) : every_(every) {}
  SubtaskResult run(const SubtaskContext& context) const override {
    if (context.id % every_ == 0) {
      throw std::runtime_error("injected failure on subtask " + std::to_string(context.id));
    }
    return {context.range.size(), {}};
  }

 private:
  std::int64_t every_;
};

KernelInfo failing_info() {
  return {.name = "failing",
          .description = "test: some subtasks fail on every attempt",
          .params = {every_param("always throw")},
          .make = [](const ParamValues& values) {
            return std::make_unique<FailingKernel>(values.integer("every"));
          }};
}

// ---- hang -------------------------------------------------------------------------------

class HangKernel final : public ElementsKernel {
 public:
  HangKernel(std::int64_t every, double seconds, bool honor)
      : every_(every), seconds_(seconds), honor_(honor) {}
  SubtaskResult run(const SubtaskContext& context) const override {
    if (context.id % every_ == 0 && context.attempt == 0) {
      if (honor_) {
        sleep_honouring_stop(context, seconds_);
      } else {
        // Deaf to the stop token on purpose: one sleep, however long.
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds_));
      }
    }
    return {context.range.size(), {}};
  }

 private:
  std::int64_t every_;
  double seconds_;
  bool honor_;
};

KernelInfo hang_info() {
  return {.name = "hang",
          .description = "test: some subtasks take far too long on their first attempt",
          .params = {every_param("hang on attempt 0"),
                     {.name = "seconds",
                      .type = ParamType::real,
                      .default_value = "30",
                      .description = "how long a hanging attempt takes",
                      .choices = {},
                      .min = 0,
                      .max = 3600},
                     {.name = "honor",
                      .type = ParamType::integer,
                      .default_value = "0",
                      .description = "1: check the stop token every 10 ms; 0: ignore it",
                      .choices = {},
                      .min = 0,
                      .max = 1}},
          .make = [](const ParamValues& values) {
            return std::make_unique<HangKernel>(values.integer("every"), values.real("seconds"),
                                                values.integer("honor") == 1);
          }};
}

// ---- crash ------------------------------------------------------------------------------

class CrashKernel final : public ElementsKernel {
 public:
  CrashKernel(std::int64_t id, std::int64_t rank, double mean)
      : id_(id), rank_(rank), mean_(mean) {}
  SubtaskResult run(const SubtaskContext& context) const override {
    if (static_cast<std::int64_t>(context.id) == id_ && context.attempt == 0) {
      const int rank = mpi_rank();
      // Rank 0 (and a one-process run, rank -1) never kills itself: it is the coordinator.
      if (rank > 0 && (rank_ < 0 || rank == rank_)) ::kill(::getpid(), SIGKILL);
    }
    sleep_honouring_stop(context, mean_);
    return {context.range.size(), {}};
  }

 private:
  std::int64_t id_;
  std::int64_t rank_;
  double mean_;
};

KernelInfo crash_info() {
  return {.name = "crash",
          .description = "test: attempt 0 of one subtask SIGKILLs the worker rank running it",
          .params = {{.name = "id",
                      .type = ParamType::integer,
                      .default_value = "0",
                      .description = "the subtask whose first attempt kills its rank",
                      .choices = {},
                      .min = 0,
                      .max = 1e9},
                     {.name = "rank",
                      .type = ParamType::integer,
                      .default_value = "-1",
                      .description = "only on this MPI rank (-1: any worker rank)",
                      .choices = {},
                      .min = -1,
                      .max = 1e6},
                     mean_param()},
          .make = [](const ParamValues& values) {
            return std::make_unique<CrashKernel>(values.integer("id"), values.integer("rank"),
                                                 values.real("mean"));
          }};
}

// ---- bad_node ---------------------------------------------------------------------------

class BadNodeKernel final : public ElementsKernel {
 public:
  BadNodeKernel(std::int64_t rank, double mean) : rank_(rank), mean_(mean) {}
  SubtaskResult run(const SubtaskContext& context) const override {
    const int rank = mpi_rank();
    if (rank == rank_) {
      throw std::runtime_error("injected bad node: rank " + std::to_string(rank) +
                               " fails subtask " + std::to_string(context.id));
    }
    sleep_honouring_stop(context, mean_);
    return {context.range.size(), {}};
  }

 private:
  std::int64_t rank_;
  double mean_;
};

KernelInfo bad_node_info() {
  return {.name = "bad_node",
          .description = "test: every subtask run on one MPI rank fails",
          .params = {{.name = "rank",
                      .type = ParamType::integer,
                      .default_value = "1",
                      .description = "the MPI rank whose every subtask throws",
                      .choices = {},
                      .min = 0,
                      .max = 1e6},
                     mean_param()},
          .make = [](const ParamValues& values) {
            return std::make_unique<BadNodeKernel>(values.integer("rank"), values.real("mean"));
          }};
}

// ---- segfault ----------------------------------------------------------------------------

class SegfaultKernel final : public ElementsKernel {
 public:
  SegfaultKernel(std::int64_t id, double after) : id_(id), after_(after) {}
  SubtaskResult run(const SubtaskContext& context) const override {
    if (static_cast<std::int64_t>(context.id) == id_ && mpi_rank() > 0) {
      // Some work first, as a real kernel does before it crashes: the worker reports the
      // subtask running within a millisecond of its start, and rank 0 charges the crash
      // to what it knows was running.
      std::this_thread::sleep_for(std::chrono::duration<double>(after_));
      volatile int* nowhere = nullptr;
      *nowhere = 1;
    }
    return {context.range.size(), {}};
  }

 private:
  std::int64_t id_;
  double after_;
};

KernelInfo segfault_info() {
  return {.name = "segfault",
          .description = "test: every attempt of one subtask crashes its worker rank (SIGSEGV)",
          .params = {{.name = "id",
                      .type = ParamType::integer,
                      .default_value = "0",
                      .description = "the subtask that crashes every worker running it",
                      .choices = {},
                      .min = 0,
                      .max = 1e9},
                     {.name = "after",
                      .type = ParamType::real,
                      .default_value = "0.05",
                      .description = "seconds it runs before the crash",
                      .choices = {},
                      .min = 0,
                      .max = 3600}},
          .make = [](const ParamValues& values) {
            return std::make_unique<SegfaultKernel>(values.integer("id"), values.real("after"));
          }};
}

// ---- late_start --------------------------------------------------------------------------

class LateStartKernel final : public ElementsKernel {
 public:
  SubtaskResult run(const SubtaskContext& context) const override {
    return {context.range.size(), {}};
  }
};

KernelInfo late_start_info() {
  return {.name = "late_start",
          .description = "test: one worker rank takes long to build its kernel, or stops",
          .params = {{.name = "rank",
                      .type = ParamType::integer,
                      .default_value = "1",
                      .description = "the MPI rank whose start is late",
                      .choices = {},
                      .min = 0,
                      .max = 1e6},
                     {.name = "seconds",
                      .type = ParamType::real,
                      .default_value = "0",
                      .description = "how late; 0: the process stops itself (SIGSTOP)",
                      .choices = {},
                      .min = 0,
                      .max = 3600}},
          .make = [](const ParamValues& values) -> std::unique_ptr<Kernel> {
            if (mpi_rank() > 0 && mpi_rank() == values.integer("rank")) {
              const double seconds = values.real("seconds");
              if (seconds == 0) {
                ::raise(SIGSTOP);
              } else {
                std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
              }
            }
            return std::make_unique<LateStartKernel>();
          }};
}

}  // namespace

int main(int argc, char** argv) {
  tasktrack::KernelRegistry& registry = tasktrack::kernel_registry();  // the built-ins
  registry.add(flaky_info());
  registry.add(failing_info());
  registry.add(hang_info());
  registry.add(crash_info());
  registry.add(bad_node_info());
  registry.add(segfault_info());
  registry.add(late_start_info());
  return tasktrack::run_main(argc, argv, registry);
}
