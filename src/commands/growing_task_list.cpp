#include "commands/growing_task_list.hpp"

#include "tasktrack/error.hpp"

namespace tasktrack {

GrowingTaskList::GrowingTaskList(const TaskListJob& list, CommandListKernel& kernel)
    : stream_(list.task_file, list.task_format, list.per_task(), true), kernel_(kernel) {}

std::vector<GrowingTaskList::Arrival> GrowingTaskList::read() {
  std::vector<Arrival> arrivals;
  if (ended_) return arrivals;
  arrived_.clear();
  stream_.read_available(arrived_);
  for (const TaskLine& task : arrived_) {
    // The barriers read before this task, each once.
    for (; phase_ < task.phase; ++phase_) {
      arrivals.push_back(Arrival{0, stream_.barriers().at(phase_)});
    }
    try {
      kernel_.add_tasks(next_id_, std::span(&task, 1));  // a bad kernel line stops here
    } catch (const UsageError& error) {
      problem_ = error.what();
      ended_ = true;
      return arrivals;
    }
    ++next_id_;
    if (arrivals.empty() || arrivals.back().barrier) arrivals.push_back(Arrival{});
    ++arrivals.back().tasks;
  }
  if (stream_.ended()) {
    ended_ = true;
    problem_ = stream_.problem();
  }
  return arrivals;
}

}  // namespace tasktrack
