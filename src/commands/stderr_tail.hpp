// The end of a failed command's stderr, as the one line its failure detail quotes.
// Internal to the command runner.
#pragma once

#include <string>

namespace tasktrack::process {

// The last KiB of what the command wrote to `fd` (a regular file, read with pread, so the
// file offset is untouched) as one readable line: valid UTF-8 (every invalid byte becomes
// U+FFFD, since details end up in JSON), line breaks shown as " | ", blank space at both
// ends trimmed. Empty for an empty or unreadable file. Thread-safe.
std::string read_stderr_tail(int fd);

}  // namespace tasktrack::process
