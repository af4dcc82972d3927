#include "output/packed_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "output/packed_reader.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

using process::system_call_error;

packed::FileHeader file_header() {
  packed::FileHeader header{};
  std::memcpy(header.magic, packed::file_magic, sizeof header.magic);
  return header;
}

}  // namespace

PackedOutputWriter::PackedOutputWriter(std::string path) : path_(std::move(path)) {
  int fd;
  do {
    fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw system_call_error("open(" + path_ + ") for the packed output", errno);
  file_ = process::FileDescriptor(fd);
  struct stat info {};
  if (::fstat(fd, &info) != 0) throw system_call_error("fstat(" + path_ + ")", errno);
  // A resumed run appends: a torn last frame (a crash mid-write) is cut first, so the frames
  // appended after it are read. A file that is not ours is never cut or appended to.
  std::uint64_t end = 0;
  std::vector<packed::FrameInfo> unended;
  try {
    end = packed::valid_end(fd, &unended);
  } catch (const UsageError& error) {
    throw SystemError(std::string(error.what()) + ": move it away or pick another --output-dir");
  }
  if (end != static_cast<std::uint64_t>(info.st_size) &&
      ::ftruncate(fd, static_cast<off_t>(end)) != 0) {
    throw system_call_error("ftruncate(" + path_ + ") to cut a torn last frame", errno);
  }
  if (end == 0) {  // new, or torn while its header was written
    const packed::FileHeader header = file_header();
    write_locked(std::string_view(reinterpret_cast<const char*>(&header), sizeof header));
  }
  // Attempts the last run was cut off in (data, no end frame) are ended here: a resumed run
  // that runs one again under the same attempt number then starts it over in readers,
  // instead of its bytes being read as a continuation of the dead run's.
  for (const packed::FrameInfo& attempt : unended) write_end(attempt.subtask, attempt.attempt);
}

std::string PackedOutputWriter::frame_bytes(const packed::FrameHeader& header,
                                            std::string_view bytes) {
  std::string frame(sizeof header + bytes.size(), '\0');
  std::memcpy(frame.data(), &header, sizeof header);
  if (!bytes.empty()) std::memcpy(frame.data() + sizeof header, bytes.data(), bytes.size());
  return frame;
}

void PackedOutputWriter::write_data(std::uint32_t subtask, std::uint32_t attempt,
                                    packed::Stream stream, std::string_view bytes) {
  while (!bytes.empty()) {
    const std::string_view part = bytes.substr(0, packed::max_frame_bytes);
    bytes.remove_prefix(part.size());
    packed::FrameHeader header;
    header.subtask = subtask;
    header.attempt = attempt;
    header.stream = stream;
    header.kind = packed::FrameKind::data;
    header.length = static_cast<std::uint32_t>(part.size());
    write_frame(header, part);
  }
}

void PackedOutputWriter::write_end(std::uint32_t subtask, std::uint32_t attempt) {
  packed::FrameHeader header;
  header.subtask = subtask;
  header.attempt = attempt;
  header.kind = packed::FrameKind::end;
  write_frame(header, {});
}

void PackedOutputWriter::write_frame(const packed::FrameHeader& header, std::string_view bytes) {
  iovec parts[2] = {{const_cast<packed::FrameHeader*>(&header), sizeof header},
                    {const_cast<char*>(bytes.data()), bytes.size()}};
  const std::size_t total = sizeof header + bytes.size();
  const std::lock_guard lock(mutex_);
  ssize_t written;
  do {
    written = ::writev(file_.get(), parts, bytes.empty() ? 1 : 2);
  } while (written < 0 && errno == EINTR);
  if (written < 0) throw system_call_error("write(" + path_ + ")", errno);
  if (static_cast<std::size_t>(written) == total) return;
  // A short write (a full disk, a signal): finish the frame with plain writes, still under
  // the lock, so it stays whole.
  const std::string frame = frame_bytes(header, bytes);
  write_locked(std::string_view(frame).substr(static_cast<std::size_t>(written)));
}

void PackedOutputWriter::write_locked(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(file_.get(), bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) throw system_call_error("write(" + path_ + ")", errno);
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

}  // namespace tasktrack
