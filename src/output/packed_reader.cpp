#include "output/packed_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "tasktrack/error.hpp"

namespace tasktrack::packed {
namespace {

// Frame headers are read through a window this large: one pread() serves many small frames.
constexpr std::size_t window_bytes = 64 * 1024;

// The header every packed file of this format version starts with.
FileHeader expected_file_header() {
  FileHeader header{};
  std::memcpy(header.magic, file_magic, sizeof(file_magic));
  return header;
}

// Reads up to `count` bytes at `offset`, retrying short reads and EINTR; fewer only at the
// end of the file.
std::size_t pread_fully(int fd, std::byte* into, std::size_t count, std::uint64_t offset,
                        const std::string& path) {
  std::size_t done = 0;
  while (done < count) {
    const ssize_t got = ::pread(fd, into + done, count - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw system_error_from_errno("read " + path);
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

std::uint64_t size_of(int fd, const std::string& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) throw system_error_from_errno("fstat " + path);
  return static_cast<std::uint64_t>(info.st_size);
}

}  // namespace

bool frame_header_sound(const FrameHeader& header) {
  if (header.magic != frame_magic) return false;
  switch (header.kind) {
    case FrameKind::data:
      return header.stream == Stream::stdout_stream || header.stream == Stream::stderr_stream;
    case FrameKind::end:
      return true;
  }
  return false;
}

std::uint64_t valid_end(int fd, std::vector<FrameInfo>* unended) {
  PackedReader reader(fd, false, "packed output file (descriptor " + std::to_string(fd) + ")");
  std::vector<FrameInfo> open;  // attempts with data and no end frame yet
  while (const auto frame = reader.next()) {
    if (unended == nullptr) continue;
    const auto same = std::find_if(open.begin(), open.end(), [&](const FrameInfo& attempt) {
      return attempt.subtask == frame->subtask && attempt.attempt == frame->attempt;
    });
    if (frame->kind == FrameKind::end) {
      if (same != open.end()) open.erase(same);
    } else if (same == open.end()) {
      open.push_back(*frame);
    }
  }
  if (unended != nullptr) *unended = std::move(open);
  return reader.valid_end();
}

PackedReader::PackedReader(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw system_error_from_errno("open " + path);
  owns_fd_ = true;
  try {
    file_size_ = size_of(fd_, path_);
    read_file_header();
  } catch (...) {
    ::close(std::exchange(fd_, -1));
    throw;
  }
}

PackedReader::PackedReader(int fd, bool owns_fd, std::string path)
    : path_(std::move(path)), fd_(fd), owns_fd_(owns_fd) {
  file_size_ = size_of(fd_, path_);
  read_file_header();
}

PackedReader::~PackedReader() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

PackedReader::PackedReader(PackedReader&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      owns_fd_(std::exchange(other.owns_fd_, false)),
      file_size_(other.file_size_),
      position_(other.position_),
      valid_end_(other.valid_end_),
      torn_(other.torn_),
      window_(std::move(other.window_)),
      window_offset_(other.window_offset_),
      last_length_(other.last_length_) {}

PackedReader& PackedReader::operator=(PackedReader&& other) noexcept {
  if (this != &other) {
    if (owns_fd_ && fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    owns_fd_ = std::exchange(other.owns_fd_, false);
    file_size_ = other.file_size_;
    position_ = other.position_;
    valid_end_ = other.valid_end_;
    torn_ = other.torn_;
    window_ = std::move(other.window_);
    window_offset_ = other.window_offset_;
    last_length_ = other.last_length_;
  }
  return *this;
}

// A whole header must be this format's; a shorter file must be a beginning of one (a writer
// died while writing it): no frames, torn when not empty, valid end 0.
void PackedReader::read_file_header() {
  const FileHeader expected = expected_file_header();
  FileHeader found{};
  const std::size_t got =
      pread_fully(fd_, reinterpret_cast<std::byte*>(&found), sizeof found, 0, path_);
  if (std::memcmp(&found, &expected, std::min(got, sizeof expected.magic)) != 0) {
    throw UsageError("'" + path_ + "' is not a tasktrack packed output file");
  }
  if (got < sizeof found) {
    torn_ = got > 0;
    return;
  }
  if (found.version != expected.version) {
    throw UsageError("'" + path_ + "' is a packed output file of format version " +
                     std::to_string(found.version) + "; this tasktrack reads version " +
                     std::to_string(expected.version));
  }
  position_ = sizeof found;
  valid_end_ = position_;
}

std::optional<FrameInfo> PackedReader::stop() {
  torn_ = true;
  return std::nullopt;
}

std::optional<FrameInfo> PackedReader::next() {
  if (torn_ || position_ >= file_size_) return std::nullopt;
  if (!load(position_, sizeof(FrameHeader))) return stop();
  FrameHeader header{};
  std::memcpy(&header, window_.data() + (position_ - window_offset_), sizeof header);
  if (!frame_header_sound(header)) return stop();
  const std::uint64_t payload_offset = position_ + sizeof header;
  if (header.length > file_size_ - payload_offset) return stop();
  const FrameInfo frame{header.subtask, header.attempt, header.stream,
                        header.kind,    payload_offset, header.length};
  position_ = payload_offset + header.length;
  valid_end_ = position_;
  last_length_ = header.length;
  return frame;
}

bool PackedReader::load(std::uint64_t offset, std::size_t count) {
  if (offset >= window_offset_ && offset + count <= window_offset_ + window_.size()) return true;
  if (offset + count > file_size_) return false;
  // Read ahead for runs of small frames; after a large one the next is likely large too, and
  // reading ahead would fetch payload bytes nobody asked for.
  const std::size_t ahead = last_length_ < window_bytes ? window_bytes : count;
  const std::size_t want = static_cast<std::size_t>(
      std::min<std::uint64_t>(std::max(ahead, count), file_size_ - offset));
  window_.resize(want);
  window_offset_ = offset;
  const std::size_t got = pread_fully(fd_, window_.data(), want, offset, path_);
  window_.resize(got);
  return got >= count;
}

void PackedReader::read_at(std::uint64_t offset, std::span<std::byte> into) const {
  if (pread_fully(fd_, into.data(), into.size(), offset, path_) != into.size()) {
    throw SystemError("read " + path_ + ": the file ends before byte " +
                      std::to_string(offset + into.size()));
  }
}

std::vector<std::byte> PackedReader::payload(const FrameInfo& frame) const {
  std::vector<std::byte> bytes(frame.length);
  read_at(frame.payload_offset, bytes);
  return bytes;
}

}  // namespace tasktrack::packed
