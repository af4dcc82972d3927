// The journal file: its format, the reader (one parser for files and memory), the group-
// committing writer, moving a journal aside, and `tasktrack status`.
#include "journal/journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <unordered_map>

#include "cli/option_table.hpp"
#include "core/fnv1a.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

constexpr char journal_magic[8] = {'T', 'T', 'J', 'R', 'N', 'L', '0', '1'};
// magic + version + fingerprint bytes, before the fingerprint text.
constexpr std::size_t header_prefix_bytes = sizeof journal_magic + 4 + 4;
// kind + body bytes before a record's body, CRC after it.
constexpr std::size_t record_head_bytes = 8;
constexpr std::size_t record_frame_bytes = record_head_bytes + 4;

enum class RecordKind : std::uint32_t { session = 1, attempt = 2, run = 3 };

// first u32, count u32, thread u16, has_keys u16, attempt u32, rank i32, start f64, end f64,
// then count values i64 and, when has_keys, count keys u64.
constexpr std::size_t run_fixed_bytes = 4 + 4 + 2 + 2 + 4 + 4 + 8 + 8;

// subtask u32, state u8, reason u8, thread u16, attempt u32, rank i32, start f64, end f64,
// value i64, key u64, payload_bytes u32: 52 bytes, written field by field so that no
// padding (and no compiler's idea of it) reaches the file.
constexpr std::size_t attempt_fixed_bytes = 4 + 1 + 1 + 2 + 4 + 4 + 8 + 8 + 8 + 8 + 4;

std::string quoted(const std::string& path) {
  return "journal '" + path + "'";
}

std::uint32_t crc32_of(std::uint32_t crc, const void* data, std::size_t size) {
  return static_cast<std::uint32_t>(
      crc32_z(crc, static_cast<const Bytef*>(data), static_cast<z_size_t>(size)));
}

template <typename T>
void put(std::vector<std::byte>& out, const T& value) {
  const auto* bytes = reinterpret_cast<const std::byte*>(&value);
  out.insert(out.end(), bytes, bytes + sizeof value);
}

// Reads a T at `at` and advances it. The caller has checked that the bytes are there.
template <typename T>
T take(const std::byte*& at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  at += sizeof value;
  return value;
}

// ---- sources: where the parser's bytes come from ------------------------------------------

// A journal in memory.
class SpanSource {
 public:
  explicit SpanSource(std::span<const std::byte> bytes) : bytes_(bytes) {}
  std::uint64_t size() const { return bytes_.size(); }
  // Copies the next `count` bytes to `out`; false (and nothing consumed) if fewer are left.
  bool read(void* out, std::size_t count) {
    if (count > bytes_.size() - position_) return false;
    if (count > 0) std::memcpy(out, bytes_.data() + position_, count);
    position_ += count;
    return true;
  }

 private:
  std::span<const std::byte> bytes_;
  std::size_t position_ = 0;
};

// A journal file, read sequentially through a buffer so that a journal of millions of
// records is never held twice in memory. Reads no further than the size the file had when
// opened: a running job may be appending meanwhile, and what it appends later is not ours
// to half-read. A file that shrinks meanwhile reads as a torn tail.
class FileSource {
 public:
  explicit FileSource(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw UsageError(quoted(path) + ": " + std::strerror(errno));
    struct stat info {};
    if (::fstat(fd_, &info) != 0) {
      const int code = errno;
      ::close(fd_);
      throw UsageError(quoted(path) + ": " + std::strerror(code));
    }
    if (S_ISDIR(info.st_mode)) {
      ::close(fd_);
      throw UsageError(quoted(path) + ": " + std::strerror(EISDIR));
    }
    size_ = static_cast<std::uint64_t>(info.st_size);
  }
  ~FileSource() { ::close(fd_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  std::uint64_t size() const { return size_; }

  bool read(void* out, std::size_t count) {
    auto* to = static_cast<std::byte*>(out);
    while (count > 0) {
      if (begin_ == end_ && !refill()) return false;
      const std::size_t now = std::min(count, end_ - begin_);
      std::memcpy(to, buffer_.data() + begin_, now);
      begin_ += now;
      to += now;
      count -= now;
    }
    return true;
  }

 private:
  bool refill() {
    if (consumed_ >= size_) return false;
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer_.size(), size_ - consumed_));
    ssize_t got = 0;
    do {
      got = ::read(fd_, buffer_.data(), want);
    } while (got < 0 && errno == EINTR);
    if (got < 0) throw system_error_from_errno("read(" + path_ + ")");
    if (got == 0) return false;  // shrank since we opened it
    begin_ = 0;
    end_ = static_cast<std::size_t>(got);
    consumed_ += static_cast<std::uint64_t>(got);
    return true;
  }

  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::uint64_t consumed_ = 0;
  std::vector<std::byte> buffer_ = std::vector<std::byte>(std::size_t{1} << 20);
  std::size_t begin_ = 0, end_ = 0;
};

// ---- the parser -------------------------------------------------------------------------

bool decode_attempt(const std::vector<std::byte>& body, JournalAttempt& attempt) {
  if (body.size() < attempt_fixed_bytes) return false;
  const std::byte* at = body.data();
  attempt.subtask = take<std::uint32_t>(at);
  const auto state = take<std::uint8_t>(at);
  const auto reason = take<std::uint8_t>(at);
  attempt.thread = take<std::uint16_t>(at);
  attempt.attempt = take<std::uint32_t>(at);
  attempt.rank = take<std::int32_t>(at);
  attempt.start_unix = take<double>(at);
  attempt.end_unix = take<double>(at);
  attempt.value = take<std::int64_t>(at);
  attempt.key = take<std::uint64_t>(at);
  const auto payload_bytes = take<std::uint32_t>(at);
  if (payload_bytes != body.size() - attempt_fixed_bytes) return false;
  if (state != static_cast<std::uint8_t>(SubtaskState::done) &&
      state != static_cast<std::uint8_t>(SubtaskState::failed)) {
    return false;
  }
  if (reason > static_cast<std::uint8_t>(FailureReason::worker_lost)) return false;
  attempt.state = static_cast<SubtaskState>(state);
  attempt.reason = static_cast<FailureReason>(reason);
  attempt.payload.assign(at, body.data() + body.size());
  return true;
}

bool decode_run(const std::vector<std::byte>& body, JournalRun& run) {
  if (body.size() < run_fixed_bytes) return false;
  const std::byte* at = body.data();
  run.first = take<std::uint32_t>(at);
  const auto count = take<std::uint32_t>(at);
  run.thread = take<std::uint16_t>(at);
  const auto has_keys = take<std::uint16_t>(at);
  run.attempt = take<std::uint32_t>(at);
  run.rank = take<std::int32_t>(at);
  run.start_unix = take<double>(at);
  run.end_unix = take<double>(at);
  const std::uint64_t per_subtask = has_keys != 0 ? 16 : 8;
  if (count == 0 || has_keys > 1 ||
      static_cast<std::uint64_t>(count) * per_subtask != body.size() - run_fixed_bytes ||
      static_cast<std::uint64_t>(run.first) + count - 1 > std::numeric_limits<SubtaskId>::max()) {
    return false;
  }
  run.values.resize(count);
  std::memcpy(run.values.data(), at, count * sizeof(std::int64_t));
  at += count * sizeof(std::int64_t);
  run.keys.clear();
  if (has_keys != 0) {
    run.keys.resize(count);
    std::memcpy(run.keys.data(), at, count * sizeof(std::uint64_t));
  }
  return true;
}

bool decode_session(const std::vector<std::byte>& body, nlohmann::json& session) {
  const auto* text = reinterpret_cast<const char*>(body.data());
  try {
    session = nlohmann::json::parse(text, text + body.size(), nullptr, /*allow_exceptions=*/false);
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  return !session.is_discarded();
}

// Every size read from the file is checked against what is left of it before anything is
// allocated, so a hostile or corrupt length costs at most the file's own size.
template <typename Source>
JournalContents parse(Source& source, const std::string& path) {
  JournalContents contents;
  const std::uint64_t total = source.size();
  // An empty file is a journal whose writer was created but never wrote its header
  // (JournalWriter writes one to an empty file): no fingerprint, nothing to resume.
  if (total == 0) return contents;

  const auto not_journal = [&](const std::string& why) {
    return UsageError(quoted(path) + ": not a tasktrack journal (" + why + ")");
  };
  char magic[sizeof journal_magic];
  if (!source.read(magic, sizeof magic) ||
      std::memcmp(magic, journal_magic, sizeof journal_magic) != 0) {
    throw not_journal("no TTJRNL01 header");
  }
  std::uint32_t version = 0;
  std::uint32_t fingerprint_bytes = 0;
  if (!source.read(&version, sizeof version) ||
      !source.read(&fingerprint_bytes, sizeof fingerprint_bytes)) {
    throw not_journal("header cut short");
  }
  if (version != journal_format_version) {
    throw UsageError(quoted(path) + ": format version " + std::to_string(version) +
                     ", this tasktrack reads version " + std::to_string(journal_format_version));
  }
  const std::uint64_t after_prefix = total - header_prefix_bytes;  // the prefix was read
  if (after_prefix < 4 || fingerprint_bytes > after_prefix - 4) {
    throw not_journal("header cut short");
  }
  contents.fingerprint.resize(fingerprint_bytes);
  std::uint32_t stored_crc = 0;
  if (!source.read(contents.fingerprint.data(), fingerprint_bytes) ||
      !source.read(&stored_crc, sizeof stored_crc)) {
    throw not_journal("header cut short");
  }
  std::uint32_t crc = crc32_of(0, journal_magic, sizeof journal_magic);
  crc = crc32_of(crc, &version, sizeof version);
  crc = crc32_of(crc, &fingerprint_bytes, sizeof fingerprint_bytes);
  crc = crc32_of(crc, contents.fingerprint.data(), fingerprint_bytes);
  if (crc != stored_crc) throw not_journal("header checksum mismatch");

  std::uint64_t offset = header_prefix_bytes + fingerprint_bytes + 4;
  contents.valid_bytes = offset;
  std::vector<std::byte> body;  // reused: one allocation for the largest record
  const auto cut = [&](const char* what) {
    contents.warning = quoted(path) + ": cut off " + std::to_string(total - offset) +
                       " bytes of a " + what + " at byte " + std::to_string(offset);
  };
  while (offset < total) {
    const std::uint64_t left = total - offset;
    std::uint32_t kind = 0;
    std::uint32_t body_bytes = 0;
    if (left < record_frame_bytes || !source.read(&kind, sizeof kind) ||
        !source.read(&body_bytes, sizeof body_bytes)) {
      cut("torn record");
      break;
    }
    if (kind != static_cast<std::uint32_t>(RecordKind::session) &&
        kind != static_cast<std::uint32_t>(RecordKind::attempt) &&
        kind != static_cast<std::uint32_t>(RecordKind::run)) {
      cut("corrupt record (unknown kind)");
      break;
    }
    if (body_bytes > left - record_frame_bytes) {
      cut("torn record");
      break;
    }
    body.resize(body_bytes);
    std::uint32_t record_crc = 0;
    if (!source.read(body.data(), body_bytes) || !source.read(&record_crc, sizeof record_crc)) {
      cut("torn record");
      break;
    }
    crc = crc32_of(0, &kind, sizeof kind);
    crc = crc32_of(crc, &body_bytes, sizeof body_bytes);
    crc = crc32_of(crc, body.data(), body.size());
    if (crc != record_crc) {
      cut("corrupt record (checksum mismatch)");
      break;
    }
    if (kind == static_cast<std::uint32_t>(RecordKind::session)) {
      nlohmann::json session;
      if (!decode_session(body, session)) {
        cut("corrupt record (malformed session)");
        break;
      }
      contents.sessions.push_back(std::move(session));
    } else if (kind == static_cast<std::uint32_t>(RecordKind::run)) {
      JournalRun run;
      if (!decode_run(body, run)) {
        cut("corrupt record (malformed run)");
        break;
      }
      contents.runs.push_back(std::move(run));
    } else {
      JournalAttempt attempt;
      if (!decode_attempt(body, attempt)) {
        cut("corrupt record (malformed attempt)");
        break;
      }
      contents.attempts.push_back(std::move(attempt));
    }
    offset += record_frame_bytes + body_bytes;
    contents.valid_bytes = offset;
  }
  return contents;
}

std::vector<std::byte> encode_attempt(const JournalAttempt& attempt) {
  std::vector<std::byte> body;
  body.reserve(attempt_fixed_bytes + attempt.payload.size());
  put(body, attempt.subtask);
  put(body, static_cast<std::uint8_t>(attempt.state));
  put(body, static_cast<std::uint8_t>(attempt.reason));
  put(body, attempt.thread);
  put(body, attempt.attempt);
  put(body, attempt.rank);
  put(body, attempt.start_unix);
  put(body, attempt.end_unix);
  put(body, attempt.value);
  put(body, attempt.key);
  put(body, static_cast<std::uint32_t>(attempt.payload.size()));
  body.insert(body.end(), attempt.payload.begin(), attempt.payload.end());
  return body;
}

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

// ---- fingerprint ------------------------------------------------------------------------

std::string job_fingerprint(const JobSpec& job) {
  // nlohmann::json objects keep their keys sorted, and dump() without indent is compact:
  // the text is canonical, so equal jobs give equal bytes.
  // A task list is identified by its file, not its content: lines appended to it are new
  // work for the same job, and each record's key says which line text it finished.
  const nlohmann::json fingerprint = job_json(job, in_fingerprint);
  return fingerprint.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool same_job(const std::string& recorded, const std::string& current,
              const std::string& journal_path) {
  if (recorded == current) return true;
  const auto task_file_of = [](const std::string& fingerprint) -> std::optional<std::string> {
    const nlohmann::json parsed = nlohmann::json::parse(fingerprint, nullptr, false);
    if (!parsed.is_object() || parsed.contains("kernel")) return std::nullopt;
    const auto found = parsed.find("task_file");
    if (found == parsed.end() || !found->is_string()) return std::nullopt;
    return found->get<std::string>();
  };
  const auto recorded_file = task_file_of(recorded);
  const auto current_file = task_file_of(current);
  if (!recorded_file || !current_file) return false;
  std::vector<std::filesystem::path> candidates{*recorded_file};
  if (std::filesystem::path(*recorded_file).is_relative()) {
    candidates.push_back(std::filesystem::path(journal_path).parent_path() / *recorded_file);
  }
  for (const auto& candidate : candidates) {
    std::error_code error;
    if (std::filesystem::equivalent(candidate, *current_file, error) && !error) return true;
  }
  return false;
}

std::string fingerprint_digest(const std::string& fingerprint) {
  return hex16(fnv1a64(fingerprint));
}

// ---- reading ----------------------------------------------------------------------------

JournalContents read_journal(const std::string& path) {
  FileSource source(path);
  return parse(source, path);
}

JournalContents parse_journal(std::span<const std::byte> bytes, const std::string& path) {
  SpanSource source(bytes);
  return parse(source, path);
}

// ---- writing ----------------------------------------------------------------------------

JournalWriter::JournalWriter(const std::string& path, const std::string& fingerprint,
                             std::uint64_t valid_bytes, std::chrono::milliseconds commit_interval)
    : path_(path), commit_interval_(commit_interval) {
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
      std::vector<std::byte> header;
      header.insert(header.end(), reinterpret_cast<const std::byte*>(journal_magic),
                    reinterpret_cast<const std::byte*>(journal_magic) + sizeof journal_magic);
      put(header, journal_format_version);
      put(header, static_cast<std::uint32_t>(fingerprint.size()));
      const auto* text = reinterpret_cast<const std::byte*>(fingerprint.data());
      header.insert(header.end(), text, text + fingerprint.size());
      put(header, crc32_of(0, header.data(), header.size()));
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
  // Invalid UTF-8 is replaced rather than thrown: the record must read back as JSON.
  const std::string text = session.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const auto* bytes = reinterpret_cast<const std::byte*>(text.data());
  append_record(static_cast<std::uint32_t>(RecordKind::session),
                std::vector<std::byte>(bytes, bytes + text.size()));
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
  append_record(static_cast<std::uint32_t>(RecordKind::attempt), encode_attempt(attempt));
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
  std::vector<std::byte> body;
  body.reserve(run_fixed_bytes + count * (run.keys.empty() ? 8 : 16));
  put(body, run.first);
  put(body, static_cast<std::uint32_t>(count));
  put(body, run.thread);
  put(body, static_cast<std::uint16_t>(run.keys.empty() ? 0 : 1));
  put(body, run.attempt);
  put(body, run.rank);
  put(body, run.start_unix);
  put(body, run.end_unix);
  const auto* values = reinterpret_cast<const std::byte*>(run.values.data());
  body.insert(body.end(), values, values + count * sizeof(std::int64_t));
  if (!run.keys.empty()) {
    const auto* keys = reinterpret_cast<const std::byte*>(run.keys.data());
    body.insert(body.end(), keys, keys + count * sizeof(std::uint64_t));
  }
  append_record(static_cast<std::uint32_t>(RecordKind::run), body);
}

void for_each_attempt(const JournalContents& contents,
                      const std::function<void(const JournalAttempt&)>& visit) {
  for (const JournalAttempt& attempt : contents.attempts) visit(attempt);
  JournalAttempt attempt;
  attempt.state = SubtaskState::done;
  for (const JournalRun& run : contents.runs) {
    const std::size_t count = run.values.size();
    const double step = count > 0 ? (run.end_unix - run.start_unix) / count : 0;
    attempt.thread = run.thread;
    attempt.attempt = run.attempt;
    attempt.rank = run.rank;
    for (std::size_t i = 0; i < count; ++i) {
      attempt.subtask = run.first + static_cast<SubtaskId>(i);
      attempt.start_unix = run.start_unix + step * static_cast<double>(i);
      attempt.end_unix = attempt.start_unix + step;
      attempt.value = run.values[i];
      attempt.key = run.keys.empty() ? 0 : run.keys[i];
      visit(attempt);
    }
  }
}

void JournalWriter::append_record(std::uint32_t kind, const std::vector<std::byte>& body) {
  if (body.size() > std::numeric_limits<std::uint32_t>::max() - record_frame_bytes) {
    throw std::length_error("JournalWriter: record too large for the journal");
  }
  const auto body_bytes = static_cast<std::uint32_t>(body.size());
  std::uint32_t crc = crc32_of(0, &kind, sizeof kind);
  crc = crc32_of(crc, &body_bytes, sizeof body_bytes);
  crc = crc32_of(crc, body.data(), body.size());

  std::lock_guard lock(mutex_);
  if (!error_.empty()) throw SystemError(error_);
  put(buffer_, kind);
  put(buffer_, body_bytes);
  buffer_.insert(buffer_.end(), body.begin(), body.end());
  put(buffer_, crc);
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

// ---- moving aside -----------------------------------------------------------------------

std::string move_journal_aside(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return "";
    throw system_error_from_errno("stat(" + path + ")");
  }
  // Local time, as `ls -l` shows the file's own time next to it.
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
  const std::string base = path + "." + stamp;

  for (int suffix = 0; suffix < 10000; ++suffix) {
    const std::string target = suffix == 0 ? base : base + "." + std::to_string(suffix);
    // RENAME_NOREPLACE makes "is the name free" and the rename one step, so a concurrent
    // --fresh can never overwrite (delete) another journal set aside.
    if (::renameat2(AT_FDCWD, path.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) {
      return target;
    }
    if (errno == EEXIST) continue;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
      throw system_error_from_errno("rename(" + path + ", " + target + ")");
    }
    // The file system has no RENAME_NOREPLACE (NFS): check, then rename.
    struct stat taken {};
    if (::lstat(target.c_str(), &taken) == 0) continue;
    if (::rename(path.c_str(), target.c_str()) != 0) {
      throw system_error_from_errno("rename(" + path + ", " + target + ")");
    }
    return target;
  }
  throw SystemError("rename(" + path + "): no free name of the form " + base + ".N");
}

// ---- tasktrack status -------------------------------------------------------------------

}  // namespace tasktrack
