#include "output/output_mode.hpp"

namespace tasktrack {

std::string_view to_string(OutputMode mode) {
  switch (mode) {
    case OutputMode::packed:
      return "packed";
    case OutputMode::files:
      return "files";
    case OutputMode::on_failure:
      return "on-failure";
    case OutputMode::none:
      return "none";
    case OutputMode::terminal:
      return "stdout";
  }
  return "packed";
}

std::optional<OutputMode> output_mode_from_string(std::string_view text) {
  for (const OutputMode mode : {OutputMode::packed, OutputMode::files, OutputMode::on_failure,
                                OutputMode::none, OutputMode::terminal}) {
    if (to_string(mode) == text) return mode;
  }
  return std::nullopt;
}

}  // namespace tasktrack
