#include "commands/task_stream.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "commands/task_list_jsonl.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {

namespace {

// How long a followed file at its end is left before it is read again: new lines start
// within this, and an idle job makes twenty reads a second.
constexpr std::chrono::milliseconds follow_pause{50};
// Bytes read per read_available call at most.
constexpr std::size_t read_budget = 4 * 1024 * 1024;

}  // namespace

TaskStream::TaskStream(std::string path, TaskFormat format, Resources defaults, bool follow)
    : name_(path == "-" ? "standard input" : path), defaults_(defaults), directives_(defaults) {
  jsonl_ = format == TaskFormat::jsonl ||
           (format == TaskFormat::automatic && path != "-" && path.ends_with(".jsonl"));
  if (path == "-") {
    fd_ = STDIN_FILENO;
  } else {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw UsageError("task file '" + path + "': " + std::strerror(errno));
    own_fd_ = true;
  }
  // Only a regular file grows past its end: a pipe's end (or a terminal's Ctrl-D) is the
  // end of input whatever --follow says.
  struct stat info {};
  follow_ = follow && ::fstat(fd_, &info) == 0 && S_ISREG(info.st_mode);
}

TaskStream::~TaskStream() {
  if (own_fd_) ::close(fd_);
}

void TaskStream::end(std::optional<std::string> problem) {
  ended_ = true;
  if (problem) problem_ = fmt::format("{}, {}", name_, *problem);
  if (!problem_ && tasks_read_ == 0) problem_ = name_ + " held no task";
  partial_.clear();
}

void TaskStream::read_available(std::vector<TaskLine>& out) {
  if (ended_ || std::chrono::steady_clock::now() < next_look_) return;
  char buffer[64 * 1024];
  std::size_t budget = read_budget;
  while (!ended_ && budget > 0) {
    // A pipe or terminal with nothing to read would block read(): ask first. A regular file
    // is always readable (read() returns 0 at its end).
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, 0) == 0) return;
    const ssize_t got = ::read(fd_, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) return;
      end(fmt::format("read error: {}", std::strerror(errno)));
      return;
    }
    if (got == 0) {
      if (follow_) {
        next_look_ = std::chrono::steady_clock::now() + follow_pause;
        return;
      }
      // The end of input: a last line without a newline is a line too.
      if (!partial_.empty()) take_line(std::move(partial_), out);
      if (!ended_) end();
      return;
    }
    budget -= std::min(budget, static_cast<std::size_t>(got));
    std::size_t start = 0;
    const std::string_view bytes(buffer, static_cast<std::size_t>(got));
    for (std::size_t newline = bytes.find('\n'); newline != std::string_view::npos && !ended_;
         newline = bytes.find('\n', start)) {
      partial_.append(bytes.substr(start, newline - start));
      start = newline + 1;
      take_line(std::move(partial_), out);
      partial_.clear();
    }
    if (!ended_) partial_.append(bytes.substr(start));
    if (partial_.size() > max_task_line_bytes) {
      end(fmt::format("line {}: longer than {} bytes", line_number_ + 1, max_task_line_bytes));
    }
  }
}

void TaskStream::take_line(std::string text, std::vector<TaskLine>& out) {
  ++line_number_;
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.size() > max_task_line_bytes) {
    end(fmt::format("line {}: longer than {} bytes", line_number_, max_task_line_bytes));
    return;
  }
  if (is_end_of_tasks_line(text)) {
    end();
    return;
  }
  try {
    static_cast<void>(nlohmann::json(text).dump());
  } catch (const nlohmann::json::type_error&) {
    end(fmt::format("line {}: not UTF-8 text", line_number_));
    return;
  }
  const std::size_t first_new = out.size();
  try {
    if (jsonl_) {
      if (is_blank_jsonl_line(text)) return;
      out.push_back(parse_jsonl_task(text, line_number_, defaults_));
    } else if (!directives_.apply(text, line_number_, out)) {
      const std::size_t first = text.find_first_not_of(" \t");
      if (first == std::string::npos || text[first] == '#') return;
      out.push_back(directives_.command(text, line_number_));
    }
  } catch (const UsageError& error) {
    out.resize(first_new);
    end(fmt::format("line {}: {}", line_number_, error.what()));
    return;
  }
  for (std::size_t i = first_new; i < out.size(); ++i) {
    if (!(out[i].requirement == defaults_)) {
      const std::string asked = describe(out[i].requirement);
      out.resize(first_new);
      end(fmt::format(
          "line {}: asks for {}; every task of a growing task list gets what the flags give "
          "(--cores-per-task, --gpus-per-task, --mem-per-task)",
          line_number_, asked));
      return;
    }
  }
  tasks_read_ += out.size() - first_new;
}

}  // namespace tasktrack
