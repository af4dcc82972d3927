#include "cli/version.hpp"

#include <fmt/format.h>
#include <mpi.h>

namespace tasktrack {

std::string version_text() {
  std::string text = fmt::format("tasktrack {}\n", TASKTRACK_VERSION);
#if defined(OMPI_MAJOR_VERSION)
  text += fmt::format("built with Open MPI {}.{}.{} (MPI {}.{})\n", OMPI_MAJOR_VERSION,
                      OMPI_MINOR_VERSION, OMPI_RELEASE_VERSION, MPI_VERSION, MPI_SUBVERSION);
#else
  text += fmt::format("built with an MPI {}.{} library\n", MPI_VERSION, MPI_SUBVERSION);
#endif
  // MPI_Get_library_version may be called before MPI_Init (MPI 3.0, section 8.1.1).
  char library[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  if (MPI_Get_library_version(library, &length) == MPI_SUCCESS && length > 0) {
    std::string running(library, static_cast<std::size_t>(length));
    running = running.substr(0, running.find_first_of("\n,"));
    text += "running " + running + "\n";
  }
  return text;
}

}  // namespace tasktrack
