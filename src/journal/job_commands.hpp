// What each subtask of a recorded job ran, in words a user recognises: a task list's line
// number and command text, or a range job's kernel and the part of the range it covered.
// `tasktrack log` and `tasktrack status` name attempts with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "commands/task_list.hpp"
#include "journal/fingerprint.hpp"
#include "journal/journal_records.hpp"
#include "tasktrack/partition.hpp"
#include "tasktrack/subtask.hpp"

namespace tasktrack {

class JobCommands {
 public:
  // Nothing known: every subtask's command and line are unknown.
  JobCommands() = default;
  // A task list's lines as its file holds them now, by subtask id.
  static JobCommands of_task_list(std::vector<TaskLine> lines);
  // A range job: subtask i ran `kernel` over Partition(range, subtasks).subtask(i). A range
  // or count that no Partition accepts leaves the kernel's name alone.
  static JobCommands of_range_job(std::string kernel, std::optional<Range> range,
                                  std::optional<std::uint64_t> subtasks);

  bool is_task_list() const { return task_list_; }
  // The task file's lines; empty for a range job or a task file that could not be read.
  const std::vector<TaskLine>& task_lines() const { return lines_; }

  // The task-file line a record of subtask `id` with `key` (Kernel::subtask_key) ran: set
  // only while the line at `id` still has that key (an edited line is other work, as on
  // resume). Always nullopt for a range job.
  std::optional<std::uint32_t> line(SubtaskId id, std::uint64_t key) const;
  // The command text such a record ran ("" when unknown: the line was edited or the file
  // is gone), or "KERNEL LO:HI" for a range job ("KERNEL" alone when the partition is
  // unknown).
  std::string command(SubtaskId id, std::uint64_t key) const;
  // The task's `name` (a JSON Lines key, issue 13) under the same rule; "" when it has none.
  std::string name(SubtaskId id, std::uint64_t key) const;

 private:
  bool task_list_ = false;
  std::vector<TaskLine> lines_;
  std::vector<std::uint64_t> keys_;  // task_line_key of lines_
  std::string kernel_;
  std::optional<Partition> partition_;
};

// The JobCommands of the job a journal's fingerprint describes. A task list's file is
// looked for as task_file_candidates() says; when none can be read, `problem` says why and
// the commands are unknown.
// `format`: how the run read the file (recorded_task_format).
JobCommands recorded_job_commands(const RecordedJob& job, const std::string& journal_path,
                                  std::optional<std::string>& problem,
                                  TaskFormat format = TaskFormat::automatic);

// How the journal's last session read its task file (--task-format, in its session record
// since issue 13): `automatic` when no session says, so that a file named .jsonl is still
// read as JSON Lines.
TaskFormat recorded_task_format(const JournalContents& journal);

// The first `max_chars` bytes of `text` (cut at a UTF-8 character boundary) with "..."
// appended when it was longer: a command as the status and the summary show it.
std::string shortened(const std::string& text, std::size_t max_chars = 120);

}  // namespace tasktrack
