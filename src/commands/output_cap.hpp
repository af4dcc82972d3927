// --output-limit for one stream of one attempt: past the limit the head and the tail are
// kept and the middle is dropped, with a one-line marker where it was. Internal to the
// command runner.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace tasktrack::process {

// The tail kept past the limit: the last MiB, or half the limit when that is smaller.
inline constexpr std::uint64_t max_capped_tail_bytes = std::uint64_t{1} << 20;

// Of a stream of N bytes and a limit L (0 = none): N <= L passes whole; otherwise the first
// L - T bytes, the marker line, and the last T bytes, T = min(1 MiB, L / 2). The head passes
// on as it arrives; what may be the tail is held in a ring buffer (allocated only once a
// stream passes its head) until finish(). Not thread-safe (one attempt's thread).
class StreamCap {
 public:
  using Emit = std::function<void(std::string_view)>;

  explicit StreamCap(std::uint64_t limit);

  // Passes on through `emit` what is kept for sure now.
  void add(std::string_view bytes, const Emit& emit);
  // The stream ended: the marker (when bytes were dropped), then the held tail.
  void finish(const Emit& emit);

  std::uint64_t dropped() const { return dropped_; }

  // "\n[tasktrack: 1234 bytes dropped here by --output-limit 1 MiB]\n"
  static std::string marker(std::uint64_t dropped, std::uint64_t limit);

 private:
  void hold(std::string_view bytes);

  std::uint64_t limit_;
  std::uint64_t head_left_;    // bytes that still pass at once
  std::size_t tail_capacity_;  // T
  std::string ring_;           // the held tail, circular; empty until first needed
  std::size_t ring_next_ = 0;  // where the next byte goes
  std::size_t ring_filled_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace tasktrack::process
