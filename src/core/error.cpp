#include "tasktrack/error.hpp"

#include <cerrno>
#include <cstring>

namespace tasktrack {

SystemError system_error_from_errno(const std::string& what) {
  const int code = errno;
  return SystemError(what + ": " + std::strerror(code));
}

}  // namespace tasktrack
