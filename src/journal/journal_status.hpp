// `tasktrack status JOURNAL [--json]`: how a job stands, from its journal alone (and, for a
// task list, the task file it names). Works while the job runs (it reads what has been
// committed) and after it died. Batch scripts read the JSON to decide their exit code.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "journal/attempt_log.hpp"
#include "journal/journal_records.hpp"
#include "report/exit_detail.hpp"

namespace tasktrack {

struct JournalStatus {
  // done: every subtask done; failed: nothing left to run but some failed for good;
  // work_left: some were never finished (stopped, interrupted, or still running);
  // empty: no header yet, nothing started; unknown: the total is not known (a task list
  // whose file cannot be read), so neither done nor work left can be told.
  enum class State { done, failed, work_left, empty, unknown };

  struct RankCounts {
    std::string host = "-";
    std::uint64_t done = 0;  // subtasks done, by the record that first said so
    // Failed attempts the journal records on the rank (those of subtasks done since
    // included), as the summary's per-rank column counts failed attempts. The journal keeps
    // an attempt that failed for good, not one that was retried: after retries the
    // summary's count can be the larger.
    std::uint64_t failed = 0;
  };

  // A subtask failed for good, named as the user wrote it.
  struct FailedTask {
    JournalAttempt record;              // its last failed attempt
    std::optional<std::uint32_t> line;  // a task list's line (JobCommands::line)
    std::string command;                // JobCommands::command: the text, or kernel and range
    ExitDetail ending;                  // parsed from the record's detail
  };

  std::string path;
  std::optional<std::string> warning;            // a cut tail
  std::string fingerprint;                       // empty: no header
  std::string kernel = "?";                      // "commands" for a task list
  std::string range = "?";                       // "LO:HI" for a kernel
  std::string task_file;                         // a task list's file, as its fingerprint names it
  std::optional<std::string> task_file_problem;  // why the task file could not be read
  std::uint64_t total = 0;                       // 0: unknown
  std::uint64_t done = 0;
  std::uint64_t failed = 0;  // failed for good, not done since
  std::size_t sessions = 0;
  double last_end_unix = -1;  // the last record's end; -1: none
  std::map<std::int32_t, RankCounts> ranks;
  std::vector<FailedTask> failures;  // standing failures, by subtask

  bool task_list() const { return !task_file.empty(); }

  State state() const;
  std::uint64_t left() const;  // of total, not finished; 0 when the total is unknown
};

std::string to_string(JournalStatus::State state);

// Reads the journal at `path` (UsageError when it cannot be read). For a task list, reads
// the task file named by the fingerprint (as written, else beside the journal) to learn the
// total and to count only records whose line is unchanged, as a resume would.
JournalStatus journal_status(const std::string& path);

// The text `tasktrack status` prints, and the JSON of `--json` (one object, one line). A
// task list's text speaks of commands and lines; each failure shows its command's first
// 120 characters beside its line number, reason and exit status.
void print_status_text(const JournalStatus& status, std::ostream& out);
// The JSON's keys come in a fixed order: state and the counts first, then the job, the
// per-rank entries and the failures, so that a shell script's first match of "done" is the
// total count.
nlohmann::ordered_json status_to_json(const JournalStatus& status);

}  // namespace tasktrack
