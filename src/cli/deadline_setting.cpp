#include "cli/deadline_setting.hpp"

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <ctime>

#include "cli/value_parsers.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {

std::optional<double> parse_date_time(const std::string& text) {
  const std::string trimmed = text.substr(0, text.find_last_not_of(" \t\r\n") + 1);
  if (trimmed.empty()) return std::nullopt;
  std::int64_t epoch = 0;
  const char* const end = trimmed.data() + trimmed.size();
  if (const auto [ptr, error] = std::from_chars(trimmed.data(), end, epoch);
      error == std::errc{} && ptr == end) {
    if (epoch <= 0) return std::nullopt;
    return static_cast<double>(epoch);
  }
  std::tm local{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char separator = 0;
  int used = 0;
  const int fields = std::sscanf(trimmed.c_str(), "%4d-%2d-%2d%c%2d:%2d%n:%2d%n", &year, &month,
                                 &day, &separator, &hour, &minute, &used, &second, &used);
  if (fields < 6 || static_cast<std::size_t>(used) != trimmed.size()) return std::nullopt;
  if (separator != 'T' && separator != ' ') return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 ||
      hour < 0 || minute < 0 || second < 0) {
    return std::nullopt;
  }
  local.tm_year = year - 1900;
  local.tm_mon = month - 1;
  local.tm_mday = day;
  local.tm_hour = hour;
  local.tm_min = minute;
  local.tm_sec = second;
  local.tm_isdst = -1;  // whatever daylight saving time says for that date
  const std::time_t time = std::mktime(&local);
  if (time == static_cast<std::time_t>(-1)) return std::nullopt;
  return static_cast<double>(time);
}

DeadlineSetting parse_deadline(const std::string& text) {
  DeadlineSetting setting;
  if (text == "auto") return setting;
  if (text == "none") {
    setting.kind = DeadlineSetting::Kind::none;
    return setting;
  }
  if (text.starts_with('+')) {
    setting.kind = DeadlineSetting::Kind::after;
    setting.seconds = parse_duration(text.substr(1));
    if (setting.seconds <= 0) throw UsageError("'" + text + "': the duration must be more than 0");
    return setting;
  }
  const std::optional<double> at = parse_date_time(text);
  if (!at) {
    throw UsageError("bad deadline '" + text +
                     "': expected auto, none, +DURATION (e.g. +2h), a local date-time "
                     "YYYY-MM-DDTHH:MM[:SS] or Unix seconds");
  }
  setting.kind = DeadlineSetting::Kind::at;
  setting.seconds = *at;
  return setting;
}

}  // namespace tasktrack
