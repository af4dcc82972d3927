// The whole tasktrack program behind main(): parse, start MPI when launched by mpirun or
// srun, run the job as coordinator, worker or one process, print the summary. A user who
// writes their own kernels builds their own binary around this (issue 4).
#pragma once

#include "tasktrack/kernel.hpp"

namespace tasktrack {

// Returns the process exit code (see error.hpp). Never throws: every error becomes one line
// on stderr and an exit code; an error on one rank mid-job aborts the MPI job rather than
// leave the other ranks hanging.
int run_main(int argc, char** argv, KernelRegistry& registry = kernel_registry());

}  // namespace tasktrack
