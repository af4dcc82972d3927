// What identifies a job for resuming (its fingerprint, kept in the journal's header), and
// reading a recorded fingerprint back for `status`, `report` and the resume check.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/job_spec.hpp"

namespace tasktrack {

// What identifies a job for resuming: what defines its work, spelled canonically. For a
// kernel: kernel, params, range, subtasks. For a task list: the task file's real path
// (absolute, links resolved), so `tasks.txt`, `./tasks.txt` and `$PWD/tasks.txt` are one
// job; the lines themselves are matched record by record by their hashes. Options that do
// not change the work (--threads, --schedule, --timeout, --cores-per-task, output options)
// are not part of it and may change between runs. Canonical JSON: equal jobs, equal bytes.
std::string job_fingerprint(const JobSpec& job);

// True when a journal whose header holds `recorded` may be resumed by a job whose
// fingerprint is `current`: the same text, or a task-list fingerprint written by an
// earlier version (a path as typed, relative to the folder it ran in, and
// cores_per_task) whose path names the same file as `current`'s. A relative recorded path
// is tried against the current folder and against `journal_path`'s folder.
bool same_job(const std::string& recorded, const std::string& current,
              const std::string& journal_path);
// A short, printable digest of a fingerprint for messages ("3f9c0a1b2d4e5f60").
std::string fingerprint_digest(const std::string& fingerprint);

// A job as a recorded fingerprint describes it. The text passed the header's CRC, but is
// read defensively all the same: `status` and `report` must describe any journal they can
// open, so a field of the wrong type is simply absent.
struct RecordedJob {
  std::optional<std::string> kernel;     // a kernel job's kernel
  std::optional<std::string> task_file;  // a task list's file, as the fingerprint names it
  // The range's two bounds when they are integers, in whatever order they were written.
  std::optional<std::pair<std::int64_t, std::int64_t>> range;
  std::optional<std::uint64_t> subtasks;  // when an unsigned integer
  // The params in name order: a string as it is, any other value as its JSON text.
  std::vector<std::pair<std::string, std::string>> params;
};
// Never throws for any text (std::bad_alloc aside); text that is not a JSON object reads
// as a RecordedJob with nothing set.
RecordedJob read_recorded_job(const std::string& fingerprint);

// Where the task file a fingerprint names may be now, in the order to try: as written
// (absolute since fingerprints became canonical; relative to the current folder in older
// journals), then, for a relative path, beside the journal at `journal_path`.
std::vector<std::filesystem::path> task_file_candidates(const std::string& task_file,
                                                        const std::string& journal_path);

}  // namespace tasktrack
