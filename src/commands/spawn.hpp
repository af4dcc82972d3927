// Starting a command: its output files, its environment and its posix_spawn (of a shell, or
// of its own argv).
// Internal to the command runner; every function is thread-safe.
#pragma once

#include <sys/types.h>

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/posix_call.hpp"

namespace tasktrack::process {

// Opens `path` close-on-exec (mode 0644 when created), retrying on EINTR. Opened here rather
// than with posix_spawn_file_actions_addopen: the error then names the path and `role`
// ("stdout"), and nothing is started when it fails. Throws SystemError.
FileDescriptor open_file(const std::string& path, int flags, const char* role);

// Throws std::invalid_argument naming `what` when `text` holds a NUL byte, which no
// command line or environment entry can carry.
void check_no_nul(std::string_view text, const char* what);

// True for a variable an MPI launcher sets for its ranks (mpirun, srun's PMI, Hydra):
// OMPI_* (but OMPI_ALLOW_RUN_AS_ROOT*, and OMPI_MCA_* settings other than the launcher's
// own ess, orte_, pmix, initial_wdir, mpi_oversubscribe and shmem hints), PMIX_*, PRTE_*,
// PMI_*, HYDRA_*, HYDI_*, MPI_LOCALNRANKS and MPI_LOCALRANKID. A command that is itself an
// MPI program and sees them believes it is a rank of our job and fails in MPI_Init (Open
// MPI 4's mpirun even sets OMPI_MCA_ess=^singleton); without them it starts as a singleton.
bool is_launcher_variable(std::string_view name);

// Our environment with `extra` added, an extra entry replacing ours of the same name; our
// launcher variables (is_launcher_variable) are left out unless `keep_mpi_environment`
// (an extra entry is always kept). Throws std::invalid_argument for a name that is empty,
// holds '=' or a NUL.
std::vector<std::string> build_environment(const std::map<std::string, std::string>& extra,
                                           bool keep_mpi_environment = true);

// What to start: `program` with `arguments` (argv[0] included), looked up in PATH as
// execvp does when `search_path` (a name without '/'), in `cwd` when it is not empty.
struct ProgramCall {
  std::string program;
  std::vector<std::string> arguments;
  bool search_path = false;
  std::string cwd;
};

// Starts `call` with posix_spawn (never a fork of this possibly large process) in its own
// process group (pgid = its pid), stdin, stdout and stderr from the given descriptors,
// nothing else inherited, an empty signal mask and default dispositions. `cpus` not
// empty: it (and so all it starts) may run on those CPU ids only; empty: it inherits this
// process's. Returns its pid, or (with pid -1) posix_spawn's error code: the program could
// not be found or executed, or the chdir to `cwd` failed (glibc reports those as the
// result); the caller decides what a failed start means. Throws SystemError when the
// spawn cannot be prepared or pinned (e.g. a CPU outside this process's cpuset).
struct Spawned {
  pid_t pid = -1;
  int error = 0;
};
Spawned spawn_program(const ProgramCall& call, int input, int output, int error_output,
                      const std::vector<std::string>& environment,
                      std::span<const unsigned> cpus = {});

}  // namespace tasktrack::process
