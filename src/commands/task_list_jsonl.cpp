#include "commands/task_list_jsonl.hpp"

#include "commands/task_template.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cstdint>

#include "cli/value_parsers.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

using nlohmann::json;

constexpr const char* known_keys = "cmd, argv, cwd, env, cores, gpus, mem, time, name";

bool is_blank(const std::string& text) {
  return text.find_first_not_of(" \t\r") == std::string::npos;
}

// A message of nlohmann::json without its "[json.exception.parse_error.101] " prefix.
std::string without_exception_tag(const std::string& message) {
  const auto end = message.find("] ");
  return message.starts_with("[json.exception") && end != std::string::npos
             ? message.substr(end + 2)
             : message;
}

std::string text_of(const json& value, const char* key) {
  if (!value.is_string()) throw UsageError(fmt::format("'{}' must be a string", key));
  const std::string text = value.get<std::string>();
  if (text.find('\0') != std::string::npos) {
    throw UsageError(fmt::format("'{}' holds a NUL byte", key));
  }
  return text;
}

std::uint32_t count_of(const json& value, const char* key, std::int64_t lowest) {
  constexpr std::int64_t highest = 1'000'000;  // far beyond any node; keeps sums in range
  // (An unsigned value past INT64_MAX reads as negative: refused too.)
  const std::int64_t count = value.is_number_integer() ? value.get<std::int64_t>() : -1;
  if (count < lowest || count > highest) {
    throw UsageError(fmt::format("'{}' must be an integer from {} to {}, got {}", key, lowest,
                                 highest, value.dump()));
  }
  return static_cast<std::uint32_t>(count);
}

std::uint64_t memory_of(const json& value) {
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    return parse_memory_size(std::to_string(value.get<std::int64_t>()));
  }
  if (value.is_string()) return parse_memory_size(value.get<std::string>());
  throw UsageError("'mem' must be a size such as \"16G\" or an integer of MiB, got " +
                   value.dump());
}

// A task's expected duration in seconds (issue 14's deadline-aware dispatch reads it).
double time_of(const json& value) {
  if (value.is_number() && value.get<double>() > 0 && value.get<double>() < 1e9) {
    return value.get<double>();
  }
  if (value.is_string()) {
    const double seconds = parse_duration(value.get<std::string>());
    if (seconds > 0) return seconds;
  }
  throw UsageError(
      "'time' must be a positive number of seconds or a duration such as \"5m\", "
      "got " +
      value.dump());
}

// One line's object; `task` has its line number and the defaults' requirement.
void read_task(const json& object, const Resources& defaults, TaskLine& task) {
  if (!object.is_object()) {
    throw UsageError("expected a JSON object such as {\"cmd\": \"...\"}, got " +
                     std::string(object.type_name()));
  }
  const bool has_cmd = object.contains("cmd");
  if (has_cmd == object.contains("argv")) {
    throw UsageError(has_cmd ? "give 'cmd' or 'argv', not both"
                             : "no command: give 'cmd' (a shell command) or 'argv' (an array)");
  }
  task.requirement = defaults;
  std::string cores, gpus, mem;  // the identity's words, for the keys given
  for (const auto& [key, value] : object.items()) {
    if (key == "cmd") {
      task.text = text_of(value, "cmd");
      if (is_blank(task.text)) throw UsageError("'cmd' is empty");
    } else if (key == "argv") {
      if (!value.is_array() || value.empty()) {
        throw UsageError("'argv' must be a non-empty array of strings, got " + value.dump());
      }
      for (const json& word : value) task.argv.push_back(text_of(word, "argv"));
      if (task.argv.front().empty()) throw UsageError("'argv' starts with an empty program");
      task.text = shell_quoted(task.argv);
    } else if (key == "cwd") {
      task.cwd = text_of(value, "cwd");
      if (task.cwd.empty()) throw UsageError("'cwd' is empty");
    } else if (key == "env") {
      if (!value.is_object()) throw UsageError("'env' must be an object of strings");
      for (const auto& [name, text] : value.items()) {
        if (name.empty() || name.find_first_of(std::string("=\0", 2)) != std::string::npos) {
          throw UsageError("'env' holds an invalid variable name " + json(name).dump());
        }
        task.environment[name] = text_of(text, ("env." + name).c_str());
      }
    } else if (key == "cores") {
      task.requirement.cores = count_of(value, "cores", 1);
      cores = fmt::format("cores={}", task.requirement.cores);
    } else if (key == "gpus") {
      task.requirement.gpus = count_of(value, "gpus", 0);
      gpus = fmt::format("gpus={}", task.requirement.gpus);
    } else if (key == "mem") {
      task.requirement.memory_bytes = memory_of(value);
      mem = fmt::format("mem={}", task.requirement.memory_bytes);
    } else if (key == "time") {
      task.expected_seconds = time_of(value);
    } else if (key == "name") {
      task.name = text_of(value, "name");
    } else {
      throw UsageError(fmt::format("unknown key '{}' (known: {})", key, known_keys));
    }
  }
  // In a directive's order (task_directives.cpp), whatever the object's.
  for (const std::string* word : {&cores, &gpus, &mem}) {
    if (word->empty()) continue;
    if (!task.directive.empty()) task.directive += ' ';
    task.directive += *word;
  }
}

}  // namespace

TaskLine parse_jsonl_task(const std::string& text, std::uint32_t line_number,
                          const Resources& defaults) {
  TaskLine task{line_number, "", defaults};
  json object;
  try {
    object = json::parse(text);
  } catch (const json::parse_error& error) {
    throw UsageError("bad JSON: " + without_exception_tag(error.what()));
  }
  read_task(object, defaults, task);
  return task;
}

std::vector<TaskLine> read_jsonl_tasks(std::istream& in, const std::string& path,
                                       const Resources& defaults) {
  std::vector<TaskLine> tasks;
  std::string text;
  std::uint32_t number = 0;
  while (std::getline(in, text)) {
    ++number;
    if (is_blank(text)) continue;
    try {
      tasks.push_back(parse_jsonl_task(text, number, defaults));
    } catch (const UsageError& error) {
      throw UsageError(fmt::format("task file '{}', line {}: {}", path, number, error.what()));
    }
  }
  if (in.bad()) throw UsageError("task file '" + path + "': read error");
  if (tasks.empty()) throw UsageError("task file '" + path + "' holds no task");
  return tasks;
}

bool is_blank_jsonl_line(std::string_view text) {
  return text.find_first_not_of(" \t\r") == std::string_view::npos;
}

std::string shell_quoted(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) {
    std::string quoted = quoted_word(word);
    // A text starting with '@' would read as a kernel line: quoting keeps it a command.
    if (out.empty() && quoted.starts_with('@')) quoted = "'" + quoted + "'";
    if (!out.empty()) out += ' ';
    out += quoted;
  }
  return out;
}

}  // namespace tasktrack
