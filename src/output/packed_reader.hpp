// Reading a packed output file (packed_format.hpp) back: its frames one by one, and the bytes
// of a frame on demand. The file is never loaded whole (it may hold gigabytes): frame headers
// are read through a small window, payloads with pread() when asked for.
//
// A file may end in a torn frame (a crash mid-append) or in zeroes (a file system that grew
// the file before the data reached it): the walk stops at the first frame that is not whole
// and sound, and torn() says so. That is never an error: everything before it is good.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "output/packed_format.hpp"

namespace tasktrack::packed {

// One whole frame as the reader found it.
struct FrameInfo {
  std::uint32_t subtask = 0;
  std::uint32_t attempt = 0;
  Stream stream = Stream::none;
  FrameKind kind = FrameKind::data;
  std::uint64_t payload_offset = 0;  // where its `length` bytes start in the file
  std::uint32_t length = 0;
};

// True when `header` is a frame header a reader accepts: the frame magic, a known kind and
// stream. Whether its payload fits in the file is the caller's check.
bool frame_header_sound(const FrameHeader& header);

// Where the last whole frame of the packed file open at `fd` ends, by the file's size now:
// the length to cut the file to before appending (a resumed run's writer). 0 when the file is
// shorter than a file header and its bytes are a beginning of one (empty, or torn while the
// header was written): the writer then writes the header again. Reads with pread(), so the
// file offset of `fd` is left as it was. Throws SystemError when reading fails, and
// UsageError when the file holds bytes that are not a packed file's header (never cut a file
// that is not ours). When `unended` is given, it receives each attempt that has data frames
// but no end frame after them (its writer died while it ran), in the order first seen.
std::uint64_t valid_end(int fd, std::vector<FrameInfo>* unended = nullptr);

// Walks the frames of one packed file. Not thread-safe; move-only (it owns the descriptor).
class PackedReader {
 public:
  // Opens `path` read-only and checks its header. Throws SystemError when it cannot be opened
  // or read, UsageError when its header is not a packed file header. A file shorter than a
  // header (a writer died before its header was whole) reads as no frames, torn().
  explicit PackedReader(const std::string& path);
  ~PackedReader();
  PackedReader(PackedReader&& other) noexcept;
  PackedReader& operator=(PackedReader&& other) noexcept;
  PackedReader(const PackedReader&) = delete;
  PackedReader& operator=(const PackedReader&) = delete;

  // The next whole frame in file order, or nullopt at the end of the file or at a torn or
  // unsound frame (then torn() is true). The file's size is taken once, when it is opened: a
  // writer appending meanwhile adds nothing to this walk.
  std::optional<FrameInfo> next();

  // True once the walk stopped before the end of the file: the bytes from valid_end() on are
  // not a whole frame.
  bool torn() const { return torn_; }
  // Where the last whole frame walked so far ends (after the walk: where all whole frames end).
  std::uint64_t valid_end() const { return valid_end_; }
  std::uint64_t file_size() const { return file_size_; }
  const std::string& path() const { return path_; }

  // Reads `into.size()` bytes at file offset `offset` (a frame's payload_offset and length,
  // or a part of them). Throws SystemError when the file holds fewer bytes or reading fails.
  void read_at(std::uint64_t offset, std::span<std::byte> into) const;
  // The payload of `frame`, whole. For frames up to max_frame_bytes, as writers make them.
  std::vector<std::byte> payload(const FrameInfo& frame) const;

 private:
  friend std::uint64_t valid_end(int fd, std::vector<FrameInfo>* unended);
  // Reads `fd`, closing it at the end only when `owns_fd`.
  PackedReader(int fd, bool owns_fd, std::string path);
  void read_file_header();
  std::optional<FrameInfo> stop();
  // Makes bytes [offset, offset + count) available in window_; false when the file ends first.
  bool load(std::uint64_t offset, std::size_t count);

  std::string path_;
  int fd_ = -1;
  bool owns_fd_ = false;
  std::uint64_t file_size_ = 0;
  std::uint64_t position_ = 0;   // where the next frame header starts
  std::uint64_t valid_end_ = 0;  // where the last whole frame ends
  bool torn_ = false;
  std::vector<std::byte> window_;  // file bytes [window_offset_, window_offset_ + size)
  std::uint64_t window_offset_ = 0;
  std::uint32_t last_length_ = 0;  // the length of the frame walked last
};

}  // namespace tasktrack::packed
