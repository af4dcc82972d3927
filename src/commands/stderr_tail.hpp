// The end of a failed command's stderr, as the one line its failure detail quotes.
// Internal to the command runner.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tasktrack::process {

// How much of stderr a failure's detail quotes: its last KiB.
inline constexpr std::size_t stderr_tail_bytes = 1024;

// The last bytes of what the command wrote to stderr (at most stderr_tail_bytes) as one
// readable line: valid UTF-8 (every invalid byte becomes U+FFFD, since details end up in
// JSON), line breaks shown as " | ", blank space at both ends trimmed. `cut_at_front`: the
// stream was longer, so a character cut at the front is dropped. Empty for blank bytes.
std::string format_stderr_tail(std::string_view bytes, bool cut_at_front);

}  // namespace tasktrack::process
