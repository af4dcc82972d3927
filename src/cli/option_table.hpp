// The options of `tasktrack run`, each declared once. The table drives the CLI11 flags and
// --help (command_line.cpp), the job file's keys and their TOML types (job_file.cpp), the
// checks that turn settings into a JobSpec (make_job.cpp), and the job as the summary JSON
// and the journal fingerprint show it (job_json below).
// A new option: a row here, a JobSpec field, its wire JSON in job_spec.cpp; nothing else.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "cli/job_spec.hpp"
#include "cli/settings.hpp"

namespace tasktrack {

// How a value is written: on the command line, a boolean is a flag without a value and
// params is the repeated --param NAME=VALUE; everything else is one text value (the last
// one given wins). In a job file, the TOML type each accepts.
enum class ValueKind {
  text,      // a TOML string
  path,      // a TOML string; relative to the job file's folder when given there
  count,     // a TOML integer
  duration,  // a TOML string ("30s") or number of seconds
  boolean,   // a TOML boolean; a flag on the command line
  range,     // a TOML string "LO:HI" or array [LO, HI]
  params,    // a TOML table of NAME = VALUE; --param NAME=VALUE, repeatable
  // A TOML array of arrays of strings or numbers; on the command line, `::: a b ::: c d`
  // after every option (command_line.cpp splits them off before CLI11, which has no flag
  // for it). The values are Settings::argument_sets; the Setting's text is only a summary.
  argument_sets,
};

// Which jobs an option applies to; giving one to the other kind is an error.
enum class Scope { any_job, range_job, task_list };

// Where the job's JSON views show an option (job_json).
enum JsonView : unsigned { not_shown = 0, in_summary = 1, in_fingerprint = 2 };

struct OptionSpec {
  std::string_view name;          // --NAME
  std::string_view job_file_key;  // the job file's key: NAME, except "params"
  ValueKind kind;
  std::string_view value_name;    // --help's placeholder: "N", "DURATION|P%"; none for flags
  std::string_view help;          // "{known kernels}" is replaced by the registry's list
  std::string_view default_text;  // --help's "(default: ...)"; empty = not shown. The value
                                  // itself is JobSpec's member initializer.
  Scope scope;
  // Position in the list of job-file keys that --help and an unknown-key error show, an
  // order older than this table's and kept so that neither text changes.
  int key_list_position;
  // Checks an any_job option's setting into `job` (null for range_job and task_list
  // options: make_job reads those together, they depend on each other). Runs in table
  // order, after the work is known. Throws UsageError.
  void (*apply)(const Setting& setting, JobSpec& job);
  // A check across options, run after apply whether or not this one was given (null for
  // none). Throws UsageError.
  void (*check)(const Settings& settings, const JobSpec& job);
  unsigned views;                                    // JsonView bits
  std::string_view json_key;                         // its key in the views
  nlohmann::json (*json_value)(const JobSpec& job);  // for the views
};

// The options, in the order of --help; validation runs in the same order.
std::span<const OptionSpec> run_options();

// The option named `name`, or its job-file key; null when there is none.
const OptionSpec* find_option(std::string_view name);
const OptionSpec* find_job_file_key(std::string_view key);

// The job-file keys in key_list_position order, with or without "params".
std::vector<std::string> job_file_keys(bool with_params);

// The job as the summary JSON shows it (every in_summary option), or as the journal's
// fingerprint identifies it (the in_fingerprint options of the job's own kind: kernel,
// params, range and subtasks; or the task file's real path). A fingerprint must never
// change for the same job: old journals resume by it.
nlohmann::json job_json(const JobSpec& job, JsonView view);

}  // namespace tasktrack
