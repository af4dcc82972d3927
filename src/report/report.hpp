// `tasktrack report JOURNAL --html FILE`: one self-contained HTML page about a job, built
// from its journal alone (design.md: "everything the summary says can be rebuilt from it").
//
// The page fetches nothing: no scripts, fonts, styles or images from anywhere, and a
// Content-Security-Policy that forbids every fetch; its charts are inline SVG drawn here.
// It shows the job (from the fingerprint), headline numbers, a Gantt chart of every attempt
// per worker thread, busy threads over time, a histogram of attempt durations, a per-rank
// table (hosts from the session records) and the subtasks that failed for good.
//
// What the journal cannot tell, the page says it does not know: the kernel's reduction is
// not recorded (a result is shown only for kernels whose result is the sum of per-subtask
// values), retried attempts that failed are not recorded (only the attempt number of the
// record that ended the subtask), and a lost worker is not recorded (its finished attempts
// are there, the rest show up on the ranks they were reassigned to).
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>

#include "journal/journal_records.hpp"

namespace tasktrack {

// At most this many attempt bars on the Gantt chart: past it, every failed attempt and an
// even sample of the done ones are drawn, and the page says so. Keeps a report of a job of
// millions of subtasks to a few MB; the other charts and tables count every record.
inline constexpr std::size_t report_max_gantt_bars = 20000;

// Writes the page for `journal` to `out`. `journal_path` only names the journal on the page.
// Any journal read_journal() returns is fine, an empty one and a damaged one included (a
// torn tail's warning is shown). Every text from the journal (hosts, details, parameters,
// the path) is HTML-escaped and made valid UTF-8. Pure: no I/O but `out`; never throws for
// any journal contents (std::bad_alloc aside).
void write_html_report(const JournalContents& journal, const std::string& journal_path,
                       std::ostream& out);

// The `report` subcommand: reads the journal, writes the page to `html_path` (through a
// temporary file renamed into place, so a reader never sees half a page) and prints one line
// saying where it went. Returns the exit code: 0 when written; 1 (with one line on stderr)
// when reading or writing fails midway. Throws UsageError (exit 2) when the journal cannot
// be opened or is not a tasktrack journal, or when `html_path` cannot be created.
int run_report_command(const std::string& journal_path, const std::string& html_path);

}  // namespace tasktrack
