// Counter-based random numbers for the built-in kernels. A draw is a pure function of
// (seed, index, lane), so a result never depends on which thread, rank, subtask or attempt
// computed it (design.md, "Results are deterministic"). Statistical quality only; not for
// cryptography. Header-only and constexpr so the pi kernel's inner loop stays inlined.
#pragma once

#include <cstdint>

namespace tasktrack {

// The splitmix64 output function (Steele, Lea, Flood 2014): a bijective 64-bit mixer with
// full avalanche, so neighbouring inputs give unrelated outputs.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The top 53 bits of `bits` as a double uniform in [0, 1): never 1.0, may be 0.0.
constexpr double unit_interval(std::uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

// A stream of draws keyed by a seed. Immutable and thread-safe. `lane` gives independent
// values for the same index (the x and y of one point) without spending more indices.
class CounterRandom {
 public:
  explicit constexpr CounterRandom(std::uint64_t seed) : key_(splitmix64(seed)) {}

  constexpr std::uint64_t bits(std::uint64_t index, std::uint64_t lane = 0) const {
    return splitmix64(splitmix64(key_ ^ index) + lane);
  }
  constexpr double uniform(std::uint64_t index, std::uint64_t lane = 0) const {
    return unit_interval(bits(index, lane));
  }

 private:
  std::uint64_t key_;  // the seed, mixed so that seeds 1 and 2 give unrelated streams
};

}  // namespace tasktrack
