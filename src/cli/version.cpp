#include "cli/version.hpp"

#include <fmt/format.h>

#include "runtime/mpi_session.hpp"

namespace tasktrack {

std::string version_text() {
  return fmt::format("tasktrack {}\n", TASKTRACK_VERSION) + mpi_library_text();
}

}  // namespace tasktrack
