#include "commands/output_pump.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "commands/stderr_tail.hpp"

namespace tasktrack::process {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t buffer_bytes = 64 * 1024;  // a default pipe's capacity
constexpr int reads_per_wake = 16;
constexpr auto drain_quiet_limit = 200ms;
constexpr auto drain_total_limit = 2s;

}  // namespace

OutputPump::OutputPump(FileDescriptor stdout_pipe, FileDescriptor stderr_pipe, bool merged,
                       AttemptOutput& output, std::uint64_t limit)
    : output_(output),
      pipes_{Pipe{std::move(stdout_pipe), packed::Stream::stdout_stream, StreamCap(limit), merged},
             Pipe{std::move(stderr_pipe), packed::Stream::stderr_stream, StreamCap(limit), true}},
      pipe_count_(merged ? 1 : 2),
      buffer_(new char[buffer_bytes]) {}

std::size_t OutputPump::poll_fds(pollfd* fds) const {
  std::size_t count = 0;
  for (std::size_t i = 0; i < pipe_count_; ++i) {
    if (pipes_[i].fd.valid()) fds[count++] = pollfd{pipes_[i].fd.get(), POLLIN, 0};
  }
  return count;
}

void OutputPump::service(const pollfd* fds, std::size_t count) {
  for (std::size_t k = 0; k < count; ++k) {
    if (fds[k].revents == 0) continue;
    for (std::size_t i = 0; i < pipe_count_; ++i) {
      if (pipes_[i].fd.get() == fds[k].fd) read_some(pipes_[i]);
    }
  }
}

bool OutputPump::at_end() const {
  for (std::size_t i = 0; i < pipe_count_; ++i) {
    if (pipes_[i].fd.valid()) return false;
  }
  return true;
}

std::size_t OutputPump::read_some(Pipe& pipe) {
  std::size_t total = 0;
  for (int round = 0; round < reads_per_wake && pipe.fd.valid(); ++round) {
    const ssize_t count = ::read(pipe.fd.get(), buffer_.get(), buffer_bytes);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (count <= 0) {  // EOF, or an error that no later read would fix
      pipe.fd.reset();
      break;
    }
    total += static_cast<std::size_t>(count);
    pass_on(pipe, std::string_view(buffer_.get(), static_cast<std::size_t>(count)));
  }
  return total;
}

void OutputPump::pass_on(Pipe& pipe, std::string_view bytes) {
  if (pipe.feeds_tail) {
    tail_.append(bytes.substr(bytes.size() - std::min(bytes.size(), 2 * stderr_tail_bytes)));
    if (tail_.size() > 2 * stderr_tail_bytes) tail_.erase(0, tail_.size() - stderr_tail_bytes);
    tail_total_ += bytes.size();
  }
  pipe.cap.add(bytes, [&](std::string_view kept) { output_.write(pipe.stream, kept); });
}

void OutputPump::drain_after_exit() {
  const auto started = Clock::now();
  auto last_byte = started;
  while (!at_end()) {
    const auto now = Clock::now();
    const auto deadline = std::min(last_byte + drain_quiet_limit, started + drain_total_limit);
    if (now >= deadline) break;
    pollfd fds[2];
    const std::size_t count = poll_fds(fds);
    const int timeout_ms =
        static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count());
    const int ready = ::poll(fds, count, timeout_ms);
    if (ready < 0 && errno != EINTR) throw system_call_error("poll(the command's output)", errno);
    if (ready <= 0) continue;
    std::size_t bytes = 0;
    for (std::size_t k = 0; k < count; ++k) {
      if (fds[k].revents == 0) continue;
      for (std::size_t i = 0; i < pipe_count_; ++i) {
        if (pipes_[i].fd.get() == fds[k].fd) bytes += read_some(pipes_[i]);
      }
    }
    if (bytes > 0) last_byte = Clock::now();
  }
  for (std::size_t i = 0; i < pipe_count_; ++i) pipes_[i].fd.reset();
}

void OutputPump::finish_streams() {
  for (std::size_t i = 0; i < pipe_count_; ++i) {
    Pipe& pipe = pipes_[i];
    pipe.cap.finish([&](std::string_view kept) { output_.write(pipe.stream, kept); });
  }
}

bool OutputPump::capped() const {
  for (std::size_t i = 0; i < pipe_count_; ++i) {
    if (pipes_[i].cap.dropped() > 0) return true;
  }
  return false;
}

std::string OutputPump::stderr_tail() const {
  const std::size_t keep = std::min(tail_.size(), stderr_tail_bytes);
  return format_stderr_tail(std::string_view(tail_).substr(tail_.size() - keep),
                            tail_total_ > keep);
}

}  // namespace tasktrack::process
