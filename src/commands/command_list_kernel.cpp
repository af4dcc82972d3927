#include "commands/command_list_kernel.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <system_error>

#include "commands/command_runner.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {

namespace {

// Results of a task list: how many commands succeeded, and each kernel line's own result.
class CommandListReduction final : public Reduction {
 public:
  explicit CommandListReduction(const CommandListKernel& kernel) : kernel_(kernel) {}

  void add(SubtaskId id, Range, std::int64_t value, std::span<const std::byte> payload) override {
    const CommandListKernel::Line& line = kernel_.line(id);
    if (!line.kernel) {
      ++commands_;
      return;
    }
    // A kernel line is one subtask: its result is complete as soon as it arrives.
    const Partition whole(line.kernel_range, 1);
    auto reduction = line.kernel->make_reduction(whole);
    reduction->add(0, line.kernel_range, value, payload);
    kernel_results_[line.task.line_number] = {line.kernel_name, reduction->finish(),
                                              reduction->describe()};
  }

  nlohmann::json finish() override {
    nlohmann::json lines = nlohmann::json::array();
    for (const auto& [number, result] : kernel_results_) {
      lines.push_back({{"line", number}, {"kernel", result.kernel}, {"result", result.json}});
    }
    return {{"commands_succeeded", commands_}, {"kernel_lines", lines}};
  }

  std::string describe() const override {
    std::string text = fmt::format("{} command{} succeeded", commands_, commands_ == 1 ? "" : "s");
    for (const auto& [number, result] : kernel_results_) {
      text += fmt::format("; line {}: {}", number, result.line);
    }
    return text;
  }

 private:
  struct KernelResult {
    std::string kernel;
    nlohmann::json json;
    std::string line;
  };
  const CommandListKernel& kernel_;
  std::uint64_t commands_ = 0;
  std::map<std::uint32_t, KernelResult> kernel_results_;  // by line number
};

// What task files written for disBatch and the TACC launcher expect of their commands
// (issue 13). disBatch numbers a barrier as a task, so its DISBATCH_TASKID is the subtask
// id plus the barriers above it; DISBATCH_REPEAT_INDEX is -1 outside a REPEAT, as there.
// The launcher's LAUNCHER_TSK_ID and LAUNCHER_NPROCS are this rank's slot and slots: a
// worker does not know the others'.
// `task_count` commands of `task_file` in job `job_id` (unknown for a growing list: then
// LAUNCHER_NJOBS is not set).
void add_peer_variables(std::map<std::string, std::string>& environment, const TaskLine& task,
                        const SubtaskContext& context, const std::string& task_file,
                        std::optional<std::size_t> task_count, const std::string& job_id) {
  const auto padded = [](std::int64_t number) { return fmt::format("{:06d}", number); };
  const std::int64_t task_id = std::int64_t{context.id} + task.phase;
  const std::int64_t stream_index = task.line_number;
  // A REPEAT's index travels in the task's environment (TaskFileDirectives); one a JSON
  // Lines task sets by hand is passed on as written.
  std::string repeat_index = "-1";
  std::string repeat_index_padded = padded(-1);
  if (const auto given = task.environment.find("DISBATCH_REPEAT_INDEX");
      given != task.environment.end()) {
    repeat_index = repeat_index_padded = given->second;
    std::int64_t number = 0;
    const char* const end = repeat_index.data() + repeat_index.size();
    if (const auto [ptr, error] = std::from_chars(repeat_index.data(), end, number);
        error == std::errc{} && ptr == end) {
      repeat_index_padded = padded(number);
    }
  }
  environment["DISBATCH_JOBID"] = job_id;
  environment["DISBATCH_NAMETASKS"] = std::filesystem::path(task_file).filename().string();
  environment["DISBATCH_TASKID"] = std::to_string(task_id);
  environment["DISBATCH_TASKID_ZP"] = padded(task_id);
  environment["DISBATCH_STREAM_INDEX"] = std::to_string(stream_index);
  environment["DISBATCH_STREAM_INDEX_ZP"] = padded(stream_index);
  environment["DISBATCH_REPEAT_INDEX"] = repeat_index;
  environment["DISBATCH_REPEAT_INDEX_ZP"] = repeat_index_padded;
  environment["DISBATCH_CORES_PER_TASK"] = std::to_string(task.requirement.cores);
  environment["LAUNCHER_JID"] = std::to_string(std::uint64_t{context.id} + 1);
  environment["LAUNCHER_TSK_ID"] = std::to_string(context.slot);
  if (task_count) environment["LAUNCHER_NJOBS"] = std::to_string(*task_count);
  environment["LAUNCHER_NPROCS"] = std::to_string(std::max(context.slots, 1u));
}

}  // namespace

CommandListKernel::CommandListKernel(const TaskListJob& list, const KernelRegistry& registry,
                                     int rank, std::string job_id, Binding bind,
                                     TerminalBlockWriter terminal)
    : registry_(registry),
      per_task_(list.per_task()),
      growing_(list.growing),
      task_file_(list.task_file),
      output_dir_(list.output_dir),
      output_limit_(list.output_limit),
      output_(make_output_sink(OutputSettings{list.output, list.output_dir, rank,
                                              static_cast<std::uint32_t>(list.tasks.size()),
                                              list.tag, std::move(terminal)})),
      bind_(bind),
      shell_(list.shell),
      plain_commands_without_shell_(list.plain_commands_without_shell),
      keep_mpi_environment_(list.keep_mpi_environment),
      keep_background_(list.keep_background),
      rank_(rank),
      job_id_(std::move(job_id)) {
  lines_.reserve(list.tasks.size());
  for (const TaskLine& task : list.tasks) lines_.push_back(make_line(task));
  if (list.output == OutputMode::none || list.output == OutputMode::terminal) return;
  std::error_code error;
  std::filesystem::create_directories(output_dir_, error);
  if (error || !std::filesystem::is_directory(output_dir_)) {
    throw UsageError(fmt::format("--output-dir '{}': {}", output_dir_,
                                 error ? error.message() : "not a directory"));
  }
}

CommandListKernel::Line CommandListKernel::make_line(const TaskLine& task) const {
  Line line;
  line.task = task;
  line.hash = task_line_key(task);
  if (const auto kernel_line =
          task.argv.empty() ? parse_kernel_line(task) : std::optional<KernelLine>()) {
    const std::string where = fmt::format("task file '{}', line {}", task_file_, task.line_number);
    const KernelInfo* info = registry_.find(kernel_line->kernel);
    if (info == nullptr) {
      throw UsageError(fmt::format("{}: unknown kernel '{}'", where, kernel_line->kernel));
    }
    try {
      line.kernel = info->make(KernelRegistry::validate(*info, kernel_line->params));
    } catch (const UsageError& error) {
      throw UsageError(where + ": " + error.what());
    }
    line.kernel_name = kernel_line->kernel;
    line.kernel_range = kernel_line->range;
  }
  return line;
}

const CommandListKernel::Line& CommandListKernel::line(SubtaskId id) const {
  if (!growing_) return lines_.at(id);
  const std::lock_guard lock(added_mutex_);
  const auto found = added_.find(id);
  if (found == added_.end()) {
    throw std::out_of_range(fmt::format("subtask {}: its task has not arrived", id));
  }
  return *found->second;
}

void CommandListKernel::add_tasks(SubtaskId first, std::span<const TaskLine> tasks) {
  std::vector<std::unique_ptr<const Line>> made;
  made.reserve(tasks.size());
  for (const TaskLine& task : tasks) made.push_back(std::make_unique<const Line>(make_line(task)));
  const std::lock_guard lock(added_mutex_);
  for (std::size_t i = 0; i < made.size(); ++i) {
    added_.emplace(first + static_cast<SubtaskId>(i), std::move(made[i]));
  }
}

std::vector<TaskLines> CommandListKernel::task_lines_messages(std::span<const IdRun> runs) const {
  std::vector<TaskLines> messages;
  std::string text;
  const auto flush = [&] {
    if (text.empty()) return;
    messages.push_back(TaskLines{"[" + text + "]"});
    text.clear();
  };
  for (const IdRun& run : runs) {
    for (SubtaskId id = run.first; id < run.first + run.count; ++id) {
      const std::string item =
          nlohmann::json::array({id, task_line_json(line(id).task, per_task_)}).dump();
      if (text.size() + item.size() + 3 > max_task_lines_bytes) flush();
      if (!text.empty()) text += ',';
      text += item;
    }
  }
  flush();
  return messages;
}

void CommandListKernel::add_task_lines(const std::string& json) {
  try {
    for (const nlohmann::json& item : nlohmann::json::parse(json)) {
      const TaskLine task = task_line_from_json(item.at(1), per_task_);
      add_tasks(item.at(0).get<SubtaskId>(), std::span(&task, 1));
    }
  } catch (const nlohmann::json::exception& error) {
    throw ProtocolError(std::string("task lines: ") + error.what());
  }
}

std::uint64_t CommandListKernel::subtask_key(SubtaskId id) const {
  return line(id).hash;
}

SubtaskResult CommandListKernel::run(const SubtaskContext& context) const {
  const Line& line = this->line(context.id);
  if (line.kernel) {
    SubtaskContext whole = context;
    whole.range = line.kernel_range;
    return line.kernel->run(whole);
  }
  const std::unique_ptr<AttemptOutput> output =
      output_->begin(AttemptIdentity{context.id, context.attempt, line.task.line_number});
  CommandSpec spec;
  spec.command = line.task.text;
  spec.output = output.get();
  spec.output_limit = output_limit_;
  const std::string gpus = fmt::format("{}", fmt::join(context.gpus, ","));
  const std::size_t cores =
      context.cores.empty() ? line.task.requirement.cores : context.cores.size();
  spec.extra_environment = {
      {"TASKTRACK_SUBTASK", std::to_string(context.id)},
      {"TASKTRACK_ATTEMPT", std::to_string(context.attempt)},
      {"TASKTRACK_RANK", std::to_string(rank_)},
      {"TASKTRACK_JOB", job_id_},
      {"TASKTRACK_CORES", fmt::format("{}", fmt::join(context.cores, ","))},
      {"TASKTRACK_GPUS", gpus},
      {"OMP_NUM_THREADS", std::to_string(std::max<std::size_t>(cores, 1))},
      {"TASKTRACK_SLOT", std::to_string(context.slot)},
  };
  add_peer_variables(spec.extra_environment, line.task, context, task_file_,
                     growing_ ? std::nullopt : std::optional<std::size_t>(lines_.size()), job_id_);
  // Every vendor's variable, so a command sees its own devices whatever it runs on.
  for (const char* name : {"CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES",
                           "ZE_AFFINITY_MASK"}) {
    spec.extra_environment[name] = gpus;
  }
  // The task's own (JSON Lines) settings, its env over everything above.
  spec.argv = line.task.argv;
  spec.cwd = line.task.cwd;
  spec.shell = shell_;
  spec.plain_commands_without_shell = plain_commands_without_shell_;
  spec.keep_mpi_environment = keep_mpi_environment_;
  spec.keep_background = keep_background_;
  for (const auto& [name, value] : line.task.environment) spec.extra_environment[name] = value;
  if (bind_ == Binding::cores) spec.cpus.assign(context.cores.begin(), context.cores.end());
  const CommandOutcome outcome = run_command(spec, context.stop);
  if (AttemptReport* report = context.report; report != nullptr && outcome.measured) {
    report->measured = true;
    report->usage = outcome.usage;
    report->output_capped = outcome.output_capped;
    report->left_processes = outcome.left_processes;
  }
  if (!outcome.succeeded) {
    throw SubtaskFailure(outcome.reason,
                         fmt::format("line {}: {}", line.task.line_number, outcome.detail));
  }
  return SubtaskResult{};
}

std::unique_ptr<Reduction> CommandListKernel::make_reduction(const Partition&) const {
  return std::make_unique<CommandListReduction>(*this);
}

}  // namespace tasktrack
