// `tasktrack status JOURNAL --watch [INTERVAL]`: how a job stands, refreshed until it ends.
//
// Each interval re-reads the whole journal (journal_status()), which costs a read of the
// file and a replay of its records: about a millisecond per 10,000 records, so even a job
// of a million subtasks is cheap at the default 2 s. The rate is measured by the watch
// itself (subtasks finished since it started, over the time it has watched), so it shows
// "-" until a first subtask finishes while it watches.
//
// On a terminal the block is redrawn in place (the previous one cleared with ANSI escapes)
// and `q` quits; otherwise a line is printed whenever the counts change. It ends when the
// journal's state is done or failed (every subtask finished), or on q, Ctrl-C or SIGTERM
// (exit 0, quietly). A job that died keeps its state work_left: the watch then runs until
// the user quits, showing how long ago the last record was written.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "journal/journal_status.hpp"

namespace tasktrack {

// What the watch measured between its first read and now.
struct WatchRate {
  std::optional<double> per_second;   // subtasks finished (done or failed) per second
  std::optional<double> eta_seconds;  // left / rate
};

// The rate from the finished counts at the watch's start and now, `seconds` apart.
WatchRate watch_rate(std::uint64_t finished_at_start, const JournalStatus& now, double seconds);

// The block drawn on a terminal, one string per line (no newlines). Pure.
std::vector<std::string> watch_block(const JournalStatus& status, const WatchRate& rate,
                                     double interval_seconds);
// The one line printed when stdout is not a terminal. Pure.
std::string watch_line(const JournalStatus& status, const WatchRate& rate);

// Runs the loop on stdout (stdin for `q` when it is a terminal) until the job ends or the
// user quits. Returns the exit code: 0. Throws UsageError when the journal cannot be read
// at the start; a later read error (a journal being replaced) is shown and retried.
int watch_status(const std::string& journal_path, double interval_seconds);

}  // namespace tasktrack
