// The main() of every end-to-end test program built on ScratchRunTest: `--np=N` (0 or none:
// no mpirun) sets testing::processes before the tests run.
#include <gtest/gtest.h>

#include "run_process.hpp"
#include "scratch_run_test.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  tasktrack::testing::processes = tasktrack::testing::prepare_mpi_test(argc, argv);
  return RUN_ALL_TESTS();
}
