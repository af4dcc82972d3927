/* The textbook MPI master/worker that tasktrack's W1 is measured against (issue 7).
 *
 *   mpirun -np 3 textbook_master_worker N
 *
 * Rank 0 hands out subtask ids 0..N-1 one at a time: one blocking MPI_Send per subtask,
 * one blocking MPI_Recv(MPI_ANY_SOURCE) per result, and the next id goes to whoever
 * answered. Workers receive an id, run the `noop` kernel on it (a subtask of one element
 * whose result is its element count, 1) and answer with one blocking MPI_Send. No batching,
 * no pool, no journal: exactly one subtask in flight per worker.
 *
 * Rank 0 prints one JSON line with its own wall time (first send to last result, MPI_Wtime,
 * not counting MPI start-up) and its CPU seconds over the whole process, timed the way
 * tasktrack's summary times a job. Exit code 1 when the element count is wrong. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

enum { TAG_WORK = 1, TAG_STOP = 2, TAG_RESULT = 3 };

static double cpu_seconds(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         (double)usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static void coordinate(long long n, int size) {
  long long next = 0, done = 0, elements = 0;
  double start = MPI_Wtime();
  for (int worker = 1; worker < size; ++worker) {
    if (next < n) {
      MPI_Send(&next, 1, MPI_LONG_LONG, worker, TAG_WORK, MPI_COMM_WORLD);
      ++next;
    } else {
      MPI_Send(&next, 1, MPI_LONG_LONG, worker, TAG_STOP, MPI_COMM_WORLD);
    }
  }
  while (done < n) {
    long long result[2]; /* subtask id, value */
    MPI_Status status;
    MPI_Recv(result, 2, MPI_LONG_LONG, MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &status);
    ++done;
    elements += result[1];
    if (next < n) {
      MPI_Send(&next, 1, MPI_LONG_LONG, status.MPI_SOURCE, TAG_WORK, MPI_COMM_WORLD);
      ++next;
    } else {
      MPI_Send(&next, 1, MPI_LONG_LONG, status.MPI_SOURCE, TAG_STOP, MPI_COMM_WORLD);
    }
  }
  double wall = MPI_Wtime() - start;
  printf(
      "{\"subtasks\": %lld, \"workers\": %d, \"elements\": %lld, \"wall_seconds\": %.6f, "
      "\"throughput_per_second\": %.1f, \"coordinator_cpu_seconds\": %.6f}\n",
      n, size - 1, elements, wall, wall > 0 ? (double)n / wall : 0.0, cpu_seconds());
  fflush(stdout);
  if (elements != n) {
    fprintf(stderr, "textbook_master_worker: %lld elements, expected %lld\n", elements, n);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

static void work(void) {
  for (;;) {
    long long id;
    MPI_Status status;
    MPI_Recv(&id, 1, MPI_LONG_LONG, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    if (status.MPI_TAG == TAG_STOP) return;
    long long result[2] = {id, 1}; /* noop over [id, id + 1): one element */
    MPI_Send(result, 2, MPI_LONG_LONG, 0, TAG_RESULT, MPI_COMM_WORLD);
  }
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  long long n = argc > 1 ? atoll(argv[1]) : 0;
  if (size < 2 || n <= 0) {
    if (rank == 0)
      fprintf(stderr, "usage: mpirun -np P (P >= 2) textbook_master_worker N (N >= 1)\n");
    MPI_Finalize();
    return 2;
  }
  if (rank == 0) {
    coordinate(n, size);
  } else {
    work();
  }
  MPI_Finalize();
  return 0;
}
