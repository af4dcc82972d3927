// CLI11 reads the command line; the options of `run` come from the option table, and every
// value is taken as text and checked by make_job, so that a flag and a job-file key get the
// same strict checks and messages.
#include "cli/command_line.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <map>

#include "cli/job_file.hpp"
#include "cli/make_job.hpp"
#include "cli/option_table.hpp"
#include "cli/setting_checks.hpp"
#include "cli/value_parsers.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

// Splits each --param NAME=VALUE (at the first '=': values may hold '=') into `params`,
// replacing the job file's value of the same name.
void apply_param_flags(const std::vector<std::string>& flags,
                       std::map<std::string, std::string>& params) {
  std::map<std::string, std::string> given;
  for (const std::string& flag : flags) {
    const auto equals = flag.find('=');
    if (equals == std::string::npos) {
      throw UsageError("--param: malformed '" + flag + "': expected NAME=VALUE");
    }
    const std::string name = flag.substr(0, equals);
    if (name.empty()) throw UsageError("--param: empty parameter name in '" + flag + "'");
    if (!given.emplace(name, flag.substr(equals + 1)).second) {
      throw UsageError("--param: parameter '" + name + "' given twice");
    }
  }
  for (auto& [name, value] : given) params[name] = value;
}

// ---- issue 13: ::: sets ----------------------------------------------------------------------
// GNU parallel's `::: a b ::: c d`, after `run`'s options and job file: CLI11 has no such
// syntax, so the words from the first ":::" on are taken off `args` before it parses. Returns
// the sets (empty when there is no ":::"); each word is a value exactly as given.
std::vector<std::vector<std::string>> split_argument_sets(std::vector<std::string>& args) {
  std::vector<std::vector<std::string>> sets;
  if (args.empty() || args.front() != "run") return sets;
  const auto first = std::find(args.begin(), args.end(), ":::");
  for (auto word = first; word != args.end(); ++word) {
    if (*word == ":::") {
      sets.emplace_back();
    } else if (*word == "::::" || *word == ":::+" || *word == "::::+") {
      throw UsageError("'" + *word +
                       "' (GNU parallel's argument files and linked sets) is not supported: "
                       "use --args FILE, or ::: sets");
    } else {
      sets.back().push_back(*word);
    }
  }
  args.erase(first, args.end());
  return sets;
}
// ---- end ::: sets ---------------------------------------------------------------------------

Command help_command(std::string text) {
  Command command;
  command.kind = Command::Kind::help;
  command.help_text = std::move(text);
  return command;
}

// Greedy line breaks at `width` columns.
std::string wrap(const std::string& text, std::size_t width) {
  std::string wrapped;
  std::size_t line_length = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::size_t word_length = end - start;
    if (line_length > 0 && line_length + 1 + word_length > width) {
      wrapped += '\n';
      line_length = 0;
    } else if (line_length > 0) {
      wrapped += ' ';
      ++line_length;
    }
    wrapped.append(text, start, word_length);
    line_length += word_length;
    start = end + 1;
  }
  return wrapped;
}

// The help text of a `run` option: its help, the kernels it may name, its default.
std::string help_of(const OptionSpec& option, const KernelRegistry& registry) {
  std::string help(option.help);
  const std::string placeholder = "{known kernels}";
  if (const auto at = help.find(placeholder); at != std::string::npos) {
    help.replace(at, placeholder.size(), known_kernels(registry));
  }
  if (!option.default_text.empty()) help += " (default: " + std::string(option.default_text) + ")";
  return help;
}

// The options of `run` as CLI11 holds them while parsing.
struct RunFlags {
  std::map<std::string, std::string> text;  // node-based: CLI11 keeps pointers into it
  std::map<std::string, bool> flags;
  std::vector<std::string> params;
  std::map<std::string, CLI::Option*> options;
};

void add_run_options(CLI::App& run, const KernelRegistry& registry, RunFlags& flags) {
  for (const OptionSpec& option : run_options()) {
    const std::string name(option.name);
    const std::string flag = "--" + name;
    std::string help = help_of(option, registry);
    switch (option.kind) {
      case ValueKind::boolean:
        // CLI11 accepts --quiet=false too: the value is taken, not just the presence.
        flags.options[name] = run.add_flag(flag, flags.flags[name], std::move(help));
        break;
      case ValueKind::params:
        flags.options[name] = run.add_option(flag, flags.params, std::move(help))
                                  ->type_name(std::string(option.value_name))
                                  ->allow_extra_args(false);
        break;
      case ValueKind::argument_sets:
        continue;  // given as `::: a b`, not as a flag (split_argument_sets)
      default:
        // The last of a repeated flag wins, so scripts can append overrides to a base command.
        flags.options[name] = run.add_option(flag, flags.text[name], std::move(help))
                                  ->type_name(std::string(option.value_name))
                                  ->take_last();
        break;
    }
  }
}

// The flags given, over the job file's settings.
void apply_run_flags(const RunFlags& flags, Settings& settings) {
  for (const OptionSpec& option : run_options()) {
    const std::string name(option.name);
    if (option.kind == ValueKind::params || option.kind == ValueKind::argument_sets ||
        flags.options.at(name)->count() == 0) {
      continue;
    }
    const std::string text = option.kind == ValueKind::boolean
                                 ? (flags.flags.at(name) ? "true" : "false")
                                 : flags.text.at(name);
    settings.given[name] = Setting{text, "--" + name};
  }
  apply_param_flags(flags.params, settings.params);
}

// ---- `tasktrack output` (issue 12) ----------------------------------------------------------
struct OutputFlags {
  std::string source;
  std::string id;
  std::string attempt;
  bool stderr_stream = false;
  bool all = false;
  CLI::Option* id_option = nullptr;
  CLI::Option* attempt_option = nullptr;
};

CLI::App* add_output_subcommand(CLI::App& app, OutputFlags& flags) {
  CLI::App* output =
      app.add_subcommand("output", "Print an attempt's captured stdout or stderr, byte for byte");
  output
      ->add_option("FOLDER_OR_JOURNAL", flags.source,
                   "The job's output folder, or its journal (which names the folder)")
      ->type_name("PATH")
      ->required();
  flags.id_option =
      output
          ->add_option(
              "ID", flags.id,
              "The subtask id: 0-based, as in the output file names and the summary (a task "
              "file's first command is subtask 0); required unless --all")
          ->type_name("N");
  flags.attempt_option =
      output->add_option("--attempt", flags.attempt, "Attempt K (default: the latest)")
          ->type_name("K");
  output->add_flag("--stderr", flags.stderr_stream, "Print stderr instead of stdout");
  output->add_flag("--all", flags.all,
                   "Every attempt (of ID when given), by subtask then attempt, each after a "
                   "header line");
  output->footer(
      "--all's header line is `==> subtask ID attempt K stdout <==` (stderr with --stderr); the\n"
      "bytes follow unchanged, and a newline is added before the next header only when they do\n"
      "not end in one. A subtask that ran but wrote nothing prints nothing and exits 0.");
  return output;
}

template <typename Number>
Number parse_output_number(const std::string& text, const std::string& what) {
  Number value{};
  const bool digits = !text.empty() && std::all_of(text.begin(), text.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!digits || error != std::errc{} || end != text.data() + text.size()) {
    throw UsageError("output: " + what + " must be a number 0, 1, 2, ..., not '" + text + "'");
  }
  return value;
}

Command output_command(const OutputFlags& flags) {
  if (flags.source.empty()) throw UsageError("output: FOLDER_OR_JOURNAL must not be empty");
  Command command;
  command.kind = Command::Kind::output;
  OutputQuery& query = command.output;
  query.source = flags.source;
  query.stderr_stream = flags.stderr_stream;
  query.all = flags.all;
  if (flags.id_option->count() > 0) {
    query.subtask = parse_output_number<std::uint64_t>(flags.id, "ID (a subtask id)");
  } else if (!flags.all) {
    throw UsageError(
        "output: ID is required: as in `tasktrack output FOLDER_OR_JOURNAL ID`, or give --all");
  }
  if (flags.attempt_option->count() > 0) {
    if (flags.all) throw UsageError("output: --attempt and --all exclude each other");
    query.attempt = parse_output_number<std::uint32_t>(flags.attempt, "--attempt K");
  }
  return command;
}
// ---- end `tasktrack output` ------------------------------------------------------------------

Command parse_unchecked(std::vector<std::string> args, const KernelRegistry& registry) {
  const std::vector<std::vector<std::string>> argument_sets = split_argument_sets(args);
  CLI::App app{"Runs a job of many independent subtasks across an MPI cluster and tracks each one.",
               "tasktrack"};
  app.require_subcommand(0, 1);
  app.footer("`tasktrack run --help` shows the options of a job.");
  CLI::App* run = app.add_subcommand("run", "Run a job described by a job file and/or flags");
  CLI::App* status =
      app.add_subcommand("status", "Show what a job's journal records, without running anything");
  CLI::App* kernels = app.add_subcommand("kernels", "List the kernels and their parameters");
  CLI::App* report = app.add_subcommand(
      "report", "Write a self-contained HTML report of a job from its journal alone");
  run->footer(
      wrap("A job file holds the same keys as the flags (" + join(job_file_keys(false)) + ")", 90) +
      "\nand a [params] table; flags override it. Durations: 250ms, 30s, 5m, 1h, or "
      "seconds.\n`tasktrack kernels` lists the kernels and their parameters.\n"
      "After every option, `::: a b ::: c d` gives --command's arguments: the sets' cartesian "
      "product\n(a c, a d, b c, b d), {1} from the first set, {2} from the second.");

  std::string status_journal;
  status
      ->add_option("JOURNAL", status_journal,
                   "Journal file written by `tasktrack run --journal FILE`")
      ->type_name("FILE")
      ->required();
  bool status_json = false;
  status->add_flag("--json", status_json,
                   "Print one JSON object; its \"state\" is done, failed, work_left, empty or "
                   "unknown");
  // ---- status --watch, and `log` (issue 12) ----
  std::string status_watch;
  CLI::Option* status_watch_option =
      status
          ->add_option("--watch", status_watch,
                       "Refresh until the job ends (q or Ctrl-C quits), every INTERVAL (default "
                       "2s); give it after JOURNAL")
          ->type_name("[INTERVAL]")
          ->expected(0, 1);
  CLI::App* log = app.add_subcommand(
      "log",
      "Write one row per recorded attempt (TSV like GNU parallel's --joblog, CSV, JSON lines)");
  std::string log_journal;
  log->add_option("JOURNAL", log_journal, "Journal file written by `tasktrack run --journal FILE`")
      ->type_name("FILE")
      ->required();
  std::string log_format = "tsv";
  log->add_option("--format", log_format, "tsv (default), csv or jsonl")->type_name("FORMAT");
  std::string log_output;
  CLI::Option* log_output_option =
      log->add_option("-o,--output", log_output, "Write to FILE instead of stdout")
          ->type_name("FILE");
  // ---- end status --watch and `log` ----
  CLI::App* version =
      app.add_subcommand("version", "Print the version and the MPI it was built with");
  bool version_flag = false;
  app.add_flag("--version", version_flag, "Print the version and the MPI it was built with");
  std::string report_journal;
  std::string report_html;
  report
      ->add_option("JOURNAL", report_journal,
                   "Journal file written by `tasktrack run --journal FILE`")
      ->type_name("FILE")
      ->required();
  CLI::Option* report_html_option =
      report->add_option("--html", report_html, "Write the report to FILE (default: JOURNAL.html)")
          ->type_name("FILE");
  OutputFlags output_flags;
  CLI::App* output = add_output_subcommand(app, output_flags);
  CLI::App* summary = app.add_subcommand(
      "summary", "Print again the text summary of a run from its --summary-json file");
  std::string summary_json;
  summary->add_option("FILE", summary_json, "A file written by `tasktrack run --summary-json FILE`")
      ->type_name("FILE")
      ->required();

  std::string job_file;
  CLI::Option* job_file_option =
      run->add_option("JOB_FILE", job_file, "TOML job file with the same keys as the flags")
          ->type_name("FILE");
  RunFlags run_flags;
  add_run_options(*run, registry, run_flags);

  if (args.empty()) return help_command(app.help());
  try {
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 wants it reversed
  } catch (const CLI::CallForHelp&) {
    return help_command(app.help());  // help() shows the chosen subcommand's help
  } catch (const CLI::RequiredError& error) {
    // CLI11 says only "JOURNAL is required"; say for what, and how to give it.
    if (status->parsed()) {
      throw UsageError(std::string("status: ") + error.what() +
                       ": give the journal file's path, as in `tasktrack status FILE`");
    }
    if (report->parsed()) {
      throw UsageError(std::string("report: ") + error.what() +
                       ": as in `tasktrack report JOURNAL [--html FILE]`");
    }
    if (log->parsed()) {
      throw UsageError(std::string("log: ") + error.what() +
                       ": as in `tasktrack log JOURNAL [--format tsv|csv|jsonl] [-o FILE]`");
    }
    if (summary->parsed()) {
      throw UsageError(std::string("summary: ") + error.what() +
                       ": as in `tasktrack summary SUMMARY.json`");
    }
    if (output->parsed()) {
      throw UsageError(std::string("output: ") + error.what() +
                       ": as in `tasktrack output FOLDER_OR_JOURNAL ID`");
    }
    throw UsageError(error.what());
  } catch (const CLI::ParseError& error) {
    throw UsageError(error.what());
  }

  if (version_flag || version->parsed()) {
    Command command;
    command.kind = Command::Kind::version;
    return command;
  }
  if (kernels->parsed()) {
    Command command;
    command.kind = Command::Kind::kernels;
    return command;
  }
  if (status->parsed()) {
    if (status_journal.empty()) {
      throw UsageError("status: JOURNAL must not be empty: give the journal file's path");
    }
    Command command;
    command.kind = Command::Kind::status;
    command.journal = status_journal;
    command.json = status_json;
    if (status_watch_option->count() > 0) {
      if (status_json) throw UsageError("status: --watch and --json cannot be combined");
      double interval = 2.0;
      try {
        if (!status_watch.empty()) interval = parse_duration(status_watch);
      } catch (const UsageError& error) {
        throw UsageError(std::string("status: --watch: ") + error.what());
      }
      if (!(interval >= 0.1) || interval > 3600) {
        throw UsageError("status: --watch INTERVAL must be between 100ms and 1h, not '" +
                         status_watch + "'");
      }
      command.watch_seconds = interval;
    }
    return command;
  }
  if (log->parsed()) {
    if (log_journal.empty()) throw UsageError("log: JOURNAL must not be empty");
    const std::optional<LogFormat> format = parse_log_format(log_format);
    if (!format) {
      throw UsageError("log: --format must be tsv, csv or jsonl, not '" + log_format + "'");
    }
    if (log_output_option->count() > 0 && log_output.empty()) {
      throw UsageError("log: -o FILE must not be empty");
    }
    Command command;
    command.kind = Command::Kind::log;
    command.journal = log_journal;
    command.log_format = *format;
    command.log_output = log_output;
    return command;
  }
  if (report->parsed()) {
    if (report_journal.empty()) throw UsageError("report: JOURNAL must not be empty");
    if (report_html_option->count() > 0 && report_html.empty()) {
      throw UsageError("report: --html FILE must not be empty");
    }
    if (report_html.empty()) report_html = report_journal + ".html";  // beside the journal
    Command command;
    command.kind = Command::Kind::report;
    command.journal = report_journal;
    command.html = report_html;
    return command;
  }
  if (output->parsed()) return output_command(output_flags);
  if (summary->parsed()) {
    if (summary_json.empty()) throw UsageError("summary: FILE must not be empty");
    Command command;
    command.kind = Command::Kind::summary;
    command.summary_json = summary_json;
    return command;
  }
  if (!run->parsed()) return help_command(app.help());

  Settings settings = job_file_option->count() > 0 ? read_job_file(job_file) : Settings{};
  apply_run_flags(run_flags, settings);
  if (!argument_sets.empty()) {  // over the job file's sets, as a flag over its key
    settings.argument_sets = argument_sets;
    settings.given["sets"] =
        Setting{std::to_string(argument_sets.size()) + " sets", "the ::: sets"};
  }

  Command command;
  command.kind = Command::Kind::run;
  command.job = make_job(settings, registry);
  return command;
}

}  // namespace

Command parse_command_line(const std::vector<std::string>& args, const KernelRegistry& registry) {
  try {
    return parse_unchecked(args, registry);
  } catch (const UsageError& error) {
    // The contract is one line; messages quoting user input or libraries might hold more.
    std::string message = error.what();
    std::replace(message.begin(), message.end(), '\n', ' ');
    throw UsageError(message);
  }
}

}  // namespace tasktrack
