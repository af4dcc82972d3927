#include "commands/output_cap.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "core/resources.hpp"

namespace tasktrack::process {

StreamCap::StreamCap(std::uint64_t limit)
    : limit_(limit),
      head_left_(limit == 0 ? UINT64_MAX : limit - std::min(max_capped_tail_bytes, limit / 2)),
      tail_capacity_(static_cast<std::size_t>(std::min(max_capped_tail_bytes, limit / 2))) {}

void StreamCap::add(std::string_view bytes, const Emit& emit) {
  const std::size_t head =
      static_cast<std::size_t>(std::min<std::uint64_t>(head_left_, bytes.size()));
  if (head > 0) {
    emit(bytes.substr(0, head));
    head_left_ -= head;
    bytes.remove_prefix(head);
  }
  if (!bytes.empty()) hold(bytes);
}

void StreamCap::hold(std::string_view bytes) {
  const std::size_t capacity = tail_capacity_;
  if (capacity == 0) {
    dropped_ += bytes.size();
    return;
  }
  if (ring_.empty()) ring_.resize(capacity);
  if (bytes.size() >= capacity) {
    dropped_ += ring_filled_ + (bytes.size() - capacity);
    std::memcpy(ring_.data(), bytes.data() + bytes.size() - capacity, capacity);
    ring_next_ = 0;
    ring_filled_ = capacity;
    return;
  }
  const std::size_t overflow =
      ring_filled_ + bytes.size() > capacity ? ring_filled_ + bytes.size() - capacity : 0;
  dropped_ += overflow;
  ring_filled_ = std::min(capacity, ring_filled_ + bytes.size());
  const std::size_t first = std::min(bytes.size(), capacity - ring_next_);
  std::memcpy(ring_.data() + ring_next_, bytes.data(), first);
  std::memcpy(ring_.data(), bytes.data() + first, bytes.size() - first);
  ring_next_ = (ring_next_ + bytes.size()) % capacity;
}

void StreamCap::finish(const Emit& emit) {
  if (dropped_ > 0) emit(marker(dropped_, limit_));
  if (ring_filled_ == 0) return;
  const std::size_t capacity = ring_.size();
  const std::size_t start = (ring_next_ + capacity - ring_filled_) % capacity;
  const std::size_t first = std::min(ring_filled_, capacity - start);
  emit(std::string_view(ring_).substr(start, first));
  if (ring_filled_ > first) emit(std::string_view(ring_).substr(0, ring_filled_ - first));
  ring_filled_ = 0;
}

std::string StreamCap::marker(std::uint64_t dropped, std::uint64_t limit) {
  return fmt::format("\n[tasktrack: {} bytes dropped here by --output-limit {}]\n", dropped,
                     describe_bytes(limit));
}

}  // namespace tasktrack::process
