// Where a command template's arguments come from (issue 13): the lines of an --args file
// (split into columns by --colsep), the cartesian product of ::: sets, or an --array of
// indices. Each gives the rows, in task order, that TaskTemplate::expand fills in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "commands/task_template.hpp"

namespace tasktrack {

// A job's subtask ids are 32-bit: no source may give more tasks than that.
constexpr std::uint64_t max_generated_tasks = 0xFFFFFFFFULL;

// The arguments of `path`, one a line; a line's trailing '\r' is dropped (files from
// Windows editors), and blank lines (nothing but spaces and tabs) are skipped: GNU parallel
// keeps them as empty arguments, which is never what a list of files or parameters means.
// With `colsep` not empty, each line is also split at every occurrence of that literal
// text into columns {1} {2} ... ("a,,b" has 3 columns, the second empty); without it, a
// line is its one column. Throws UsageError naming the file when it cannot be read or
// holds no argument.
std::vector<ArgumentRow> read_argument_file(const std::string& path, const std::string& colsep);

// The cartesian product of `sets`, the last set varying fastest, as GNU parallel's
// `::: a b ::: 1 2` gives a 1, a 2, b 1, b 2. Each row's columns are one value per set.
// Throws UsageError for no set, an empty set, or more than max_generated_tasks rows.
std::vector<ArgumentRow> cartesian_rows(const std::vector<std::vector<std::string>>& sets);

// --array LO:HI[:STEP]: LO, LO+STEP, ... below HI (half-open, as --range).
struct ArrayRange {
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  std::int64_t step = 1;
  std::uint64_t size() const;
};
// Throws UsageError for malformed text, HI <= LO, STEP < 1, or more than
// max_generated_tasks indices.
ArrayRange parse_array_range(const std::string& text);
// One row per index: {} and {1} are the index.
std::vector<ArgumentRow> array_rows(const ArrayRange& range);

}  // namespace tasktrack
