// How a task list keeps what its commands write (--output MODE, job-file key `output`).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tasktrack {

enum class OutputMode : std::uint8_t {
  packed,      // one append-only framed file per worker rank (packed_format.hpp); the default
  files,       // two files per attempt: subtask-<id>.attempt-<n>.out and .err
  on_failure,  // like packed, but only the attempts that failed are kept
  none,        // nothing kept (a failure's detail still quotes the last KiB of stderr)
  terminal,    // each attempt as one block on our stdout when it ends ("stdout")
};

// "packed", "files", "on-failure", "none", "stdout": as --output and the job's JSON write them.
std::string_view to_string(OutputMode mode);
std::optional<OutputMode> output_mode_from_string(std::string_view text);

// --output-limit's default: bytes kept per stream of an attempt.
inline constexpr std::uint64_t default_output_limit = std::uint64_t{64} << 20;

}  // namespace tasktrack
