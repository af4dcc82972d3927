// The journal's bytes: the one place that knows how a header and each kind of record are
// laid out. The reader decodes with it, the writer encodes with it; nothing else sees it.
//
// Layout (host byte order; a journal is read on the cluster that wrote it):
//   file header : magic "TTJRNL01", u32 format version, u32 fingerprint bytes,
//                 fingerprint text (canonical JSON), u32 CRC-32 of everything before it
//   records     : u32 kind, u32 body bytes, body, u32 CRC-32 of kind + size + body
// Record kinds: session (a run of the job started: JSON text), attempt (a finished attempt:
// a fixed part and its payload), run (consecutive fast subtasks done by one thread) and,
// from format version 2 on, attempt with resources (an attempt record followed by its
// cores, GPU ids and measured cost).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "journal/journal_records.hpp"

namespace tasktrack {

// Version 2 added the attempt-with-resources record; version 3 its flag bit 1 (output
// capped); version 4 the failure reason crashed_worker (issue 14: crash records, retried
// ones included, which a resume counts). This tasktrack reads versions 1 to 4 and keeps a
// journal's version when it appends to it: a version-1 journal gets no version-2 records
// (their resources are left out), a version-2 journal no bit 1 (the capped mark is left
// out) and a journal before version 4 says worker_lost for crashed_worker (its crashes are
// then not counted on resume), so the tasktrack that started it can still read it. A tasktrack that
// reads only older versions refuses a newer journal with a clear error instead of cutting it at the
// first record it does not know.
inline constexpr std::uint32_t journal_format_version = 4;
inline constexpr std::uint32_t oldest_journal_format_version = 1;

namespace journal_format {

inline constexpr char magic[8] = {'T', 'T', 'J', 'R', 'N', 'L', '0', '1'};
// magic + version + fingerprint bytes, before the fingerprint text.
inline constexpr std::size_t header_prefix_bytes = sizeof magic + 4 + 4;
// kind + body bytes before a record's body, CRC after it.
inline constexpr std::size_t record_head_bytes = 8;
inline constexpr std::size_t record_frame_bytes = record_head_bytes + 4;

enum class RecordKind : std::uint32_t {
  session = 1,
  attempt = 2,
  run = 3,
  attempt_with_resources = 4
};

// first u32, count u32, thread u16, has_keys u16, attempt u32, rank i32, start f64, end f64,
// then count values i64 and, when has_keys, count keys u64.
inline constexpr std::size_t run_fixed_bytes = 4 + 4 + 2 + 2 + 4 + 4 + 8 + 8;

// subtask u32, state u8, reason u8, thread u16, attempt u32, rank i32, start f64, end f64,
// value i64, key u64, payload_bytes u32: 52 bytes, written field by field so that no
// padding (and no compiler's idea of it) reaches the file.
inline constexpr std::size_t attempt_fixed_bytes = 4 + 1 + 1 + 2 + 4 + 4 + 8 + 8 + 8 + 8 + 4;

// An attempt-with-resources record: the attempt body above (payload included), then
// cores u16, flags u16 (bit 0: usage measured; bit 1, from version 3 on: output capped),
// GPU count u32, max RSS u64, user CPU f64, system CPU f64, then each GPU id as u16 length
// and its bytes.
inline constexpr std::size_t resources_fixed_bytes = 2 + 2 + 4 + 8 + 8 + 8;

inline constexpr std::uint16_t measured_flag = 1u << 0;
inline constexpr std::uint16_t output_capped_flag = 1u << 1;  // version 3 on
// A failed attempt that was retried (JournalAttempt::retried): version 3 on. Older journals
// never record retried attempts: their readers would take one for a failure for good.
inline constexpr std::uint16_t retried_flag = 1u << 2;

// The largest failure reason a journal of `version` may hold.
inline FailureReason last_reason(std::uint32_t version) {
  return version >= 4 ? FailureReason::crashed_worker : FailureReason::worker_lost;
}

// The flags a journal of `version` may hold in an attempt-with-resources record.
inline std::uint16_t known_flags(std::uint32_t version) {
  return version >= 3 ? measured_flag | output_capped_flag | retried_flag : measured_flag;
}

// Whether `attempt` has anything only an attempt-with-resources record of a journal of
// `version` keeps.
inline bool has_resources(const JournalAttempt& attempt,
                          std::uint32_t version = journal_format_version) {
  return attempt.cores != 0 || !attempt.gpus.empty() || attempt.usage.has_value() ||
         ((attempt.output_capped || attempt.retried) && version >= 3);
}

// "journal 'PATH'", as every message about a journal names it.
std::string quoted(const std::string& path);

std::uint32_t crc32_of(std::uint32_t crc, const void* data, std::size_t size);

template <typename T>
void put(std::vector<std::byte>& out, const T& value) {
  const auto* bytes = reinterpret_cast<const std::byte*>(&value);
  out.insert(out.end(), bytes, bytes + sizeof value);
}

// Reads a T at `at` and advances it. The caller has checked that the bytes are there.
template <typename T>
T take(const std::byte*& at) {
  T value;
  std::memcpy(&value, at, sizeof value);
  at += sizeof value;
  return value;
}

// The file header for a journal of `fingerprint`, its CRC included.
std::vector<std::byte> encode_header(const std::string& fingerprint,
                                     std::uint32_t version = journal_format_version);

// Appends one framed record (kind, size, body, CRC) to `out`. The caller has checked that
// the body fits a u32 size with its frame.
void append_framed(std::vector<std::byte>& out, RecordKind kind,
                   const std::vector<std::byte>& body);

// Record bodies. Encoding trusts its input (the writer checks it first); decoding trusts
// nothing and returns false for a body no encoder writes.
std::vector<std::byte> encode_session(const nlohmann::json& session);
// With `with_resources`, the attempt-with-resources body as a journal of `version` holds it
// (flags it does not know left out); else the plain attempt body (its cores, GPUs, usage
// and capped mark left out).
std::vector<std::byte> encode_attempt(const JournalAttempt& attempt, bool with_resources = false,
                                      std::uint32_t version = journal_format_version);
std::vector<std::byte> encode_run(const JournalRun& run);
bool decode_session(const std::vector<std::byte>& body, nlohmann::json& session);
// `version`: the journal's; a flag it does not know makes the body malformed.
bool decode_attempt(const std::vector<std::byte>& body, JournalAttempt& attempt,
                    bool with_resources = false, std::uint32_t version = journal_format_version);
bool decode_run(const std::vector<std::byte>& body, JournalRun& run);

}  // namespace journal_format
}  // namespace tasktrack
