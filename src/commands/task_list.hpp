// A task file: one shell command per line, or `@KERNEL LO:HI [name=value ...]` to run a
// registered kernel in-process. A subtask per command; blank lines and lines starting with
// '#' are skipped (they take no subtask id, but line numbers count every line).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tasktrack/partition.hpp"

namespace tasktrack {

struct TaskLine {
  std::uint32_t line_number = 0;  // 1-based, in the file
  std::string text;               // as written, without the newline
  friend bool operator==(const TaskLine&, const TaskLine&) = default;
};

// A parsed `@KERNEL LO:HI name=value ...` line. Values cannot hold spaces.
struct KernelLine {
  std::string kernel;
  Range range;
  std::map<std::string, std::string> params;
};

// Reads the commands of a task file. Throws UsageError naming the file when it cannot be
// read or holds no command.
std::vector<TaskLine> read_task_file(const std::string& path);

// Parses a line as a kernel line: nullopt when it does not start with '@'. Throws
// UsageError ("line N: ...") for a malformed one.
std::optional<KernelLine> parse_kernel_line(const TaskLine& line);

// FNV-1a 64 of the line's text: what a journal record carries to match its line on resume.
std::uint64_t task_line_hash(const std::string& text);

}  // namespace tasktrack
