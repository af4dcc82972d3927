// libFuzzer target for the journal parser: whatever the bytes, parse_journal() must return
// or throw UsageError, never crash, hang or allocate beyond the input's size, and what it
// keeps must read back the same on its own; and replay() of what it keeps must hold one
// entry per subtask, done or failed for good, never both.
//
// Every record is guarded by a CRC-32, which random mutation almost never gets right, so
// each input is parsed twice: as it is, and with its checksums repaired, so that mutations
// reach the decoding behind the CRC check.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include <zlib.h>

#include "journal/journal.hpp"
#include "tasktrack/error.hpp"

namespace {

std::uint32_t load_u32(const std::vector<std::byte>& bytes, std::size_t at) {
  std::uint32_t value = 0;
  std::memcpy(&value, bytes.data() + at, sizeof value);
  return value;
}

void store_u32(std::vector<std::byte>& bytes, std::size_t at, std::uint32_t value) {
  std::memcpy(bytes.data() + at, &value, sizeof value);
}

std::uint32_t crc_of(const std::vector<std::byte>& bytes, std::size_t begin, std::size_t end) {
  return static_cast<std::uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data() + begin), end - begin));
}

// Rewrites the magic, the version and every CRC the layout in journal.hpp locates, as far
// as the sizes in the input allow.
std::vector<std::byte> with_valid_checksums(const std::uint8_t* data, std::size_t size) {
  std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(data),
                               reinterpret_cast<const std::byte*>(data) + size);
  if (bytes.size() < 20) return bytes;
  std::memcpy(bytes.data(), "TTJRNL01", 8);
  store_u32(bytes, 8, tasktrack::journal_format_version);
  const std::uint64_t fingerprint_bytes = load_u32(bytes, 12);
  if (16 + fingerprint_bytes + 4 > bytes.size()) return bytes;
  std::size_t at = 16 + static_cast<std::size_t>(fingerprint_bytes);
  store_u32(bytes, at, crc_of(bytes, 0, at));
  at += 4;
  while (bytes.size() - at >= 12) {
    const std::uint64_t body_bytes = load_u32(bytes, at + 4);
    if (body_bytes > bytes.size() - at - 12) break;
    const std::size_t crc_at = at + 8 + static_cast<std::size_t>(body_bytes);
    store_u32(bytes, crc_at, crc_of(bytes, at, crc_at));
    at = crc_at + 4;
  }
  return bytes;
}

// Equal field by field, doubles by their bits: a journal may hold NaN times, and NaN is
// not equal to itself.
bool same_attempts(const std::vector<tasktrack::JournalAttempt>& a,
                   const std::vector<tasktrack::JournalAttempt>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    tasktrack::JournalAttempt left = a[i];
    tasktrack::JournalAttempt right = b[i];
    if (std::bit_cast<std::uint64_t>(left.start_unix) !=
            std::bit_cast<std::uint64_t>(right.start_unix) ||
        std::bit_cast<std::uint64_t>(left.end_unix) !=
            std::bit_cast<std::uint64_t>(right.end_unix)) {
      return false;
    }
    left.start_unix = right.start_unix = 0;
    left.end_unix = right.end_unix = 0;
    if (!(left == right)) return false;
  }
  return true;
}

void check(std::span<const std::byte> bytes) {
  tasktrack::JournalContents contents;
  try {
    contents = tasktrack::parse_journal(bytes, "fuzz");
  } catch (const tasktrack::UsageError&) {
    return;  // not a journal header: refused, as documented
  }
  // What was kept ends inside the input, and only a cut tail leaves bytes over.
  if (contents.valid_bytes > bytes.size()) __builtin_trap();
  if (contents.warning.has_value() != (contents.valid_bytes < bytes.size())) __builtin_trap();
  // The good prefix is a journal on its own: same records, no warning. This is what a
  // resumed writer relies on when it cuts the file to valid_bytes.
  const auto again = tasktrack::parse_journal(bytes.first(contents.valid_bytes), "fuzz");
  if (again.warning || again.valid_bytes != contents.valid_bytes ||
      again.fingerprint != contents.fingerprint || again.sessions != contents.sessions ||
      !same_attempts(again.attempts, contents.attempts)) {
    __builtin_trap();
  }
  const tasktrack::JournalHistory history = tasktrack::replay(contents);
  auto done = history.done.begin();
  for (std::size_t i = 0; i < history.failed.size(); ++i) {
    const tasktrack::SubtaskId id = history.failed[i]->subtask;
    if (i > 0 && history.failed[i - 1]->subtask >= id) __builtin_trap();
    while (done != history.done.end() && done->subtask < id) ++done;
    if (done != history.done.end() && done->subtask == id) __builtin_trap();
  }
  for (std::size_t i = 1; i < history.done.size(); ++i) {
    if (history.done[i - 1].subtask >= history.done[i].subtask) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check(std::span(reinterpret_cast<const std::byte*>(data), size));
  const std::vector<std::byte> repaired = with_valid_checksums(data, size);
  check(repaired);
  return 0;
}
