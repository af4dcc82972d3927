#include "cli/make_job.hpp"

#include <array>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <sstream>
#include <string_view>

#include "cli/option_table.hpp"
#include "cli/setting_checks.hpp"
#include "cli/value_parsers.hpp"
#include "commands/plain_command.hpp"
#include "commands/task_arguments.hpp"
#include "commands/task_template.hpp"

namespace tasktrack {
namespace {

// Refuses every given option of `scope`, in table order, with `problem`.
void refuse_options_of(Scope scope, const Settings& settings, const std::string& problem) {
  for (const OptionSpec& option : run_options()) {
    if (option.scope != scope || option.kind == ValueKind::params) continue;
    if (option.name == "task-file") continue;  // what makes a job a task list
    if (const Setting* setting = settings.find(option.name)) fail(setting->where, problem);
  }
}

// --output, --output-limit and --tag.
void read_output_options(const Settings& settings, TaskListJob& list) {
  if (const Setting* mode = settings.find("output")) {
    const auto parsed = output_mode_from_string(mode->text);
    if (!parsed) {
      fail(mode->where, "unknown output mode '" + mode->text +
                            "' (use packed, files, on-failure, none or stdout)");
    }
    list.output = *parsed;
  }
  if (const Setting* limit = settings.find("output-limit")) {
    list.output_limit = limit->text == "none" ? 0 : with_context(limit->where, [&] {
      return parse_memory_size(limit->text);
    });
  }
  if (const Setting* tag = settings.find("tag")) {
    list.tag = tag->text == "true";
    if (list.tag && list.output != OutputMode::terminal) {
      fail(tag->where, "tags the lines printed by --output stdout: pass --output stdout too");
    }
  }
}

// --cores-per-task, --gpus-per-task and --mem-per-task.
void read_per_task_flags(const Settings& settings, TaskListJob& list) {
  if (const Setting* cores = settings.find("cores-per-task")) {
    list.cores_per_task = parse_positive_count(*cores);
  }
  if (const Setting* gpus = settings.find("gpus-per-task")) {
    list.gpus_per_task =
        static_cast<std::uint32_t>(parse_count(*gpus, std::numeric_limits<std::uint32_t>::max()));
  }
  if (const Setting* memory = settings.find("mem-per-task")) {
    list.memory_per_task =
        with_context(memory->where, [&] { return parse_memory_size(memory->text); });
  }
}

// --shell: an executable file, checked before anything starts (a typo would otherwise fail
// every task). A name without '/' is looked up in PATH, as a shell would; the job then
// carries the path found, so every worker runs the same shell.
std::string checked_shell(const Setting& shell) {
  using process::is_executable_file;
  if (shell.text.empty()) fail(shell.where, "must not be empty");
  if (shell.text.find('/') != std::string::npos) {
    if (!is_executable_file(shell.text))
      fail(shell.where, "'" + shell.text + "' is no executable file");
    return shell.text;
  }
  const char* path = std::getenv("PATH");
  std::istringstream folders(path != nullptr ? path : "");
  for (std::string folder; std::getline(folders, folder, ':');) {
    const std::string candidate = (folder.empty() ? "." : folder) + "/" + shell.text;
    if (is_executable_file(candidate)) return candidate;
  }
  fail(shell.where, "no executable '" + shell.text + "' in PATH");
}

// --task-format, --shell, --keep-mpi-env and --keep-background (issue 13).
void read_runner_options(const Settings& settings, TaskListJob& list) {
  if (const Setting* format = settings.find("task-format")) {
    const auto parsed = task_format_from_string(format->text);
    if (!parsed) {
      fail(format->where, "unknown task format '" + format->text + "' (use auto, plain or jsonl)");
    }
    list.task_format = *parsed;
  }
  if (const Setting* shell = settings.find("shell")) {
    list.shell = checked_shell(*shell);
    list.plain_commands_without_shell = false;
  }
  if (const Setting* keep = settings.find("keep-mpi-env")) {
    list.keep_mpi_environment = keep->text == "true";
  }
  if (const Setting* keep = settings.find("keep-background")) {
    list.keep_background = keep->text == "true";
  }
}

// ---- issue 13, templates: a task list generated from --command TEMPLATE ----------------------

// The options that make a job a generated task list: any one given routes it here, so that
// a missing half is named rather than refused as "applies to a task file only".
constexpr std::array<std::string_view, 6> template_options{"command", "args",   "sets",
                                                           "array",   "colsep", "no-quote"};

// True when the task list is read as the job runs: standard input, or a file followed.
bool growing_list(const Settings& settings, const Setting& task_file) {
  const Setting* follow = settings.find("follow");
  return task_file.text == "-" || (follow != nullptr && follow->text == "true");
}

const Setting* first_template_setting(const Settings& settings) {
  for (const std::string_view name : template_options) {
    if (const Setting* setting = settings.find(name)) return setting;
  }
  return nullptr;
}

// The rows of the one source of arguments given.
std::vector<ArgumentRow> read_argument_rows(const Settings& settings) {
  if (const Setting* args = settings.find("args")) {
    if (args->text.empty()) fail(args->where, "must not be empty");
    const Setting* colsep = settings.find("colsep");
    if (colsep != nullptr && colsep->text.empty()) fail(colsep->where, "must not be empty");
    return with_context(args->where, [&] {
      return read_argument_file(args->text, colsep ? colsep->text : std::string());
    });
  }
  if (const Setting* colsep = settings.find("colsep")) {
    fail(colsep->where, "splits the lines of --args FILE: pass --args too");
  }
  if (const Setting* sets = settings.find("sets")) {
    return with_context(sets->where, [&] { return cartesian_rows(settings.argument_sets); });
  }
  const Setting& array = *settings.find("array");
  return array_rows(with_context(array.where, [&] { return parse_array_range(array.text); }));
}

// Where a generated list's output goes by default: it has no task file to sit beside.
std::string generated_output_dir(const Settings& settings) {
  if (const Setting* args = settings.find("args")) return args->text + ".output";
  if (const Setting* journal = settings.find("journal"); journal && !journal->text.empty()) {
    return (std::filesystem::path(journal->text).parent_path() / "tasktrack-output").string();
  }
  return "tasktrack-output";
}

// A task per argument row: line number = its sequence number {#}, text = the expanded
// template, the per-task flags as its requirement.
TaskListJob make_generated_list(const Settings& settings) {
  const Setting* command = settings.find("command");
  const std::string usage =
      "--command TEMPLATE with one of --args FILE, ::: sets or --array LO:HI[:STEP]";
  if (const Setting* task_file = settings.find("task-file")) {
    const Setting* given = command ? command : first_template_setting(settings);
    fail(given->where, "does not go with a task file (" + task_file->where +
                           "): give either the task file or " + usage);
  }
  if (const Setting* follow = settings.find("follow"); follow && follow->text == "true") {
    fail(follow->where, "reads a task file as it grows: it does not go with --command");
  }
  if (command == nullptr) {
    fail(first_template_setting(settings)->where, "needs a template: give " + usage);
  }
  std::vector<const Setting*> sources;
  for (const std::string_view name : {"args", "sets", "array"}) {
    if (const Setting* source = settings.find(name)) sources.push_back(source);
  }
  if (sources.empty()) {
    fail(command->where, "needs arguments: give --args FILE, ::: sets or --array LO:HI[:STEP]");
  }
  if (sources.size() > 1) {
    fail(sources[1]->where,
         "does not go with " + sources[0]->where + ": give one source of arguments");
  }
  refuse_options_of(
      Scope::range_job, settings,
      "does not go with a template (" + command->where + "): its arguments make the subtasks");
  if (!settings.params.empty()) {
    throw UsageError("--param does not go with --command: put the values in the template");
  }
  if (command->text.empty()) fail(command->where, "must not be empty");
  const Setting* no_quote = settings.find("no-quote");
  const TaskTemplate task_template = with_context(command->where, [&] {
    return TaskTemplate(command->text, no_quote == nullptr || no_quote->text != "true");
  });
  const std::vector<ArgumentRow> rows = read_argument_rows(settings);

  TaskListJob list;
  list.task_file = generated_list_name(command->text);
  read_per_task_flags(settings, list);
  const Resources requirement = list.per_task();
  list.tasks.reserve(rows.size());
  with_context(command->where, [&] {
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto sequence = static_cast<std::uint32_t>(i + 1);
      list.tasks.push_back(
          TaskLine{sequence, task_template.expand(rows[i], sequence), requirement});
    }
    return 0;
  });
  if (const Setting* output_dir = settings.find("output-dir")) {
    if (output_dir->text.empty()) fail(output_dir->where, "must not be empty");
    list.output_dir = output_dir->text;
  } else {
    list.output_dir = generated_output_dir(settings);
  }
  read_output_options(settings, list);
  read_runner_options(settings, list);
  return list;
}
// ---- end issue 13, templates ------------------------------------------------------------------

// A task list: its lines are the subtasks, so kernel, range, subtasks and params are the
// file's business.
TaskListJob make_task_list(const Settings& settings, const Setting& task_file) {
  refuse_options_of(
      Scope::range_job, settings,
      "does not go with a task file (" + task_file.where + "): its lines are the subtasks");
  if (!settings.params.empty()) {
    throw UsageError(
        "--param does not go with a task file: give a kernel line's parameters "
        "on the line, as in '@primes 0:1000 name=value'");
  }
  if (task_file.text.empty()) fail(task_file.where, "must not be empty");
  TaskListJob list;
  list.task_file = task_file.text;
  // Never mistaken for a generated list's name (a path that means the same file).
  if (is_generated_list_name(list.task_file)) list.task_file = "./" + list.task_file;
  // The flags first: they are the requirement of every line no directive covers.
  read_per_task_flags(settings, list);
  read_runner_options(settings, list);
  // A growing list's tasks arrive as the job runs (commands/task_stream.hpp): rank 0 opens
  // its input when the job starts.
  list.growing = growing_list(settings, task_file);
  if (!list.growing) {
    list.tasks = read_task_file(list.task_file, list.per_task(), list.task_format, &list.barriers);
  }
  if (const Setting* output_dir = settings.find("output-dir")) {
    if (output_dir->text.empty()) fail(output_dir->where, "must not be empty");
    list.output_dir = output_dir->text;
  } else if (list.task_file == "-") {
    list.output_dir = generated_output_dir(settings);  // no file to sit beside
  } else {
    // Beside the task file, never in whatever folder the job was started from:
    // data/tasks.txt -> data/tasks.txt.output
    list.output_dir = list.task_file + ".output";
  }
  read_output_options(settings, list);
  return list;
}

// A kernel over a range; sets job.subtasks.
RangeJob make_range_job(const Settings& settings, const KernelRegistry& registry, JobSpec& job) {
  refuse_options_of(Scope::task_list, settings, "applies to a task file only (--task-file FILE)");
  const Setting* kernel_setting = settings.find("kernel");
  if (kernel_setting == nullptr) {
    throw UsageError("no kernel given: pass --kernel NAME or set kernel in a job file (" +
                     known_kernels(registry) + ")");
  }
  const KernelInfo* kernel = registry.find(kernel_setting->text);
  if (kernel == nullptr) {
    fail(kernel_setting->where,
         "unknown kernel '" + kernel_setting->text + "' (" + known_kernels(registry) + ")");
  }
  RangeJob range_job;
  range_job.kernel = kernel->name;

  const Setting* range = settings.find("range");
  if (range == nullptr) {
    throw UsageError("no range given: pass --range LO:HI or set range in a job file");
  }
  range_job.range = with_context(range->where, [&] { return parse_range(range->text); });

  if (const Setting* subtasks = settings.find("subtasks")) {
    job.subtasks = parse_positive_count(*subtasks);
    if (job.subtasks > range_job.range.size()) {
      fail(subtasks->where, std::to_string(job.subtasks) + " subtasks is more than the " +
                                std::to_string(range_job.range.size()) + " elements of range " +
                                range->text + "; use at most " +
                                std::to_string(range_job.range.size()));
    }
  } else {
    job.subtasks = Partition::default_count(range_job.range);
  }

  range_job.params = KernelRegistry::validate(*kernel, settings.params).all();
  return range_job;
}

}  // namespace

JobSpec make_job(const Settings& settings, const KernelRegistry& registry) {
  JobSpec job;
  job.job_file = settings.job_file;
  if (first_template_setting(settings) != nullptr) {
    TaskListJob list = make_generated_list(settings);
    job.subtasks = static_cast<std::uint32_t>(list.tasks.size());
    job.work = std::move(list);
  } else if (const Setting* task_file = settings.find("task-file")) {
    TaskListJob list = make_task_list(settings, *task_file);
    job.subtasks = static_cast<std::uint32_t>(list.tasks.size());
    job.work = std::move(list);
  } else {
    job.work = make_range_job(settings, registry, job);
  }
  for (const OptionSpec& option : run_options()) {
    if (option.apply != nullptr) {
      if (const Setting* setting = settings.find(option.name)) option.apply(*setting, job);
    }
    if (option.check != nullptr) option.check(settings, job);
  }
  return job;
}

}  // namespace tasktrack
