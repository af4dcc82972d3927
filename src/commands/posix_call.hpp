// Small helpers shared by the process-running files of commands/: an owned file descriptor
// and the errors of failed POSIX calls. Internal to the command runner.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "tasktrack/error.hpp"

namespace tasktrack::process {

// SystemError("WHAT: <strerror of code>"). Thread-safe (strerror_r): pool threads run
// commands concurrently.
SystemError system_call_error(const std::string& what, int code);

// Keeps error messages one readable line even for a 100 KiB command.
std::string abbreviate(std::string_view text);

// Owns one file descriptor; closes it when destroyed or reset. Move-only.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // close() is not retried on EINTR: on Linux the descriptor is gone either way.
  void reset();

 private:
  int fd_ = -1;
};

}  // namespace tasktrack::process
