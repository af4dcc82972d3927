// A growing task list on rank 0 (issue 13): what its TaskStream reads becomes subtasks of
// rank 0's kernel, numbered on from the last, and reaches the coordinator as arrivals in
// input order (tasks, and the barriers between them).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cli/job_spec.hpp"
#include "commands/command_list_kernel.hpp"
#include "commands/task_stream.hpp"

namespace tasktrack {

class GrowingTaskList {
 public:
  // Opens the list's input (UsageError when the file cannot be opened). `kernel` is rank
  // 0's and outlives this.
  GrowingTaskList(const TaskListJob& list, CommandListKernel& kernel);

  // What arrived, in input order: a barrier before the tasks it holds back, then a run of
  // tasks (their count; they are the subtasks after those that came before).
  struct Arrival {
    std::uint32_t tasks = 0;
    std::optional<TaskBarrier> barrier;
  };
  // Reads what has arrived, never blocking, and adds its tasks to the kernel.
  std::vector<Arrival> read();

  // True once no task can follow (end of input, `#TASKTRACK end`, a bad line).
  bool ended() const { return ended_; }
  // The bad line that ended input early, with where it was; nullopt otherwise.
  const std::optional<std::string>& problem() const { return problem_; }
  std::uint32_t total() const { return next_id_; }
  // Subtask `id`'s task (below total()).
  const TaskLine& task(SubtaskId id) const { return kernel_.line(id).task; }
  const std::string& name() const { return stream_.name(); }

  // The TaskLines messages that give a worker the tasks of `runs`.
  std::vector<TaskLines> task_lines_messages(std::span<const IdRun> runs) const {
    return kernel_.task_lines_messages(runs);
  }

 private:
  TaskStream stream_;
  CommandListKernel& kernel_;
  std::vector<TaskLine> arrived_;  // scratch
  std::uint32_t phase_ = 0;        // the phase of the last task added
  SubtaskId next_id_ = 0;
  bool ended_ = false;
  std::optional<std::string> problem_;
};

}  // namespace tasktrack
