// Facts about this host that rank 0 uses to tell a dead worker from a slow one.
#pragma once

#include <string>

namespace tasktrack {

// This host's name (gethostname), "unknown" if it cannot be read.
std::string this_host_name();

// True when `pid` is a live process of this host: it exists and is not a zombie (a rank
// that died stays a zombie until mpirun reaps it).
bool local_process_running(long pid);

}  // namespace tasktrack
