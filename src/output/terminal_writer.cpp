#include "output/terminal_writer.hpp"

#include <unistd.h>

#include <cerrno>
#include <mutex>

namespace tasktrack {
namespace {

// One lock for the whole process: every TerminalSink (one per kernel) and rank 0's relay
// of the workers' blocks share it.
std::mutex& terminal_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

void write_terminal_block(std::string_view block) {
  const std::lock_guard lock(terminal_mutex());
  while (!block.empty()) {
    const ssize_t written = ::write(STDOUT_FILENO, block.data(), block.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    block.remove_prefix(static_cast<std::size_t>(written));
  }
}

}  // namespace tasktrack
