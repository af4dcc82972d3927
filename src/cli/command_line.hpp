// `tasktrack <subcommand> ...`: what the command line asks for.
#pragma once

#include <string>
#include <vector>

#include "cli/job_spec.hpp"
#include "output/output_command.hpp"
#include "tasktrack/kernel.hpp"

namespace tasktrack {

struct Command {
  enum class Kind { run, kernels, status, report, version, help, output } kind = Kind::help;
  JobSpec job;            // for Kind::run
  std::string journal;    // for Kind::status and Kind::report
  bool json = false;      // for Kind::status: one JSON object instead of text
  std::string html;       // for Kind::report: the page to write
  std::string help_text;  // for Kind::help
  OutputQuery output;     // for Kind::output
};

// Parses `tasktrack <subcommand> ...` (args exclude the program name):
//   run [JOB_FILE] [OPTION]...   the options of option_table.hpp
//   status JOURNAL [--json]
//   version, --version
//   report JOURNAL [--html FILE]   (default: JOURNAL.html)
//   kernels
//   output FOLDER_OR_JOURNAL [ID] [--attempt K] [--stderr] [--all]   (ID required without --all)
//   --help / -h, or no arguments: Kind::help
// A job file holds the same keys as the flags and a [params] table; flags override it.
// Throws UsageError with one line naming what is wrong.
Command parse_command_line(const std::vector<std::string>& args, const KernelRegistry& registry);

}  // namespace tasktrack
