// Test support: run a real program (tasktrack, mpirun) to the end and capture what it said.
#pragma once

#include <string>
#include <vector>

namespace tasktrack::testing {

struct ProcessResult {
  int exit_code = -1;  // the exit status, or 128 + signal when killed
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] looked up on PATH) with stdin from /dev/null, stdout and stderr to
// temporary files. Kills it (SIGKILL) after `timeout_seconds` so a hang fails the test
// instead of stalling the suite.
ProcessResult run_process(const std::vector<std::string>& argv, double timeout_seconds = 120);

// Lines of `text` that are not empty.
std::vector<std::string> non_empty_lines(const std::string& text);

// For the main() of a test program that runs mpirun: lets Open MPI run as root (CI runs as
// root) and returns the process count given as --np=N (0 when absent: no mpirun).
int prepare_mpi_test(int argc, char** argv);

// The mpirun command line for `processes` ranks on this machine (-q: mpirun adds no text of
// its own to a non-zero exit; --oversubscribe: more ranks than cores).
std::vector<std::string> mpirun_prefix(int processes);

}  // namespace tasktrack::testing
