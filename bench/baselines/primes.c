/* The peers' primes kernel: the same trial division as tasktrack's built-in `primes`, written
 * the way a C user writes it, on unsigned int (one 32-bit division per step). Issue 14 uses
 * it twice: as the kernel whose speed the built-in one is held to, and as the command of the
 * 2,000-line `primes LO HI` task list run under tasktrack and under xargs.
 *
 *   primes LO HI      prints the number of primes in [LO, HI), 0 <= LO <= HI <= 2^32
 *
 * Exit code 2 and one line on stderr for bad arguments. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static int is_prime(unsigned n) {
  if (n < 2) return 0;
  if (n < 4) return 1;
  if (n % 2 == 0) return 0;
  for (unsigned d = 3; d <= n / d; d += 2) {
    if (n % d == 0) return 0;
  }
  return 1;
}

static int parse(const char* text, unsigned long long* value) {
  char* end = NULL;
  errno = 0;
  *value = strtoull(text, &end, 10);
  return errno == 0 && end != text && *end == '\0' && text[0] != '-' && *value <= 4294967296ULL;
}

int main(int argc, char** argv) {
  unsigned long long lo = 0, hi = 0, n = 0, count = 0;
  if (argc != 3 || !parse(argv[1], &lo) || !parse(argv[2], &hi) || lo > hi) {
    fprintf(stderr, "usage: primes LO HI (0 <= LO <= HI <= 4294967296)\n");
    return 2;
  }
  for (n = lo; n < hi; ++n) count += is_prime((unsigned)n);
  printf("%llu\n", count);
  return 0;
}
