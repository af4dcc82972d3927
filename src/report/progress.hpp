// Progress on rank 0's stderr while a job runs: one updating bar on a terminal, a log line
// every --progress-interval otherwise (batch jobs write to files).
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace tasktrack {

// --progress: how progress is shown. `automatic` is a bar when stderr is a terminal (under
// mpirun: when mpirun's stderr is), lines otherwise.
enum class ProgressStyle { automatic, bar, lines, none };

std::string to_string(ProgressStyle style);
std::optional<ProgressStyle> progress_style_from_string(const std::string& text);

class Progress {
 public:
  // The first line comes this soon after the start, so that a short job shows one too;
  // later lines come every interval.
  static constexpr double first_line_seconds = 1.0;

  // `style` must not be `automatic`: resolve() it first.
  Progress(std::uint32_t total, ProgressStyle style, double interval_seconds,
           std::FILE* out = stderr);

  // `automatic` -> bar or lines for where stderr goes now.
  static ProgressStyle resolve(ProgressStyle style);

  // Called often from rank 0's loop with seconds since the job started; prints only when
  // due (4 times a second for a bar, every interval for lines).
  void update(std::uint32_t done, std::uint32_t failed, double now);
  // Ends the bar's line.
  void finish(std::uint32_t done, std::uint32_t failed, double now);
  // A growing task list (issue 13): the tasks known so far; `open` while more may come,
  // shown as "N+" with no ETA.
  void set_total(std::uint32_t total, bool open) {
    total_ = total;
    open_ = open;
  }
  // A resumed run (issue 14): the subtasks its journal says finished before this run. They
  // still count towards the share done, but not towards the rate, which (and so the ETA)
  // comes from this run's own completions alone.
  void set_finished_before(std::uint32_t finished) { finished_before_ = finished; }

  // True when what this process writes to stderr reaches a terminal: its own stderr is
  // one, or, for a rank started by mpirun on this host, mpirun's is (mpirun forwards the
  // rank's stderr through a pipe, so isatty() alone says no).
  static bool stderr_is_terminal();

 private:
  void print(std::uint32_t done, std::uint32_t failed, double now);

  std::uint32_t total_;
  bool open_ = false;
  std::uint32_t finished_before_ = 0;
  ProgressStyle style_;
  double interval_;
  std::FILE* out_;
  double next_print_ = 0;
  bool printed_ = false;
};

}  // namespace tasktrack
