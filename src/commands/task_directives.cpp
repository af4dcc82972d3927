#include "commands/task_directives.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

constexpr std::string_view directive_prefix = "#TASKTRACK";
constexpr std::string_view blanks = " \t";

// A whole number in [min, uint32 max]: no sign, no blanks, no unit. Throws
// UsageError(problem) without the word, which the caller adds.
std::uint32_t parse_whole_number(std::string_view value, std::uint32_t min) {
  std::uint32_t number = 0;
  const char* const end = value.data() + value.size();
  const auto [ptr, error] = std::from_chars(value.data(), end, number);
  if (error == std::errc::result_out_of_range) {
    throw UsageError("'" + std::string(value) + "' is too large (at most " +
                     std::to_string(std::numeric_limits<std::uint32_t>::max()) + ")");
  }
  if (value.empty() || error != std::errc{} || ptr != end) {
    throw UsageError("expected a whole number, got '" + std::string(value) + "'");
  }
  if (number < min) {
    throw UsageError("must be at least " + std::to_string(min) + ", got '" + std::string(value) +
                     "'");
  }
  return number;
}

// One word a directive may hold: `name=VALUE`, or a bare `name` when value_name is empty.
struct DirectiveWord {
  std::string_view name;
  std::string_view value_name;  // as the list of known keys shows it: "N", "SIZE"
  // Records the word's value in `directive` and returns it as the identity spells it ("8",
  // a size in bytes); throws UsageError(problem) for a bad value.
  std::string (*apply)(std::string_view value, TaskDirective& directive);
};

// clang-format off
const std::array<DirectiveWord, 3> directive_words{{
    // A command needs a core to run on; zero would never be scheduled as asked.
    {"cores", "N",
     [](std::string_view value, TaskDirective& directive) {
       directive.cores = parse_whole_number(value, 1);
       return std::to_string(*directive.cores);
     }},
    {"gpus", "N",
     [](std::string_view value, TaskDirective& directive) {
       directive.gpus = parse_whole_number(value, 0);
       return std::to_string(*directive.gpus);
     }},
    {"mem", "SIZE",
     [](std::string_view value, TaskDirective& directive) {
       directive.memory_bytes = parse_memory_size(std::string(value));
       return std::to_string(*directive.memory_bytes);
     }},
}};
// clang-format on

// "cores=N, gpus=N, mem=SIZE", for every error: the fix is usually one of them.
std::string known_words() {
  std::string text;
  for (const DirectiveWord& word : directive_words) {
    if (!text.empty()) text += ", ";
    text += word.name;
    if (!word.value_name.empty()) text += "=" + std::string(word.value_name);
  }
  return text;
}

[[noreturn]] void refuse(std::string_view word, const std::string& problem) {
  throw UsageError("directive word '" + std::string(word) + "': " + problem +
                   " (a #TASKTRACK directive takes " + known_words() + ")");
}

std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t start = line.find_first_not_of(blanks);
  while (start != std::string_view::npos) {
    const std::size_t end = line.find_first_of(blanks, start);
    words.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    start = end == std::string_view::npos ? end : line.find_first_not_of(blanks, end);
  }
  return words;
}

}  // namespace

Resources TaskDirective::requirement(const Resources& flags) const {
  return Resources{cores.value_or(flags.cores), gpus.value_or(flags.gpus),
                   memory_bytes.value_or(flags.memory_bytes)};
}

bool is_directive_line(std::string_view line) {
  const std::size_t first = line.find_first_not_of(blanks);
  if (first == std::string_view::npos) return false;
  line.remove_prefix(first);
  if (line.substr(0, directive_prefix.size()) != directive_prefix) return false;
  return line.size() == directive_prefix.size() ||
         blanks.find(line[directive_prefix.size()]) != std::string_view::npos;
}

TaskDirective parse_directive_line(std::string_view line) {
  std::vector<std::string_view> words = words_of(line);
  words.erase(words.begin());  // "#TASKTRACK" itself
  TaskDirective directive;
  std::array<bool, directive_words.size()> seen{};
  std::array<std::string, directive_words.size()> canonical;
  for (const std::string_view word : words) {
    const std::size_t equals = word.find('=');
    const std::string_view name = word.substr(0, equals);
    std::size_t row = 0;
    while (row < directive_words.size() && directive_words[row].name != name) ++row;
    if (row == directive_words.size()) {
      refuse(word, equals == std::string_view::npos ? "unknown directive"
                                                    : "unknown key '" + std::string(name) + "'");
    }
    const DirectiveWord& known = directive_words[row];
    if (known.value_name.empty() && equals != std::string_view::npos) {
      refuse(word, std::string(name) + " takes no value");
    }
    if (!known.value_name.empty() && equals == std::string_view::npos) {
      refuse(word, "expected " + std::string(name) + "=" + std::string(known.value_name));
    }
    if (seen[row]) refuse(word, std::string(name) + " given twice on the line");
    seen[row] = true;
    try {
      const std::string value =
          known.apply(equals == std::string_view::npos ? "" : word.substr(equals + 1), directive);
      canonical[row] = std::string(name) + (known.value_name.empty() ? "" : "=" + value);
    } catch (const UsageError& error) {
      refuse(word, error.what());
    }
  }
  for (const std::string& word : canonical) {
    if (word.empty()) continue;
    directive.identity += (directive.identity.empty() ? "" : " ") + word;
  }
  return directive;
}

}  // namespace tasktrack
