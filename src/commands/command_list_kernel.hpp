// The kernel behind a task list (--task-file): subtask i runs line i of the file, a shell
// command or an `@KERNEL LO:HI name=value` line run in-process.
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "cli/job_spec.hpp"
#include "commands/task_list.hpp"
#include "output/output_sink.hpp"
#include "runtime/protocol.hpp"
#include "tasktrack/kernel.hpp"

namespace tasktrack {

class CommandListKernel final : public Kernel {
 public:
  // Checks every kernel line against `registry` (UsageError naming the line) and creates the
  // output directory (mode 0755) when the output mode writes files. `rank` and `job_id` go
  // into each command's environment; `rank` also names the rank's packed output file;
  // `bind` (--bind) says whether a command is pinned to its cores. `terminal`: where
  // --output stdout's blocks go (empty: this process's stdout; see TerminalSink).
  CommandListKernel(const TaskListJob& list, const KernelRegistry& registry, int rank,
                    std::string job_id, Binding bind = Binding::none,
                    TerminalBlockWriter terminal = {});

  // A command: SHELL -c LINE (--shell; a plain command line without it unless --shell was
  // given, see plain_command.hpp), or a JSON Lines task's argv without a shell, in
  // its cwd with its env added (over ours and the variables below), our MPI launcher's
  // variables left out unless --keep-mpi-env, what is left of its group ended when it exits
  // unless --keep-background (the report's left_processes); in its own process group, stdin
  // /dev/null, stdout and stderr to the list's output mode (output_sink.hpp) under its
  // --output-limit, environment TASKTRACK_SUBTASK, TASKTRACK_ATTEMPT, TASKTRACK_RANK,
  // TASKTRACK_JOB, and what the attempt was given (context.cores and .gpus): CUDA_VISIBLE_DEVICES,
  // ROCR_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES and ZE_AFFINITY_MASK exactly its GPU ids joined by
  // ',' (empty when it has none: it sees no device), TASKTRACK_CORES and TASKTRACK_GPUS its ids the
  // same way, OMP_NUM_THREADS its core count (the line's requirement when the context has no
  // cores). With Binding::cores it runs on its cores only (sched_setaffinity). Exit status != 0
  // fails with reason exit_code, a signal with reason signal; the stop token (timeout,
  // shutdown) kills the whole group. A kernel line runs its kernel over its range as one
  // subtask, with the same context (cores and GPUs included). A command's report (when the
  // context has one) gets its rusage and whether its output was capped.
  SubtaskResult run(const SubtaskContext& context) const override;
  std::unique_ptr<Reduction> make_reduction(const Partition& partition) const override;
  std::uint64_t subtask_key(SubtaskId id) const override;

  struct Line {
    TaskLine task;
    std::uint64_t hash = 0;
    std::string kernel_name;  // empty for a command
    Range kernel_range;
    std::unique_ptr<Kernel> kernel;  // for a kernel line
  };
  // Subtask `id`'s line. Throws std::out_of_range for an id it does not know (a growing
  // list's task that has not arrived).
  const Line& line(SubtaskId id) const;

  // A growing task list (issue 13; TaskListJob::growing). Thread-safe against run() and
  // line() on other threads: a worker's loop adds while its pool runs.
  //
  // Rank 0: the tasks that arrived, as subtasks `first`, `first` + 1, ... Throws UsageError
  // naming the line for a kernel line the registry refuses (then none is added).
  void add_tasks(SubtaskId first, std::span<const TaskLine> tasks);
  // Rank 0: the TaskLines messages that give a worker the tasks of `runs`, each fitting
  // max_task_lines_bytes.
  std::vector<TaskLines> task_lines_messages(std::span<const IdRun> runs) const;
  // A worker: takes a TaskLines message's text. Throws ProtocolError when it is malformed.
  void add_task_lines(const std::string& json);

 private:
  Line make_line(const TaskLine& task) const;

  KernelRegistry registry_;  // a copy: a growing list's kernel lines are checked later
  Resources per_task_;
  std::vector<Line> lines_;  // a task file's, by subtask id
  bool growing_ = false;
  // A growing list's tasks by subtask id: a worker holds those it was given. Never erased,
  // so a reference line() returned stays valid.
  mutable std::mutex added_mutex_;
  std::unordered_map<SubtaskId, std::unique_ptr<const Line>> added_;
  std::string task_file_;
  std::string output_dir_;
  std::uint64_t output_limit_;
  std::unique_ptr<OutputSink> output_;
  Binding bind_;
  std::string shell_;
  bool plain_commands_without_shell_;
  bool keep_mpi_environment_;
  bool keep_background_;
  int rank_;
  std::string job_id_;
};

}  // namespace tasktrack
