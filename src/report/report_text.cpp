#include "report/report_text.hpp"

#include <cmath>
#include <cstdint>
#include <ctime>

namespace tasktrack::report_html {
namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    const unsigned lead = bytes[i];
    if (lead < 0x80) {
      if ((lead < 0x20 && lead != '\t' && lead != '\n') || lead == 0x7f) {
        out += replacement_character;
      } else {
        out += static_cast<char>(lead);
      }
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      code = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      code = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      code = lead & 0x07;
    }
    bool valid = length > 0 && i + length <= size;
    for (std::size_t k = 1; valid && k < length; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) {
        valid = false;
      } else {
        code = (code << 6) | (bytes[i + k] & 0x3F);
      }
    }
    if (valid &&
        ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000) || code > 0x10FFFF ||
         (code >= 0xD800 && code <= 0xDFFF) || (code >= 0x80 && code <= 0x9F))) {
      valid = false;  // overlong, out of range, a surrogate, or a C1 control character
    }
    if (!valid) {
      out += replacement_character;
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

// HTML-escaped valid UTF-8, safe in element content and in quoted attribute values.
std::string escape(std::string_view text) {
  const std::string clean = valid_utf8(text);
  std::string out;
  out.reserve(clean.size() + clean.size() / 8);
  for (const char c : clean) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Cuts valid UTF-8 to at most `limit` bytes without splitting a character, marking the cut.
std::string shorten(std::string text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "\xE2\x80\xA6";  // U+2026
}

// A failure detail's first line (up to `limit` bytes), valid UTF-8, not yet escaped.
std::string first_line(const std::vector<std::byte>& payload, std::size_t limit) {
  std::string text(reinterpret_cast<const char*>(payload.data()), payload.size());
  text = text.substr(0, text.find_first_of("\r\n"));
  return shorten(valid_utf8(text), limit);
}

std::string with_commas(std::uint64_t value) {
  // Built from the right, digit by digit (std::string::insert trips GCC 12's -Wrestrict).
  char text[32];
  char* at = text + sizeof text;
  int digits = 0;
  do {
    if (digits > 0 && digits % 3 == 0) *--at = ',';
    *--at = static_cast<char>('0' + value % 10);
    value /= 10;
    ++digits;
  } while (value > 0);
  return std::string(at, text + sizeof text);
}

std::string with_commas(std::int64_t value) {
  if (value >= 0) return with_commas(static_cast<std::uint64_t>(value));
  std::string text(1, '-');
  text += with_commas(static_cast<std::uint64_t>(-(value + 1)) + 1);
  return text;
}

// A duration for people: "850 µs", "104 ms", "5.23 s", "3 min 05 s", "2 h 07 min".
std::string seconds_text(double seconds) {
  if (!std::isfinite(seconds)) return "?";
  if (seconds < 0) return fmt::format("-{}", seconds_text(-seconds));
  if (seconds == 0) return "0 s";
  if (seconds < 1e-3) return fmt::format("{:.0f} \xC2\xB5s", seconds * 1e6);
  if (seconds < 1) return fmt::format("{:.3g} ms", seconds * 1e3);
  if (seconds < 60) return fmt::format("{:.3g} s", seconds);
  const auto whole = static_cast<std::uint64_t>(std::llround(seconds));
  if (whole < 3600) return fmt::format("{} min {:02} s", whole / 60, whole % 60);
  return fmt::format("{} h {:02} min", whole / 3600, whole % 3600 / 60);
}

std::string utc_text(double unix_seconds) {
  if (!std::isfinite(unix_seconds) || unix_seconds < 0 || unix_seconds > 253402300799.0) {
    return "?";
  }
  const auto seconds = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  if (::gmtime_r(&seconds, &utc) == nullptr) return "?";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

std::string percent_text(double fraction) {
  if (!std::isfinite(fraction)) return "?";
  return fmt::format("{:.0f} %", fraction * 100);
}

std::string plural(std::uint64_t count, std::string_view one, std::string_view many) {
  return with_commas(count) + " " + std::string(count == 1 ? one : many);
}

}  // namespace tasktrack::report_html
