#include "cli/setting_checks.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

#include "cli/value_parsers.hpp"

namespace tasktrack {

[[noreturn]] void fail(const std::string& where, const std::string& problem) {
  throw UsageError(where + ": " + problem);
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

std::string known_kernels(const KernelRegistry& registry) {
  std::vector<std::string> names;
  for (const KernelInfo* info : registry.all()) names.push_back(info->name);
  return "known kernels: " + (names.empty() ? std::string("none") : join(names));
}

std::uint64_t parse_count(const Setting& setting, std::uint64_t max) {
  const std::string& text = setting.text;
  const char* const end = text.data() + text.size();
  std::uint64_t value = 0;
  // A leading '-' is refused by from_chars for unsigned types; say why.
  const bool negative = !text.empty() && text.front() == '-';
  const auto [ptr, error] = std::from_chars(text.data() + (negative ? 1 : 0), end, value);
  const bool all_digits =
      ptr == end && (error == std::errc{} || error == std::errc::result_out_of_range);
  if (all_digits && negative) fail(setting.where, "must not be negative, got '" + text + "'");
  if (error == std::errc::result_out_of_range || (all_digits && value > max)) {
    fail(setting.where, "'" + text + "' is too large (at most " + std::to_string(max) + ")");
  }
  if (error != std::errc{} || ptr != end || negative) {
    fail(setting.where, "expected a whole number, got '" + text + "'");
  }
  return value;
}

std::uint32_t parse_positive_count(const Setting& setting) {
  const std::uint64_t value = parse_count(setting, std::numeric_limits<std::uint32_t>::max());
  if (value == 0) fail(setting.where, "must be at least 1, got '" + setting.text + "'");
  return static_cast<std::uint32_t>(value);
}

bool is_percent(const std::string& text) {
  return !text.empty() && text.back() == '%';
}

double parse_percent(const Setting& setting, double max) {
  const std::string number = setting.text.substr(0, setting.text.size() - 1);
  double value = 0;
  const char* const end = number.data() + number.size();
  const auto [ptr, error] = std::from_chars(number.data(), end, value);
  if (number.empty() || error != std::errc{} || ptr != end || !std::isfinite(value)) {
    fail(setting.where, "expected a percentage such as 200%, got '" + setting.text + "'");
  }
  if (value <= 0 || value > max) {
    fail(setting.where, "'" + setting.text + "' is out of range: more than 0% and at most " +
                            std::to_string(static_cast<long>(max)) + "%");
  }
  return value;
}

double parse_seconds(const Setting& setting) {
  const double seconds = with_context(setting.where, [&] { return parse_duration(setting.text); });
  if (seconds > max_duration_seconds) {
    fail(setting.where, "'" + setting.text + "' is too long (at most 8760h, a year)");
  }
  return seconds;
}

double parse_positive_seconds(const Setting& setting, const std::string& zero_hint) {
  const double seconds = parse_seconds(setting);
  if (seconds <= 0) {
    fail(setting.where, "must be greater than zero, got '" + setting.text + "'" +
                            (zero_hint.empty() ? "" : " (" + zero_hint + ")"));
  }
  return seconds;
}

std::string seconds_text(double seconds) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, seconds);
  return std::string(buffer, result.ptr) + "s";
}

}  // namespace tasktrack
