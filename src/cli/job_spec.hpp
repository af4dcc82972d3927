// The job as the user described it (flags, or a TOML job file with the same keys), checked
// once at the boundary (command_line.hpp): everything past JobSpec may assume valid input.
// A job is the options every job has, plus what it runs: a kernel over a range, or the
// lines of a task file.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "commands/task_list.hpp"
#include "core/resources.hpp"
#include "core/schedule.hpp"
#include "output/output_mode.hpp"
#include "report/progress.hpp"
#include "tasktrack/kernel.hpp"
#include "tasktrack/partition.hpp"

namespace tasktrack {

// A registered kernel over a range of elements (--kernel, --range, --param).
struct RangeJob {
  std::string kernel;
  Range range;
  std::map<std::string, std::string> params;  // validated, defaults filled in
};

// A task list (--task-file): the kernel is "commands", the range [0, N), a subtask per line.
struct TaskListJob {
  std::string task_file;
  std::vector<TaskLine> tasks;  // the file's commands, read once by rank 0
  std::string output_dir;       // where command tasks' output goes (packed, files, on-failure)
  // What a line asks for unless a #TASKTRACK directive above it says otherwise.
  std::uint32_t cores_per_task = 1;                   // --cores-per-task
  std::uint32_t gpus_per_task = 0;                    // --gpus-per-task
  std::uint64_t memory_per_task = 0;                  // --mem-per-task, bytes
  OutputMode output = OutputMode::packed;             // --output
  std::uint64_t output_limit = default_output_limit;  // --output-limit, per stream; 0 = none
  bool tag = false;                                   // --tag (--output stdout)
  // How the commands run (issue 13).
  TaskFormat task_format = TaskFormat::automatic;  // --task-format, how rank 0 read the file
  std::string shell = "/bin/sh";                   // --shell: runs a line as SHELL -c LINE
  // A line that is one plain command runs without the shell (plain_command.hpp), unless
  // --shell named one: then every line goes to it (it may be a wrapper that sets things up).
  bool plain_commands_without_shell = true;
  bool keep_mpi_environment = false;  // --keep-mpi-env
  bool keep_background = false;       // --keep-background
  // Its barriers in file order (issue 13): barrier i ends the tasks of phase i. (Given a
  // default so that code building a job outside a task file may leave it out.)
  std::vector<TaskBarrier> barriers{};
  // A task list that grows while the job runs (issue 13): rank 0 reads task_file ("-" for
  // standard input; a file with --follow) as lines arrive, and `tasks` starts empty. Its
  // tasks reach a worker with the subtasks assigned to it (TaskLines messages).
  bool growing = false;
  Resources per_task() const { return {cores_per_task, gpus_per_task, memory_per_task}; }
  // True when the lines do not all ask for the same: rank 0 then packs them exactly.
  bool mixed_requirements() const;
};

// How a worker ties each command to what it was given (--bind).
enum class Binding : std::uint8_t {
  none,   // environment variables only (CUDA_VISIBLE_DEVICES, OMP_NUM_THREADS, ...)
  cores,  // also pinned to its own cores (sched_setaffinity before exec)
};
// "none", "cores": as --bind and the job's JSON write it.
std::string_view to_string(Binding binding);
std::optional<Binding> binding_from_string(std::string_view text);

struct JobSpec {
  // What the job runs. A default JobSpec runs an empty RangeJob.
  std::variant<RangeJob, TaskListJob> work;

  std::uint32_t subtasks = 0;  // resolved: given, Partition::default_count, or the task lines
  Schedule schedule = Schedule::guided;
  std::uint32_t chunk = 0;    // batch size for dynamic (floor for guided); 0 = default
  std::uint32_t threads = 0;  // per worker; 0 = SLURM_CPUS_PER_TASK, else node cores
                              // shared among the worker ranks on the node
  std::uint32_t retries = 2;  // extra attempts for a failed subtask
  std::string summary_json;   // path for the JSON summary; empty = none
  std::string trace;          // path for a Chrome trace-event file; empty = none
  std::string finished_file;  // rank 0 writes its exit code here last; empty = none
  bool quiet = false;         // no progress and no notices on stderr
  ProgressStyle progress = ProgressStyle::automatic;  // --progress bar|lines|none
  double progress_interval = 10.0;  // seconds between progress lines when not on a TTY
  std::string job_file;             // the TOML file it came from, if any

  // Fault tolerance (all durations in seconds; 0 = off where noted).
  double timeout = 0;                  // per attempt; 0 = none
  double timeout_percent = 0;          // --timeout P%: of the median run time; 0 = off
  std::uint32_t max_failures = 0;      // stop dispatching after this many failed for good; 0 = off
                                       // (--max-failures P% is resolved against the total)
  double heartbeat = 2.0;              // a quiet worker's heartbeat period
  double worker_timeout = 30.0;        // silence after which rank 0 declares a worker lost
  std::uint32_t quarantine_after = 5;  // consecutive failed attempts that bench a worker; 0 = off
  std::uint32_t crash_limit = 2;       // lost workers a running subtask may take down; 0 = off
  double grace = 10.0;                 // SIGUSR1: how long running subtasks may finish
  std::string deadline = "auto";       // --deadline (issue 14), checked by parse_deadline;
                                       // rank 0 resolves it (runtime/job_deadline.hpp)

  // Resources (issue 11). What each worker owns: "auto" (from the environment, shared among
  // the worker ranks on a node), or a GPU id list ("0,1,2,3", "none") and a size ("64G").
  std::string gpus = "auto";     // --gpus
  std::string memory = "auto";   // --mem
  Binding bind = Binding::none;  // --bind
  // A task that fits no worker's free resources for this long reserves one: that worker
  // takes nothing new until the task fits (the large task is not starved by small ones).
  double reserve_after = 30.0;  // --reserve-after, seconds
  std::string journal;          // path; empty = no journal
  bool fresh = false;           // move an existing journal aside and start over
  bool retry_failed = true;     // on resume, run subtasks that failed for good again

  // The work as one kind or the other: null when the job is of the other kind.
  const RangeJob* range_job() const { return std::get_if<RangeJob>(&work); }
  RangeJob* range_job() { return std::get_if<RangeJob>(&work); }
  const TaskListJob* task_list() const { return std::get_if<TaskListJob>(&work); }
  TaskListJob* task_list() { return std::get_if<TaskListJob>(&work); }
  bool is_task_list() const { return task_list() != nullptr; }

  // What both kinds have, as the summary shows them: a task list runs the "commands"
  // kernel over [0, lines) without params.
  std::string kernel() const;
  Range range() const;
  const std::map<std::string, std::string>& params() const;

  // A growing task list's is every id a subtask can have, one element each: its size is
  // not known when the job starts.
  Partition partition() const;
};

// JobSpec <-> JSON: how rank 0 hands the validated job to the workers. Every key is
// required by from_json: the JSON comes from to_json on rank 0, so a missing key is a bug
// (nlohmann::json::out_of_range); an unknown schedule, binding or output mode throws
// std::invalid_argument. (Journals do not hold this JSON: they hold the fingerprint.) The
// summary's and the fingerprint's shorter views of a job are job_json (option_table.hpp).
void to_json(nlohmann::json& out, const JobSpec& job);

// One task as the job's JSON holds it (and a growing list's TaskLines message carries it):
// [line, text] when it asks for `per_task` and has nothing else, longer otherwise.
nlohmann::json task_line_json(const TaskLine& line, const Resources& per_task);
// Throws nlohmann::json exceptions on a malformed one.
TaskLine task_line_from_json(const nlohmann::json& in, const Resources& per_task);
void from_json(const nlohmann::json& in, JobSpec& job);

}  // namespace tasktrack
