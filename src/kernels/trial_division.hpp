// Primality by trial division, the primes kernel's inner loop. Internal to the kernels (and
// its unit test). Thread-safe: pure functions.
//
// Trial division by 2 and the odd d while d <= n / d. One hardware division per step gives
// both the quotient (the bound: d > n / d means d * d > n, without a multiply that could
// overflow) and the remainder (the divisibility test). Numbers below 2^32 take the 32-bit
// path: a 32-bit divide is cheaper than a 64-bit one on x86-64 (the kernel ran 1.2x faster,
// as fast as a C kernel on unsigned int, bench/primes_kernel.sh). Larger numbers take the
// same loop on 64 bits.
#pragma once

#include <cstdint>
#include <limits>

namespace tasktrack {

// The loop of both widths; `Unsigned` is std::uint32_t or std::uint64_t.
template <typename Unsigned>
bool is_prime_trial_division(Unsigned n) {
  if (n < 2) return false;
  if (n < 4) return true;  // 2 and 3
  if (n % 2 == 0) return false;
  for (Unsigned d = 3;; d += 2) {
    const Unsigned quotient = n / d;  // the compiler makes these one divide
    const Unsigned remainder = n % d;
    if (quotient < d) return true;
    if (remainder == 0) return false;
  }
}

// True when n is prime; negative numbers, 0 and 1 are not.
inline bool is_prime(std::int64_t n) {
  if (n < 0) return false;
  if (n <= std::numeric_limits<std::uint32_t>::max()) {
    return is_prime_trial_division(static_cast<std::uint32_t>(n));
  }
  return is_prime_trial_division(static_cast<std::uint64_t>(n));
}

}  // namespace tasktrack
