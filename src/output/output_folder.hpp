// What an output folder holds: every attempt whose output was kept there, found in its packed
// files ("output-rank-<R>.pack", --output packed and on-failure) and in files-mode names
// ("subtask-<ID>.attempt-<K>.out" and ".err", ID zero-padded or not). A folder may hold both
// (a job resumed with another --output mode), and attempts of one subtask may lie in several
// rank files (retries on other ranks, resumed runs): all are listed together.
//
// Only where the bytes lie is kept (file, offset, length), never the bytes: a folder may hold
// gigabytes. copy_stream() streams them.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tasktrack {

enum class OutputStream { stdout_stream, stderr_stream };

// Bytes [offset, offset + length) of the file at `path`.
struct OutputPiece {
  std::string path;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// One attempt's kept output: each stream's pieces in the order the command wrote them.
struct AttemptOutput {
  std::uint64_t subtask = 0;
  std::uint32_t attempt = 0;
  std::vector<OutputPiece> stdout_pieces;
  std::vector<OutputPiece> stderr_pieces;
  // Packed: its end frame was found (the attempt ended; all its bytes are here). Files mode
  // cannot tell: false.
  bool ended = false;

  const std::vector<OutputPiece>& pieces(OutputStream stream) const {
    return stream == OutputStream::stdout_stream ? stdout_pieces : stderr_pieces;
  }
  std::uint64_t bytes(OutputStream stream) const;
};

struct OutputFolder {
  std::string dir;
  std::vector<AttemptOutput> attempts;  // by subtask, then attempt
  // One line per packed file that ends in a torn frame (what was cut, and where): readers
  // ignore the rest of such a file.
  std::vector<std::string> warnings;

  // The attempts of `subtask`, in attempt order (empty when none).
  std::vector<const AttemptOutput*> attempts_of(std::uint64_t subtask) const;
};

// Lists what `dir` holds. Files it does not know are ignored. Throws UsageError when `dir`
// is not a readable folder or a packed file in it is not one (wrong header), SystemError when
// reading fails midway.
//
// Should the same (subtask, attempt) appear more than once (journals from before attempt
// numbers continued across sessions reused them): in a packed file, data after the attempt's
// end frame starts it over (the later run's bytes replace the earlier's); across files, the
// files-mode pair replaces packed frames of the same attempt, padded names replace unpadded
// ones, and a higher rank's file replaces a lower one's.
OutputFolder read_output_folder(const std::string& dir);

// Writes `pieces` to `out`, byte-exactly, in chunks of at most 1 MiB (never a whole stream in
// memory). Returns the bytes written; sets `*last_byte` to the last one when it wrote any and
// `last_byte` is given. Throws SystemError when a file cannot be read or holds fewer bytes than
// listed, or `out` fails.
std::uint64_t copy_stream(const std::vector<OutputPiece>& pieces, std::ostream& out,
                          char* last_byte = nullptr);

}  // namespace tasktrack
