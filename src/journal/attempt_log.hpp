// `tasktrack log JOURNAL`: one row per attempt the journal records, in start time order,
// as TSV (whose first nine columns are GNU parallel's --joblog), CSV (RFC 4180) or JSON
// lines, for pandas, a spreadsheet or any tool that reads a joblog. Building the rows and
// writing them are pure functions of the journal's contents and the job's commands.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "journal/job_commands.hpp"
#include "journal/journal_records.hpp"

namespace tasktrack {

// One recorded attempt, as the log shows it.
struct AttemptRow {
  SubtaskId subtask = 0;
  std::optional<std::uint32_t> line;  // a task list's line, while its key matches
  std::uint32_t attempt = 0;
  std::int32_t rank = 0;
  std::string host;  // from the session records; "" when none names the rank
  std::uint16_t thread = 0;
  double start_unix = 0;
  double end_unix = 0;
  SubtaskState state = SubtaskState::done;
  bool retried = false;  // failed, and the subtask was given another attempt
  FailureReason reason = FailureReason::none;
  std::string detail;  // a failure's detail text; "" for a done attempt
  // Joblog's Exitval and Signal: 0 and 0 for a done attempt; for a failure, the exit
  // status (-1 when it had none: killed by a signal, or no process at all) and the signal
  // number (0 when none).
  int exit_value = 0;
  int signal = 0;
  std::string command;      // JobCommands::command
  std::string name;         // JobCommands::name
  std::uint16_t cores = 0;  // 0: not recorded
  std::vector<std::string> gpus;
  std::optional<AttemptUsage> usage;  // what the attempt measured; nullopt: nothing
};

// The rows of every attempt `journal` records (runs expanded), sorted by start time (ties
// by subtask, then attempt; times that are not finite last). A rank's host is the one the
// latest session started at or before the attempt names, else any session naming it.
std::vector<AttemptRow> attempt_rows(const JournalContents& journal, const JobCommands& commands);

enum class LogFormat { tsv, csv, jsonl };
// "tsv", "csv", "jsonl"; nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view name);

// The column names, in order, of every format (JSON lines use them as keys):
//   Seq Host Starttime JobRuntime Send Receive Exitval Signal Command   (GNU parallel's)
//   subtask line attempt rank thread start_iso state reason detail   (state: done, failed
//   for good, or retried: failed, and the subtask was given another attempt)
//   cores gpus max_rss_bytes user_cpu_seconds system_cpu_seconds
//   name   (a JSON Lines task's name; empty when it has none)
// Seq is the subtask id + 1 (the same for every attempt of a subtask), Starttime epoch
// seconds and JobRuntime seconds with 3 decimals, Send and Receive 0. Unknown values are
// empty in TSV and CSV and null in JSON.
const std::vector<std::string>& attempt_log_columns();

// Writes a header line (TSV, CSV) and one line per row. TSV: fields never hold a tab or a
// line break: backslash, tab, newline and carriage return are written as \\ \t \n \r. CSV:
// RFC 4180 (fields with a comma, quote, CR or LF quoted, quotes doubled, CRLF line ends).
// JSON lines: one object per row, numbers as numbers; invalid UTF-8 becomes U+FFFD.
void write_attempt_log(std::ostream& out, const std::vector<AttemptRow>& rows, LogFormat format);

// `tasktrack log JOURNAL`: reads the journal (UsageError when it cannot be read) and, for a
// task list, the task file it names; writes the log to `out`. Returns a warning to print
// (a cut tail, a task file that could not be read), or "".
std::string write_journal_log(const std::string& journal_path, std::ostream& out, LogFormat format);

}  // namespace tasktrack
