#include "report/progress.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace tasktrack {

namespace {
constexpr double terminal_refresh_seconds = 0.25;
constexpr int bar_width = 30;

std::string eta_text(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "--";
  const auto total = static_cast<long>(seconds + 0.5);
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, total % 3600 / 60);
  if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}
}  // namespace

std::string to_string(ProgressStyle style) {
  switch (style) {
    case ProgressStyle::automatic:
      return "auto";
    case ProgressStyle::bar:
      return "bar";
    case ProgressStyle::lines:
      return "lines";
    case ProgressStyle::none:
      return "none";
  }
  return "auto";
}

std::optional<ProgressStyle> progress_style_from_string(const std::string& text) {
  for (const ProgressStyle style :
       {ProgressStyle::automatic, ProgressStyle::bar, ProgressStyle::lines, ProgressStyle::none}) {
    if (text == to_string(style)) return style;
  }
  return std::nullopt;
}

Progress::Progress(std::uint32_t total, ProgressStyle style, double interval_seconds,
                   std::FILE* out)
    : total_(total),
      style_(style),
      interval_(style == ProgressStyle::bar ? terminal_refresh_seconds : interval_seconds),
      out_(out),
      next_print_(std::min(interval_, first_line_seconds)) {}

ProgressStyle Progress::resolve(ProgressStyle style) {
  if (style != ProgressStyle::automatic) return style;
  return stderr_is_terminal() ? ProgressStyle::bar : ProgressStyle::lines;
}

bool Progress::stderr_is_terminal() {
  if (::isatty(STDERR_FILENO) == 1) return true;
  // Open MPI's mpirun starts the ranks of its own host as its children.
  if (std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr) return false;
  const std::string parent_stderr = "/proc/" + std::to_string(::getppid()) + "/fd/2";
  // Read-only and non-blocking: opening never waits (a FIFO) nor changes what it names.
  const int fd = ::open(parent_stderr.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  const bool terminal = ::isatty(fd) == 1;
  ::close(fd);
  return terminal;
}

void Progress::update(std::uint32_t done, std::uint32_t failed, double now) {
  if (style_ == ProgressStyle::none || now < next_print_) return;
  next_print_ = now + interval_;
  print(done, failed, now);
}

void Progress::finish(std::uint32_t done, std::uint32_t failed, double now) {
  if (style_ != ProgressStyle::bar || !printed_) return;
  print(done, failed, now);
  std::fputc('\n', out_);
  std::fflush(out_);
}

void Progress::print(std::uint32_t done, std::uint32_t failed, double now) {
  const std::uint32_t finished = done + failed;
  const double fraction = total_ > 0 ? static_cast<double>(finished) / total_ : (open_ ? 0.0 : 1.0);
  const std::uint32_t this_run = finished > finished_before_ ? finished - finished_before_ : 0;
  const double rate = now > 0 ? this_run / now : 0;
  const double eta = rate > 0 && !open_ ? (total_ - finished) / rate : -1;
  const std::string counts = fmt::format("{}/{}{} done, {} failed, {:.1f}/s, ETA {}", done, total_,
                                         open_ ? "+" : "", failed, rate, eta_text(eta));
  if (style_ == ProgressStyle::bar) {
    const int filled = static_cast<int>(fraction * bar_width);
    fmt::print(out_, "\r[{}{}] {:5.1f}% {}\x1b[K", std::string(filled, '#'),
               std::string(bar_width - filled, '.'), 100 * fraction, counts);
  } else {
    // While a growing list's input is open the share done is not known.
    const std::string share = open_ ? "" : fmt::format("{:.1f}% ", 100 * fraction);
    fmt::print(out_, "tasktrack: progress {}{} after {:.0f}s\n", share, counts, now);
  }
  std::fflush(out_);
  printed_ = true;
}

}  // namespace tasktrack
