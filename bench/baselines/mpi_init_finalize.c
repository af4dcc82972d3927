/* The bare start and end of an MPI program: MPI_Init, MPI_Finalize, nothing between. Under
 * `mpirun -np 3` it is what any MPI program pays before its first message and after its
 * last (issue 14: the part of tasktrack's end-to-end time that is not tasktrack's). */
#include <mpi.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Finalize();
  return 0;
}
