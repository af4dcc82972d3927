// The boundary where user input becomes a JobSpec: CLI11 reads the command line, toml++
// the job file; everything is checked here, so that a bad job ends before any work starts
// with one line that names the setting, the value and what is wrong with it.
#include "cli/job_spec.hpp"

#include <toml++/toml.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

// One setting as the user wrote it, as text, and where it came from ("--subtasks", or
// "subtasks (job file 'pi.toml', line 3)"), so that an error can point at it. Flags and
// job-file values go through the same checks.
struct Setting {
  std::string text;
  std::string where;
};

// Everything the user asked for, before validation. A flag replaces the job file's value.
struct Settings {
  std::optional<Setting> kernel, range, subtasks, schedule, chunk, threads, retries, summary_json,
      quiet, progress, progress_interval, trace;
  // Fault tolerance.
  std::optional<Setting> timeout, max_failures, heartbeat, worker_timeout, quarantine_after, grace,
      journal, fresh, no_retry_failed;
  // Task lists.
  std::optional<Setting> task_file, output_dir, cores_per_task;
  std::map<std::string, std::string> params;
  std::string job_file;
};

// The keys a job file may hold: the flags' names, plus the [params] table.
// clang-format off
constexpr std::string_view job_file_keys[] = {
    "kernel", "range", "subtasks", "params", "schedule", "chunk", "threads", "retries",
    "summary-json", "quiet", "progress", "progress-interval", "timeout", "max-failures", "heartbeat",
    "worker-timeout", "quarantine-after", "grace", "journal", "fresh", "no-retry-failed",
    "task-file", "output-dir", "cores-per-task", "trace"};
// clang-format on

// A subtask's attempt number travels and is journaled in one byte (1 + retries attempts);
// 100 leaves room and is far more than a flaky subtask deserves.
constexpr std::uint64_t max_retries = 100;

// Durations end up as std::chrono clocks' integer nanoseconds, which overflow after about
// 292 years; a year is far beyond any job's time limit and far from that overflow.
constexpr double max_duration_seconds = 365.0 * 24 * 3600;

[[noreturn]] void fail(const std::string& where, const std::string& problem) {
  throw UsageError(where + ": " + problem);
}

// Runs `parse` and puts `where` in front of the message of any UsageError it throws, for
// the public parsers (parse_range, parse_duration) whose messages cannot know the source.
template <typename Parse>
auto with_context(const std::string& where, Parse parse) {
  try {
    return parse();
  } catch (const UsageError& error) {
    fail(where, error.what());
  }
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

std::string known_kernels(const KernelRegistry& registry) {
  std::vector<std::string> names;
  for (const KernelInfo* info : registry.all()) names.push_back(info->name);
  return "known kernels: " + (names.empty() ? std::string("none") : join(names));
}

// Strict decimal parsing of all of `text`: no sign, no spaces, no trailing junk, at most
// `max`. Returns the value; throws UsageError naming `where`.
std::uint64_t parse_count(const Setting& setting, std::uint64_t max) {
  const std::string& text = setting.text;
  const char* const end = text.data() + text.size();
  std::uint64_t value = 0;
  // A leading '-' is refused by from_chars for unsigned types; say why.
  const bool negative = !text.empty() && text.front() == '-';
  const auto [ptr, error] = std::from_chars(text.data() + (negative ? 1 : 0), end, value);
  const bool all_digits =
      ptr == end && (error == std::errc{} || error == std::errc::result_out_of_range);
  if (all_digits && negative) fail(setting.where, "must not be negative, got '" + text + "'");
  if (error == std::errc::result_out_of_range || (all_digits && value > max)) {
    fail(setting.where, "'" + text + "' is too large (at most " + std::to_string(max) + ")");
  }
  if (error != std::errc{} || ptr != end || negative) {
    fail(setting.where, "expected a whole number, got '" + text + "'");
  }
  return value;
}

// A count that, when given, must be at least 1 (0 means "the default" inside JobSpec, so
// a user's explicit 0 is refused rather than silently reinterpreted).
std::uint32_t parse_positive_count(const Setting& setting) {
  const std::uint64_t value = parse_count(setting, std::numeric_limits<std::uint32_t>::max());
  if (value == 0) fail(setting.where, "must be at least 1, got '" + setting.text + "'");
  return static_cast<std::uint32_t>(value);
}

// "200%", "12.5%": a percentage, as GNU parallel writes them.
bool is_percent(const std::string& text) {
  return !text.empty() && text.back() == '%';
}

// A timeout as a percentage of the median run time: 10000% (100 x) is already absurd.
constexpr double max_timeout_percent = 10000;

// "P%" with 0 < P <= max -> P.
double parse_percent(const Setting& setting, double max) {
  const std::string number = setting.text.substr(0, setting.text.size() - 1);
  double value = 0;
  const char* const end = number.data() + number.size();
  const auto [ptr, error] = std::from_chars(number.data(), end, value);
  if (number.empty() || error != std::errc{} || ptr != end || !std::isfinite(value)) {
    fail(setting.where, "expected a percentage such as 200%, got '" + setting.text + "'");
  }
  if (value <= 0 || value > max) {
    fail(setting.where, "'" + setting.text + "' is out of range: more than 0% and at most " +
                            std::to_string(static_cast<long>(max)) + "%");
  }
  return value;
}

// A duration setting in seconds, at most max_duration_seconds.
double parse_seconds(const Setting& setting) {
  const double seconds = with_context(setting.where, [&] { return parse_duration(setting.text); });
  if (seconds > max_duration_seconds) {
    fail(setting.where, "'" + setting.text + "' is too long (at most 8760h, a year)");
  }
  return seconds;
}

// A duration that, when given, must be more than zero; `zero_hint` says what to do instead.
double parse_positive_seconds(const Setting& setting, const std::string& zero_hint = "") {
  const double seconds = parse_seconds(setting);
  if (seconds <= 0) {
    fail(setting.where, "must be greater than zero, got '" + setting.text + "'" +
                            (zero_hint.empty() ? "" : " (" + zero_hint + ")"));
  }
  return seconds;
}

// "1.5s", "30s": a number of seconds as an error message shows it.
std::string seconds_text(double seconds) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, seconds);
  return std::string(buffer, result.ptr) + "s";
}

std::int64_t parse_range_bound(std::string_view text, const std::string& range_text) {
  std::int64_t value = 0;
  const char* const end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error == std::errc::result_out_of_range) {
    throw UsageError("range '" + range_text + "': bound '" + std::string(text) +
                     "' does not fit in 64 bits");
  }
  if (error != std::errc{} || ptr != end) {
    throw UsageError("malformed range '" + range_text +
                     "': expected LO:HI with integers LO < HI, e.g. 0:1000");
  }
  return value;
}

// Shortest text that reads back as the same double, and still looks like a float ("3.0",
// not "3"), as a user would type it.
std::string float_text(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text(buffer, result.ptr);
  if (text.find_first_of(".eEni") == std::string::npos) text += ".0";
  return text;
}

// "an integer", "a string (\"ten\")": how an error describes the value it refuses.
std::string describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string (\"" + node.as_string()->get() + "\")";
    case toml::node_type::integer:
      return "an integer (" + std::to_string(node.as_integer()->get()) + ")";
    case toml::node_type::floating_point:
      return "a float (" + float_text(node.as_floating_point()->get()) + ")";
    case toml::node_type::boolean:
      return node.as_boolean()->get() ? "a boolean (true)" : "a boolean (false)";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date or time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string line_of(const toml::node& node) {
  return std::to_string(node.source().begin.line);
}

// Reads the whole file; fopen/errno rather than toml::parse_file, whose error does not
// tell "missing" from "unreadable".
std::string read_job_file_text(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) throw UsageError("job file '" + path + "': " + std::strerror(errno));
  std::string text;
  char buffer[65536];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, count);
  const bool failed = std::ferror(file) != 0;
  const int read_errno = errno;  // e.g. EISDIR for a directory
  std::fclose(file);
  if (failed) throw UsageError("job file '" + path + "': " + std::strerror(read_errno));
  return text;
}

// A [params] value as the text a user would pass to --param.
std::string param_text(const toml::node& node, const std::string& where) {
  if (const auto* value = node.as_string()) return value->get();
  if (const auto* value = node.as_integer()) return std::to_string(value->get());
  if (const auto* value = node.as_floating_point()) return float_text(value->get());
  if (const auto* value = node.as_boolean()) return value->get() ? "true" : "false";
  fail(where, "must be an integer, float, string or boolean, not " + describe(node));
}

// Job-file keys whose value is a TOML string, or a TOML integer, and the setting each fills.
using SettingMember = std::optional<Setting> Settings::*;
const std::map<std::string_view, SettingMember> text_keys = {
    {"kernel", &Settings::kernel},         {"schedule", &Settings::schedule},
    {"progress", &Settings::progress},     {"summary-json", &Settings::summary_json},
    {"journal", &Settings::journal},       {"task-file", &Settings::task_file},
    {"output-dir", &Settings::output_dir}, {"trace", &Settings::trace}};
const std::map<std::string_view, SettingMember> count_keys = {
    {"subtasks", &Settings::subtasks},
    {"chunk", &Settings::chunk},
    {"threads", &Settings::threads},
    {"retries", &Settings::retries},
    {"max-failures", &Settings::max_failures},
    {"quarantine-after", &Settings::quarantine_after},
    {"cores-per-task", &Settings::cores_per_task}};
// Text keys that name files: a relative path in a job file means relative to the job
// file's folder, so a job file works from wherever it is run (a batch script's folder, the
// submit folder), as a Makefile's or a CMakeLists' paths do. Flags stay relative to the
// current folder, as a shell user expects.
const std::set<std::string_view> path_keys = {"summary-json", "journal", "task-file", "output-dir",
                                              "trace"};

// `value` as seen from the current folder, when it is written relative to `job_file`'s.
std::string relative_to_job_file(const std::string& value, const std::string& job_file) {
  const std::filesystem::path path(value);
  const std::filesystem::path folder = std::filesystem::path(job_file).parent_path();
  if (value.empty() || path.is_absolute() || folder.empty()) return value;
  return (folder / path).lexically_normal().string();
}

// Keys whose value is a TOML boolean.
const std::map<std::string_view, SettingMember> boolean_keys = {
    {"quiet", &Settings::quiet},
    {"fresh", &Settings::fresh},
    {"no-retry-failed", &Settings::no_retry_failed}};
// Keys whose value is a duration string ("30s") or a number of seconds.
const std::map<std::string_view, SettingMember> duration_keys = {
    {"progress-interval", &Settings::progress_interval},
    {"timeout", &Settings::timeout},
    {"heartbeat", &Settings::heartbeat},
    {"worker-timeout", &Settings::worker_timeout},
    {"grace", &Settings::grace}};

// Reads a TOML job file into Settings. Each key's type is checked here; its value is
// checked later, with the flags'.
Settings read_job_file(const std::string& path) {
  const std::string content = read_job_file_text(path);
  toml::table table;
  try {
    table = toml::parse(content, path);
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    throw UsageError("job file '" + path + "', line " + std::to_string(begin.line) + ", column " +
                     std::to_string(begin.column) + ": " + std::string(error.description()));
  }

  Settings settings;
  settings.job_file = path;
  for (const auto& entry : table) {
    // Not a structured binding: clang 14 cannot capture one in the lambda below.
    const std::string name(entry.first.str());
    const toml::node& node = entry.second;
    const std::string where = name + " (job file '" + path + "', line " + line_of(node) + ")";
    const auto expect = [&](bool ok, std::string_view wanted) {
      if (!ok) fail(where, "must be " + std::string(wanted) + ", not " + describe(node));
    };

    if (name == "params") {
      expect(node.is_table(), "a table of NAME = VALUE");
      for (const auto& [param_key, param_node] : *node.as_table()) {
        const std::string param_name(param_key.str());
        settings.params[param_name] =
            param_text(param_node, "params." + param_name + " (job file '" + path + "', line " +
                                       line_of(param_node) + ")");
      }
    } else if (name == "range") {
      // "LO:HI", or [LO, HI]: both end up as "LO:HI" text for parse_range.
      const toml::array* array = node.as_array();
      if (array != nullptr && array->size() == 2 && (*array)[0].is_integer() &&
          (*array)[1].is_integer()) {
        settings.range = Setting{std::to_string((*array)[0].as_integer()->get()) + ":" +
                                     std::to_string((*array)[1].as_integer()->get()),
                                 where};
      } else {
        expect(node.is_string(), "a string \"LO:HI\" or an array [LO, HI] of two integers");
        settings.range = Setting{node.as_string()->get(), where};
      }
    } else if (const auto text_key = text_keys.find(name); text_key != text_keys.end()) {
      expect(node.is_string(), "a string");
      std::string value = node.as_string()->get();
      if (path_keys.count(name) != 0) value = relative_to_job_file(value, path);
      settings.*text_key->second = Setting{std::move(value), where};
    } else if (const auto count_key = count_keys.find(name); count_key != count_keys.end()) {
      expect(node.is_integer(), "an integer");
      settings.*count_key->second = Setting{std::to_string(node.as_integer()->get()), where};
    } else if (const auto boolean_key = boolean_keys.find(name);
               boolean_key != boolean_keys.end()) {
      expect(node.is_boolean(), "a boolean (true or false)");
      settings.*boolean_key->second = Setting{node.as_boolean()->get() ? "true" : "false", where};
    } else if (const auto duration_key = duration_keys.find(name);
               duration_key != duration_keys.end()) {
      std::optional<Setting>& setting = settings.*duration_key->second;
      if (const auto* integer = node.as_integer()) {
        setting = Setting{std::to_string(integer->get()), where};
      } else if (const auto* real = node.as_floating_point()) {
        setting = Setting{float_text(real->get()), where};
      } else {
        expect(node.is_string(), "a duration such as \"30s\", or a number of seconds");
        setting = Setting{node.as_string()->get(), where};
      }
    } else {
      std::vector<std::string> known(std::begin(job_file_keys), std::end(job_file_keys));
      throw UsageError("job file '" + path + "', line " + line_of(node) + ": unknown key '" + name +
                       "' (known keys: " + join(known) + ")");
    }
  }
  return settings;
}

// Checks the fault-tolerance settings into `job`: timeouts, heartbeats, quarantine, the
// journal and how a resume treats it.
void add_fault_tolerance(const Settings& settings, JobSpec& job) {
  if (settings.timeout && is_percent(settings.timeout->text)) {
    job.timeout_percent = parse_percent(*settings.timeout, max_timeout_percent);
  } else if (settings.timeout) {
    job.timeout = parse_positive_seconds(*settings.timeout, "leave it out for no timeout");
  }
  if (settings.max_failures && is_percent(settings.max_failures->text)) {
    // P% of the job's subtasks (known here: the range or the task file came first), at
    // least one, as GNU parallel's --halt soon,fail=P%.
    const double percent = parse_percent(*settings.max_failures, 100);
    job.max_failures = static_cast<std::uint32_t>(
        std::max(1.0, std::ceil(percent / 100 * static_cast<double>(job.subtasks) - 1e-9)));
  } else if (settings.max_failures) {
    job.max_failures = parse_positive_count(*settings.max_failures);
  }
  if (settings.heartbeat) job.heartbeat = parse_positive_seconds(*settings.heartbeat);
  if (settings.worker_timeout) {
    job.worker_timeout = parse_positive_seconds(*settings.worker_timeout);
  }
  // A healthy idle worker is silent for up to a heartbeat period; a worker timeout no
  // longer than that would declare it lost.
  if (job.worker_timeout <= job.heartbeat) {
    const auto describe_duration = [](const std::optional<Setting>& setting,
                                      const std::string& flag, double seconds) {
      return setting ? setting->where + " = '" + setting->text + "'"
                     : flag + " = " + seconds_text(seconds) + " (the default)";
    };
    throw UsageError(
        describe_duration(settings.worker_timeout, "--worker-timeout", job.worker_timeout) +
        " must be greater than " +
        describe_duration(settings.heartbeat, "--heartbeat", job.heartbeat) +
        ", or idle workers would be declared lost between heartbeats");
  }
  if (settings.quarantine_after) {
    job.quarantine_after = static_cast<std::uint32_t>(
        parse_count(*settings.quarantine_after, std::numeric_limits<std::uint32_t>::max()));
  }
  if (settings.grace) job.grace = parse_seconds(*settings.grace);

  if (settings.journal) {
    if (settings.journal->text.empty()) {
      fail(settings.journal->where, "must not be empty: give the journal file's path");
    }
    job.journal = settings.journal->text;
  }
  // Both only say how to treat an existing journal; without one they would be silently
  // ignored, which hides a forgotten --journal.
  const auto needs_journal = [&](const std::optional<Setting>& setting, const std::string& why) {
    if (setting && setting->text == "true" && job.journal.empty()) {
      fail(setting->where, why + " there is no journal: pass --journal FILE too");
    }
  };
  needs_journal(settings.fresh, "starts over from an empty journal, but");
  needs_journal(settings.no_retry_failed, "applies when resuming from a journal, but");
  if (settings.fresh) job.fresh = settings.fresh->text == "true";
  if (settings.no_retry_failed) job.retry_failed = settings.no_retry_failed->text != "true";
}

void add_task_list(const Settings& settings, JobSpec& job);
void add_kernel_and_range(const Settings& settings, const KernelRegistry& registry, JobSpec& job);
void add_run_options(const Settings& settings, JobSpec& job);

// Checks every setting and builds the JobSpec. Kernel, range and subtasks first: later
// checks (subtasks against the range, params against the kernel) need them.
JobSpec make_job(const Settings& settings, const KernelRegistry& registry) {
  JobSpec job;
  job.job_file = settings.job_file;

  if (settings.task_file) {
    add_task_list(settings, job);
  } else {
    add_kernel_and_range(settings, registry, job);
  }
  add_run_options(settings, job);
  add_fault_tolerance(settings, job);
  return job;
}

// A task list: its lines are the subtasks, so kernel, range, subtasks and params are the
// file's business. Output options apply to task lists only.
void add_task_list(const Settings& settings, JobSpec& job) {
  for (const auto* other : {&settings.kernel, &settings.range, &settings.subtasks}) {
    if (*other) {
      fail((*other)->where, "does not go with a task file (" + settings.task_file->where +
                                "): its lines are the subtasks");
    }
  }
  if (!settings.params.empty()) {
    throw UsageError(
        "--param does not go with a task file: give a kernel line's parameters "
        "on the line, as in '@primes 0:1000 name=value'");
  }
  if (settings.task_file->text.empty()) fail(settings.task_file->where, "must not be empty");
  job.task_file = settings.task_file->text;
  job.tasks = read_task_file(job.task_file);
  job.kernel = "commands";
  job.range = Range{0, static_cast<std::int64_t>(job.tasks.size())};
  job.subtasks = static_cast<std::uint32_t>(job.tasks.size());
  if (settings.output_dir) {
    if (settings.output_dir->text.empty()) fail(settings.output_dir->where, "must not be empty");
    job.output_dir = settings.output_dir->text;
  } else {
    // Next to where the job runs, named after the task file: tasks.txt -> tasks.txt.output
    job.output_dir = std::filesystem::path(job.task_file).filename().string() + ".output";
  }
  if (settings.cores_per_task) job.cores_per_task = parse_positive_count(*settings.cores_per_task);
}

// A kernel over a range.
void add_kernel_and_range(const Settings& settings, const KernelRegistry& registry, JobSpec& job) {
  for (const auto* other : {&settings.output_dir, &settings.cores_per_task}) {
    if (*other) fail((*other)->where, "applies to a task file only (--task-file FILE)");
  }
  if (!settings.kernel) {
    throw UsageError("no kernel given: pass --kernel NAME or set kernel in a job file (" +
                     known_kernels(registry) + ")");
  }
  const KernelInfo* kernel = registry.find(settings.kernel->text);
  if (kernel == nullptr) {
    fail(settings.kernel->where,
         "unknown kernel '" + settings.kernel->text + "' (" + known_kernels(registry) + ")");
  }
  job.kernel = kernel->name;

  if (!settings.range) {
    throw UsageError("no range given: pass --range LO:HI or set range in a job file");
  }
  job.range =
      with_context(settings.range->where, [&] { return parse_range(settings.range->text); });

  if (settings.subtasks) {
    job.subtasks = parse_positive_count(*settings.subtasks);
    if (job.subtasks > job.range.size()) {
      fail(settings.subtasks->where, std::to_string(job.subtasks) + " subtasks is more than the " +
                                         std::to_string(job.range.size()) + " elements of range " +
                                         settings.range->text + "; use at most " +
                                         std::to_string(job.range.size()));
    }
  } else {
    job.subtasks = Partition::default_count(job.range);
  }

  job.params = KernelRegistry::validate(*kernel, settings.params).all();
}

// Options that apply to any job.
void add_run_options(const Settings& settings, JobSpec& job) {
  if (settings.schedule) {
    const auto schedule = schedule_from_string(settings.schedule->text);
    if (!schedule) {
      fail(settings.schedule->where,
           "unknown schedule '" + settings.schedule->text + "' (use static, dynamic or guided)");
    }
    job.schedule = *schedule;
  }
  if (settings.chunk) job.chunk = parse_positive_count(*settings.chunk);
  if (settings.threads) job.threads = parse_positive_count(*settings.threads);
  if (settings.retries) {
    job.retries = static_cast<std::uint32_t>(parse_count(*settings.retries, max_retries));
  }
  if (settings.summary_json) job.summary_json = settings.summary_json->text;
  if (settings.trace) {
    if (settings.trace->text.empty()) fail(settings.trace->where, "must not be empty");
    job.trace = settings.trace->text;
  }
  if (settings.quiet) job.quiet = settings.quiet->text == "true";
  if (settings.progress) {
    const auto style = progress_style_from_string(settings.progress->text);
    if (!style) {
      fail(settings.progress->where, "unknown progress style '" + settings.progress->text +
                                         "' (use auto, bar, lines or none)");
    }
    job.progress = *style;
  }
  // Zero would print progress in a busy loop.
  if (settings.progress_interval) {
    job.progress_interval = parse_positive_seconds(*settings.progress_interval);
  }
}

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

Command help_command(std::string text) {
  Command command;
  command.kind = Command::Kind::help;
  command.help_text = std::move(text);
  return command;
}

Command parse_unchecked(const std::vector<std::string>& args, const KernelRegistry& registry) {
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
      "A job file holds the same keys as the flags (kernel, range, subtasks, schedule, chunk,\n"
      "threads, retries, summary-json, quiet, progress, progress-interval, timeout, max-failures,\n"
      "heartbeat, worker-timeout, quarantine-after, grace, journal, fresh, no-retry-failed,\n"
      "task-file, output-dir, cores-per-task, trace)\n"
      "and a [params] table; flags override it. Durations: 250ms, 30s, 5m, 1h, or seconds.\n"
      "`tasktrack kernels` lists the kernels and their parameters.");

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

  // Every value is taken as text and checked by make_job, so that a flag and a job-file
  // key get the same strict checks and messages.
  std::string job_file;
  std::map<std::string, std::string> text;
  std::map<std::string, CLI::Option*> options;
  const auto add = [&](const std::string& name, const std::string& type, std::string help) {
    // The last of a repeated flag wins, so scripts can append overrides to a base command.
    options[name] =
        run->add_option("--" + name, text[name], std::move(help))->type_name(type)->take_last();
  };
  std::vector<std::string> param_flags;
  bool quiet = false;

  CLI::Option* job_file_option =
      run->add_option("JOB_FILE", job_file, "TOML job file with the same keys as the flags")
          ->type_name("FILE");
  add("kernel", "NAME", "Kernel to run (" + known_kernels(registry) + ")");
  add("range", "LO:HI", "Half-open integer range [LO, HI) the job covers");
  add("subtasks", "N", "Number of subtasks (default: from the range size)");
  run->add_option("--param", param_flags, "Kernel parameter; repeat for several")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false);
  add("schedule", "static|dynamic|guided", "How subtasks are handed out (default: guided)");
  add("chunk", "N", "Batch size for dynamic, smallest batch for guided");
  add("threads", "T", "Threads per worker (default: SLURM_CPUS_PER_TASK, else cores)");
  add("retries", "N",
      "Extra attempts for a failed subtask, at most 100: 2 means 3 attempts in all; GNU "
      "parallel's --retries N is --retries N-1 here (default: 2)");
  add("summary-json", "FILE", "Write the summary as JSON to FILE");
  add("trace", "FILE",
      "Write a Chrome trace (Perfetto, chrome://tracing): a track per worker thread");
  CLI::Option* quiet_option = run->add_flag("--quiet", quiet, "No progress on stderr");
  add("progress", "auto|bar|lines|none",
      "Progress on stderr: an updating bar, a line every --progress-interval, or nothing "
      "(default: auto, a bar on a terminal, also under mpirun, lines otherwise)");
  add("progress-interval", "DURATION",
      "Time between progress lines, the first after 1 s, e.g. 30s (default: 10s)");
  add("timeout", "DURATION|P%",
      "Fail an attempt that runs longer than this, e.g. 5m; or P% of the median run time of "
      "the job's finished attempts, e.g. 200%, once 3 have finished (default: no limit)");
  add("max-failures", "N|P%",
      "Stop handing out subtasks once N (or P% of all) have failed for good; queued ones are "
      "withdrawn, running ones finish (default: never stop)");
  add("heartbeat", "DURATION", "How often an idle worker tells rank 0 it is alive (default: 2s)");
  add("worker-timeout", "DURATION",
      "Declare a worker lost after this much silence; more than --heartbeat (default: 30s)");
  add("quarantine-after", "K",
      "Stop using a worker after K failed attempts in a row; 0 = never (default: 5)");
  add("grace", "DURATION",
      "On SIGUSR1, time running subtasks get to finish before the job stops (default: 10s)");
  add("task-file", "FILE",
      "Run the shell commands of FILE, one per line (or '@KERNEL LO:HI name=value' lines)");
  add("output-dir", "DIR",
      "Task files: each attempt's stdout/stderr go to DIR (default: <task file name>.output)");
  add("cores-per-task", "C",
      "Task files: cores per command; a worker runs threads/C at once, OMP_NUM_THREADS=C");
  add("journal", "FILE",
      "Record finished subtasks in FILE; resume from it if it exists (default: none)");
  bool fresh = false;
  CLI::Option* fresh_option =
      run->add_flag("--fresh", fresh, "Move an existing --journal aside and start the job over");
  bool no_retry_failed = false;
  CLI::Option* no_retry_failed_option =
      run->add_flag("--no-retry-failed", no_retry_failed,
                    "On resume, do not run again the subtasks that failed for good");

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
  if (!run->parsed()) return help_command(app.help());

  Settings settings = job_file_option->count() > 0 ? read_job_file(job_file) : Settings{};
  const auto flag = [&](const std::string& name, std::optional<Setting>& setting) {
    if (options.at(name)->count() > 0) setting = Setting{text[name], "--" + name};
  };
  flag("kernel", settings.kernel);
  flag("range", settings.range);
  flag("subtasks", settings.subtasks);
  flag("schedule", settings.schedule);
  flag("chunk", settings.chunk);
  flag("threads", settings.threads);
  flag("retries", settings.retries);
  flag("summary-json", settings.summary_json);
  flag("trace", settings.trace);
  flag("progress", settings.progress);
  flag("progress-interval", settings.progress_interval);
  flag("timeout", settings.timeout);
  flag("max-failures", settings.max_failures);
  flag("heartbeat", settings.heartbeat);
  flag("worker-timeout", settings.worker_timeout);
  flag("quarantine-after", settings.quarantine_after);
  flag("grace", settings.grace);
  flag("journal", settings.journal);
  flag("task-file", settings.task_file);
  flag("output-dir", settings.output_dir);
  flag("cores-per-task", settings.cores_per_task);
  // CLI11 accepts --quiet=false too: take the value, not just the presence.
  const auto boolean_flag = [](const CLI::Option* option, const std::string& name, bool value,
                               std::optional<Setting>& setting) {
    if (option->count() > 0) setting = Setting{value ? "true" : "false", name};
  };
  boolean_flag(quiet_option, "--quiet", quiet, settings.quiet);
  boolean_flag(fresh_option, "--fresh", fresh, settings.fresh);
  boolean_flag(no_retry_failed_option, "--no-retry-failed", no_retry_failed,
               settings.no_retry_failed);
  apply_param_flags(param_flags, settings.params);

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

Range parse_range(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) {
    throw UsageError("malformed range '" + text +
                     "': expected LO:HI with integers LO < HI, e.g. 0:1000");
  }
  // "1:2:3" fails here: the second bound "2:3" has trailing junk.
  const std::string_view view = text;
  const Range range{parse_range_bound(view.substr(0, colon), text),
                    parse_range_bound(view.substr(colon + 1), text)};
  if (range.hi < range.lo) {
    throw UsageError("reversed range '" + text + "': HI must be greater than LO");
  }
  if (range.hi == range.lo) {
    throw UsageError("empty range '" + text +
                     "': it covers no elements; HI must be greater than LO");
  }
  // hi - lo must fit in int64 (Range::size); only a negative lo can make it overflow.
  if (range.lo < 0 && range.hi > range.lo + std::numeric_limits<std::int64_t>::max()) {
    throw UsageError("range '" + text + "' is too large: more than 2^63-1 elements");
  }
  return range;
}

double parse_duration(const std::string& text) {
  const auto bad = [&](const std::string& problem) {
    throw UsageError("bad duration '" + text + "': " + problem);
  };
  const std::string expected = "expected a number with an optional unit ms, s, m or h, e.g. 30s";
  if (text.empty()) bad("empty; " + expected);
  if (text.front() == '-') bad("must not be negative");

  double value = 0;
  const char* const end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (error == std::errc::result_out_of_range) bad("too large");
  if (error != std::errc{}) bad(expected);

  const std::string_view unit(ptr, static_cast<std::size_t>(end - ptr));
  double seconds_per_unit = 0;
  if (unit.empty() || unit == "s") {
    seconds_per_unit = 1;
  } else if (unit == "ms") {
    seconds_per_unit = 1e-3;
  } else if (unit == "m") {
    seconds_per_unit = 60;
  } else if (unit == "h") {
    seconds_per_unit = 3600;
  } else {
    bad("unknown unit '" + std::string(unit) + "' (use ms, s, m or h)");
  }
  const double seconds = value * seconds_per_unit;
  if (!std::isfinite(seconds)) bad("not a finite number of seconds");
  return seconds;
}

void to_json(nlohmann::json& out, const JobSpec& job) {
  out = nlohmann::json{
      {"kernel", job.kernel},
      {"range", {{"lo", job.range.lo}, {"hi", job.range.hi}}},
      {"subtasks", job.subtasks},
      {"params", job.params},
      {"schedule", to_string(job.schedule)},
      {"chunk", job.chunk},
      {"threads", job.threads},
      {"retries", job.retries},
      {"summary_json", job.summary_json},
      {"trace", job.trace},
      {"quiet", job.quiet},
      {"progress", to_string(job.progress)},
      {"progress_interval", job.progress_interval},
      {"job_file", job.job_file},
      {"timeout", job.timeout},
      {"timeout_percent", job.timeout_percent},
      {"max_failures", job.max_failures},
      {"heartbeat", job.heartbeat},
      {"worker_timeout", job.worker_timeout},
      {"quarantine_after", job.quarantine_after},
      {"grace", job.grace},
      {"journal", job.journal},
      {"fresh", job.fresh},
      {"retry_failed", job.retry_failed},
      {"task_file", job.task_file},
      {"output_dir", job.output_dir},
      {"cores_per_task", job.cores_per_task},
  };
  nlohmann::json& tasks = out["tasks"] = nlohmann::json::array();
  for (const TaskLine& line : job.tasks) tasks.push_back({line.line_number, line.text});
}

// Every key is required: the JSON comes from to_json on rank 0, so a missing key is a
// bug (nlohmann::json::out_of_range); an unknown schedule throws std::invalid_argument.
void from_json(const nlohmann::json& in, JobSpec& job) {
  in.at("kernel").get_to(job.kernel);
  in.at("range").at("lo").get_to(job.range.lo);
  in.at("range").at("hi").get_to(job.range.hi);
  in.at("subtasks").get_to(job.subtasks);
  in.at("params").get_to(job.params);
  const auto schedule = schedule_from_string(in.at("schedule").get<std::string>());
  if (!schedule) {
    throw std::invalid_argument("job JSON: unknown schedule " + in.at("schedule").dump());
  }
  job.schedule = *schedule;
  in.at("chunk").get_to(job.chunk);
  in.at("threads").get_to(job.threads);
  in.at("retries").get_to(job.retries);
  in.at("summary_json").get_to(job.summary_json);
  in.at("trace").get_to(job.trace);
  in.at("quiet").get_to(job.quiet);
  const auto progress = progress_style_from_string(in.at("progress").get<std::string>());
  if (!progress) {
    throw std::invalid_argument("job JSON: unknown progress style " + in.at("progress").dump());
  }
  job.progress = *progress;
  in.at("progress_interval").get_to(job.progress_interval);
  in.at("job_file").get_to(job.job_file);
  in.at("timeout").get_to(job.timeout);
  in.at("timeout_percent").get_to(job.timeout_percent);
  in.at("max_failures").get_to(job.max_failures);
  in.at("heartbeat").get_to(job.heartbeat);
  in.at("worker_timeout").get_to(job.worker_timeout);
  in.at("quarantine_after").get_to(job.quarantine_after);
  in.at("grace").get_to(job.grace);
  in.at("journal").get_to(job.journal);
  in.at("fresh").get_to(job.fresh);
  in.at("retry_failed").get_to(job.retry_failed);
  in.at("task_file").get_to(job.task_file);
  in.at("output_dir").get_to(job.output_dir);
  in.at("cores_per_task").get_to(job.cores_per_task);
  job.tasks.clear();
  for (const auto& line : in.at("tasks")) {
    job.tasks.push_back(TaskLine{line.at(0).get<std::uint32_t>(), line.at(1).get<std::string>()});
  }
}

}  // namespace tasktrack
