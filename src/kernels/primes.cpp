// primes: counts the primes in the range by trial division. Deliberately CPU-bound and
// uneven (larger numbers cost more), so it exercises load balancing.

#include <memory>
#include <stdexcept>
#include <string>

#include "kernels/builtin_kernels.hpp"
#include "kernels/trial_division.hpp"

namespace tasktrack {

namespace {

class PrimesReduction final : public Reduction {
 public:
  void add(SubtaskId, Range, std::int64_t value, std::span<const std::byte>) override {
    primes_ += value;
  }
  nlohmann::json finish() override { return {{"primes", primes_}}; }
  std::string describe() const override { return "primes: " + std::to_string(primes_); }

 private:
  std::int64_t primes_ = 0;
};

class PrimesKernel final : public Kernel {
 public:
  // value = number of primes in context.range. Throws std::runtime_error("stopped") when
  // the stop token is set; checked every 1024 numbers (and before the first).
  SubtaskResult run(const SubtaskContext& context) const override {
    std::int64_t count = 0;
    for (std::int64_t n = context.range.lo; n < context.range.hi; ++n) {
      if ((n - context.range.lo) % 1024 == 0 && context.stop.stop_requested()) {
        throw std::runtime_error("stopped");
      }
      if (is_prime(n)) ++count;
    }
    return {count, {}};
  }

  std::unique_ptr<Reduction> make_reduction(const Partition&) const override {
    return std::make_unique<PrimesReduction>();
  }
};

}  // namespace

KernelInfo primes_kernel_info() {
  return {
      .name = "primes",
      .description = "count the primes in the range by trial division (CPU-bound)",
      .params = {},
      .make = [](const ParamValues&) { return std::make_unique<PrimesKernel>(); },
  };
}

}  // namespace tasktrack
