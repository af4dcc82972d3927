#include "commands/task_directives.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "cli/value_parsers.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

constexpr std::string_view directive_prefix = "#TASKTRACK";
constexpr std::string_view disbatch_prefix = "#DISBATCH";
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
  // Part of the identity of the lines under it: what they need to run is; how long they
  // are expected to take (a hint for --deadline) is not, so editing it keeps a resume.
  bool in_identity = true;
};

// clang-format off
const std::array<DirectiveWord, 4> directive_words{{
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
    // What --deadline expects each line to take, as the JSON Lines key `time`.
    {"time", "DURATION",
     [](std::string_view value, TaskDirective& directive) {
       const double seconds = parse_duration(std::string(value));
       if (!(seconds > 0)) throw UsageError("a task's time must be more than 0");
       directive.expected_seconds = seconds;
       return std::string(value);
     }, false},
}};
// clang-format on

// "cores=N, gpus=N, mem=SIZE; or one of ...", for every error: the fix is usually one of
// them.
std::string known_words() {
  std::string text;
  for (const DirectiveWord& word : directive_words) {
    if (!text.empty()) text += ", ";
    text += word.name;
    if (!word.value_name.empty()) text += "=" + std::string(word.value_name);
  }
  return text +
         "; or a line of its own: prefix TEXT, suffix TEXT, repeat N TEMPLATE, barrier, "
         "barrier check";
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

// What follows the first occurrence of `word` in `line`, without the blanks around it
// ("" when nothing does).
std::string_view rest_after_word(std::string_view line, std::string_view word) {
  const std::size_t at = line.find(word);
  std::string_view rest = line.substr(at + word.size());
  const std::size_t first = rest.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  rest.remove_prefix(first);
  return rest.substr(0, rest.find_last_not_of(blanks) + 1);
}

// `#TASKTRACK prefix|suffix|repeat|barrier ...`: the word forms, each a line of its own.
// `words` are the line's words after #TASKTRACK, the first one of the four.
TaskDirective parse_word_form(std::string_view line, const std::vector<std::string_view>& words) {
  TaskDirective directive;
  const std::string_view name = words.front();
  const std::string_view rest = rest_after_word(line, name);
  if (name == "prefix" || name == "suffix") {
    const bool prefix = name == "prefix";
    directive.action = prefix ? DirectiveAction::prefix : DirectiveAction::suffix;
    if (!rest.empty()) {
      // Appended piece by piece: GCC 12 warns falsely about `" " + std::string` here.
      directive.text.reserve(rest.size() + 1);
      if (!prefix) directive.text.push_back(' ');
      directive.text.append(rest);
      if (prefix) directive.text.push_back(' ');
    }
    return directive;
  }
  if (name == "repeat") {
    directive.action = DirectiveAction::repeat;
    if (words.size() < 3) refuse(name, "expected 'repeat N TEMPLATE'");
    try {
      directive.repeat_count = parse_whole_number(words[1], 0);
    } catch (const UsageError& error) {
      refuse(words[1], std::string("repeat count: ") + error.what());
    }
    directive.text = std::string(rest_after_word(rest, words[1]));
    return directive;
  }
  directive.action = DirectiveAction::barrier;
  if (words.size() > 2 || (words.size() == 2 && words[1] != "check")) {
    refuse(words[1], "expected 'barrier' or 'barrier check'");
  }
  directive.check = words.size() == 2;
  return directive;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// Reads a number of disBatch's REPEAT ([0-9]+) at the front of `rest`, dropping it.
std::optional<std::int64_t> take_number(std::string_view& rest) {
  std::int64_t number = 0;
  const auto [ptr, error] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
  if (error != std::errc{} || rest.empty() || !std::isdigit(static_cast<unsigned char>(rest[0]))) {
    return std::nullopt;
  }
  rest.remove_prefix(static_cast<std::size_t>(ptr - rest.data()));
  return number;
}

// disBatch's `\s+KEYWORD\s+[0-9]+` (KEYWORD start or step, any case) at the front of
// `rest`: its number, dropping it, or nullopt leaving `rest` as it was.
std::optional<std::int64_t> take_keyword_number(std::string_view& rest, std::string_view keyword) {
  std::string_view probe = rest;
  const std::size_t word = probe.find_first_not_of(blanks);
  if (word == 0 || word == std::string_view::npos) return std::nullopt;
  probe.remove_prefix(word);
  if (!equal_ignoring_case(probe.substr(0, keyword.size()), keyword)) return std::nullopt;
  probe.remove_prefix(keyword.size());
  const std::size_t number_at = probe.find_first_not_of(blanks);
  if (number_at == 0 || number_at == std::string_view::npos) return std::nullopt;
  probe.remove_prefix(number_at);
  const auto number = take_number(probe);
  if (number) rest = probe;
  return number;
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

bool is_end_of_tasks_line(std::string_view line) {
  if (!is_directive_line(line)) return false;
  const std::vector<std::string_view> words = words_of(line);
  return words.size() == 2 && words[1] == "end";
}

TaskDirective parse_directive_line(std::string_view line) {
  std::vector<std::string_view> words = words_of(line);
  words.erase(words.begin());  // "#TASKTRACK" itself
  if (!words.empty() && (words[0] == "prefix" || words[0] == "suffix" || words[0] == "repeat" ||
                         words[0] == "barrier")) {
    return parse_word_form(line, words);
  }
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
  for (std::size_t row = 0; row < directive_words.size(); ++row) {
    const std::string& word = canonical[row];
    if (word.empty() || !directive_words[row].in_identity) continue;
    directive.identity += (directive.identity.empty() ? "" : " ") + word;
  }
  return directive;
}

bool is_disbatch_directive_line(std::string_view raw_line) {
  return raw_line.substr(0, disbatch_prefix.size()) == disbatch_prefix;
}

TaskDirective parse_disbatch_directive_line(std::string_view raw_line) {
  // disBatch's patterns: '#DISBATCH PREFIX (.*)$' and 'SUFFIX' alike, '#DISBATCH REPEAT\s+
  // (N)(\s+start\s+(S))?(\s+step\s+(T))?( (COMMAND.+))?\s*$' (all case-insensitive),
  // '#DISBATCH BARRIER( CHECK)?( KEY)?'.
  const std::string_view line = raw_line.substr(0, raw_line.find_last_not_of(" \t") + 1);
  std::string_view rest = raw_line.substr(disbatch_prefix.size());
  const auto keyword = [&](std::string_view word) {
    if (rest.size() < word.size() + 1 || rest[0] != ' ' ||
        !equal_ignoring_case(rest.substr(1, word.size()), word)) {
      return false;
    }
    const std::string_view after = rest.substr(1 + word.size());
    if (!after.empty() && blanks.find(after[0]) == std::string_view::npos) return false;
    rest = after;
    return true;
  };
  const auto bad = [&](const std::string& problem) {
    throw UsageError("'" + std::string(line) + "': " + problem +
                     " (tasktrack reads disBatch's PREFIX, SUFFIX, REPEAT, BARRIER and BARRIER "
                     "CHECK)");
  };
  TaskDirective directive;
  for (const auto& [word, action] : {std::pair{"PREFIX", DirectiveAction::prefix},
                                     std::pair{"SUFFIX", DirectiveAction::suffix}}) {
    if (!keyword(word)) continue;
    directive.action = action;
    if (!rest.empty()) directive.text = std::string(rest.substr(1));  // after one blank
    return directive;
  }
  if (keyword("REPEAT")) {
    directive.action = DirectiveAction::repeat;
    directive.repeat_index_in_environment = true;
    rest.remove_prefix(std::min(rest.size(), rest.find_first_not_of(blanks)));
    const auto count = take_number(rest);
    if (!count || *count > std::numeric_limits<std::uint32_t>::max()) {
      bad("expected REPEAT N [start S] [step T] [COMMAND]");
    }
    directive.repeat_count = static_cast<std::uint32_t>(*count);
    directive.repeat_start = take_keyword_number(rest, "start").value_or(0);
    directive.repeat_step = take_keyword_number(rest, "step").value_or(1);
    if (rest.find_first_not_of(" \t") != std::string_view::npos) {
      if (rest[0] != ' ') bad("expected REPEAT N [start S] [step T] [COMMAND]");
      directive.text = std::string(rest.substr(1));
    }
    return directive;
  }
  if (keyword("BARRIER")) {
    directive.action = DirectiveAction::barrier;
    directive.check = rest.substr(0, 6) == " CHECK" && (rest.size() == 6 || rest[6] == ' ');
    return directive;
  }
  if (keyword("PERENGINE")) {
    bad("per-engine commands are not supported: run them in your batch script");
  }
  bad("unknown #DISBATCH directive");
  return directive;  // not reached: bad() throws
}

bool TaskFileDirectives::apply(const std::string& raw_line, std::uint32_t line_number,
                               std::vector<TaskLine>& tasks) {
  TaskDirective directive;
  if (is_disbatch_directive_line(raw_line)) {
    directive = parse_disbatch_directive_line(raw_line);
  } else {
    const std::size_t first = raw_line.find_first_not_of(" \t\r");
    const std::string_view content =
        first == std::string::npos ? std::string_view() : std::string_view(raw_line).substr(first);
    if (!is_directive_line(content)) return false;
    directive = parse_directive_line(content.substr(0, content.find_last_not_of(" \t\r") + 1));
  }
  switch (directive.action) {
    case DirectiveAction::requirement:
      requirement_ = directive.requirement(defaults_);
      identity_ = directive.identity;
      expected_seconds_ = directive.expected_seconds.value_or(0);
      break;
    case DirectiveAction::prefix:
      prefix_ = directive.text;
      break;
    case DirectiveAction::suffix:
      suffix_ = directive.text;
      break;
    case DirectiveAction::barrier:
      barriers_.push_back(TaskBarrier{line_number, directive.check});
      break;
    case DirectiveAction::repeat:
      for (std::uint32_t i = 0; i < directive.repeat_count; ++i) {
        if (directive.repeat_index_in_environment) {
          TaskLine task = command(directive.text, line_number);
          task.environment["DISBATCH_REPEAT_INDEX"] =
              std::to_string(directive.repeat_start + directive.repeat_step * std::int64_t{i});
          tasks.push_back(std::move(task));
          continue;
        }
        // The whole command is numbered, the prefix and suffix in force too.
        TaskLine task = command(directive.text, line_number);
        const std::string number = std::to_string(i + 1);
        for (std::size_t at = task.text.find("{#}"); at != std::string::npos;
             at = task.text.find("{#}", at + number.size())) {
          task.text.replace(at, 3, number);
        }
        tasks.push_back(std::move(task));
      }
      break;
  }
  return true;
}

TaskLine TaskFileDirectives::command(const std::string& text, std::uint32_t line_number) const {
  TaskLine task{line_number, prefix_ + text + suffix_, requirement_, identity_};
  task.phase = static_cast<std::uint32_t>(barriers_.size());
  task.expected_seconds = expected_seconds_;
  return task;
}

}  // namespace tasktrack
