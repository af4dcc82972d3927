#include "commands/task_arguments.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <string_view>
#include <system_error>

#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

std::vector<std::string> split_columns(const std::string& line, const std::string& colsep) {
  if (colsep.empty()) return {line};
  std::vector<std::string> columns;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = line.find(colsep, start);
    if (at == std::string::npos) break;
    columns.push_back(line.substr(start, at - start));
    start = at + colsep.size();
  }
  columns.push_back(line.substr(start));
  return columns;
}

std::string too_many(std::uint64_t count) {
  return std::to_string(count) + " tasks is more than a job can hold (" +
         std::to_string(max_generated_tasks) + ")";
}

}  // namespace

std::vector<ArgumentRow> read_argument_file(const std::string& path, const std::string& colsep) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("arguments file '" + path + "': " + std::strerror(errno));
  std::vector<ArgumentRow> rows;
  std::string line;
  std::uint32_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    ArgumentRow row;
    row.columns = split_columns(line, colsep);
    row.whole = std::move(line);
    row.source_line = number;
    rows.push_back(std::move(row));
  }
  if (in.bad()) throw UsageError("arguments file '" + path + "': read error");
  if (rows.empty()) throw UsageError("arguments file '" + path + "' holds no argument");
  return rows;
}

std::vector<ArgumentRow> cartesian_rows(const std::vector<std::vector<std::string>>& sets) {
  if (sets.empty()) throw UsageError("no ::: set given");
  std::uint64_t count = 1;
  for (std::size_t i = 0; i < sets.size(); ++i) {
    if (sets[i].empty()) {
      throw UsageError("::: set " + std::to_string(i + 1) + " is empty: give its values after :::");
    }
    count *= sets[i].size();
    if (count > max_generated_tasks) throw UsageError("the ::: sets give " + too_many(count));
  }
  std::vector<ArgumentRow> rows(count);
  // Row r picks, from set i, value (r / (product of the sizes of the sets after i)) % size.
  std::uint64_t stride = count;
  for (const auto& set : sets) {
    stride /= set.size();
    for (std::uint64_t r = 0; r < count; ++r) {
      rows[r].columns.push_back(set[(r / stride) % set.size()]);
    }
  }
  for (ArgumentRow& row : rows) row.whole_is_columns = true;
  return rows;
}

std::uint64_t ArrayRange::size() const {
  // hi > lo and step >= 1 (parse_array_range): the difference fits in 64 unsigned bits.
  const auto span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
  const auto stride = static_cast<std::uint64_t>(step);
  return span / stride + (span % stride == 0 ? 0 : 1);
}

ArrayRange parse_array_range(const std::string& text) {
  const std::string expected = "expected LO:HI or LO:HI:STEP with integers LO < HI, STEP >= 1";
  std::vector<std::int64_t> numbers;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = text.find(':', start);
    const std::string_view part = std::string_view(text).substr(
        start, colon == std::string::npos ? std::string::npos : colon - start);
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (error != std::errc{} || end != part.data() + part.size() || part.empty()) {
      throw UsageError("malformed array '" + text + "': " + expected + ", e.g. 0:1000:10");
    }
    numbers.push_back(value);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (numbers.size() < 2 || numbers.size() > 3) {
    throw UsageError("malformed array '" + text + "': " + expected + ", e.g. 0:1000:10");
  }
  ArrayRange range{numbers[0], numbers[1], numbers.size() == 3 ? numbers[2] : 1};
  if (range.hi <= range.lo) {
    throw UsageError("array '" + text + "' is empty or reversed: HI must be greater than LO");
  }
  if (range.step < 1) throw UsageError("array '" + text + "': STEP must be at least 1");
  if (range.size() > max_generated_tasks) {
    throw UsageError("array '" + text + "' gives " + too_many(range.size()));
  }
  return range;
}

std::vector<ArgumentRow> array_rows(const ArrayRange& range) {
  std::vector<ArgumentRow> rows(range.size());
  for (std::uint64_t i = 0; i < rows.size(); ++i) {
    // In unsigned arithmetic: LO + i * STEP is below HI, but no step past it is taken.
    const auto index = static_cast<std::int64_t>(static_cast<std::uint64_t>(range.lo) +
                                                 i * static_cast<std::uint64_t>(range.step));
    rows[i].whole = std::to_string(index);
    rows[i].columns = {rows[i].whole};
  }
  return rows;
}

}  // namespace tasktrack
