#include "commands/stderr_tail.hpp"

#include <cstdint>
#include <string_view>

namespace tasktrack::process {
namespace {

// Appends one code point as UTF-8.
void append_replacement_character(std::string& text) {
  text += "\xEF\xBF\xBD";
}

// Valid UTF-8 stays, every invalid byte becomes U+FFFD: details end up in JSON.
std::string sanitize_utf8(std::string_view bytes) {
  std::string text;
  text.reserve(bytes.size());
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto lead = static_cast<unsigned char>(bytes[i]);
    std::size_t length = 0;
    std::uint32_t minimum = 0;
    std::uint32_t code = 0;
    if (lead < 0x80) {
      text += static_cast<char>(lead);
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2, minimum = 0x80, code = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, minimum = 0x800, code = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, minimum = 0x10000, code = lead & 0x07;
    }
    bool valid = length != 0 && i + length <= bytes.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(bytes[i + k]);
      valid = (next & 0xC0) == 0x80;
      code = (code << 6) | (next & 0x3F);
    }
    valid = valid && code >= minimum && code <= 0x10FFFF && (code < 0xD800 || code > 0xDFFF);
    if (valid) {
      text.append(bytes.substr(i, length));
      i += length;
    } else {
      append_replacement_character(text);
      ++i;
    }
  }
  return text;
}

}  // namespace

std::string format_stderr_tail(std::string_view bytes, bool cut_at_front) {
  if (cut_at_front) {
    // Drop the rest of a character the cut went through (at most three continuation bytes).
    for (int k = 0;
         k < 3 && !bytes.empty() && (static_cast<unsigned char>(bytes[0]) & 0xC0) == 0x80; ++k) {
      bytes.remove_prefix(1);
    }
  }
  constexpr std::string_view blank = " \t\r\n";
  const std::size_t first = bytes.find_first_not_of(blank);
  if (first == std::string_view::npos) return {};
  bytes = bytes.substr(first, bytes.find_last_not_of(blank) - first + 1);
  const std::string text = sanitize_utf8(bytes);
  std::string line;
  line.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (text[i] == '\n' || text[i] == '\r') {
      line += " | ";
    } else {
      line += text[i];
    }
  }
  return line;
}

}  // namespace tasktrack::process
