/* spin_threads: a CPU-bound command of a known size for the packing benchmark (issue 11).
 *
 *   spin_threads ITERATIONS THREADS    runs THREADS threads of ITERATIONS xorshift steps each
 *
 * A fixed amount of work, not a clock: a command that shares its cores with another takes
 * longer, as real work would, so an oversubscribed worker shows in the makespan. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t iterations;

static void* spin(void* arg) {
  uint64_t x = 0x9E3779B97F4A7C15ull + (uint64_t)(uintptr_t)arg;
  for (uint64_t i = 0; i < iterations; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    __asm__ volatile("" : "+r"(x));
  }
  return (void*)(uintptr_t)(x & 1);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: spin_threads ITERATIONS THREADS\n");
    return 2;
  }
  iterations = strtoull(argv[1], NULL, 10);
  const int threads = atoi(argv[2]);
  if (threads < 1 || threads > 1024) {
    fprintf(stderr, "spin_threads: THREADS must be in [1, 1024]\n");
    return 2;
  }
  pthread_t ids[1024];
  for (int i = 0; i < threads; ++i) pthread_create(&ids[i], NULL, spin, (void*)(uintptr_t)i);
  for (int i = 0; i < threads; ++i) pthread_join(ids[i], NULL);
  return 0;
}
