#include "cli/make_job.hpp"

#include <limits>

#include "cli/option_table.hpp"
#include "cli/setting_checks.hpp"
#include "cli/value_parsers.hpp"

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
  // The flags first: they are the requirement of every line no directive covers.
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
  list.tasks = read_task_file(list.task_file, list.per_task(), &list.barriers);
  if (const Setting* output_dir = settings.find("output-dir")) {
    if (output_dir->text.empty()) fail(output_dir->where, "must not be empty");
    list.output_dir = output_dir->text;
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
  if (const Setting* task_file = settings.find("task-file")) {
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
