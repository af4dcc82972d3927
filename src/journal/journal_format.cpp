#include "journal/journal_format.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace tasktrack::journal_format {

std::string quoted(const std::string& path) {
  return "journal '" + path + "'";
}

std::uint32_t crc32_of(std::uint32_t crc, const void* data, std::size_t size) {
  return static_cast<std::uint32_t>(
      crc32_z(crc, static_cast<const Bytef*>(data), static_cast<z_size_t>(size)));
}

std::vector<std::byte> encode_header(const std::string& fingerprint, std::uint32_t version) {
  std::vector<std::byte> header;
  header.insert(header.end(), reinterpret_cast<const std::byte*>(magic),
                reinterpret_cast<const std::byte*>(magic) + sizeof magic);
  put(header, version);
  put(header, static_cast<std::uint32_t>(fingerprint.size()));
  const auto* text = reinterpret_cast<const std::byte*>(fingerprint.data());
  header.insert(header.end(), text, text + fingerprint.size());
  put(header, crc32_of(0, header.data(), header.size()));
  return header;
}

void append_framed(std::vector<std::byte>& out, RecordKind kind,
                   const std::vector<std::byte>& body) {
  const auto kind_value = static_cast<std::uint32_t>(kind);
  const auto body_bytes = static_cast<std::uint32_t>(body.size());
  std::uint32_t crc = crc32_of(0, &kind_value, sizeof kind_value);
  crc = crc32_of(crc, &body_bytes, sizeof body_bytes);
  crc = crc32_of(crc, body.data(), body.size());
  put(out, kind_value);
  put(out, body_bytes);
  out.insert(out.end(), body.begin(), body.end());
  put(out, crc);
}

std::vector<std::byte> encode_session(const nlohmann::json& session) {
  // Invalid UTF-8 is replaced rather than thrown: the record must read back as JSON.
  const std::string text = session.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const auto* bytes = reinterpret_cast<const std::byte*>(text.data());
  return std::vector<std::byte>(bytes, bytes + text.size());
}

std::vector<std::byte> encode_attempt(const JournalAttempt& attempt, bool with_resources,
                                      std::uint32_t version) {
  std::vector<std::byte> body;
  body.reserve(attempt_fixed_bytes + attempt.payload.size());
  put(body, attempt.subtask);
  put(body, static_cast<std::uint8_t>(attempt.state));
  put(body, static_cast<std::uint8_t>(attempt.reason));
  put(body, attempt.thread);
  put(body, attempt.attempt);
  put(body, attempt.rank);
  put(body, attempt.start_unix);
  put(body, attempt.end_unix);
  put(body, attempt.value);
  put(body, attempt.key);
  put(body, static_cast<std::uint32_t>(attempt.payload.size()));
  body.insert(body.end(), attempt.payload.begin(), attempt.payload.end());
  if (!with_resources) return body;
  const AttemptUsage usage = attempt.usage.value_or(AttemptUsage{});
  put(body, attempt.cores);
  const auto flags = static_cast<std::uint16_t>((attempt.usage ? measured_flag : 0) |
                                                (attempt.output_capped ? output_capped_flag : 0) |
                                                (attempt.retried ? retried_flag : 0));
  put(body, static_cast<std::uint16_t>(flags & known_flags(version)));
  put(body, static_cast<std::uint32_t>(attempt.gpus.size()));
  put(body, usage.max_rss_bytes);
  put(body, usage.user_cpu_seconds);
  put(body, usage.system_cpu_seconds);
  for (const std::string& gpu : attempt.gpus) {
    // Device ids are short ("3", a 40-character UUID); a longer one is cut, not refused.
    const auto length = static_cast<std::uint16_t>(
        std::min<std::size_t>(gpu.size(), std::numeric_limits<std::uint16_t>::max()));
    put(body, length);
    const auto* text = reinterpret_cast<const std::byte*>(gpu.data());
    body.insert(body.end(), text, text + length);
  }
  return body;
}

std::vector<std::byte> encode_run(const JournalRun& run) {
  const auto count = run.values.size();
  std::vector<std::byte> body;
  body.reserve(run_fixed_bytes + count * (run.keys.empty() ? 8 : 16));
  put(body, run.first);
  put(body, static_cast<std::uint32_t>(count));
  put(body, run.thread);
  put(body, static_cast<std::uint16_t>(run.keys.empty() ? 0 : 1));
  put(body, run.attempt);
  put(body, run.rank);
  put(body, run.start_unix);
  put(body, run.end_unix);
  const auto* values = reinterpret_cast<const std::byte*>(run.values.data());
  body.insert(body.end(), values, values + count * sizeof(std::int64_t));
  if (!run.keys.empty()) {
    const auto* keys = reinterpret_cast<const std::byte*>(run.keys.data());
    body.insert(body.end(), keys, keys + count * sizeof(std::uint64_t));
  }
  return body;
}

bool decode_session(const std::vector<std::byte>& body, nlohmann::json& session) {
  const auto* text = reinterpret_cast<const char*>(body.data());
  try {
    session = nlohmann::json::parse(text, text + body.size(), nullptr, /*allow_exceptions=*/false);
  } catch (const nlohmann::json::exception&) {
    return false;
  }
  return !session.is_discarded();
}

bool decode_attempt(const std::vector<std::byte>& body, JournalAttempt& attempt,
                    bool with_resources, std::uint32_t version) {
  if (body.size() < attempt_fixed_bytes) return false;
  const std::byte* at = body.data();
  attempt.subtask = take<std::uint32_t>(at);
  const auto state = take<std::uint8_t>(at);
  const auto reason = take<std::uint8_t>(at);
  attempt.thread = take<std::uint16_t>(at);
  attempt.attempt = take<std::uint32_t>(at);
  attempt.rank = take<std::int32_t>(at);
  attempt.start_unix = take<double>(at);
  attempt.end_unix = take<double>(at);
  attempt.value = take<std::int64_t>(at);
  attempt.key = take<std::uint64_t>(at);
  const auto payload_bytes = take<std::uint32_t>(at);
  const std::size_t after_fixed = body.size() - attempt_fixed_bytes;
  if (with_resources ? payload_bytes > after_fixed : payload_bytes != after_fixed) return false;
  if (state != static_cast<std::uint8_t>(SubtaskState::done) &&
      state != static_cast<std::uint8_t>(SubtaskState::failed)) {
    return false;
  }
  if (reason > static_cast<std::uint8_t>(last_reason(version))) return false;
  attempt.state = static_cast<SubtaskState>(state);
  attempt.reason = static_cast<FailureReason>(reason);
  attempt.payload.assign(at, at + payload_bytes);
  at += payload_bytes;
  attempt.cores = 0;
  attempt.gpus.clear();
  attempt.usage.reset();
  attempt.output_capped = false;
  if (!with_resources) return true;

  const std::byte* const end = body.data() + body.size();
  if (static_cast<std::size_t>(end - at) < resources_fixed_bytes) return false;
  attempt.cores = take<std::uint16_t>(at);
  const auto flags = take<std::uint16_t>(at);
  const auto gpu_count = take<std::uint32_t>(at);
  AttemptUsage usage;
  usage.max_rss_bytes = take<std::uint64_t>(at);
  usage.user_cpu_seconds = take<double>(at);
  usage.system_cpu_seconds = take<double>(at);
  if ((flags & ~known_flags(version)) != 0) return false;
  if ((flags & measured_flag) != 0) attempt.usage = usage;
  attempt.output_capped = (flags & output_capped_flag) != 0;
  attempt.retried = (flags & retried_flag) != 0;
  for (std::uint32_t i = 0; i < gpu_count; ++i) {
    if (end - at < 2) return false;
    const auto length = take<std::uint16_t>(at);
    if (end - at < length) return false;
    attempt.gpus.emplace_back(reinterpret_cast<const char*>(at), length);
    at += length;
  }
  return at == end;
}

bool decode_run(const std::vector<std::byte>& body, JournalRun& run) {
  if (body.size() < run_fixed_bytes) return false;
  const std::byte* at = body.data();
  run.first = take<std::uint32_t>(at);
  const auto count = take<std::uint32_t>(at);
  run.thread = take<std::uint16_t>(at);
  const auto has_keys = take<std::uint16_t>(at);
  run.attempt = take<std::uint32_t>(at);
  run.rank = take<std::int32_t>(at);
  run.start_unix = take<double>(at);
  run.end_unix = take<double>(at);
  const std::uint64_t per_subtask = has_keys != 0 ? 16 : 8;
  if (count == 0 || has_keys > 1 ||
      static_cast<std::uint64_t>(count) * per_subtask != body.size() - run_fixed_bytes ||
      static_cast<std::uint64_t>(run.first) + count - 1 > std::numeric_limits<SubtaskId>::max()) {
    return false;
  }
  run.values.resize(count);
  std::memcpy(run.values.data(), at, count * sizeof(std::int64_t));
  at += count * sizeof(std::int64_t);
  run.keys.clear();
  if (has_keys != 0) {
    run.keys.resize(count);
    std::memcpy(run.keys.data(), at, count * sizeof(std::uint64_t));
  }
  return true;
}

}  // namespace tasktrack::journal_format
