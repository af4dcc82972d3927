#include "commands/task_list.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cli/value_parsers.hpp"
#include "commands/task_directives.hpp"
#include "commands/task_list_jsonl.hpp"
#include "core/fnv1a.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {

namespace {

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

}  // namespace

std::string_view to_string(TaskFormat format) {
  switch (format) {
    case TaskFormat::automatic:
      return "auto";
    case TaskFormat::plain:
      return "plain";
    case TaskFormat::jsonl:
      return "jsonl";
  }
  return "auto";
}

std::optional<TaskFormat> task_format_from_string(std::string_view text) {
  for (const TaskFormat format : {TaskFormat::automatic, TaskFormat::plain, TaskFormat::jsonl}) {
    if (text == to_string(format)) return format;
  }
  return std::nullopt;
}

std::vector<TaskLine> read_task_file(const std::string& path, const Resources& defaults,
                                     TaskFormat format, std::vector<TaskBarrier>* barriers) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw UsageError("task file '" + path + "': " + std::strerror(errno));
  }
  if (format == TaskFormat::jsonl ||
      (format == TaskFormat::automatic && path.ends_with(".jsonl"))) {
    return read_jsonl_tasks(in, path, defaults);
  }
  std::vector<TaskLine> lines;
  TaskFileDirectives directives(defaults);
  std::string text;
  std::uint32_t number = 0;
  while (std::getline(in, text)) {
    ++number;
    if (!text.empty() && text.back() == '\r') text.pop_back();  // files from Windows editors
    if (is_end_of_tasks_line(text)) break;
    try {
      if (directives.apply(text, number, lines)) continue;
    } catch (const UsageError& error) {
      throw UsageError("task file '" + path + "', line " + std::to_string(number) + ": " +
                       error.what());
    }
    const std::string content = trimmed(text);
    if (content.empty() || content.front() == '#') continue;
    lines.push_back(directives.command(text, number));
  }
  if (in.bad()) throw UsageError("task file '" + path + "': read error");
  if (lines.empty()) throw UsageError("task file '" + path + "' holds no command");
  if (barriers != nullptr) *barriers = directives.barriers();
  return lines;
}

std::optional<KernelLine> parse_kernel_line(const TaskLine& line) {
  const std::string content = trimmed(line.text);
  if (content.empty() || content.front() != '@') return std::nullopt;
  const std::string where = "line " + std::to_string(line.line_number);
  std::istringstream words(content.substr(1));
  KernelLine kernel;
  std::string range_text;
  if (!(words >> kernel.kernel) || !(words >> range_text)) {
    throw UsageError(where + ": a kernel line is '@KERNEL LO:HI [name=value ...]', got '" +
                     content + "'");
  }
  try {
    kernel.range = parse_range(range_text);
  } catch (const UsageError& error) {
    throw UsageError(where + ": " + error.what());
  }
  for (std::string word; words >> word;) {
    const auto equals = word.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw UsageError(where + ": expected name=value, got '" + word + "'");
    }
    if (!kernel.params.emplace(word.substr(0, equals), word.substr(equals + 1)).second) {
      throw UsageError(where + ": parameter '" + word.substr(0, equals) + "' given twice");
    }
  }
  return kernel;
}

std::uint64_t task_line_key(const TaskLine& line) {
  if (line.directive.empty() && line.cwd.empty() && line.environment.empty()) {
    return fnv1a64(line.text);
  }
  // After a newline, which no plain line's text holds: no text alone hashes the same input.
  // A JSON Lines command may hold newlines: the cwd's and variables' sizes keep each part
  // from reading as another's.
  std::string input = line.text;
  if (!line.directive.empty()) input += "\n#TASKTRACK " + line.directive;
  if (!line.cwd.empty()) input += "\ncwd " + std::to_string(line.cwd.size()) + " " + line.cwd;
  for (const auto& [name, value] : line.environment) {
    input += "\nenv " + std::to_string(name.size()) + " " + std::to_string(value.size()) + " " +
             name + "=" + value;
  }
  return fnv1a64(input);
}

}  // namespace tasktrack
