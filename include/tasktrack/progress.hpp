// Progress on rank 0's stderr while a job runs: one updating line on a terminal, a log line
// every --progress-interval otherwise (batch jobs write to files).
#pragma once

#include <cstdint>
#include <cstdio>

namespace tasktrack {

class Progress {
 public:
  // `interactive`: stderr is a terminal. `quiet`: print nothing.
  Progress(std::uint32_t total, bool quiet, bool interactive, double interval_seconds,
           std::FILE* out = stderr);

  // Called often from rank 0's loop with seconds since the job started; prints only when
  // due (4 times a second on a terminal, every interval otherwise).
  void update(std::uint32_t done, std::uint32_t failed, double now);
  // Ends the updating line on a terminal.
  void finish(std::uint32_t done, std::uint32_t failed, double now);

  static bool stderr_is_terminal();

 private:
  void print(std::uint32_t done, std::uint32_t failed, double now);

  std::uint32_t total_;
  bool quiet_;
  bool interactive_;
  double interval_;
  std::FILE* out_;
  double next_print_ = 0;
  bool printed_ = false;
};

}  // namespace tasktrack
