// `tasktrack output FOLDER_OR_JOURNAL ID [--attempt K] [--stderr] [--all]`: an attempt's
// captured output, printed byte-exactly, from an output folder or from the folder a job's
// journal names.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace tasktrack {

// What `tasktrack output` was asked for.
struct OutputQuery {
  std::string source;                    // an output folder, or a journal file
  std::optional<std::uint64_t> subtask;  // the 0-based subtask id; required unless `all`
  std::optional<std::uint32_t> attempt;  // absent: the latest; never with `all`
  bool stderr_stream = false;            // stderr instead of stdout
  bool all = false;                      // every attempt (of `subtask` when given)
};

// The output folder a source names, and the --output mode it was written with when known.
struct OutputLocation {
  std::string dir;
  std::string mode;  // "packed", "files", "on-failure", "none", "stdout"; "" when not recorded
};

// A directory is the folder itself (mode unknown). A regular file is a journal: the last
// session record with an "output" object gives the folder and mode; a journal without one
// (written before output modes) is a task list's whose output went to "<task file>.output"
// or, older still, "<task file name>.output" in the current folder: the first of these that
// is a folder. Throws UsageError (one line) when the source does not exist, is not a journal,
// or names no folder that exists, or its last run kept no output (none, stdout).
OutputLocation locate_output(const std::string& source);

// The header line --all prints before each stream: "==> subtask 3 attempt 1 stdout <==".
std::string output_header_line(std::uint64_t subtask, std::uint32_t attempt, bool stderr_stream);

// Prints what `query` asks for to `out` and returns the exit code (0). The bytes are those the
// command wrote, unchanged. With `all`, each attempt's stream follows its header line, in
// subtask then attempt order; a newline is added before a header only when the bytes before it
// did not end in one; a folder without any attempt prints nothing. Throws UsageError (one line)
// when the subtask has no recorded output or the attempt asked for does not exist (naming those
// that do); SystemError when reading fails.
int run_output_command(const OutputQuery& query, std::ostream& out);

}  // namespace tasktrack
