#include "commands/posix_call.hpp"

#include <unistd.h>

#include <cstring>

namespace tasktrack::process {
namespace {

// strerror is not guaranteed thread-safe; the GNU and the XSI strerror_r differ in their
// return type, the overloads take either.
[[maybe_unused]] std::string describe_strerror_r(const char* result, const char*) {
  return result;
}
[[maybe_unused]] std::string describe_strerror_r(int result, const char* buffer) {
  return result == 0 ? std::string(buffer) : std::string("unknown error");
}

std::string error_text(int code) {
  char buffer[256] = {};
  return describe_strerror_r(strerror_r(code, buffer, sizeof buffer), buffer);
}

}  // namespace

SystemError system_call_error(const std::string& what, int code) {
  return SystemError(what + ": " + error_text(code));
}

std::string abbreviate(std::string_view text) {
  constexpr std::size_t limit = 80;
  if (text.size() <= limit) return std::string(text);
  return std::string(text.substr(0, limit)) + "...";
}

void FileDescriptor::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace tasktrack::process
