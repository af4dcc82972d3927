// What `tasktrack --version` prints: this release, and the MPI library it was built with
// and runs with (they can differ when a site's module system swaps libraries).
#pragma once

#include <string>

namespace tasktrack {

// "tasktrack 0.1.0\nbuilt with Open MPI 4.1.4\nrunning Open MPI v4.1.4, ...\n"
std::string version_text();

}  // namespace tasktrack
