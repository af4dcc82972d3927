// Facts about this host and process that rank 0 uses: to tell a dead worker from a slow
// one, and what its own loop cost.
#pragma once

#include <string>
#include <vector>

namespace tasktrack {

// This host's name (gethostname), "unknown" if it cannot be read.
std::string this_host_name();

// True when `pid` is a live process of this host: it exists and is not a zombie (a rank
// that died stays a zombie until mpirun reaps it).
bool local_process_running(long pid);

// The MPI ranks among this process's siblings (the same parent: mpirun's daemon or
// slurmstepd starts every rank of a host), known by their launcher environment
// (OMPI_COMM_WORLD_RANK, PMIX_RANK or PMI_RANK). For ranks that never said who they are
// (a pid comes in a Hello), so that this process can still end them.
struct SiblingRank {
  int rank = 0;
  long pid = 0;
};
std::vector<SiblingRank> sibling_ranks();

// The pid of sibling rank `rank`, 0 when there is none.
long sibling_rank_pid(int rank);

// Started by mpirun without --enable-recovery (OMPI_MCA_orte_enable_recovery unset): mpirun
// then ends every rank of the job once one exits with an error, and reports the first
// that did. Under --enable-recovery or srun, ranks that hang are nobody's to end.
bool launched_by_plain_mpirun();

// CPU seconds this thread (thread = true) or this process has used so far (getrusage).
double cpu_seconds(bool thread);

}  // namespace tasktrack
