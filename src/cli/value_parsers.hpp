// Parsers for the values users write: ranges and durations. Shared by the options, the job
// file and the task file's kernel lines.
#pragma once

#include <string>

#include "tasktrack/partition.hpp"

namespace tasktrack {

// "LO:HI" -> Range; throws UsageError for malformed, reversed or empty ranges.
Range parse_range(const std::string& text);

// "250ms", "30s", "5m", "1h", or a plain number of seconds -> seconds. Throws UsageError.
double parse_duration(const std::string& text);

}  // namespace tasktrack
