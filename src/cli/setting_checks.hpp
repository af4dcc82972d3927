// The strict checks every setting goes through, with messages that name the setting, the
// value and what is wrong with it. Each throws UsageError("WHERE: problem").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/settings.hpp"
#include "tasktrack/error.hpp"
#include "tasktrack/kernel.hpp"

namespace tasktrack {

// Durations end up as std::chrono clocks' integer nanoseconds, which overflow after about
// 292 years; a year is far beyond any job's time limit and far from that overflow.
constexpr double max_duration_seconds = 365.0 * 24 * 3600;

[[noreturn]] void fail(const std::string& where, const std::string& problem);

// Runs `parse` and puts `where` in front of the message of any UsageError it throws, for
// the public parsers (parse_range, parse_duration) whose messages cannot know the source.
template <typename Parse>
auto with_context(const std::string& where, Parse parse) {
  try {
    return parse();
  } catch (const UsageError& error) {
    fail(where, error.what());
  }
}

// "a, b, c".
std::string join(const std::vector<std::string>& items);

// "known kernels: a, b" (or "none").
std::string known_kernels(const KernelRegistry& registry);

// Strict decimal parsing of all of the text: no sign, no spaces, no trailing junk, at
// most `max`.
std::uint64_t parse_count(const Setting& setting, std::uint64_t max);

// A count that, when given, must be at least 1 (0 means "the default" inside JobSpec, so
// a user's explicit 0 is refused rather than silently reinterpreted).
std::uint32_t parse_positive_count(const Setting& setting);

// "200%", "12.5%": a percentage, as GNU parallel writes them.
bool is_percent(const std::string& text);

// "P%" with 0 < P <= max -> P.
double parse_percent(const Setting& setting, double max);

// A duration setting in seconds, at most max_duration_seconds.
double parse_seconds(const Setting& setting);

// A duration that, when given, must be more than zero; `zero_hint` says what to do instead.
double parse_positive_seconds(const Setting& setting, const std::string& zero_hint = "");

// "1.5s", "30s": a number of seconds as an error message shows it.
std::string seconds_text(double seconds);

}  // namespace tasktrack
