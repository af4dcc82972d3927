// Facts about this host and process that rank 0 uses: to tell a dead worker from a slow
// one, and what its own loop cost.
#pragma once

#include <string>

namespace tasktrack {

// This host's name (gethostname), "unknown" if it cannot be read.
std::string this_host_name();

// True when `pid` is a live process of this host: it exists and is not a zombie (a rank
// that died stays a zombie until mpirun reaps it).
bool local_process_running(long pid);

// CPU seconds this thread (thread = true) or this process has used so far (getrusage).
double cpu_seconds(bool thread);

}  // namespace tasktrack
