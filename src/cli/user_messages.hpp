// The two kinds of line tasktrack prints for the user on stderr, besides the summary and the
// progress: "tasktrack: error: ..." (bad input, a failed run) and "tasktrack: warning: ...".
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <string>

namespace tasktrack {

// Flushes stdout first, so that the error follows whatever was printed before it.
inline void print_error(const std::string& message) {
  std::fflush(stdout);
  fmt::print(stderr, "tasktrack: error: {}\n", message);
  std::fflush(stderr);
}

inline void print_warning(const std::string& message) {
  fmt::print(stderr, "tasktrack: warning: {}\n", message);
  std::fflush(stderr);
}

}  // namespace tasktrack
