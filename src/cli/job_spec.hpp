// The job as the user described it (flags, or a TOML job file with the same keys), checked
// once at the boundary: everything past JobSpec may assume valid input.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands/task_list.hpp"
#include "core/schedule.hpp"
#include "report/progress.hpp"
#include "tasktrack/kernel.hpp"
#include "tasktrack/partition.hpp"

namespace tasktrack {

struct JobSpec {
  std::string kernel;
  Range range;
  std::uint32_t subtasks = 0;                 // resolved: given, or Partition::default_count
  std::map<std::string, std::string> params;  // validated, defaults filled in
  Schedule schedule = Schedule::guided;
  std::uint32_t chunk = 0;    // batch size for dynamic (floor for guided); 0 = default
  std::uint32_t threads = 0;  // per worker; 0 = SLURM_CPUS_PER_TASK, else node cores
                              // shared among the worker ranks on the node
  std::uint32_t retries = 2;  // extra attempts for a failed subtask
  std::string summary_json;   // path for the JSON summary; empty = none
  std::string trace;          // path for a Chrome trace-event file; empty = none
  bool quiet = false;         // no progress and no notices on stderr
  ProgressStyle progress = ProgressStyle::automatic;  // --progress bar|lines|none
  double progress_interval = 10.0;  // seconds between progress lines when not on a TTY
  std::string job_file;             // the TOML file it came from, if any

  // Fault tolerance (all durations in seconds; 0 = off where noted).
  double timeout = 0;                  // per attempt; 0 = none
  double timeout_percent = 0;          // --timeout P%: of the median run time; 0 = off
  std::uint32_t max_failures = 0;      // stop dispatching after this many failed for good; 0 = off
                                       // (--max-failures P% is resolved against the total)
  double heartbeat = 2.0;              // a quiet worker's heartbeat period
  double worker_timeout = 30.0;        // silence after which rank 0 declares a worker lost
  std::uint32_t quarantine_after = 5;  // consecutive failed attempts that bench a worker; 0 = off
  double grace = 10.0;                 // SIGUSR1: how long running subtasks may finish
  std::string journal;                 // path; empty = no journal
  bool fresh = false;                  // move an existing journal aside and start over
  bool retry_failed = true;            // on resume, run subtasks that failed for good again

  // A task list (--task-file): kernel is "commands", range [0, N), one subtask per line.
  std::string task_file;
  std::vector<TaskLine> tasks;       // the file's commands, read once by rank 0
  std::string output_dir;            // per-attempt stdout/stderr files of command tasks
  std::uint32_t cores_per_task = 1;  // pool threads per command; OMP_NUM_THREADS

  Partition partition() const { return Partition(range, subtasks); }
};

// JobSpec <-> JSON: how rank 0 hands the validated job to the workers, and what the
// summary records.
void to_json(nlohmann::json& out, const JobSpec& job);
void from_json(const nlohmann::json& in, JobSpec& job);

// What the command line asks for.
struct Command {
  enum class Kind { run, kernels, status, report, version, help } kind = Kind::help;
  JobSpec job;            // for Kind::run
  std::string journal;    // for Kind::status and Kind::report
  bool json = false;      // for Kind::status: one JSON object instead of text
  std::string html;       // for Kind::report: the page to write
  std::string help_text;  // for Kind::help
};

// Parses `tasktrack <subcommand> ...` (args exclude the program name):
//   run [JOB_FILE] [--kernel K] [--range LO:HI] [--subtasks N] [--param NAME=VALUE]...
//       [--schedule static|dynamic|guided] [--chunk N] [--threads T] [--retries N]
//       [--summary-json FILE] [--quiet] [--progress auto|bar|lines|none]
//       [--progress-interval DURATION]
//       [--timeout DURATION] [--max-failures N] [--heartbeat DURATION]
//       [--worker-timeout DURATION] [--quarantine-after K] [--grace DURATION]
//       [--journal FILE] [--fresh] [--no-retry-failed]
//   status JOURNAL [--json]
//   version, --version
//   report JOURNAL [--html FILE]   (default: JOURNAL.html)
//   kernels
//   --help / -h, or no arguments: Kind::help
// A job file holds the same keys as the flags (kernel, range, subtasks, schedule, chunk,
// threads, retries, summary-json, quiet, progress-interval, and a [params] table); flags
// override it. Throws UsageError with one line naming what is wrong.
Command parse_command_line(const std::vector<std::string>& args, const KernelRegistry& registry);

// "LO:HI" -> Range; throws UsageError for malformed, reversed or empty ranges.
Range parse_range(const std::string& text);

// "250ms", "30s", "5m", "1h", or a plain number of seconds -> seconds. Throws UsageError.
double parse_duration(const std::string& text);

}  // namespace tasktrack
