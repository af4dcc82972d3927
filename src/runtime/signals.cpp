#include "runtime/signals.hpp"

#include <atomic>
#include <csignal>

namespace tasktrack {

namespace {

// Lock-free atomics are async-signal-safe to touch from a handler.
std::atomic<int> signal_count{0};
std::atomic<int> first_signal{0};
std::atomic<int> last_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void record_signal(int number) {
  int expected = 0;
  first_signal.compare_exchange_strong(expected, number);
  last_signal.store(number);
  signal_count.fetch_add(1);
}

}  // namespace

void install_stop_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = record_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int number : {SIGUSR1, SIGTERM, SIGINT}) sigaction(number, &action, nullptr);
}

StopRequest stop_requested() {
  const int count = signal_count.load();
  if (count == 0) return StopRequest::none;
  if (count == 1 && first_signal.load() == SIGUSR1) return StopRequest::graceful;
  return StopRequest::fast;
}

int last_stop_signal() {
  return last_signal.load();
}

void reset_stop_signals() {
  signal_count = 0;
  first_signal = 0;
  last_signal = 0;
}

}  // namespace tasktrack
