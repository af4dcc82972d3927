#include "journal/journal_writer.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <limits>
#include <stdexcept>

#include "journal/journal_format.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

using namespace journal_format;

// Writes all of `bytes`, through short writes and signals.
void write_all(int fd, const std::byte* bytes, std::size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t written = ::write(fd, bytes, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw system_error_from_errno("write(" + path + ")");
    }
    bytes += written;
    size -= static_cast<std::size_t>(written);
  }
}

void sync_data(int fd, const std::string& path) {
  int result = 0;
  do {
    result = ::fdatasync(fd);
  } while (result != 0 && errno == EINTR);
  if (result != 0) throw system_error_from_errno("fdatasync(" + path + ")");
}

// Makes a newly created file's directory entry durable. Best effort: some file systems
// refuse fsync on a directory, and the data itself is already synced.
void sync_directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string directory =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

JournalWriter::JournalWriter(const std::string& path, const std::string& fingerprint,
                             std::uint64_t valid_bytes, std::chrono::milliseconds commit_interval,
                             std::uint32_t format_version)
    : path_(path),
      format_version_(valid_bytes == 0 ? journal_format_version : format_version),
      commit_interval_(commit_interval) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw system_error_from_errno("open(" + path + ")");
  try {
    // Two jobs appending to one journal would interleave records; the second is refused.
    // Only EWOULDBLOCK counts: where the file system has no flock (some Lustre mounts),
    // the journal still works, unguarded.
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
      throw UsageError(quoted(path) + " is in use by another running tasktrack job");
    }
    struct stat info {};
    if (::fstat(fd_, &info) != 0) throw system_error_from_errno("fstat(" + path + ")");
    const auto size = static_cast<std::uint64_t>(info.st_size);
    if (valid_bytes == 0 && size > 0) {
      // Cutting it to 0 would lose every finished subtask in it.
      throw UsageError(quoted(path) + " already holds " + std::to_string(size) +
                       " bytes; read it before appending, or move it aside");
    }
    if (valid_bytes > size) {
      throw UsageError(quoted(path) + " is shorter (" + std::to_string(size) +
                       " bytes) than when it was read (" + std::to_string(valid_bytes) +
                       "); another process changed it");
    }
    if (size > valid_bytes && ::ftruncate(fd_, static_cast<off_t>(valid_bytes)) != 0) {
      throw system_error_from_errno("ftruncate(" + path + ")");
    }
    if (valid_bytes == 0) {
      const std::vector<std::byte> header = encode_header(fingerprint);
      write_all(fd_, header.data(), header.size(), path_);
      sync_data(fd_, path_);
      ++syncs_;
      sync_directory_of(path_);
    }
  } catch (...) {
    ::close(fd_);
    throw;
  }
  thread_ = std::jthread([this](std::stop_token stop) { background(stop); });
}

JournalWriter::~JournalWriter() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
  try {
    flush();
  } catch (...) {
    // A destructor must not throw; whoever needed the error called flush() themselves.
  }
  ::close(fd_);
}

void JournalWriter::append_session(const nlohmann::json& session) {
  append_record(static_cast<std::uint32_t>(RecordKind::session), encode_session(session));
}

void JournalWriter::append(const JournalAttempt& attempt) {
  // The reader stops at a record it cannot decode, losing everything after it: refuse such
  // a record here rather than write it.
  if (attempt.state != SubtaskState::done && attempt.state != SubtaskState::failed) {
    throw std::invalid_argument("JournalWriter::append: state must be done or failed, not " +
                                std::string(to_string(attempt.state)));
  }
  if (attempt.payload.size() >
      std::numeric_limits<std::uint32_t>::max() - attempt_fixed_bytes - record_frame_bytes) {
    throw std::length_error("JournalWriter::append: payload of subtask " +
                            std::to_string(attempt.subtask) + " is too large for the journal");
  }
  // An older journal keeps the format its older readers know: they would take a retried
  // attempt for a failure for good, so it is not recorded there.
  if (attempt.retried && format_version_ < 3) return;
  if (attempt.reason > last_reason(format_version_)) {
    JournalAttempt older = attempt;
    older.reason = FailureReason::worker_lost;  // the nearest reason its readers know
    append(older);
    return;
  }
  if (format_version_ >= 2 && has_resources(attempt, format_version_)) {
    append_record(static_cast<std::uint32_t>(RecordKind::attempt_with_resources),
                  encode_attempt(attempt, true, format_version_));
  } else {
    append_record(static_cast<std::uint32_t>(RecordKind::attempt), encode_attempt(attempt));
  }
}

void JournalWriter::append_run(const JournalRun& run) {
  const auto count = run.values.size();
  if (count == 0) return;
  if (!run.keys.empty() && run.keys.size() != count) {
    throw std::invalid_argument("JournalWriter::append_run: keys and values differ in number");
  }
  if (count >
      (std::numeric_limits<std::uint32_t>::max() - run_fixed_bytes - record_frame_bytes) / 16) {
    throw std::length_error("JournalWriter::append_run: run too long for one record");
  }
  append_record(static_cast<std::uint32_t>(RecordKind::run), encode_run(run));
}

void JournalWriter::append_record(std::uint32_t kind, const std::vector<std::byte>& body) {
  if (body.size() > std::numeric_limits<std::uint32_t>::max() - record_frame_bytes) {
    throw std::length_error("JournalWriter: record too large for the journal");
  }
  std::lock_guard lock(mutex_);
  if (!error_.empty()) throw SystemError(error_);
  append_framed(buffer_, static_cast<RecordKind>(kind), body);
}

void JournalWriter::flush() {
  // io_mutex_ first, then the buffer: whoever swaps a buffer out also writes it before the
  // next one is swapped, so records reach the file in the order they were appended.
  std::lock_guard io(io_mutex_);
  std::vector<std::byte> pending;
  {
    std::lock_guard lock(mutex_);
    if (!error_.empty()) throw SystemError(error_);
    pending.swap(buffer_);
  }
  if (pending.empty()) return;  // the background wrote and synced everything already
  try {
    write_and_sync(pending);
  } catch (const std::exception& error) {
    // A half-written batch leaves a torn tail: nothing appended after it could be read
    // back, so the writer stays failed.
    std::lock_guard lock(mutex_);
    error_ = error.what();
    throw;
  }
}

void JournalWriter::background(std::stop_token stop) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mutex_);
      // Sleeps the whole interval (the predicate never holds) unless stopped: this is the
      // group commit, one sync for everything appended meanwhile.
      wake_.wait_for(lock, stop, commit_interval_, [] { return false; });
      if (stop.stop_requested()) return;  // the destructor flushes what is left
      if (buffer_.empty() || !error_.empty()) continue;
    }
    try {
      flush();
    } catch (const std::exception&) {
      // Kept in error_ by flush(); the owner's next append() or flush() throws it.
    }
  }
}

void JournalWriter::write_and_sync(std::vector<std::byte>& pending) {
  write_all(fd_, pending.data(), pending.size(), path_);
  sync_data(fd_, path_);
  std::lock_guard lock(mutex_);
  ++syncs_;
}

std::uint64_t JournalWriter::syncs() const {
  std::lock_guard lock(mutex_);
  return syncs_;
}

}  // namespace tasktrack
