// JSON Lines task files (issue 13): one JSON object per line, a task each. Keys:
//   cmd   string            run by the shell (--shell), as a plain task file's line
//   argv  array of strings  run without a shell: argv[0] found in PATH as execvp does
//   cwd   string            the directory it runs in
//   env   object of strings added to its environment (replacing ours of the same name)
//   cores, gpus             integers (cores >= 1, gpus >= 0), as a #TASKTRACK directive's
//   mem   "16G" or an integer of MiB (parse_memory_size)
//   time  seconds (a number) or a duration text ("90s", "5m"): validated, not used yet
//   name  string            its label
// Exactly one of cmd and argv; every other key is optional. Blank lines are skipped and
// count as lines. A key it leaves out of cores, gpus and mem takes the flags' value, as
// under a directive; the keys it gives are the line's `directive` identity ("cores=2
// mem=1073741824"), so that they are part of its key (task_line_key) as a directive's are.
#pragma once

#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "commands/task_list.hpp"
#include "core/resources.hpp"

namespace tasktrack {

// Reads the tasks of `in`, the file at `path` (named in messages). Throws UsageError
// "task file 'PATH', line N: ..." for bad JSON, a line that is not an object, both or
// neither of cmd and argv, a value of the wrong type or range, or an unknown key; and when
// the file holds no task.
std::vector<TaskLine> read_jsonl_tasks(std::istream& in, const std::string& path,
                                       const Resources& defaults);

// One line's task (line `line_number`). Throws UsageError without the file and line, which
// the caller adds.
TaskLine parse_jsonl_task(const std::string& text, std::uint32_t line_number,
                          const Resources& defaults);
// True for a line a JSON Lines file skips (only blanks).
bool is_blank_jsonl_line(std::string_view text);

// `words` joined by blanks, each quoted for a POSIX shell where it needs it ('...' with
// each ' written '\''), so that `sh -c` of the result runs the same argv: the text by which
// an argv task is shown and identified.
std::string shell_quoted(const std::vector<std::string>& words);

}  // namespace tasktrack
