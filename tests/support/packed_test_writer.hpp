// Test support: writes packed output files (src/output/packed_format.hpp) frame by frame, so
// reader tests do not depend on the program's own writer: a second, independent reading of
// the format. Header-only: used by unit tests and CLI tests alike.
#pragma once

#include <algorithm>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "output/packed_format.hpp"

namespace tasktrack::testing {

class PackedTestWriter {
 public:
  // Creates (or truncates) `path` and writes the file header.
  explicit PackedTestWriter(const std::string& path)
      : out_(path, std::ios::binary | std::ios::trunc) {
    if (!out_) throw std::runtime_error("cannot create " + path);
    packed::FileHeader header{};
    std::memcpy(header.magic, packed::file_magic, sizeof header.magic);
    raw(std::string_view(reinterpret_cast<const char*>(&header), sizeof header));
  }

  // `bytes` written by the command to `stream`, in frames of at most `frame_bytes`.
  void data(std::uint32_t subtask, std::uint32_t attempt, packed::Stream stream,
            std::string_view bytes, std::size_t frame_bytes = packed::max_frame_bytes) {
    do {
      const std::string_view part = bytes.substr(0, std::min(bytes.size(), frame_bytes));
      frame(subtask, attempt, stream, packed::FrameKind::data, part);
      bytes.remove_prefix(part.size());
    } while (!bytes.empty());
  }

  void end(std::uint32_t subtask, std::uint32_t attempt) {
    frame(subtask, attempt, packed::Stream::none, packed::FrameKind::end, {});
  }

  // A frame header as given (torn tails), then `payload`.
  void frame(std::uint32_t subtask, std::uint32_t attempt, packed::Stream stream,
             packed::FrameKind kind, std::string_view payload) {
    packed::FrameHeader header;
    header.subtask = subtask;
    header.attempt = attempt;
    header.stream = stream;
    header.kind = kind;
    header.length = static_cast<std::uint32_t>(payload.size());
    raw(std::string_view(reinterpret_cast<const char*>(&header), sizeof header));
    raw(payload);
  }

  void raw(std::string_view bytes) {
    out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out_.flush();
    if (!out_) throw std::runtime_error("write failed");
  }

 private:
  std::ofstream out_;
};

}  // namespace tasktrack::testing
