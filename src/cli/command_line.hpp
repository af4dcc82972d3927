// `tasktrack <subcommand> ...`: what the command line asks for.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/job_spec.hpp"
#include "journal/attempt_log.hpp"
#include "output/output_command.hpp"
#include "tasktrack/kernel.hpp"

namespace tasktrack {

struct Command {
  enum class Kind {
    run,
    kernels,
    status,
    report,
    log,
    output,
    summary,
    version,
    help
  } kind = Kind::help;
  JobSpec job;          // for Kind::run
  std::string journal;  // for Kind::status, Kind::report and Kind::log
  bool json = false;    // for Kind::status: one JSON object instead of text
  // For Kind::status: refresh every this many seconds until the job ends (--watch).
  std::optional<double> watch_seconds;
  LogFormat log_format = LogFormat::tsv;  // for Kind::log
  std::string log_output;                 // for Kind::log: the file to write; "" = stdout
  std::string html;                       // for Kind::report: the page to write
  std::string help_text;                  // for Kind::help
  OutputQuery output;                     // for Kind::output
  std::string summary_json;               // for Kind::summary: a --summary-json file
};

// Parses `tasktrack <subcommand> ...` (args exclude the program name):
//   run [JOB_FILE] [OPTION]...   the options of option_table.hpp
//   status JOURNAL [--json | --watch [INTERVAL]]   (INTERVAL: a duration, default 2s)
//   log JOURNAL [--format tsv|csv|jsonl] [-o FILE]
//   version, --version
//   report JOURNAL [--html FILE]   (default: JOURNAL.html)
//   kernels
//   summary FILE   (a --summary-json file: prints its text summary again)
//   output FOLDER_OR_JOURNAL [ID] [--attempt K] [--stderr] [--all]   (ID required without --all)
//   --help / -h, or no arguments: Kind::help
// A job file holds the same keys as the flags and a [params] table; flags override it.
// Throws UsageError with one line naming what is wrong.
Command parse_command_line(const std::vector<std::string>& args, const KernelRegistry& registry);

}  // namespace tasktrack
