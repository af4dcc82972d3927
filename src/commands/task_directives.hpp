// `#TASKTRACK` directive lines of a task file: a line whose first word is exactly
// `#TASKTRACK` holds directive words for the command lines that follow it; every other '#'
// line is a comment. Issue 11's words set what each following line asks for: `cores=N`
// (N >= 1), `gpus=N`, `mem=SIZE` (as parse_memory_size reads it); issue 14's `time=DURATION`
// says how long each is expected to run, for --deadline (not part of the lines' identity:
// a changed estimate keeps what a journal holds). A directive replaces the
// one before it as a whole: a key it leaves out takes the flags' value (--cores-per-task,
// --gpus-per-task, --mem-per-task), not the previous directive's, so each directive reads
// the same wherever it stands in the file.
//
// The words are a table (task_directives.cpp): a new directive word is one row with its
// parse function, a bare word or a key=value one, and a field in TaskDirective.
//
// Issue 13 adds directives that shape the commands rather than their requirement, each a
// line of its own whose first word names it: `prefix TEXT` and `suffix TEXT` (TEXT and a
// space before, or a space and TEXT after, each later command; no TEXT resets),
// `repeat N TEMPLATE` (N commands, `{#}` in each, prefix and suffix included, replaced by
// 1..N), `barrier` (no later
// task starts until every earlier one has finished) and `barrier check` (and the job stops
// there when an earlier task failed for good). disBatch's task files run unchanged:
// `#DISBATCH PREFIX|SUFFIX|REPEAT|BARRIER [CHECK]` lines, as disBatch reads them (below).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/task_list.hpp"
#include "core/resources.hpp"

namespace tasktrack {

enum class DirectiveAction : std::uint8_t { requirement, prefix, suffix, repeat, barrier };

// What one directive line says; a key it does not name stays unset.
struct TaskDirective {
  DirectiveAction action = DirectiveAction::requirement;
  // prefix, suffix: the literal text put before or after each later command, "" to reset;
  // repeat: the command template (with the prefix and suffix in force around it).
  std::string text;
  // repeat: how many commands. disBatch's form sets DISBATCH_REPEAT_INDEX to start,
  // start + step, ... in each command's environment; ours puts 1..N in place of `{#}`.
  std::uint32_t repeat_count = 0;
  bool repeat_index_in_environment = false;
  std::int64_t repeat_start = 0;
  std::int64_t repeat_step = 1;
  bool check = false;  // barrier check

  // action == requirement:
  std::optional<std::uint32_t> cores;
  std::optional<std::uint32_t> gpus;
  std::optional<std::uint64_t> memory_bytes;
  std::optional<double> expected_seconds;  // time=DURATION: for --deadline; not identity
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

// True for `#TASKTRACK end`: no task follows. A growing task list's input ends there
// (task_stream.hpp); a task file's lines after it are not read.
bool is_end_of_tasks_line(std::string_view line);

// The words of a directive line (one for which is_directive_line is true). Throws
// UsageError for an unknown word or key, a malformed or out-of-range value, or a key given
// twice; the message names the word and lists the known keys, and the caller puts the
// file and line in front of it.
TaskDirective parse_directive_line(std::string_view line);

// True when `raw_line` (as in the file, no newline) is a disBatch directive: as disBatch
// reads its files, it starts with `#DISBATCH` at its first column (an indented one is a
// comment there, so here too).
bool is_disbatch_directive_line(std::string_view raw_line);

// A disBatch directive as disBatch 3 reads it: `PREFIX TEXT` and `SUFFIX TEXT` (TEXT as
// written, trailing blanks included: disBatch joins them without a space),
// `REPEAT N [start S] [step T] [COMMAND]`, `BARRIER [CHECK] [KEY]` (the key names the
// barrier for disBatch's monitoring tools: it changes nothing here). Throws UsageError for
// PERENGINE (no per-engine commands here) and any other word: never a silent comment.
TaskDirective parse_disbatch_directive_line(std::string_view raw_line);

// The directives in force while a task file is read from top to bottom.
class TaskFileDirectives {
 public:
  explicit TaskFileDirectives(const Resources& defaults) : defaults_(defaults) {}

  // When `raw_line` is a directive (either form), applies it, appending the commands a
  // repeat makes to `tasks`, and returns true; otherwise changes nothing and returns false.
  // Throws UsageError (without the file and line, which the caller adds).
  bool apply(const std::string& raw_line, std::uint32_t line_number, std::vector<TaskLine>& tasks);
  // The task of a command line under the directives in force: the prefix and suffix around
  // it, their requirement, and the barriers above it as its phase.
  TaskLine command(const std::string& text, std::uint32_t line_number) const;
  // The barriers read so far, in file order: barrier i ends phase i.
  const std::vector<TaskBarrier>& barriers() const { return barriers_; }

 private:
  Resources defaults_;
  Resources requirement_ = defaults_;
  std::string identity_;
  double expected_seconds_ = 0;  // the directive's time=, 0 when none
  std::string prefix_;
  std::string suffix_;
  std::vector<TaskBarrier> barriers_;
};

}  // namespace tasktrack
