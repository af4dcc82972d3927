// A task list read while the job runs (issue 13): `--task-file -` reads standard input,
// `--task-file FILE --follow` a file that is still being written. Rank 0 reads what has
// arrived, without ever blocking, each time its loop comes round, and turns every complete
// line into tasks as a task file's lines are (plain lines with their directives, or JSON
// Lines). Input ends at the end of standard input (or of a file read without --follow), at
// a `#TASKTRACK end` line, or at the first line that is bad input, which problem() then
// names; the lines before it are tasks.
//
// What a growing list does not take (problem() names the line): a task asking for other
// cores, GPUs or memory than the flags (every task of a growing list is packed alike), a
// line longer than max_task_line_bytes (a task travels in one message), and a line that is
// not UTF-8 text (it travels as JSON).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "commands/task_directives.hpp"
#include "commands/task_list.hpp"

namespace tasktrack {

class TaskStream {
 public:
  // The longest line taken, newline excluded: escaped as JSON (at most 6 bytes a byte) it
  // still fits one TaskLines message.
  static constexpr std::size_t max_task_line_bytes = 8 * 1024;

  // `path` "-" reads standard input; `format` automatic means JSON Lines for a path ending in
  // ".jsonl" (standard input: plain). `follow`: a regular file is read again after its end
  // (a pipe or terminal ends at its end). Throws UsageError when the file cannot be opened.
  TaskStream(std::string path, TaskFormat format, Resources defaults, bool follow);
  ~TaskStream();
  TaskStream(const TaskStream&) = delete;
  TaskStream& operator=(const TaskStream&) = delete;

  // Appends the tasks of the complete lines that have arrived to `out`, in order; never
  // blocks. Reads at most a few MiB per call, so rank 0's loop keeps turning under a flood.
  // A followed file at its end is looked at again after a short pause.
  void read_available(std::vector<TaskLine>& out);

  bool ended() const { return ended_; }
  // Why input ended early: "standard input, line 7: ..."; nullopt when it ended normally.
  const std::optional<std::string>& problem() const { return problem_; }
  // The barriers read so far, in order: barrier i ends the tasks of phase i.
  const std::vector<TaskBarrier>& barriers() const { return directives_.barriers(); }
  // "standard input" or the file's path.
  const std::string& name() const { return name_; }
  std::uint64_t tasks_read() const { return tasks_read_; }

 private:
  void take_line(std::string text, std::vector<TaskLine>& out);
  void end(std::optional<std::string> problem = std::nullopt);

  std::string name_;
  int fd_ = -1;
  bool own_fd_ = false;
  bool follow_ = false;
  bool jsonl_ = false;
  Resources defaults_;
  TaskFileDirectives directives_;
  std::string partial_;  // the bytes of a line whose newline has not arrived
  std::uint32_t line_number_ = 0;
  std::uint64_t tasks_read_ = 0;
  std::chrono::steady_clock::time_point next_look_{};
  bool ended_ = false;
  std::optional<std::string> problem_;
};

}  // namespace tasktrack
