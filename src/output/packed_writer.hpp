// Appends frames to one worker rank's packed output file (packed_format.hpp).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "commands/posix_call.hpp"
#include "output/packed_format.hpp"

namespace tasktrack {

// The writer of "<dir>/output-rank-<rank>.pack". Opening it creates the file with its
// FileHeader, or, when it exists (a resumed run), checks the header and cuts off a torn tail
// (a last frame whose magic is wrong or whose bytes run past the end: what a crash leaves),
// so that what this run appends is read after what the last run wrote completely.
//
// Thread-safe: every frame (header and bytes) is one writev under a mutex on an O_APPEND
// descriptor, so the frames of concurrent attempts interleave whole, never torn. Each frame
// goes to the kernel as it is written (no user-space buffer): a crash of this process loses
// nothing already written. Throws SystemError naming the path.
class PackedOutputWriter {
 public:
  explicit PackedOutputWriter(std::string path);

  const std::string& path() const { return path_; }

  // A data frame of `bytes` (split into frames of at most packed::max_frame_bytes).
  void write_data(std::uint32_t subtask, std::uint32_t attempt, packed::Stream stream,
                  std::string_view bytes);
  // The `end` frame of an attempt: all its bytes are before it.
  void write_end(std::uint32_t subtask, std::uint32_t attempt);
  // Whole frames made elsewhere (an on-failure attempt's spool), kept together: no other
  // thread's frame lands inside them. `read` fills a buffer with the next bytes (returns how
  // many; 0 at the end).
  template <typename Read>
  void append_frames(Read read) {
    const std::lock_guard lock(mutex_);
    std::string buffer(std::size_t{1} << 20, '\0');
    for (;;) {
      const std::size_t count = read(buffer.data(), buffer.size());
      if (count == 0) break;
      write_locked(std::string_view(buffer.data(), count));
    }
  }

  // One frame's bytes: its header followed by `bytes`, as the file holds them.
  static std::string frame_bytes(const packed::FrameHeader& header, std::string_view bytes);

 private:
  void write_frame(const packed::FrameHeader& header, std::string_view bytes);
  void write_locked(std::string_view bytes);

  std::string path_;
  process::FileDescriptor file_;
  std::mutex mutex_;
};

}  // namespace tasktrack
