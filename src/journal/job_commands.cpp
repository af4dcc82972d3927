#include "journal/job_commands.hpp"

#include <filesystem>

#include "tasktrack/error.hpp"
#include "tasktrack/partition.hpp"

namespace tasktrack {

JobCommands JobCommands::of_task_list(std::vector<TaskLine> lines) {
  JobCommands commands;
  commands.task_list_ = true;
  commands.keys_.reserve(lines.size());
  for (const TaskLine& line : lines) commands.keys_.push_back(task_line_key(line));
  commands.lines_ = std::move(lines);
  return commands;
}

JobCommands JobCommands::of_range_job(std::string kernel, std::optional<Range> range,
                                      std::optional<std::uint64_t> subtasks) {
  JobCommands commands;
  commands.kernel_ = std::move(kernel);
  // Partition's preconditions, checked here: a fingerprint is read defensively.
  if (range && subtasks && range->lo < range->hi && *subtasks >= 1 &&
      *subtasks <= static_cast<std::uint64_t>(range->hi - range->lo) && *subtasks <= UINT32_MAX) {
    commands.partition_.emplace(*range, static_cast<std::uint32_t>(*subtasks));
  }
  return commands;
}

std::optional<std::uint32_t> JobCommands::line(SubtaskId id, std::uint64_t key) const {
  if (!task_list_ || id >= lines_.size() || keys_[id] != key) return std::nullopt;
  return lines_[id].line_number;
}

std::string JobCommands::command(SubtaskId id, std::uint64_t key) const {
  if (task_list_) return line(id, key) ? lines_[id].text : std::string();
  if (!partition_ || id >= partition_->count()) return kernel_;
  const Range part = partition_->subtask(id);
  return kernel_ + " " + std::to_string(part.lo) + ":" + std::to_string(part.hi);
}

std::string JobCommands::name(SubtaskId id, std::uint64_t key) const {
  return line(id, key) ? lines_[id].name : std::string();
}

TaskFormat recorded_task_format(const JournalContents& journal) {
  for (auto session = journal.sessions.rbegin(); session != journal.sessions.rend(); ++session) {
    if (!session->is_object() || !session->contains("task_format")) continue;
    const nlohmann::json& format = (*session)["task_format"];
    if (!format.is_string()) continue;
    return task_format_from_string(format.get<std::string>()).value_or(TaskFormat::automatic);
  }
  return TaskFormat::automatic;
}

JobCommands recorded_job_commands(const RecordedJob& job, const std::string& journal_path,
                                  std::optional<std::string>& problem, TaskFormat format) {
  if (!job.task_file) {
    std::optional<Range> range;
    if (job.range) range = Range{job.range->first, job.range->second};
    return JobCommands::of_range_job(job.kernel.value_or("?"), range, job.subtasks);
  }
  if (*job.task_file == "-") {
    // A growing list read from standard input (issue 13): nothing to read back.
    problem = "the commands read from standard input are not kept in the journal";
    return JobCommands::of_task_list({});
  }
  for (const auto& candidate : task_file_candidates(*job.task_file, journal_path)) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(candidate, error)) continue;
    try {
      return JobCommands::of_task_list(read_task_file(candidate.string(), {}, format));
    } catch (const UsageError& failure) {
      problem = failure.what();
      return JobCommands::of_task_list({});
    }
  }
  if (job.task_file->starts_with("template:")) {
    // A generated list (--command): the journal keeps its template, not its arguments.
    problem = "the commands generated from template '" + job.task_file->substr(9) +
              "' are not kept in the journal";
    return JobCommands::of_task_list({});
  }
  problem = "task file '" + *job.task_file + "' not found";
  return JobCommands::of_task_list({});
}

std::string shortened(const std::string& text, std::size_t max_chars) {
  if (text.size() <= max_chars) return text;
  std::size_t cut = max_chars;
  // Back off continuation bytes (10xxxxxx) so a multi-byte character is never split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

}  // namespace tasktrack
