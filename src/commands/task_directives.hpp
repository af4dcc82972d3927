// `#TASKTRACK` directive lines of a task file: a line whose first word is exactly
// `#TASKTRACK` holds directive words for the command lines that follow it; every other '#'
// line is a comment. Issue 11's words set what each following line asks for: `cores=N`
// (N >= 1), `gpus=N`, `mem=SIZE` (as parse_memory_size reads it). A directive replaces the
// one before it as a whole: a key it leaves out takes the flags' value (--cores-per-task,
// --gpus-per-task, --mem-per-task), not the previous directive's, so each directive reads
// the same wherever it stands in the file.
//
// The words are a table (task_directives.cpp): a new directive word is one row with its
// parse function, a bare word or a key=value one, and a field in TaskDirective.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/resources.hpp"

namespace tasktrack {

// What one directive line says; a key it does not name stays unset.
struct TaskDirective {
  std::optional<std::uint32_t> cores;
  std::optional<std::uint32_t> gpus;
  std::optional<std::uint64_t> memory_bytes;
  // The words it gives, in the table's order with canonical values ("cores=8 gpus=1
  // mem=17179869184"), so that reordering words or writing 16G as 16384M changes nothing;
  // empty for a bare #TASKTRACK. The identity of the lines under it (task_line_key).
  std::string identity;

  // The requirement of the lines under this directive: its keys over `flags`.
  Resources requirement(const Resources& flags) const;
};

// True when `line` (leading blanks allowed) is a directive: its first word is exactly
// `#TASKTRACK`. "#TASKTRACKx", "# TASKTRACK" and "#tasktrack" are comments.
bool is_directive_line(std::string_view line);

// The words of a directive line (one for which is_directive_line is true). Throws
// UsageError for an unknown word or key, a malformed or out-of-range value, or a key given
// twice; the message names the word and lists the known keys, and the caller puts the
// file and line in front of it.
TaskDirective parse_directive_line(std::string_view line);

}  // namespace tasktrack
