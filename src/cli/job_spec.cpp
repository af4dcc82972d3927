#include "cli/job_spec.hpp"

#include <limits>
#include <stdexcept>

namespace tasktrack {

bool TaskListJob::mixed_requirements() const {
  for (const TaskLine& task : tasks) {
    if (!(task.requirement == tasks.front().requirement)) return true;
  }
  return false;
}

std::string_view to_string(Binding binding) {
  switch (binding) {
    case Binding::none:
      return "none";
    case Binding::cores:
      return "cores";
  }
  return "none";
}

std::optional<Binding> binding_from_string(std::string_view text) {
  if (text == "none") return Binding::none;
  if (text == "cores") return Binding::cores;
  return std::nullopt;
}

std::string JobSpec::kernel() const {
  if (const RangeJob* job = range_job()) return job->kernel;
  return "commands";
}

Range JobSpec::range() const {
  if (const RangeJob* job = range_job()) return job->range;
  return Range{0, static_cast<std::int64_t>(task_list()->tasks.size())};
}

Partition JobSpec::partition() const {
  if (const TaskListJob* list = task_list(); list != nullptr && list->growing) {
    constexpr std::uint32_t every_id = std::numeric_limits<std::uint32_t>::max();
    return Partition(Range{0, every_id}, every_id);
  }
  return Partition(range(), subtasks);
}

const std::map<std::string, std::string>& JobSpec::params() const {
  static const std::map<std::string, std::string> none;
  if (const RangeJob* job = range_job()) return job->params;
  return none;
}

// One flat object for both kinds, as it always travelled: a range job has an empty
// task_file, a task list the "commands" kernel over [0, lines).
void to_json(nlohmann::json& out, const JobSpec& job) {
  const TaskListJob no_task_list;
  const TaskListJob& list = job.is_task_list() ? *job.task_list() : no_task_list;
  const Range range = job.range();
  out = nlohmann::json{
      {"kernel", job.kernel()},
      {"range", {{"lo", range.lo}, {"hi", range.hi}}},
      {"subtasks", job.subtasks},
      {"params", job.params()},
      {"schedule", to_string(job.schedule)},
      {"chunk", job.chunk},
      {"threads", job.threads},
      {"retries", job.retries},
      {"summary_json", job.summary_json},
      {"trace", job.trace},
      {"finished_file", job.finished_file},
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
      {"crash_limit", job.crash_limit},
      {"grace", job.grace},
      {"deadline", job.deadline},
      {"journal", job.journal},
      {"fresh", job.fresh},
      {"retry_failed", job.retry_failed},
      {"task_file", list.task_file},
      {"output_dir", list.output_dir},
      {"cores_per_task", list.cores_per_task},
      {"gpus_per_task", list.gpus_per_task},
      {"memory_per_task", list.memory_per_task},
      {"output", to_string(list.output)},
      {"output_limit", list.output_limit},
      {"tag", list.tag},
      {"task_format", to_string(list.task_format)},
      {"shell", list.shell},
      {"plain_without_shell", list.plain_commands_without_shell},
      {"keep_mpi_env", list.keep_mpi_environment},
      {"keep_background", list.keep_background},
      {"growing", list.growing},
      {"gpus", job.gpus},
      {"memory", job.memory},
      {"bind", to_string(job.bind)},
      {"reserve_after", job.reserve_after},
  };
  // [line, text] for a line no directive covers (most lines of most files: the job
  // travels to every worker), longer otherwise (task_line_json).
  nlohmann::json& tasks = out["tasks"] = nlohmann::json::array();
  for (const TaskLine& line : list.tasks) tasks.push_back(task_line_json(line, list.per_task()));
  nlohmann::json& barriers = out["barriers"] = nlohmann::json::array();
  for (const TaskBarrier& barrier : list.barriers) {
    barriers.push_back({barrier.line_number, barrier.check});
  }
}

nlohmann::json task_line_json(const TaskLine& line, const Resources& per_task) {
  const Resources& need = line.requirement;
  if (line.directive.empty() && need == per_task && !line.has_extras()) {
    return {line.line_number, line.text};
  }
  nlohmann::json task = {line.line_number, line.text,         need.cores,
                         need.gpus,        need.memory_bytes, line.directive};
  if (line.has_extras()) {
    task.push_back({{"argv", line.argv},
                    {"cwd", line.cwd},
                    {"env", line.environment},
                    {"name", line.name},
                    {"phase", line.phase},
                    {"time", line.expected_seconds}});
  }
  return task;
}

TaskLine task_line_from_json(const nlohmann::json& line, const Resources& per_task) {
  TaskLine task{line.at(0).get<std::uint32_t>(), line.at(1).get<std::string>(), per_task};
  if (line.size() > 2) {
    line.at(2).get_to(task.requirement.cores);
    line.at(3).get_to(task.requirement.gpus);
    line.at(4).get_to(task.requirement.memory_bytes);
    line.at(5).get_to(task.directive);
  }
  if (line.size() > 6) {
    const nlohmann::json& extras = line.at(6);
    extras.at("argv").get_to(task.argv);
    extras.at("cwd").get_to(task.cwd);
    extras.at("env").get_to(task.environment);
    extras.at("name").get_to(task.name);
    extras.at("phase").get_to(task.phase);
    extras.at("time").get_to(task.expected_seconds);
  }
  return task;
}

void from_json(const nlohmann::json& in, JobSpec& job) {
  RangeJob range_job;
  in.at("kernel").get_to(range_job.kernel);
  in.at("range").at("lo").get_to(range_job.range.lo);
  in.at("range").at("hi").get_to(range_job.range.hi);
  in.at("params").get_to(range_job.params);
  TaskListJob list;
  in.at("task_file").get_to(list.task_file);
  in.at("output_dir").get_to(list.output_dir);
  in.at("cores_per_task").get_to(list.cores_per_task);
  in.at("gpus_per_task").get_to(list.gpus_per_task);
  in.at("memory_per_task").get_to(list.memory_per_task);
  const auto output = output_mode_from_string(in.at("output").get<std::string>());
  if (!output)
    throw std::invalid_argument("job JSON: unknown output mode " + in.at("output").dump());
  list.output = *output;
  in.at("output_limit").get_to(list.output_limit);
  in.at("tag").get_to(list.tag);
  const auto task_format = task_format_from_string(in.at("task_format").get<std::string>());
  if (!task_format) {
    throw std::invalid_argument("job JSON: unknown task format " + in.at("task_format").dump());
  }
  list.task_format = *task_format;
  in.at("shell").get_to(list.shell);
  in.at("plain_without_shell").get_to(list.plain_commands_without_shell);
  in.at("keep_mpi_env").get_to(list.keep_mpi_environment);
  in.at("keep_background").get_to(list.keep_background);
  in.at("growing").get_to(list.growing);
  const Resources per_task = list.per_task();
  for (const auto& line : in.at("tasks")) list.tasks.push_back(task_line_from_json(line, per_task));
  for (const auto& barrier : in.at("barriers")) {
    list.barriers.push_back(
        TaskBarrier{barrier.at(0).get<std::uint32_t>(), barrier.at(1).get<bool>()});
  }
  if (list.task_file.empty()) {
    job.work = std::move(range_job);
  } else {
    job.work = std::move(list);
  }
  in.at("subtasks").get_to(job.subtasks);
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
  in.at("finished_file").get_to(job.finished_file);
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
  in.at("crash_limit").get_to(job.crash_limit);
  in.at("grace").get_to(job.grace);
  in.at("deadline").get_to(job.deadline);
  in.at("journal").get_to(job.journal);
  in.at("fresh").get_to(job.fresh);
  in.at("retry_failed").get_to(job.retry_failed);
  in.at("gpus").get_to(job.gpus);
  in.at("memory").get_to(job.memory);
  const auto bind = binding_from_string(in.at("bind").get<std::string>());
  if (!bind) throw std::invalid_argument("job JSON: unknown binding " + in.at("bind").dump());
  job.bind = *bind;
  in.at("reserve_after").get_to(job.reserve_after);
}

}  // namespace tasktrack
