// What rank 0 writes besides what it prints: the journal (and what an earlier run left in
// it), the trace, the JSON summary and the finished file. Each is opened or checked before
// anything starts, so that an unwritable path is bad input (exit 2), not a lost result.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/job_spec.hpp"
#include "commands/growing_task_list.hpp"
#include "journal/journal.hpp"
#include "report/summary.hpp"
#include "report/trace.hpp"
#include "runtime/coordinator.hpp"

namespace tasktrack {

// Fails early, before any work, when the JSON summary could not be written at the end.
void check_writable(const std::string& path);

// The journal a run appends to (and what an earlier run left in it), and the trace. And a
// growing task list's input (issue 13), which rank 0 alone reads.
struct JournalSetup {
  std::optional<JournalContents> resume;
  std::unique_ptr<JournalWriter> writer;
  std::unique_ptr<TraceWriter> trace;
  std::unique_ptr<GrowingTaskList> growing;

  CoordinatorSinks sinks() {
    return CoordinatorSinks{writer.get(), resume ? &*resume : nullptr, trace.get(), growing.get()};
  }
};

// Opens rank 0's journal and trace before anything starts: a journal of another job, an
// unreadable header or an unwritable path is bad input (UsageError). A torn tail is cut
// with a warning.
JournalSetup open_outputs(const JobSpec& job);

// Prints the summary (and writes the JSON) before anything else can go wrong: the job's
// result is on record before workers are stopped and MPI is finalized. Returns its exit code.
int report(const Summary& summary);

// Rank 0's last act (--finished-file; nothing when `path` is empty): see the .cpp.
void write_finished_file(const std::string& path, int exit_code);

}  // namespace tasktrack
