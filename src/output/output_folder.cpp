#include "output/output_folder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <map>
#include <string_view>
#include <utility>

#include "output/packed_reader.hpp"
#include "tasktrack/error.hpp"

namespace tasktrack {
namespace {

using AttemptKey = std::pair<std::uint64_t, std::uint32_t>;  // subtask, attempt
using AttemptMap = std::map<AttemptKey, AttemptOutput>;

// Reads a whole run of decimal digits as an unsigned number; nullopt for anything else.
template <typename Number>
std::optional<Number> parse_digits(std::string_view text) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Strips `prefix` from the front of `text`; false when it is not there.
bool consume(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

// "output-rank-<R>.pack" -> R.
std::optional<int> packed_file_rank(std::string_view name) {
  if (!consume(name, "output-rank-") || !name.ends_with(".pack")) return std::nullopt;
  name.remove_suffix(std::string_view(".pack").size());
  return parse_digits<int>(name);
}

// "subtask-<ID>.attempt-<K>.out|.err".
struct FilesModeName {
  std::uint64_t subtask = 0;
  std::uint32_t attempt = 0;
  OutputStream stream = OutputStream::stdout_stream;
  bool padded = false;  // the ID has at least 6 digits, as new runs write it
};

std::optional<FilesModeName> parse_files_mode_name(std::string_view name) {
  FilesModeName parsed;
  if (name.ends_with(".out")) {
    parsed.stream = OutputStream::stdout_stream;
  } else if (name.ends_with(".err")) {
    parsed.stream = OutputStream::stderr_stream;
  } else {
    return std::nullopt;
  }
  name.remove_suffix(4);
  if (!consume(name, "subtask-")) return std::nullopt;
  const auto dot = name.find(".attempt-");
  if (dot == std::string_view::npos) return std::nullopt;
  const auto subtask = parse_digits<std::uint64_t>(name.substr(0, dot));
  const auto attempt =
      parse_digits<std::uint32_t>(name.substr(dot + std::string_view(".attempt-").size()));
  if (!subtask || !attempt) return std::nullopt;
  parsed.subtask = *subtask;
  parsed.attempt = *attempt;
  parsed.padded = dot >= 6;
  return parsed;
}

// The attempts one packed file holds. Data after an attempt's end frame starts it over.
AttemptMap read_packed_file(const std::string& path, std::vector<std::string>& warnings) {
  AttemptMap attempts;
  packed::PackedReader reader(path);
  while (const auto frame = reader.next()) {
    AttemptOutput& attempt = attempts[{frame->subtask, frame->attempt}];
    attempt.subtask = frame->subtask;
    attempt.attempt = frame->attempt;
    if (frame->kind == packed::FrameKind::end) {
      attempt.ended = true;
      continue;
    }
    if (attempt.ended) {  // the same attempt number run again
      attempt.stdout_pieces.clear();
      attempt.stderr_pieces.clear();
      attempt.ended = false;
    }
    if (frame->length == 0) continue;
    auto& pieces = frame->stream == packed::Stream::stdout_stream ? attempt.stdout_pieces
                                                                  : attempt.stderr_pieces;
    // Consecutive frames of one stream are one piece: fewer reads when copying.
    if (!pieces.empty() && pieces.back().offset + pieces.back().length == frame->payload_offset) {
      pieces.back().length += frame->length;
    } else {
      pieces.push_back(OutputPiece{path, frame->payload_offset, frame->length});
    }
  }
  if (reader.torn()) {
    warnings.push_back("'" + path + "' ends in a torn frame at byte " +
                       std::to_string(reader.valid_end()) + " of " +
                       std::to_string(reader.file_size()) + "; the rest is ignored");
  }
  return attempts;
}

// Later sources replace earlier ones attempt by attempt.
void merge_into(AttemptMap& all, AttemptMap&& source) {
  for (auto& [key, attempt] : source) all[key] = std::move(attempt);
}

}  // namespace

std::uint64_t AttemptOutput::bytes(OutputStream stream) const {
  std::uint64_t total = 0;
  for (const OutputPiece& piece : pieces(stream)) total += piece.length;
  return total;
}

std::vector<const AttemptOutput*> OutputFolder::attempts_of(std::uint64_t subtask) const {
  std::vector<const AttemptOutput*> found;
  auto at = std::lower_bound(
      attempts.begin(), attempts.end(), subtask,
      [](const AttemptOutput& attempt, std::uint64_t id) { return attempt.subtask < id; });
  for (; at != attempts.end() && at->subtask == subtask; ++at) found.push_back(&*at);
  return found;
}

OutputFolder read_output_folder(const std::string& dir) {
  namespace fs = std::filesystem;
  OutputFolder folder;
  folder.dir = dir;
  std::map<int, std::string> packed_files;  // by rank
  AttemptMap unpadded_files;
  AttemptMap padded_files;
  std::error_code error;
  fs::directory_iterator entries(dir, error);
  if (error) throw UsageError("cannot read output folder '" + dir + "': " + error.message());
  for (const fs::directory_entry& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (const auto rank = packed_file_rank(name)) {
      packed_files[*rank] = entry.path().string();
      continue;
    }
    const auto files_mode = parse_files_mode_name(name);
    if (!files_mode) continue;
    std::error_code size_error;
    const std::uint64_t size = entry.file_size(size_error);
    if (size_error) continue;  // not a regular file, or gone meanwhile
    AttemptMap& files = files_mode->padded ? padded_files : unpadded_files;
    AttemptOutput& attempt = files[{files_mode->subtask, files_mode->attempt}];
    attempt.subtask = files_mode->subtask;
    attempt.attempt = files_mode->attempt;
    auto& pieces = files_mode->stream == OutputStream::stdout_stream ? attempt.stdout_pieces
                                                                     : attempt.stderr_pieces;
    if (size > 0) pieces = {OutputPiece{entry.path().string(), 0, size}};
  }

  AttemptMap all;
  for (const auto& [rank, path] : packed_files) {
    merge_into(all, read_packed_file(path, folder.warnings));
  }
  merge_into(all, std::move(unpadded_files));
  merge_into(all, std::move(padded_files));
  folder.attempts.reserve(all.size());
  for (auto& [key, attempt] : all) folder.attempts.push_back(std::move(attempt));
  return folder;
}

std::uint64_t copy_stream(const std::vector<OutputPiece>& pieces, std::ostream& out,
                          char* last_byte) {
  constexpr std::size_t chunk_bytes = 1 << 20;
  std::vector<char> chunk;
  std::uint64_t written = 0;
  int fd = -1;
  std::string open_path;
  const auto close_open = [&] {
    if (fd >= 0) ::close(std::exchange(fd, -1));
  };
  try {
    for (const OutputPiece& piece : pieces) {
      if (piece.length == 0) continue;
      if (fd < 0 || open_path != piece.path) {
        close_open();
        fd = ::open(piece.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw system_error_from_errno("open " + piece.path);
        open_path = piece.path;
      }
      chunk.resize(static_cast<std::size_t>(std::min<std::uint64_t>(chunk_bytes, piece.length)));
      std::uint64_t done = 0;
      while (done < piece.length) {
        const std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), piece.length - done));
        const ssize_t got =
            ::pread(fd, chunk.data(), want, static_cast<off_t>(piece.offset + done));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw system_error_from_errno("read " + piece.path);
        if (got == 0) {
          throw SystemError("read " + piece.path + ": the file ends before byte " +
                            std::to_string(piece.offset + piece.length));
        }
        out.write(chunk.data(), got);
        if (!out) throw SystemError("write: the output stream failed");
        if (last_byte != nullptr) *last_byte = chunk[static_cast<std::size_t>(got) - 1];
        done += static_cast<std::uint64_t>(got);
        written += static_cast<std::uint64_t>(got);
      }
    }
  } catch (...) {
    close_open();
    throw;
  }
  close_open();
  return written;
}

}  // namespace tasktrack
