#include "cli/resource_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <tuple>

#include <unistd.h>

#include "tasktrack/error.hpp"

namespace tasktrack {

RequirementClasses requirement_classes(const JobSpec& job) {
  RequirementClasses classes;
  const TaskListJob* list = job.task_list();
  if (list == nullptr) {
    classes.requirements.push_back(Resources{});
    return classes;
  }
  for (const TaskLine& task : list->tasks) {
    const auto found =
        std::find(classes.requirements.begin(), classes.requirements.end(), task.requirement);
    if (found == classes.requirements.end()) {
      if (classes.requirements.size() > std::numeric_limits<std::uint16_t>::max()) {
        throw UsageError("task file '" + list->task_file +
                         "': more than 65536 different requirements");
      }
      classes.requirements.push_back(task.requirement);
    }
    classes.class_of.push_back(static_cast<std::uint16_t>(
        std::find(classes.requirements.begin(), classes.requirements.end(), task.requirement) -
        classes.requirements.begin()));
  }
  if (classes.requirements.size() <= 1) classes.class_of.clear();
  if (classes.requirements.empty()) classes.requirements.push_back(list->per_task());
  return classes;
}

std::function<Resources(SubtaskId)> requirement_lookup(const JobSpec& job) {
  const TaskListJob* list = job.task_list();
  if (list == nullptr) return [](SubtaskId) { return Resources{}; };
  if (list->growing) return [need = list->per_task()](SubtaskId) { return need; };
  auto requirements = std::make_shared<std::vector<Resources>>();
  requirements->reserve(list->tasks.size());
  for (const TaskLine& task : list->tasks) requirements->push_back(task.requirement);
  return [requirements](SubtaskId id) { return requirements->at(id); };
}

unsigned pool_threads(const JobSpec& job, const OwnedResources& owned) {
  const Resources capacity = owned.capacity();
  const TaskListJob* list = job.task_list();
  if (list != nullptr && list->growing) return slots_for(list->per_task(), capacity);
  if (list == nullptr || list->mixed_requirements() || list->tasks.empty()) {
    return std::max(1u, capacity.cores);
  }
  return slots_for(list->tasks.front().requirement, capacity);
}

WorkerOptions worker_options(const JobSpec& job, const OwnedResources& owned, unsigned threads) {
  WorkerOptions options;
  options.threads = std::max(1u, threads);
  options.owned = owned;
  if (job.is_task_list()) options.requirement_of = requirement_lookup(job);
  options.timeout_seconds = job.timeout;
  options.heartbeat_seconds = job.heartbeat;
  options.timeout_may_change = job.timeout_percent > 0;
  return options;
}

WorkerInfo worker_info(const std::string& host, unsigned threads, const OwnedResources& owned) {
  return WorkerInfo{0,
                    host,
                    threads,
                    static_cast<long>(::getpid()),
                    static_cast<unsigned>(owned.cores.size()),
                    owned.gpus,
                    owned.memory_bytes};
}

void check_every_task_fits(const JobSpec& job, std::span<const WorkerInfo> workers) {
  const TaskListJob* list = job.task_list();
  if (list == nullptr || workers.empty()) return;
  // Every task of a growing list asks for what the flags give (task_stream.hpp).
  const std::vector<TaskLine> flags_only{TaskLine{0, "", list->per_task()}};
  for (const TaskLine& task : list->growing ? flags_only : list->tasks) {
    const bool held = std::any_of(workers.begin(), workers.end(), [&](const WorkerInfo& worker) {
      return fits(task.requirement, worker.capacity());
    });
    if (held) continue;
    const auto largest =
        std::max_element(workers.begin(), workers.end(), [](const auto& a, const auto& b) {
          const Resources x = a.capacity();
          const Resources y = b.capacity();
          return std::tie(x.gpus, x.cores, x.memory_bytes) <
                 std::tie(y.gpus, y.cores, y.memory_bytes);
        });
    const std::string what =
        list->growing
            ? fmt::format("each task of '{}' (--cores-per-task, --gpus-per-task, --mem-per-task)",
                          list->task_file)
            : fmt::format("task file '{}', line {}", list->task_file, task.line_number);
    throw UsageError(fmt::format("{} needs {}; the largest worker (rank {} on {}) has {}", what,
                                 describe(task.requirement), largest->rank, largest->host,
                                 describe(largest->capacity())));
  }
}

}  // namespace tasktrack
