// A task file: one shell command per line, or `@KERNEL LO:HI [name=value ...]` to run a
// registered kernel in-process. A subtask per command; blank lines and lines starting with
// '#' are skipped (they take no subtask id, but line numbers count every line), and
// `#TASKTRACK` lines are directives that set what the lines after them ask for
// (commands/task_directives.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/resources.hpp"
#include "tasktrack/partition.hpp"

namespace tasktrack {

struct TaskLine {
  std::uint32_t line_number = 0;  // 1-based, in the file
  std::string text;               // as written, without the newline
  Resources requirement;          // from the #TASKTRACK directive above it, else the flags
  // What that directive says, canonically (TaskDirective::identity: "cores=8 gpus=1");
  // empty when none covers the line. Part of the line's key; the flags are not. (Given a
  // default so that code building a line outside a task file may leave it out.)
  std::string directive{};
  // How it runs, beyond `text` (JSON Lines task files, issue 13): without a shell when
  // `argv` is not empty, in `cwd` when set, with `environment` added; `name` labels it in
  // the summary, log and report. Part of its identity when set.
  std::vector<std::string> argv{};
  std::string cwd{};
  std::map<std::string, std::string> environment{};
  std::string name{};
  // How many `#TASKTRACK barrier` lines stand before it (issue 13): it starts only once every
  // task of a lower phase has finished.
  std::uint32_t phase = 0;
  // How long it is expected to run, in seconds (a JSON Lines `time`); 0: not declared.
  // Deadline-aware dispatch (issue 14) reads it on rank 0. A hint, not part of its identity.
  double expected_seconds = 0;
  bool has_extras() const {
    return !argv.empty() || !cwd.empty() || !environment.empty() || !name.empty() || phase != 0 ||
           expected_seconds > 0;
  }
  friend bool operator==(const TaskLine&, const TaskLine&) = default;
};

// A `#TASKTRACK barrier [check]` (or disBatch's `#DISBATCH BARRIER [CHECK]`) line: the
// tasks after it (phase i + 1 for barrier i) start once every task before it finished;
// with `check`, the job stops there when one of them failed for good.
struct TaskBarrier {
  std::uint32_t line_number = 0;
  bool check = false;
  friend bool operator==(const TaskBarrier&, const TaskBarrier&) = default;
};

// A parsed `@KERNEL LO:HI name=value ...` line. Values cannot hold spaces.
struct KernelLine {
  std::string kernel;
  Range range;
  std::map<std::string, std::string> params;
};

// How a task file is written (--task-format): plain lines as above, or JSON Lines
// (commands/task_list_jsonl.hpp); automatic = JSON Lines for a name ending in ".jsonl".
enum class TaskFormat : std::uint8_t { automatic, plain, jsonl };
// "auto", "plain", "jsonl": as --task-format and the job's JSON write it.
std::string_view to_string(TaskFormat format);
std::optional<TaskFormat> task_format_from_string(std::string_view text);

// Reads the commands of a task file, each with its requirement: `defaults` (the flags)
// until a `#TASKTRACK` directive line changes it (commands/task_directives.hpp), or a JSON
// Lines file's tasks. Throws UsageError naming the file (and the line) when it cannot be
// read, holds no command, or a directive or JSON line is malformed. A plain file's barriers
// go to `barriers` when it is given (a JSON Lines file has none).
std::vector<TaskLine> read_task_file(const std::string& path, const Resources& defaults = {},
                                     TaskFormat format = TaskFormat::automatic,
                                     std::vector<TaskBarrier>* barriers = nullptr);

// Parses a line as a kernel line: nullopt when it does not start with '@'. Throws
// UsageError ("line N: ...") for a malformed one.
std::optional<KernelLine> parse_kernel_line(const TaskLine& line);

// What a journal record carries to match its line on resume: FNV-1a 64 of the line's text,
// mixed with its directive when one covers it, and with its cwd and environment when it
// has them (a JSON Lines task; its argv is in its text, quoted). A line's identity is what
// the file says:
// editing `gpus=` in a directive makes the lines under it new work, while the per-task
// flags, like every option that does not change the work, may change between runs, and
// journals from before directives (keyed by the text alone) still resume: what a line does
// not set adds nothing. Its name is a label, not part of it.
std::uint64_t task_line_key(const TaskLine& line);

}  // namespace tasktrack
