// The kernel interface: what a subtask computes and how rank 0 reduces the results.
// Built-in kernels and (issue 4) user kernels implement it and register a KernelInfo.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "tasktrack/attempt_report.hpp"
#include "tasktrack/partition.hpp"
#include "tasktrack/subtask.hpp"

namespace tasktrack {

enum class ParamType { integer, real, string, choice };

// One parameter a kernel declares. Values arrive as text (`--param NAME=VALUE`, or a job
// file's [params] table) and are checked against this before any work starts.
struct ParamSpec {
  std::string name;
  ParamType type = ParamType::integer;
  std::string default_value;  // text, parsed like a user's value
  std::string description;
  std::vector<std::string> choices = {};  // for ParamType::choice
  double min = -1e300;                    // inclusive bounds for integer and real
  double max = 1e300;
};

// Validated parameter values, defaults filled in. Immutable; safe to share among threads.
class ParamValues {
 public:
  ParamValues() = default;
  explicit ParamValues(std::map<std::string, std::string> text) : text_(std::move(text)) {}

  // Typed access; throws std::out_of_range for a name the kernel did not declare.
  std::int64_t integer(std::string_view name) const;
  double real(std::string_view name) const;
  const std::string& text(std::string_view name) const;

  // Every parameter as text, defaults included: what the summary and journal record.
  const std::map<std::string, std::string>& all() const { return text_; }

 private:
  std::map<std::string, std::string> text_;
};

// What one attempt of one subtask is asked to do.
struct SubtaskContext {
  SubtaskId id = 0;
  Range range;                // the part of the job's range this subtask covers
  std::uint32_t attempt = 0;  // 0 for the first attempt
  std::stop_token stop;       // set when the attempt should give up (timeout, shutdown)
  // What the worker gave this attempt: the ids of its cores (as sched_setaffinity numbers
  // them) and of its GPUs (as CUDA_VISIBLE_DEVICES names them). Valid during run() only.
  std::span<const unsigned> cores;
  std::span<const std::string> gpus;
  // Where the attempt's placement and cost go, or null when the job does not track them
  // (range jobs: their hot path records nothing). The pool fills the placement; a kernel
  // that can measure what the attempt used sets `measured` and `usage`, also when it then
  // throws. Valid during run() only.
  AttemptReport* report = nullptr;
  // The pool thread that runs the attempt (from 0) and how many threads the pool started
  // with: the concurrent slot of its rank, for commands that name files by it. A thread
  // that replaces a stuck one takes a number past the others.
  unsigned slot = 0;
  unsigned slots = 0;
};

// What one finished attempt produced: a number every kernel may use, and optional bytes
// (e.g. rows of an image). Keep payloads small: they travel in status messages.
struct SubtaskResult {
  std::int64_t value = 0;
  std::vector<std::byte> payload;
};

// Combines subtask results on rank 0. Single-threaded (rank 0's main thread). `add` is
// called once per subtask that finished, in any order; the final result must not depend
// on that order, nor on how the range was split across ranks and threads. An exception
// from `add` or `finish` is a bug in the kernel, not a failed subtask: it ends the job with
// one error line and exit code 1 (a journal keeps what finished before it).
class Reduction {
 public:
  virtual ~Reduction() = default;
  virtual void add(SubtaskId id, Range range, std::int64_t value,
                   std::span<const std::byte> payload) = 0;
  // Called once at the end (also when some subtasks failed). Returns the kernel-defined
  // result object for the summary, e.g. {"primes": 664579}. May write files (the
  // mandelbrot image) and throws SystemError when that fails.
  virtual nlohmann::json finish() = 0;
  // One short human line for the summary, valid after finish(): "primes: 664579".
  virtual std::string describe() const = 0;
};

// Thrown by a kernel to fail an attempt with a reason other than `exception` (a command
// task's exit_code or signal, a timeout it noticed itself).
class SubtaskFailure : public std::runtime_error {
 public:
  SubtaskFailure(FailureReason reason, const std::string& detail)
      : std::runtime_error(detail), reason_(reason) {}
  FailureReason reason() const { return reason_; }

 private:
  FailureReason reason_;
};

// A configured kernel. `run` is called concurrently from pool threads and must be
// thread-safe. Throwing from `run` fails the attempt with reason `exception` (or a
// SubtaskFailure's reason) and the exception's what() as detail; it never takes the rank
// down.
class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual SubtaskResult run(const SubtaskContext& context) const = 0;
  virtual std::unique_ptr<Reduction> make_reduction(const Partition& partition) const = 0;

  // What a journal record of subtask `id` must match to count on resume: 0 for kernels
  // whose subtasks are fixed by the job's fingerprint; a task list returns a hash of the
  // subtask's line, so an edited line runs again.
  virtual std::uint64_t subtask_key(SubtaskId id) const {
    (void)id;
    return 0;
  }
};

// How a kernel presents itself to the registry and the CLI.
struct KernelInfo {
  std::string name;
  std::string description;
  std::vector<ParamSpec> params;
  std::function<std::unique_ptr<Kernel>(const ParamValues&)> make;
};

// Name -> KernelInfo. Not thread-safe for writes: register kernels before running a job.
class KernelRegistry {
 public:
  // Throws std::logic_error when the name is taken.
  void add(KernelInfo info);
  const KernelInfo* find(std::string_view name) const;
  std::vector<const KernelInfo*> all() const;  // sorted by name

  // Checks user-given NAME=VALUE texts against the kernel's ParamSpecs and fills defaults.
  // Throws UsageError naming the kernel, the parameter and what is wrong with it.
  static ParamValues validate(const KernelInfo& kernel,
                              const std::map<std::string, std::string>& given);

 private:
  std::map<std::string, KernelInfo, std::less<>> kernels_;
};

// The process-wide registry, holding the built-in kernels (primes, pi, mandelbrot, sleep,
// noop) from its first use on.
KernelRegistry& kernel_registry();

}  // namespace tasktrack
