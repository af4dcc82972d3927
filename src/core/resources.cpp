#include "core/resources.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "tasktrack/error.hpp"

namespace tasktrack {

Resources& Resources::operator+=(const Resources& other) {
  cores += other.cores;
  gpus += other.gpus;
  memory_bytes += other.memory_bytes;
  return *this;
}

Resources& Resources::operator-=(const Resources& other) {
  cores -= other.cores;
  gpus -= other.gpus;
  memory_bytes -= other.memory_bytes;
  return *this;
}

Resources saturating_minus(Resources from, const Resources& amount) {
  from.cores -= std::min(from.cores, amount.cores);
  from.gpus -= std::min(from.gpus, amount.gpus);
  from.memory_bytes -= std::min(from.memory_bytes, amount.memory_bytes);
  return from;
}

bool fits(const Resources& need, const Resources& available) {
  return need.cores <= available.cores && need.gpus <= available.gpus &&
         need.memory_bytes <= available.memory_bytes;
}

std::uint32_t slots_for(const Resources& need, const Resources& capacity) {
  std::uint64_t slots = std::numeric_limits<std::uint32_t>::max();
  if (need.cores > 0) slots = std::min<std::uint64_t>(slots, capacity.cores / need.cores);
  if (need.gpus > 0) slots = std::min<std::uint64_t>(slots, capacity.gpus / need.gpus);
  if (need.memory_bytes > 0) {
    slots = std::min<std::uint64_t>(slots, capacity.memory_bytes / need.memory_bytes);
  }
  return static_cast<std::uint32_t>(slots);
}

std::uint64_t parse_memory_size(const std::string& text) {
  const auto bad = [&text] {
    return UsageError("memory size '" + text + "': expected a number with K, M, G or T (MiB " +
                      "when none), e.g. 512M, 16G");
  };
  std::size_t used = 0;
  double number = 0;
  try {
    number = std::stod(text, &used);
  } catch (const std::exception&) {
    throw bad();
  }
  if (!std::isfinite(number) || number < 0 || !std::isdigit(static_cast<unsigned char>(text[0]))) {
    throw bad();
  }
  std::string unit = text.substr(used);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.size() == 2 && unit[1] == 'B') unit.pop_back();  // "16GB"
  double scale = 0;
  if (unit.empty() || unit == "M") {
    scale = 1024.0 * 1024;
  } else if (unit == "K") {
    scale = 1024.0;
  } else if (unit == "G") {
    scale = 1024.0 * 1024 * 1024;
  } else if (unit == "T") {
    scale = 1024.0 * 1024 * 1024 * 1024;
  } else if (unit == "B") {
    scale = 1;
  } else {
    throw bad();
  }
  const double bytes = std::round(number * scale);
  if (bytes > static_cast<double>(std::numeric_limits<std::int64_t>::max())) throw bad();
  return static_cast<std::uint64_t>(bytes);
}

std::string describe_bytes(std::uint64_t bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0 || value == static_cast<double>(static_cast<std::uint64_t>(value))) {
    return fmt::format("{} {}", static_cast<std::uint64_t>(value), units[unit]);
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

std::string describe(const Resources& resources) {
  std::string text = fmt::format("{} core{}", resources.cores, resources.cores == 1 ? "" : "s");
  if (resources.gpus > 0) {
    text += fmt::format(", {} GPU{}", resources.gpus, resources.gpus == 1 ? "" : "s");
  }
  if (resources.memory_bytes > 0) text += ", " + describe_bytes(resources.memory_bytes);
  return text;
}

}  // namespace tasktrack
