// Appending to a journal: records are buffered and committed in groups by a background
// thread, so a job of many fast subtasks costs one fdatasync per commit interval, not one
// per record.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "journal/journal_format.hpp"
#include "journal/journal_records.hpp"

namespace tasktrack {

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
  // `format_version`: an existing journal's (JournalContents::format_version); records are
  // written as that version knows them. A new journal gets the current version.
  JournalWriter(const std::string& path, const std::string& fingerprint,
                std::uint64_t valid_bytes = 0,
                std::chrono::milliseconds commit_interval = std::chrono::milliseconds(200),
                std::uint32_t format_version = journal_format_version);
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
  std::uint32_t format_version_;
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

}  // namespace tasktrack
