#include "cli/value_parsers.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <system_error>

#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

std::int64_t parse_range_bound(std::string_view text, const std::string& range_text) {
  std::int64_t value = 0;
  const char* const end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error == std::errc::result_out_of_range) {
    throw UsageError("range '" + range_text + "': bound '" + std::string(text) +
                     "' does not fit in 64 bits");
  }
  if (error != std::errc{} || ptr != end) {
    throw UsageError("malformed range '" + range_text +
                     "': expected LO:HI with integers LO < HI, e.g. 0:1000");
  }
  return value;
}

}  // namespace

Range parse_range(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) {
    throw UsageError("malformed range '" + text +
                     "': expected LO:HI with integers LO < HI, e.g. 0:1000");
  }
  // "1:2:3" fails here: the second bound "2:3" has trailing junk.
  const std::string_view view = text;
  const Range range{parse_range_bound(view.substr(0, colon), text),
                    parse_range_bound(view.substr(colon + 1), text)};
  if (range.hi < range.lo) {
    throw UsageError("reversed range '" + text + "': HI must be greater than LO");
  }
  if (range.hi == range.lo) {
    throw UsageError("empty range '" + text +
                     "': it covers no elements; HI must be greater than LO");
  }
  // hi - lo must fit in int64 (Range::size); only a negative lo can make it overflow.
  if (range.lo < 0 && range.hi > range.lo + std::numeric_limits<std::int64_t>::max()) {
    throw UsageError("range '" + text + "' is too large: more than 2^63-1 elements");
  }
  return range;
}

double parse_duration(const std::string& text) {
  const auto bad = [&](const std::string& problem) {
    throw UsageError("bad duration '" + text + "': " + problem);
  };
  const std::string expected = "expected a number with an optional unit ms, s, m or h, e.g. 30s";
  if (text.empty()) bad("empty; " + expected);
  if (text.front() == '-') bad("must not be negative");

  double value = 0;
  const char* const end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error == std::errc::result_out_of_range) bad("too large");
  if (error != std::errc{}) bad(expected);

  const std::string_view unit(ptr, static_cast<std::size_t>(end - ptr));
  double seconds_per_unit = 0;
  if (unit.empty() || unit == "s") {
    seconds_per_unit = 1;
  } else if (unit == "ms") {
    seconds_per_unit = 1e-3;
  } else if (unit == "m") {
    seconds_per_unit = 60;
  } else if (unit == "h") {
    seconds_per_unit = 3600;
  } else {
    bad("unknown unit '" + std::string(unit) + "' (use ms, s, m or h)");
  }
  const double seconds = value * seconds_per_unit;
  if (!std::isfinite(seconds)) bad("not a finite number of seconds");
  return seconds;
}

}  // namespace tasktrack
