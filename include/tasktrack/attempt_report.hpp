// What an attempt was given and what it cost, beyond its result (issues 11 and 12): the
// cores and GPUs its worker handed it, and what the kernel measured of its use. The pool
// hands a kernel one through SubtaskContext::report only for jobs that track it (task
// lists); the worker sends it with the attempt's status, rank 0 puts it into the journal,
// the trace and the report.
#pragma once

#include <cstdint>

namespace tasktrack {

// What a finished attempt used, as its kernel measured it. For a command: the rusage of
// the process its shell became or started (wait4), for an in-process kernel the thread's
// CPU time (no memory: a thread has no resident size of its own).
struct AttemptUsage {
  std::uint64_t max_rss_bytes = 0;  // peak resident memory; 0 when not measured
  double user_cpu_seconds = 0;
  double system_cpu_seconds = 0;
  friend bool operator==(const AttemptUsage&, const AttemptUsage&) = default;
};

struct AttemptReport {
  std::uint16_t cores = 0;  // cores it was given; 0 = not recorded
  // Bit i: it had the worker's i-th GPU (the i-th id of the worker's hello). A worker's
  // 65th GPU and beyond are not recorded (no node has that many today).
  std::uint64_t gpu_mask = 0;
  bool measured = false;  // `usage` holds what the kernel measured
  AttemptUsage usage;
  // Its output passed --output-limit: the middle of a stream was dropped (issue 12).
  bool output_capped = false;
  // When its command exited, processes of its process group were still running and were
  // ended (issue 13; not with --keep-background). Counted in the summary, not journaled.
  bool left_processes = false;
  friend bool operator==(const AttemptReport&, const AttemptReport&) = default;
};

}  // namespace tasktrack
