#include "cli/job_outputs.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <system_error>

#include "cli/user_messages.hpp"
#include "journal/fingerprint.hpp"
#include "journal/journal_reader.hpp"
#include "journal/move_aside.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {

namespace {

// Opens the job's journal before anything starts: a journal of another job, an unreadable
// header or an unwritable path is bad input (exit 2). A torn tail is cut with a warning.
JournalSetup open_journal(const JobSpec& job) {
  JournalSetup setup;
  if (job.journal.empty()) return setup;
  if (job.fresh) {
    const std::string moved = move_journal_aside(job.journal);
    if (!moved.empty()) print_warning("--fresh: moved the old journal to '" + moved + "'");
  }
  const std::string fingerprint = job_fingerprint(job);
  std::uint64_t valid_bytes = 0;
  std::uint32_t format_version = journal_format_version;
  std::error_code missing;
  if (std::filesystem::file_size(job.journal, missing) > 0 && !missing) {
    JournalContents contents = read_journal(job.journal);
    if (!contents.fingerprint.empty() &&
        !same_job(contents.fingerprint, fingerprint, job.journal)) {
      throw UsageError(fmt::format(
          "journal '{}' belongs to another job (fingerprint {}, {}); this job's fingerprint is "
          "{} ({}); use --fresh to start over or another --journal path",
          job.journal, fingerprint_digest(contents.fingerprint), contents.fingerprint,
          fingerprint_digest(fingerprint), fingerprint));
    }
    const TaskListJob* list = job.task_list();
    if (list != nullptr && list->growing &&
        (!contents.attempts.empty() || !contents.runs.empty())) {
      // Which earlier task a line that arrives is cannot be known before it arrives.
      throw UsageError(fmt::format(
          "journal '{}' holds an earlier run of this job; a task list read as the job runs "
          "(--task-file - or --follow) cannot resume yet: use --fresh or another --journal path",
          job.journal));
    }
    if (contents.warning) print_warning(*contents.warning);
    valid_bytes = contents.valid_bytes;
    format_version = contents.format_version;
    setup.resume = std::move(contents);
  }
  try {
    setup.writer = std::make_unique<JournalWriter>(job.journal, fingerprint, valid_bytes,
                                                   std::chrono::milliseconds(200), format_version);
  } catch (const SystemError& error) {
    throw UsageError(error.what());
  }
  return setup;
}

}  // namespace

void check_writable(const std::string& path) {
  if (path.empty()) return;
  std::ofstream probe(path, std::ios::app);
  if (!probe) throw UsageError("cannot write --summary-json file '" + path + "'");
}

JournalSetup open_outputs(const JobSpec& job) {
  JournalSetup setup = open_journal(job);
  if (!job.trace.empty()) {
    try {
      setup.trace = std::make_unique<TraceWriter>(job.trace);
    } catch (const SystemError& error) {
      throw UsageError(std::string("--trace: ") + error.what());
    }
  }
  return setup;
}

int report(const Summary& summary) {
  print_summary(std::cout, summary);
  std::cout.flush();
  if (!summary.job.summary_json.empty()) {
    std::ofstream out(summary.job.summary_json, std::ios::trunc);
    out << summary_to_json(summary).dump(2) << "\n";
    if (!out) throw system_error_from_errno("write " + summary.job.summary_json);
  }
  return summary.exit_code();
}

// Rank 0's last act (--finished-file): its exit code, once the summary, the journal and the
// workers' stop are behind it; only MPI's own teardown may follow. A launcher that outlives
// this (mpirun or srun waiting for a rank on a host cut off the network) can then be ended
// by the batch script without losing anything. Written whole or not at all (a temporary file
// renamed); a failure is a warning, not a different exit code.
void write_finished_file(const std::string& path, int exit_code) {
  if (path.empty()) return;
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << exit_code << "\n";
    out.flush();
    if (!out) {
      print_warning(fmt::format("cannot write --finished-file '{}'", temporary));
      return;
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    print_warning(fmt::format("cannot rename '{}' to --finished-file '{}': {}", temporary, path,
                              error.message()));
  }
}

}  // namespace tasktrack
