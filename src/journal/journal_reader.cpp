#include "journal/journal_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "journal/journal_format.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

using namespace journal_format;

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
  char found_magic[sizeof magic];
  if (!source.read(found_magic, sizeof found_magic) ||
      std::memcmp(found_magic, magic, sizeof magic) != 0) {
    throw not_journal("no TTJRNL01 header");
  }
  std::uint32_t version = 0;
  std::uint32_t fingerprint_bytes = 0;
  if (!source.read(&version, sizeof version) ||
      !source.read(&fingerprint_bytes, sizeof fingerprint_bytes)) {
    throw not_journal("header cut short");
  }
  if (version < oldest_journal_format_version || version > journal_format_version) {
    throw UsageError(quoted(path) + ": format version " + std::to_string(version) +
                     ", this tasktrack reads versions " +
                     std::to_string(oldest_journal_format_version) + " to " +
                     std::to_string(journal_format_version));
  }
  contents.format_version = version;
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
  std::uint32_t crc = crc32_of(0, magic, sizeof magic);
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
        kind != static_cast<std::uint32_t>(RecordKind::run) &&
        kind != static_cast<std::uint32_t>(RecordKind::attempt_with_resources)) {
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
      const bool with_resources =
          kind == static_cast<std::uint32_t>(RecordKind::attempt_with_resources);
      if (!decode_attempt(body, attempt, with_resources, contents.format_version)) {
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

}  // namespace

JournalContents read_journal(const std::string& path) {
  FileSource source(path);
  return parse(source, path);
}

JournalContents parse_journal(std::span<const std::byte> bytes, const std::string& path) {
  SpanSource source(bytes);
  return parse(source, path);
}

}  // namespace tasktrack
