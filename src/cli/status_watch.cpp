#include "cli/status_watch.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

#include "commands/command_runner.hpp"
#include "journal/job_commands.hpp"
#include "runtime/signals.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {

namespace {

using Clock = std::chrono::steady_clock;

// "42s", "3m05s", "2h07m".
std::string duration_text(double seconds) {
  const auto whole = static_cast<std::uint64_t>(std::llround(std::max(seconds, 0.0)));
  if (whole < 60) return fmt::format("{}s", whole);
  if (whole < 3600) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}h{:02}m", whole / 3600, (whole % 3600) / 60);
}

std::string rate_text(const WatchRate& rate) {
  if (!rate.per_second) return "rate -";
  std::string text = *rate.per_second >= 10 ? fmt::format("{:.0f}/s", *rate.per_second)
                                            : fmt::format("{:.2f}/s", *rate.per_second);
  text = "rate " + text;
  if (rate.eta_seconds) text += ", ETA " + duration_text(*rate.eta_seconds);
  return text;
}

std::string counts_text(const JournalStatus& status) {
  std::string text;
  if (status.total > 0) {
    const double percent = 100.0 * static_cast<double>(status.done + status.failed) /
                           static_cast<double>(status.total);
    text = fmt::format("{} done, {} failed, {} left of {} ({:.0f}% finished)", status.done,
                       status.failed, status.left(), status.total, std::floor(percent));
  } else {
    text = fmt::format("{} done, {} failed, total unknown", status.done, status.failed);
  }
  return text;
}

double now_unix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool finished(const JournalStatus& status) {
  const JournalStatus::State state = status.state();
  return state == JournalStatus::State::done || state == JournalStatus::State::failed;
}

// The terminal in non-canonical mode without echo, so a single `q` is read at once;
// restored when destroyed. Ctrl-C still raises SIGINT (ISIG stays on).
class KeyReader {
 public:
  KeyReader() {
    if (::isatty(STDIN_FILENO) == 0 || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~KeyReader() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  KeyReader(const KeyReader&) = delete;
  KeyReader& operator=(const KeyReader&) = delete;

  // Waits up to `timeout`; true when `q` was pressed.
  bool quit_pressed(std::chrono::milliseconds timeout) const {
    pollfd input{STDIN_FILENO, POLLIN, 0};
    const int ready =
        ::poll(active_ ? &input : nullptr, active_ ? 1 : 0, static_cast<int>(timeout.count()));
    if (ready <= 0 || !active_) return false;
    char keys[64];
    const ssize_t got = ::read(STDIN_FILENO, keys, sizeof keys);
    for (ssize_t i = 0; i < got; ++i) {
      if (keys[i] == 'q' || keys[i] == 'Q') return true;
    }
    return false;
  }

 private:
  termios saved_{};
  bool active_ = false;
};

std::size_t terminal_width() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

// A line cut to the terminal's width, so that none wraps and the redraw's count of lines
// to clear stays right.
std::string fitted(std::string line, std::size_t width) {
  if (line.size() >= width) line = shortened(line, width > 4 ? width - 4 : 1);
  return line;
}

}  // namespace

WatchRate watch_rate(std::uint64_t finished_at_start, const JournalStatus& now, double seconds) {
  WatchRate rate;
  const std::uint64_t finished = now.done + now.failed;
  if (seconds <= 0 || finished <= finished_at_start) return rate;
  rate.per_second = static_cast<double>(finished - finished_at_start) / seconds;
  if (now.total > 0) rate.eta_seconds = static_cast<double>(now.left()) / *rate.per_second;
  return rate;
}

std::vector<std::string> watch_block(const JournalStatus& status, const WatchRate& rate,
                                     double interval_seconds) {
  std::vector<std::string> lines;
  lines.push_back(
      fmt::format("tasktrack status --watch {}  (every {}; q or Ctrl-C quits)", status.path,
                  interval_seconds < 1 ? fmt::format("{:.0f}ms", interval_seconds * 1000)
                                       : duration_text(interval_seconds)));
  if (status.warning) lines.push_back("warning   " + *status.warning);
  if (status.fingerprint.empty()) {
    lines.push_back("waiting   the job has not written its journal's header yet");
    return lines;
  }
  const std::string total = status.total > 0 ? std::to_string(status.total) : "?";
  if (status.task_list()) {
    lines.push_back(fmt::format("job       task list {}, {} commands", status.task_file, total));
  } else {
    lines.push_back(
        fmt::format("job       {}, range {}, {} subtasks", status.kernel, status.range, total));
  }
  if (status.task_file_problem) lines.push_back("warning   " + *status.task_file_problem);
  lines.push_back("progress  " + counts_text(status));
  lines.push_back("          " + rate_text(rate));
  if (status.last_end_unix >= 0) {
    lines.push_back(
        fmt::format("last      record {} ago", duration_text(now_unix() - status.last_end_unix)));
  }
  constexpr std::size_t failures_shown = 5;
  for (std::size_t i = 0; i < status.failures.size() && i < failures_shown; ++i) {
    const JournalStatus::FailedTask& failure = status.failures[i];
    std::string how = std::string(to_string(failure.record.reason));
    if (failure.ending.signal) {
      how = signal_name(*failure.ending.signal);
    } else if (failure.ending.exit_status) {
      how = fmt::format("exit {}", *failure.ending.exit_status);
    }
    const std::string where =
        failure.line ? fmt::format("#{} line {}", failure.record.subtask, *failure.line)
                     : fmt::format("#{}", failure.record.subtask);
    lines.push_back(fmt::format("{}{} ({}): {}", i == 0 ? "failed    " : "          ", where, how,
                                shortened(failure.command)));
  }
  if (status.failures.size() > failures_shown) {
    lines.push_back(
        fmt::format("          ... and {} more", status.failures.size() - failures_shown));
  }
  if (finished(status)) lines.push_back("ended     " + to_string(status.state()));
  return lines;
}

std::string watch_line(const JournalStatus& status, const WatchRate& rate) {
  if (status.fingerprint.empty()) return "waiting for the job to write its journal's header";
  std::string line = counts_text(status) + ", " + rate_text(rate);
  if (finished(status)) line += "; ended: " + to_string(status.state());
  return line;
}

int watch_status(const std::string& journal_path, double interval_seconds) {
  const bool terminal = ::isatty(STDOUT_FILENO) != 0;
  const KeyReader keys;
  const auto started = Clock::now();
  JournalStatus status = journal_status(journal_path);  // unreadable at the start: bad input
  const std::uint64_t finished_at_start = status.done + status.failed;
  std::size_t lines_drawn = 0;
  std::string last_counts;
  std::optional<std::string> read_problem;

  while (true) {
    const double watched = std::chrono::duration<double>(Clock::now() - started).count();
    const WatchRate rate = watch_rate(finished_at_start, status, watched);
    if (terminal) {
      std::vector<std::string> lines = watch_block(status, rate, interval_seconds);
      if (read_problem) lines.push_back("warning   " + *read_problem);
      const std::size_t width = terminal_width();
      std::string frame;
      if (lines_drawn > 0) frame += fmt::format("\x1b[{}A\r\x1b[J", lines_drawn);
      for (const std::string& line : lines) frame += fitted(line, width) + "\n";
      std::cout << frame << std::flush;
      lines_drawn = lines.size();
    } else {
      // A line when the counts change, not every interval: a batch log stays short.
      const std::string counts = counts_text(status) + to_string(status.state());
      if (counts != last_counts) std::cout << watch_line(status, rate) << std::endl;
      last_counts = counts;
    }
    if (finished(status)) return exit_success;

    // Sleep in short slices: q, Ctrl-C and SIGTERM are noticed within 100 ms.
    const auto wake = Clock::now() + std::chrono::duration<double>(interval_seconds);
    while (Clock::now() < wake) {
      if (stop_requested() != StopRequest::none) return exit_success;
      if (keys.quit_pressed(std::chrono::milliseconds(100))) return exit_success;
    }
    if (stop_requested() != StopRequest::none) return exit_success;
    try {
      status = journal_status(journal_path);
      read_problem.reset();
    } catch (const std::exception& error) {
      read_problem = error.what();  // shown, and tried again at the next interval
    }
  }
}

}  // namespace tasktrack
