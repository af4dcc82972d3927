#include "report/exit_detail.hpp"

#include <charconv>
#include <string>

#include "commands/command_runner.hpp"

namespace tasktrack {
namespace {

// Drops `prefix` from the front of `text`; false (and `text` unchanged) when it is not there.
bool consume(std::string_view& text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return false;
  text.remove_prefix(prefix.size());
  return true;
}

// A non-negative decimal number at the front of `text`, consumed.
std::optional<int> consume_number(std::string_view& text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data() || value < 0) return std::nullopt;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return value;
}

// The number of a signal named as signal_name() names it.
std::optional<int> signal_number(std::string_view name) {
  for (int number = 1; number < 128; ++number) {
    if (signal_name(number) == name) return number;
  }
  return std::nullopt;
}

}  // namespace

ExitDetail parse_exit_detail(std::string_view text) {
  ExitDetail detail;
  std::string_view rest = text;
  if (consume(rest, "line ")) {
    if (!consume_number(rest) || !consume(rest, ": ")) return detail;
  }
  if (consume(rest, "stopped: ")) detail.stopped = true;
  if (consume(rest, "exit code ")) {
    detail.exit_status = consume_number(rest);
  } else if (consume(rest, "killed by ")) {
    if (consume(rest, "signal ")) {
      detail.signal = consume_number(rest);
    } else {
      // The name ends where its capitals and digits do: "SIGTERM, then SIGKILL to ...".
      const std::string_view name =
          rest.substr(0, rest.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"));
      detail.signal = signal_number(name);
    }
  }
  return detail;
}

}  // namespace tasktrack
