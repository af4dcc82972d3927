// The journal: an append-only file of finished subtasks, the truth a resumed job starts
// from and everything the summary says can be rebuilt from (design.md, "Contracts").
//
// Layout (host byte order; a journal is read on the cluster that wrote it):
//   file header : magic "TTJRNL01", u32 format version, u32 fingerprint bytes,
//                 fingerprint text (canonical JSON), u32 CRC-32 of everything before it
//   records     : u32 kind, u32 body bytes, body, u32 CRC-32 of kind + size + body
// Record kinds: session (a run of the job started: JSON text) and attempt (a finished
// attempt: a fixed part and its payload). A record that is cut short or fails its CRC ends
// the journal: it and everything after it are cut off with a warning.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "cli/job_spec.hpp"
#include "tasktrack/subtask.hpp"

namespace tasktrack {

inline constexpr std::uint32_t journal_format_version = 1;

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

// One finished attempt as the journal keeps it: done, or failed for good.
struct JournalAttempt {
  SubtaskId subtask = 0;
  SubtaskState state = SubtaskState::done;  // done or failed
  FailureReason reason = FailureReason::none;
  std::uint16_t thread = 0;
  std::uint32_t attempt = 0;
  std::int32_t rank = 0;
  double start_unix = 0;  // seconds since the Unix epoch
  double end_unix = 0;
  std::int64_t value = 0;
  std::uint64_t key = 0;           // Kernel::subtask_key: what the subtask's work was
  std::vector<std::byte> payload;  // done: the result bytes; failed: the detail text
  friend bool operator==(const JournalAttempt&, const JournalAttempt&) = default;
};

// Consecutive subtasks first..first+count-1 done by one thread at one attempt, recorded as
// one record: fast subtasks cost the journal 8 bytes each (their value) instead of a record
// each. A run has one time span; its subtasks' own start and end times are not kept.
struct JournalRun {
  SubtaskId first = 0;
  std::uint16_t thread = 0;
  std::uint32_t attempt = 0;
  std::int32_t rank = 0;
  double start_unix = 0;             // the first subtask's start
  double end_unix = 0;               // the last subtask's end
  std::vector<std::int64_t> values;  // one per subtask
  std::vector<std::uint64_t> keys;   // one per subtask, or empty when all keys are 0
  friend bool operator==(const JournalRun&, const JournalRun&) = default;
};

// Everything a journal file holds, as read back.
struct JournalContents {
  std::string fingerprint;
  std::vector<nlohmann::json> sessions;  // in file order
  std::vector<JournalAttempt> attempts;  // single records, in file order
  std::vector<JournalRun> runs;          // run records (all done), in file order
  std::uint64_t valid_bytes = 0;         // where the last good record ends
  std::optional<std::string> warning;    // set when a torn or corrupt tail was cut off
};

// Calls `visit` for every attempt of `contents`: the single records, then each run's subtasks
// as attempts (done, no payload, the run's span spread evenly over its subtasks). A
// subtask done in any record is done: order between the two kinds does not matter.
void for_each_attempt(const JournalContents& contents,
                      const std::function<void(const JournalAttempt&)>& visit);

// Reads a journal. Throws UsageError when the file cannot be opened or its header is not a
// tasktrack journal header (wrong magic, version, or header CRC). A bad record is not an
// error: reading stops there and `warning` says what was cut off and where. An empty file
// (a writer created it and died before its header) reads as no header: empty fingerprint,
// no records, valid_bytes 0; a JournalWriter given that writes the header. Throws
// SystemError when reading fails midway (EIO).
JournalContents read_journal(const std::string& path);
// The same, for a journal already in memory (tests, the fuzzer): read_journal() and this
// share one parser. `path` only names the journal in messages.
JournalContents parse_journal(std::span<const std::byte> bytes, const std::string& path);

// Appends to a journal with group commit: append() only buffers; a background thread
// writes and fdatasyncs what is buffered at most every `commit_interval` (never one sync
// per record), and flush() does it at once (at exit, on a signal). Safe to call from one
// thread (rank 0's main thread); the background thread only touches the buffer under its
// lock. Throws SystemError on I/O failure (from the calling thread: a failure in the
// background is kept and rethrown by the next append() or flush()).
class JournalWriter {
 public:
  // Opens `path` for appending. A new or empty file gets a header with `fingerprint`. An
  // existing one must have been read with read_journal() first: pass its `valid_bytes`, and
  // the file is cut to that length (dropping a torn tail) before anything is appended.
  // Throws UsageError, touching nothing, when another writer holds the journal (flock), when
  // valid_bytes is 0 but the file is not empty, or when the file is shorter than valid_bytes.
  JournalWriter(const std::string& path, const std::string& fingerprint,
                std::uint64_t valid_bytes = 0,
                std::chrono::milliseconds commit_interval = std::chrono::milliseconds(200));
  ~JournalWriter();  // flush(), never throws

  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  void append_session(const nlohmann::json& session);
  void append(const JournalAttempt& attempt);
  void append_run(const JournalRun& run);
  // Writes and fdatasyncs everything appended so far before returning.
  void flush();

  std::uint64_t syncs() const;  // fdatasync calls so far (tests check group commit)

 private:
  void append_record(std::uint32_t kind, const std::vector<std::byte>& body);
  void background(std::stop_token stop);
  void write_and_sync(std::vector<std::byte>& pending);  // holds io_mutex_

  std::string path_;
  int fd_ = -1;
  std::chrono::milliseconds commit_interval_;
  mutable std::mutex mutex_;  // guards buffer_, error_, syncs_
  std::condition_variable_any wake_;
  std::vector<std::byte> buffer_;
  std::string error_;
  std::uint64_t syncs_ = 0;
  std::mutex io_mutex_;  // one writer of the file at a time
  std::jthread thread_;
};

// Renames `path` aside to "<path>.<YYYYmmdd-HHMMSS>[.N]" (never deleting it) and returns
// the new name; returns "" when `path` does not exist. Throws SystemError if renaming fails.
std::string move_journal_aside(const std::string& path);

}  // namespace tasktrack
