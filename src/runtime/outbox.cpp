#include "runtime/outbox.hpp"

#include <iterator>

namespace tasktrack {

void Outbox::push(std::vector<OutboxEntry>& entries) {
  if (entries.empty()) return;
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    was_empty = entries_.empty();
    if (was_empty) {
      entries_.swap(entries);
    } else {
      entries_.insert(entries_.end(), std::make_move_iterator(entries.begin()),
                      std::make_move_iterator(entries.end()));
    }
  }
  entries.clear();
  // Only the first entry after a take() needs to wake the consumer.
  if (was_empty) ready_.notify_one();
}

void Outbox::wait_for(std::chrono::microseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [this] { return woken_ || !entries_.empty(); });
  woken_ = false;
}

void Outbox::wait_for_wake(std::chrono::microseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [this] { return woken_; });
  woken_ = false;
}

void Outbox::take(std::vector<OutboxEntry>& out) {
  out.clear();
  std::lock_guard lock(mutex_);
  out.swap(entries_);
}

void Outbox::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  ready_.notify_one();
}

}  // namespace tasktrack
