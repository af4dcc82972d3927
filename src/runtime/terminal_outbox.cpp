#include "runtime/terminal_outbox.hpp"

#include <utility>

namespace tasktrack {

void TerminalOutbox::push(std::string block) {
  const std::lock_guard lock(mutex_);
  blocks_.push_back(std::move(block));
}

void TerminalOutbox::take(std::vector<std::string>& out) {
  out.clear();
  const std::lock_guard lock(mutex_);
  out.swap(blocks_);
}

TerminalBlockWriter TerminalOutbox::writer(std::shared_ptr<TerminalOutbox> outbox) {
  return [outbox = std::move(outbox)](std::string block) { outbox->push(std::move(block)); };
}

}  // namespace tasktrack
