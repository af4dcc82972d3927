#include "runtime/terminal_relay.hpp"

#include "output/terminal_writer.hpp"

namespace tasktrack {

TerminalRelay::TerminalRelay() : print_(write_terminal_block) {}

void TerminalRelay::add(int rank, const TerminalChunk& chunk) {
  const auto partial = partial_.find(rank);
  if (partial == partial_.end()) {
    if (chunk.last) {
      print_(chunk.bytes);  // a block of one chunk, the usual case: printed without a copy
    } else {
      partial_.emplace(rank, std::string(chunk.bytes));
    }
    return;
  }
  partial->second.append(chunk.bytes);
  if (!chunk.last) return;
  const std::string block = std::move(partial->second);
  partial_.erase(partial);
  print_(block);
}

}  // namespace tasktrack
