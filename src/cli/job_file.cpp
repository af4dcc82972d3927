#include "cli/job_file.hpp"

#include <toml++/toml.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "cli/option_table.hpp"
#include "cli/setting_checks.hpp"

namespace tasktrack {
namespace {

// Shortest text that reads back as the same double, and still looks like a float ("3.0",
// not "3"), as a user would type it.
std::string float_text(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text(buffer, result.ptr);
  if (text.find_first_of(".eEni") == std::string::npos) text += ".0";
  return text;
}

// "an integer", "a string (\"ten\")": how an error describes the value it refuses.
std::string describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string (\"" + node.as_string()->get() + "\")";
    case toml::node_type::integer:
      return "an integer (" + std::to_string(node.as_integer()->get()) + ")";
    case toml::node_type::floating_point:
      return "a float (" + float_text(node.as_floating_point()->get()) + ")";
    case toml::node_type::boolean:
      return node.as_boolean()->get() ? "a boolean (true)" : "a boolean (false)";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date or time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string line_of(const toml::node& node) {
  return std::to_string(node.source().begin.line);
}

// Reads the whole file; fopen/errno rather than toml::parse_file, whose error does not
// tell "missing" from "unreadable".
std::string read_job_file_text(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) throw UsageError("job file '" + path + "': " + std::strerror(errno));
  std::string text;
  char buffer[65536];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, count);
  const bool failed = std::ferror(file) != 0;
  const int read_errno = errno;  // e.g. EISDIR for a directory
  std::fclose(file);
  if (failed) throw UsageError("job file '" + path + "': " + std::strerror(read_errno));
  return text;
}

// A [params] value as the text a user would pass to --param.
std::string param_text(const toml::node& node, const std::string& where) {
  if (const auto* value = node.as_string()) return value->get();
  if (const auto* value = node.as_integer()) return std::to_string(value->get());
  if (const auto* value = node.as_floating_point()) return float_text(value->get());
  if (const auto* value = node.as_boolean()) return value->get() ? "true" : "false";
  fail(where, "must be an integer, float, string or boolean, not " + describe(node));
}

// Text keys that name files: a relative path in a job file means relative to the job
// file's folder, so a job file works from wherever it is run (a batch script's folder, the
// submit folder), as a Makefile's or a CMakeLists' paths do. Flags stay relative to the
// current folder, as a shell user expects.
std::string relative_to_job_file(const std::string& value, const std::string& job_file) {
  const std::filesystem::path path(value);
  const std::filesystem::path folder = std::filesystem::path(job_file).parent_path();
  if (value.empty() || path.is_absolute() || folder.empty()) return value;
  return (folder / path).lexically_normal().string();
}

}  // namespace

Settings read_job_file(const std::string& path) {
  const std::string content = read_job_file_text(path);
  toml::table table;
  try {
    table = toml::parse(content, path);
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    throw UsageError("job file '" + path + "', line " + std::to_string(begin.line) + ", column " +
                     std::to_string(begin.column) + ": " + std::string(error.description()));
  }

  Settings settings;
  settings.job_file = path;
  for (const auto& entry : table) {
    // Not a structured binding: clang 14 cannot capture one in the lambda below.
    const std::string name(entry.first.str());
    const toml::node& node = entry.second;
    const std::string where = name + " (job file '" + path + "', line " + line_of(node) + ")";
    const auto expect = [&](bool ok, std::string_view wanted) {
      if (!ok) fail(where, "must be " + std::string(wanted) + ", not " + describe(node));
    };
    const OptionSpec* option = find_job_file_key(name);
    if (option == nullptr) {
      throw UsageError("job file '" + path + "', line " + line_of(node) + ": unknown key '" + name +
                       "' (known keys: " + join(job_file_keys(true)) + ")");
    }
    const auto set = [&](std::string text) {
      settings.given[std::string(option->name)] = Setting{std::move(text), where};
    };
    switch (option->kind) {
      case ValueKind::params:
        expect(node.is_table(), "a table of NAME = VALUE");
        for (const auto& [param_key, param_node] : *node.as_table()) {
          const std::string param_name(param_key.str());
          settings.params[param_name] =
              param_text(param_node, "params." + param_name + " (job file '" + path + "', line " +
                                         line_of(param_node) + ")");
        }
        break;
      case ValueKind::range: {
        // "LO:HI", or [LO, HI]: both end up as "LO:HI" text for parse_range.
        const toml::array* array = node.as_array();
        if (array != nullptr && array->size() == 2 && (*array)[0].is_integer() &&
            (*array)[1].is_integer()) {
          set(std::to_string((*array)[0].as_integer()->get()) + ":" +
              std::to_string((*array)[1].as_integer()->get()));
        } else {
          expect(node.is_string(), "a string \"LO:HI\" or an array [LO, HI] of two integers");
          set(node.as_string()->get());
        }
        break;
      }
      case ValueKind::text:
        expect(node.is_string(), "a string");
        set(node.as_string()->get());
        break;
      case ValueKind::path:
        expect(node.is_string(), "a string");
        set(relative_to_job_file(node.as_string()->get(), path));
        break;
      case ValueKind::count:
        expect(node.is_integer(), "an integer");
        set(std::to_string(node.as_integer()->get()));
        break;
      case ValueKind::boolean:
        expect(node.is_boolean(), "a boolean (true or false)");
        set(node.as_boolean()->get() ? "true" : "false");
        break;
      case ValueKind::argument_sets: {
        // sets = [["0.1", "0.2"], [1, 2, 3]]: each value as the text a user would type
        // after :::.
        const std::string wanted =
            "an array of arrays of strings or numbers, as [[\"a\", "
            "\"b\"], [1, 2]]";
        expect(node.is_array(), wanted);
        settings.argument_sets.clear();
        for (const toml::node& set : *node.as_array()) {
          expect(set.is_array(), wanted);
          auto& values = settings.argument_sets.emplace_back();
          for (const toml::node& value : *set.as_array()) {
            expect(value.is_string() || value.is_integer() || value.is_floating_point(), wanted);
            values.push_back(param_text(value, where));
          }
        }
        set(std::to_string(settings.argument_sets.size()) + " sets");
        break;
      }
      case ValueKind::duration:
        if (const auto* integer = node.as_integer()) {
          set(std::to_string(integer->get()));
        } else if (const auto* real = node.as_floating_point()) {
          set(float_text(real->get()));
        } else {
          expect(node.is_string(), "a duration such as \"30s\", or a number of seconds");
          set(node.as_string()->get());
        }
        break;
    }
  }
  return settings;
}

}  // namespace tasktrack
