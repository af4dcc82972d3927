// A task that is itself an MPI program (issue 13): it prints its rank and the size of its
// MPI_COMM_WORLD and exits 0. Started by a worker of a tasktrack job under mpirun, with the
// launcher's variables left out, it must start as a singleton ("hello 0 of 1").
#include <mpi.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (MPI_Init(&argc, &argv) != MPI_SUCCESS) return 1;
  int rank = -1;
  int size = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::printf("hello %d of %d\n", rank, size);
  MPI_Finalize();
  return 0;
}
