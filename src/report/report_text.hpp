// Text on the report page: valid UTF-8, HTML escaping, and numbers, durations and dates
// spelled for people. Every text from a journal (hosts, details, parameters, paths) reaches
// the page through escape().
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tasktrack::report_html {

// The page as it is written, appended to piece by piece.
using Buffer = fmt::memory_buffer;

// The text as valid UTF-8 that an HTML parser takes without complaint: every byte sequence
// that is not UTF-8 (overlong, surrogate, cut short) and every control character but tab
// and newline becomes U+FFFD. Details and hosts come from kernels and machines: anything.
std::string valid_utf8(std::string_view text);
// HTML-escaped valid UTF-8, safe in element content and in quoted attribute values.
std::string escape(std::string_view text);
// Cuts valid UTF-8 to at most `limit` bytes without splitting a character, marking the cut.
std::string shorten(std::string text, std::size_t limit);
// A failure detail's first line (up to `limit` bytes), valid UTF-8, not yet escaped.
std::string first_line(const std::vector<std::byte>& payload, std::size_t limit);
std::string with_commas(std::uint64_t value);  // "1,234,567"
std::string with_commas(std::int64_t value);
// A duration for people: "850 µs", "104 ms", "5.23 s", "3 min 05 s", "2 h 07 min".
std::string seconds_text(double seconds);
// "2024-05-01 12:34:56 UTC", or "?" for a time no calendar shows.
std::string utc_text(double unix_seconds);
std::string percent_text(double fraction);  // "42 %"
// "1 attempt", "2,000 attempts".
std::string plural(std::uint64_t count, std::string_view one, std::string_view many);

}  // namespace tasktrack::report_html
