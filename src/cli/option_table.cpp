#include "cli/option_table.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "cli/deadline_setting.hpp"
#include "cli/option_actions.hpp"
#include "cli/setting_checks.hpp"
#include "commands/task_template.hpp"

namespace tasktrack {
namespace {

using nlohmann::json;

constexpr auto no_check = nullptr;
constexpr auto no_json = nullptr;
constexpr auto read_with_work = nullptr;  // range_job and task_list options: make_job reads them

// clang-format off
const std::array<OptionSpec, 48> options{{
    {"kernel", "kernel", ValueKind::text, "NAME", "Kernel to run ({known kernels})", "",
     Scope::range_job, 0, read_with_work, no_check, in_summary | in_fingerprint, "kernel",
     [](const JobSpec& job) { return json(job.kernel()); }},
    {"range", "range", ValueKind::range, "LO:HI", "Half-open integer range [LO, HI) the job covers",
     "", Scope::range_job, 1, read_with_work, no_check, in_summary | in_fingerprint, "range",
     [](const JobSpec& job) { return json{job.range().lo, job.range().hi}; }},
    {"subtasks", "subtasks", ValueKind::count, "N", "Number of subtasks", "from the range size",
     Scope::range_job, 2, read_with_work, no_check, in_summary | in_fingerprint, "subtasks",
     [](const JobSpec& job) { return json(job.subtasks); }},
    {"param", "params", ValueKind::params, "NAME=VALUE", "Kernel parameter; repeat for several", "",
     Scope::range_job, 3, read_with_work, no_check, in_summary | in_fingerprint, "params",
     [](const JobSpec& job) { return json(job.params()); }},
    {"schedule", "schedule", ValueKind::text, "static|dynamic|guided",
     "How subtasks are handed out", "guided", Scope::any_job, 4, apply_schedule, no_check,
     in_summary, "schedule", [](const JobSpec& job) { return json(to_string(job.schedule)); }},
    {"chunk", "chunk", ValueKind::count, "N", "Batch size for dynamic, smallest batch for guided",
     "", Scope::any_job, 5,
     [](const Setting& setting, JobSpec& job) { job.chunk = parse_positive_count(setting); },
     no_check, not_shown, "", no_json},
    {"threads", "threads", ValueKind::count, "T", "Threads per worker",
     "SLURM_CPUS_PER_TASK, else cores", Scope::any_job, 6,
     [](const Setting& setting, JobSpec& job) { job.threads = parse_positive_count(setting); },
     no_check, not_shown, "", no_json},
    {"retries", "retries", ValueKind::count, "N",
     "Extra attempts for a failed subtask, at most 100: 2 means 3 attempts in all; GNU "
     "parallel's --retries N is --retries N-1 here", "2", Scope::any_job, 7,
     [](const Setting& setting, JobSpec& job) {
       job.retries = static_cast<std::uint32_t>(parse_count(setting, max_retries));
     },
     no_check, in_summary, "retries", [](const JobSpec& job) { return json(job.retries); }},
    {"summary-json", "summary-json", ValueKind::path, "FILE", "Write the summary as JSON to FILE",
     "", Scope::any_job, 8,
     [](const Setting& setting, JobSpec& job) { job.summary_json = setting.text; },
     no_check, not_shown, "", no_json},
    {"trace", "trace", ValueKind::path, "FILE",
     "Write a Chrome trace (Perfetto, chrome://tracing): a track per worker thread", "",
     Scope::any_job, 24, apply_trace, no_check, not_shown, "", no_json},
    // For launchers that outlive rank 0 (a rank on a host cut off the network holds mpirun
    // or srun forever): the batch scripts end the step once this file says rank 0 is done.
    {"finished-file", "finished-file", ValueKind::path, "FILE",
     "Rank 0 writes its exit code to FILE as its last act, after the summary, the journal "
     "and the workers' stop (jobs/*.sbatch end a launcher that outlives it)",
     "", Scope::any_job, 47,
     [](const Setting& setting, JobSpec& job) {
       if (setting.text.empty()) fail(setting.where, "must not be empty");
       job.finished_file = setting.text;
     },
     no_check, not_shown, "", no_json},
    {"quiet", "quiet", ValueKind::boolean, "", "No progress on stderr", "", Scope::any_job, 9,
     [](const Setting& setting, JobSpec& job) { job.quiet = setting.text == "true"; },
     no_check, not_shown, "", no_json},
    {"progress", "progress", ValueKind::text, "auto|bar|lines|none",
     "Progress on stderr: an updating bar, a line every --progress-interval, or nothing",
     "auto, a bar on a terminal, also under mpirun, lines otherwise", Scope::any_job, 10,
     apply_progress, no_check, not_shown, "", no_json},
    // Zero would print progress in a busy loop.
    {"progress-interval", "progress-interval", ValueKind::duration, "DURATION",
     "Time between progress lines, the first after 1 s, e.g. 30s", "10s", Scope::any_job, 11,
     [](const Setting& setting, JobSpec& job) {
       job.progress_interval = parse_positive_seconds(setting);
     },
     no_check, not_shown, "", no_json},
    {"timeout", "timeout", ValueKind::duration, "DURATION|P%",
     "Fail an attempt that runs longer than this, e.g. 5m; or P% of the median run time of "
     "the job's finished attempts, e.g. 200%, once 3 have finished", "no limit", Scope::any_job,
     12, apply_timeout, no_check, not_shown, "", no_json},
    {"max-failures", "max-failures", ValueKind::count, "N|P%",
     "Stop handing out subtasks once N (or P% of all) have failed for good; queued ones are "
     "withdrawn, running ones finish", "never stop", Scope::any_job, 13, apply_max_failures,
     no_check, not_shown, "", no_json},
    {"heartbeat", "heartbeat", ValueKind::duration, "DURATION",
     "How often an idle worker tells rank 0 it is alive", "2s", Scope::any_job, 14,
     [](const Setting& setting, JobSpec& job) { job.heartbeat = parse_positive_seconds(setting); },
     no_check, not_shown, "", no_json},
    {"worker-timeout", "worker-timeout", ValueKind::duration, "DURATION",
     "Declare a worker lost after this much silence, or with no hello this long after the "
     "start; more than --heartbeat",
     "30s",
     Scope::any_job, 15,
     [](const Setting& setting, JobSpec& job) {
       job.worker_timeout = parse_positive_seconds(setting);
     },
     check_worker_timeout, not_shown, "", no_json},
    {"quarantine-after", "quarantine-after", ValueKind::count, "K",
     "Stop using a worker after K failed attempts in a row; 0 = never", "5", Scope::any_job, 16,
     [](const Setting& setting, JobSpec& job) {
       job.quarantine_after = static_cast<std::uint32_t>(
           parse_count(setting, std::numeric_limits<std::uint32_t>::max()));
     },
     no_check, not_shown, "", no_json},
    // Issue 14: a poison subtask (one that kills the worker running it) takes down at most
    // this many workers instead of all of them.
    {"crash-limit", "crash-limit", ValueKind::count, "K",
     "Fail a subtask for good (reason crashed_worker) once K workers were lost while it ran "
     "on them; 0 = never", "2", Scope::any_job, 44,
     [](const Setting& setting, JobSpec& job) {
       job.crash_limit = static_cast<std::uint32_t>(
           parse_count(setting, std::numeric_limits<std::uint32_t>::max()));
     },
     no_check, not_shown, "", no_json},
    {"grace", "grace", ValueKind::duration, "DURATION",
     "On SIGUSR1, time running subtasks get to finish before the job stops", "10s",
     Scope::any_job, 17,
     [](const Setting& setting, JobSpec& job) { job.grace = parse_seconds(setting); },
     no_check, not_shown, "", no_json},
    // Issue 14: tasks that could not end before the deadline are not started; the job then
    // drains by itself and ends with exit 3, to be requeued. Rank 0 resolves it at the start
    // (runtime/job_deadline.hpp): a job's identity does not depend on when it runs.
    {"deadline", "deadline", ValueKind::text, "auto|none|TIME|+DURATION",
     "Start no task expected to end past this time less --grace (its JSON Lines 'time', "
     "else 1.2 x the 90th percentile of finished tasks' run times); "
     "once none can, drain and exit 3. TIME: local YYYY-MM-DDTHH:MM[:SS] or Unix seconds; "
     "+DURATION from the job's start, e.g. +2h; auto: the Slurm job's end time",
     "auto, none outside Slurm", Scope::any_job, 46,
     [](const Setting& setting, JobSpec& job) {
       with_context(setting.where, [&] { return parse_deadline(setting.text); });
       job.deadline = setting.text;
     },
     no_check, not_shown, "", no_json},
    // A task list is identified by its file, not its content: lines appended to it are new
    // work for the same job, and each record's key says which line text it finished.
    {"task-file", "task-file", ValueKind::path, "FILE",
     "Run the shell commands of FILE, one per line (or '@KERNEL LO:HI name=value' lines); "
     "'-' reads them from standard input as the job runs", "",
     Scope::task_list, 21, read_with_work, no_check, in_fingerprint, "task_file",
     [](const JobSpec& job) {
       const std::string& name = job.task_list()->task_file;
       return json(is_generated_list_name(name) || name == "-" ? name : real_path(name));
     }},
    // A growing task list (issue 13): the file is read as lines are appended to it.
    {"follow", "follow", ValueKind::boolean, "",
     "Task files: keep reading FILE as lines are appended to it (as tail -f), running each "
     "task as it arrives, until a '#TASKTRACK end' line", "", Scope::task_list, 45,
     read_with_work, no_check, not_shown, "", no_json},
    // ---- issue 13, templates: a task list generated from --command TEMPLATE and one source
    // of arguments (--args, ::: sets, --array). Its identity is the template alone (as a task
    // file's is its path: task_file above holds "template:" + TEMPLATE), never the
    // arguments, so a run with more arguments resumes the same job; each task's key is the
    // hash of its expanded command, so only the new ones run.
    {"command", "command", ValueKind::text, "TEMPLATE",
     "Run TEMPLATE once per argument of --args FILE, of ::: sets (their cartesian product, "
     "the last varying fastest) or of --array, with {} (the argument), {1}..{n} (its columns, "
     "or the sets), {#} (the task's number, from 1), {.} (without extension), {/} "
     "(basename), {//} (dirname), {/.} (basename without extension), also {n.} {n/} {n//} "
     "{n/.}, each shell-quoted; a TEMPLATE without any gets ' {}' appended", "",
     Scope::task_list, 34, read_with_work, no_check, not_shown, "", no_json},
    {"args", "args", ValueKind::path, "FILE",
     "--command: the arguments, one per line; blank lines are skipped (GNU parallel keeps "
     "them)", "", Scope::task_list, 35, read_with_work, no_check, not_shown, "", no_json},
    {"colsep", "colsep", ValueKind::text, "SEP",
     "--args: split each line at SEP, literal text (not a regex), into the columns {1} {2} "
     "...; {} stays the whole line", "", Scope::task_list, 36, read_with_work, no_check,
     not_shown, "", no_json},
    {"array", "array", ValueKind::text, "LO:HI[:STEP]",
     "--command: the arguments are the integers LO, LO+STEP, ... below HI (half-open, as "
     "--range)", "", Scope::task_list, 37, read_with_work, no_check, not_shown, "", no_json},
    {"no-quote", "no-quote", ValueKind::boolean, "",
     "--command: insert the replacements as they are, not shell-quoted", "", Scope::task_list,
     38, read_with_work, no_check, not_shown, "", no_json},
    {"sets", "sets", ValueKind::argument_sets, "::: A B ::: C",
     "--command: the ::: sets, as a job file's array of arrays", "", Scope::task_list, 39,
     read_with_work, no_check, not_shown, "", no_json},
    // ---- end issue 13, templates ----
    // How the commands run (issue 13). Not in the fingerprint: a line's key holds what it
    // runs (task_line_key).
    {"task-format", "task-format", ValueKind::text, "auto|plain|jsonl",
     "Task files: plain, a shell command per line; jsonl, a JSON object per line "
     "({\"cmd\": ...} or {\"argv\": [...]}, with cwd, env, cores, gpus, mem, time, name); "
     "auto, jsonl for a name ending in .jsonl", "auto", Scope::task_list, 40, read_with_work,
     no_check, not_shown, "", no_json},
    {"shell", "shell", ValueKind::text, "PATH",
     "Task files: the shell that runs each line, as PATH -c LINE (a name is looked up in "
     "PATH); JSON Lines argv tasks run without one. Not given, a line that is one plain "
     "command runs without /bin/sh (README); given, every line goes to it", "/bin/sh", Scope::task_list, 41,
     read_with_work, no_check, not_shown, "", no_json},
    {"keep-mpi-env", "keep-mpi-env", ValueKind::boolean, "",
     "Task files: pass the MPI launcher's variables (OMPI_*, PMIX_*, PMI_*, ...) to the "
     "commands; without it a command that is an MPI program starts as a singleton",
     "", Scope::task_list, 42, read_with_work, no_check, not_shown, "", no_json},
    {"keep-background", "keep-background", ValueKind::boolean, "",
     "Task files: leave running what a command started in the background; without it, what "
     "is left of its process group when it exits is ended (SIGTERM, then SIGKILL)",
     "", Scope::task_list, 43, read_with_work, no_check, not_shown, "", no_json},
    {"output-dir", "output-dir", ValueKind::path, "DIR",
     "Task files: the folder of the commands' output (--output packed, files, on-failure)",
     "<task file>.output, beside the task file; for --command, <args file>.output beside "
     "the --args file, else tasktrack-output beside the --journal file, else "
     "./tasktrack-output", Scope::task_list, 22, read_with_work,
     no_check, not_shown, "", no_json},
    // How output is kept changes no line's work: not in the fingerprint.
    {"output", "output", ValueKind::text, "packed|files|on-failure|none|stdout",
     "Task files: packed keeps every attempt's stdout and stderr in one file per worker rank; "
     "files, two files per attempt; on-failure, like packed for failed attempts only; none "
     "keeps nothing; stdout prints each attempt as one block when it ends", "packed",
     Scope::task_list, 30, read_with_work, no_check, not_shown, "", no_json},
    {"output-limit", "output-limit", ValueKind::text, "SIZE|none",
     "Task files: bytes kept per stream of an attempt, e.g. 1G; past it the head and the "
     "last MiB are kept and a marker says how much was dropped; 0 or none: no limit", "64M",
     Scope::task_list, 31, read_with_work, no_check, not_shown, "", no_json},
    {"tag", "tag", ValueKind::boolean, "",
     "Task files with --output stdout: start each printed line with the task's line number "
     "and a tab", "", Scope::task_list, 32, read_with_work, no_check, not_shown, "", no_json},
    // The per-task flags change no line's work: they are neither in the fingerprint nor in
    // a line's key (a #TASKTRACK directive is, task_line_key).
    {"cores-per-task", "cores-per-task", ValueKind::count, "C",
     "Task files: cores per command, OMP_NUM_THREADS=C; a '#TASKTRACK cores=C' line in the "
     "file sets it for the lines after it",
     "",
     Scope::task_list, 23, read_with_work, no_check, not_shown, "", no_json},
    {"gpus-per-task", "gpus-per-task", ValueKind::count, "G",
     "Task files: GPUs per command, its own devices in CUDA_VISIBLE_DEVICES; a '#TASKTRACK "
     "gpus=G' line in the file sets it for the lines after it", "0", Scope::task_list, 25,
     read_with_work, no_check, not_shown, "", no_json},
    {"mem-per-task", "mem-per-task", ValueKind::text, "SIZE",
     "Task files: memory per command, e.g. 16G (MiB without a unit); a command starts only "
     "where that much is free, and is not stopped for using more", "0", Scope::task_list, 26,
     read_with_work, no_check, not_shown, "", no_json},
    {"gpus", "gpus", ValueKind::text, "LIST|auto|none",
     "GPUs each worker owns: ids such as 0,1,2,3 or GPU UUIDs; auto takes "
     "CUDA_VISIBLE_DEVICES, else SLURM_STEP_GPUS or SLURM_JOB_GPUS, else "
     "ROCR_VISIBLE_DEVICES, shared among a node's worker ranks", "auto", Scope::any_job, 27,
     apply_gpus, no_check, not_shown, "", no_json},
    {"mem", "mem", ValueKind::text, "SIZE|auto",
     "Memory each worker owns for its tasks, e.g. 64G; auto takes the cgroup's limit, else "
     "Slurm's memory per node, else the node's available memory, shared among a node's "
     "worker ranks", "auto", Scope::any_job, 28, apply_memory, no_check, not_shown, "",
     no_json},
    {"bind", "bind", ValueKind::text, "none|cores",
     "cores: pin each command to its own cores; none: only set CUDA_VISIBLE_DEVICES, "
     "OMP_NUM_THREADS, TASKTRACK_CORES and TASKTRACK_GPUS", "none", Scope::any_job, 29,
     apply_bind, no_check, not_shown, "", no_json},
    {"reserve-after", "reserve-after", ValueKind::duration, "DURATION",
     "A task that has waited this long for free cores, GPUs or memory reserves a worker, "
     "which takes nothing new until the task fits: large tasks are not starved by small "
     "ones", "30s", Scope::any_job, 33,
     [](const Setting& setting, JobSpec& job) { job.reserve_after = parse_seconds(setting); },
     no_check, not_shown, "", no_json},
    {"journal", "journal", ValueKind::path, "FILE",
     "Record finished subtasks in FILE; resume from it if it exists", "none", Scope::any_job, 18,
     apply_journal, no_check, not_shown, "", no_json},
    {"fresh", "fresh", ValueKind::boolean, "",
     "Move an existing --journal aside and start the job over", "", Scope::any_job, 19,
     [](const Setting& setting, JobSpec& job) {
       require_journal(setting, job, "starts over from an empty journal, but");
       job.fresh = setting.text == "true";
     },
     no_check, not_shown, "", no_json},
    {"no-retry-failed", "no-retry-failed", ValueKind::boolean, "",
     "On resume, do not run again the subtasks that failed for good", "", Scope::any_job, 20,
     [](const Setting& setting, JobSpec& job) {
       require_journal(setting, job, "applies when resuming from a journal, but");
       job.retry_failed = setting.text != "true";
     },
     no_check, not_shown, "", no_json},
}};
// clang-format on

bool applies_to(const OptionSpec& option, const JobSpec& job) {
  switch (option.scope) {
    case Scope::any_job:
      return true;
    case Scope::range_job:
      return !job.is_task_list();
    case Scope::task_list:
      return job.is_task_list();
  }
  return false;
}

}  // namespace

std::span<const OptionSpec> run_options() {
  return options;
}

const OptionSpec* find_option(std::string_view name) {
  const auto found = std::find_if(options.begin(), options.end(),
                                  [&](const OptionSpec& option) { return option.name == name; });
  return found == options.end() ? nullptr : &*found;
}

const OptionSpec* find_job_file_key(std::string_view key) {
  const auto found = std::find_if(options.begin(), options.end(), [&](const OptionSpec& option) {
    return option.job_file_key == key;
  });
  return found == options.end() ? nullptr : &*found;
}

std::vector<std::string> job_file_keys(bool with_params) {
  std::vector<const OptionSpec*> listed;
  for (const OptionSpec& option : options) {
    if (with_params || option.kind != ValueKind::params) listed.push_back(&option);
  }
  std::sort(listed.begin(), listed.end(), [](const OptionSpec* a, const OptionSpec* b) {
    return a->key_list_position < b->key_list_position;
  });
  std::vector<std::string> keys;
  for (const OptionSpec* option : listed) keys.emplace_back(option->job_file_key);
  return keys;
}

json job_json(const JobSpec& job, JsonView view) {
  // nlohmann::json objects keep their keys sorted: the text is canonical whatever the
  // table's order.
  json out = json::object();
  for (const OptionSpec& option : options) {
    if ((option.views & view) == 0) continue;
    if (view == in_fingerprint && !applies_to(option, job)) continue;
    out[std::string(option.json_key)] = option.json_value(job);
  }
  return out;
}

}  // namespace tasktrack
