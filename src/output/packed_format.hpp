// The bytes of a packed output file (--output packed and on-failure): every attempt's stdout
// and stderr that one worker rank ran, in framed records appended as the commands write them.
// A job of any size makes one such file per worker rank instead of two files per attempt,
// which is what parallel file systems (Lustre, GPFS) and their inode quotas need.
//
// Layout: a PackedFileHeader, then frames, each a PackedFrameHeader and `length` bytes. All
// integers little-endian (every machine tasktrack runs on is). A file is only ever appended
// to by the one rank that owns it; a crash can leave a torn last frame, which readers ignore
// and the next writer (a resumed run) cuts off before it appends.
#pragma once

#include <cstdint>
#include <string>

namespace tasktrack::packed {

// "TTPACK" and the format version.
inline constexpr char file_magic[8] = {'T', 'T', 'P', 'A', 'C', 'K', '0', '1'};
inline constexpr std::uint32_t frame_magic = 0x4b505454;  // "TTPK": catches torn or zeroed tails

struct FileHeader {
  char magic[8];
  std::uint32_t version = 1;
  std::uint32_t reserved = 0;
};
static_assert(sizeof(FileHeader) == 16);

enum class Stream : std::uint8_t { none = 0, stdout_stream = 1, stderr_stream = 2 };

enum class FrameKind : std::uint8_t {
  data = 0,  // `length` bytes the command wrote to `stream`
  end = 1,   // the attempt ended: all its bytes are before this frame (length 0, stream none)
};

struct FrameHeader {
  std::uint32_t magic = frame_magic;
  std::uint32_t subtask = 0;
  std::uint32_t attempt = 0;
  Stream stream = Stream::none;
  FrameKind kind = FrameKind::data;
  std::uint16_t reserved = 0;
  std::uint32_t length = 0;  // bytes that follow this header
};
static_assert(sizeof(FrameHeader) == 20);

// Largest data frame a writer emits: larger writes are split. Readers accept any length that
// the file holds.
inline constexpr std::uint32_t max_frame_bytes = 1u << 20;

// The packed file of worker rank `rank` in `output_dir`: "<output_dir>/output-rank-<rank>.pack".
inline std::string packed_file_name(const std::string& output_dir, int rank) {
  return output_dir + "/output-rank-" + std::to_string(rank) + ".pack";
}

}  // namespace tasktrack::packed
