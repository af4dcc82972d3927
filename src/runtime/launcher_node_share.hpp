// Where a rank sits on its node, as the launcher's environment tells it before any MPI
// communication: its local rank and how many ranks share the node. A worker's share of its
// node (runtime/worker_resources.hpp) comes from this, so that no collective stands between
// rank 0 and its start deadline (issue 14): one worker hanging before its hello must not
// hold the workers beside it.
#pragma once

#include <optional>

#include "runtime/job_deadline.hpp"

namespace tasktrack {

struct LocalPlace {
  int rank = 0;  // among the node's ranks, in world rank order
  int size = 1;
};

// Open MPI's mpirun (OMPI_COMM_WORLD_LOCAL_RANK and _LOCAL_SIZE), else Slurm's srun
// (SLURM_LOCALID, and SLURM_STEP_TASKS_PER_NODE such as "2(x3),1" at SLURM_NODEID); nullopt
// when neither says, or says something inconsistent.
std::optional<LocalPlace> launcher_local_place(const EnvironmentLookup& environment);

}  // namespace tasktrack
