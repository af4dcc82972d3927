// The report's model of a job: what the page shows, built from a journal's history
// (replay.hpp) in one pass. The charts and tables only read it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "commands/task_list.hpp"
#include "journal/journal_records.hpp"
#include "journal/replay.hpp"
#include "tasktrack/subtask.hpp"

namespace tasktrack::report_html {

inline constexpr double infinity = std::numeric_limits<double>::infinity();

// One attempt record with usable times (both finite; an end before the start counts as no
// time at all).
struct Bar {
  double start = 0;
  double end = 0;
  const JournalAttempt* record = nullptr;
  double seconds() const { return end - start; }
};

struct SessionInfo {
  double started = std::numeric_limits<double>::quiet_NaN();
  std::int64_t ranks = 0;
  std::uint64_t workers = 0;
  std::uint64_t threads = 0;  // all workers' together
  std::uint64_t resumed = 0;
  std::string slurm_job_id;
  std::uint64_t records = 0;
  double first = infinity;  // its records' span
  double last = -infinity;
  bool has_records() const { return records > 0; }
};

struct RankStats {
  std::string host;               // from the latest session that names the rank
  std::uint64_t threads = 0;      // likewise; 0 = named by no session
  std::vector<std::string> gpus;  // likewise: the GPU ids it owned
  std::set<std::uint16_t> threads_seen;
  std::uint64_t done = 0;    // done records
  std::uint64_t failed = 0;  // failed-for-good records
  double busy = 0;
  double first = infinity;
  double last = -infinity;
  std::set<std::size_t> sessions;  // the sessions it has records in
};

// Bars point into `records`, failures into the journal's contents: a Report moves (its vectors keep
// their buffers) but is never copied.
struct Report {
  Report() = default;
  Report(const Report&) = delete;
  Report& operator=(const Report&) = delete;
  Report(Report&&) = default;
  Report& operator=(Report&&) = default;

  std::string journal_path;
  const JournalContents* journal = nullptr;
  // Every attempt the journal records, single records and runs' subtasks alike (done ones
  // without their result bytes, which the page never shows). Bars point here.
  std::vector<JournalAttempt> records;
  std::uint64_t run_subtasks = 0;  // attempts that came from run records
  std::uint64_t gpu_records = 0;   // attempts that name the GPUs they had
  std::string kernel = "?";
  std::string task_file;  // a task list's file, instead of a kernel
  std::optional<Range> range;
  std::optional<std::uint64_t> total;
  std::vector<std::pair<std::string, std::string>> params;
  // A task list's lines as its file reads now (found as resume finds it), by subtask id;
  // empty when the file cannot be read. Its length is the total when the fingerprint has none.
  std::vector<TaskLine> tasks;
  std::vector<std::uint64_t> task_keys;  // task_line_key of each, to match records against

  std::vector<Bar> bars;  // in start order
  std::uint64_t unusable_records = 0;
  std::uint64_t done_subtasks = 0;
  std::uint64_t failed_subtasks = 0;
  std::uint64_t failed_records = 0;
  std::uint64_t retried_records = 0;             // records of attempt number > 0
  std::vector<const JournalAttempt*> failures;   // per subtask failed for good, by id
  std::vector<const JournalAttempt*> capped;     // records whose output passed --output-limit
  std::vector<const JournalAttempt*> by_memory;  // measured records with a peak, largest first
  std::uint64_t measured_records = 0;            // records with a measured usage
  double measured_cpu = 0;                       // their user + system CPU seconds
  double measured_seconds = 0;                   // their run times
  std::map<std::int32_t, RankStats> ranks;
  std::vector<SessionInfo> sessions;
  double t0 = 0;  // the first record's start
  double t1 = 0;  // the last record's end
  double busy = 0;
  double active = 0;  // the sessions' record spans, summed

  // The result, where the journal's values give it: the sum of the first done record's value
  // per subtask, and the range elements those subtasks cover.
  std::int64_t value_sum = 0;
  bool value_overflow = false;
  std::uint64_t done_elements = 0;
};

// Builds the model from `history`; the Report points into the history's contents, which must
// outlive it. `journal_path` only names the journal on the page.
Report build_report(const JournalHistory& history, const std::string& journal_path);

// The command of a record of a task list, when the file read now still has that line as the
// record ran it (same key); null otherwise.
const TaskLine* command_of(const Report& report, const JournalAttempt& record);

// hi - lo without signed overflow (lo < hi: build_report keeps no other range).
std::uint64_t range_size(Range range);
// The threads a rank had: as its latest session says, else as many as ran something.
std::uint64_t rank_threads(const RankStats& rank);

}  // namespace tasktrack::report_html
