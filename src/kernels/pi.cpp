// pi: Monte Carlo estimate of pi. Sample i of the range is the point
// (uniform(i, lane 0), uniform(i, lane 1)) of a counter-based stream keyed by the seed, so
// the estimate depends on the seed and the range only, never on how the range was split.

#include <algorithm>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "kernels/builtin_kernels.hpp"
#include "kernels/counter_random.hpp"

namespace tasktrack {

namespace {

class PiReduction final : public Reduction {
 public:
  // Counts samples from the ranges that arrived, so a job with failed subtasks still
  // reports an honest estimate over the samples it has.
  void add(SubtaskId, Range range, std::int64_t value, std::span<const std::byte>) override {
    hits_ += value;
    samples_ += range.size();
  }

  nlohmann::json finish() override {
    nlohmann::json result = {{"hits", hits_}, {"samples", samples_}, {"pi", nullptr}};
    if (samples_ > 0) result["pi"] = estimate();
    return result;
  }

  std::string describe() const override {
    std::ostringstream out;
    if (samples_ == 0) {
      out << "pi: no samples";
    } else {
      out.precision(10);
      out << "pi ~= " << estimate() << " (" << hits_ << " hits of " << samples_ << " samples)";
    }
    return out.str();
  }

 private:
  double estimate() const { return 4.0 * static_cast<double>(hits_) / samples_; }

  std::int64_t hits_ = 0;
  std::int64_t samples_ = 0;
};

class PiKernel final : public Kernel {
 public:
  explicit PiKernel(std::uint64_t seed) : random_(seed) {}

  // value = the number of the range's samples inside the unit quarter circle. Throws
  // std::runtime_error("stopped") when the stop token is set; checked every 64Ki samples,
  // a fraction of a millisecond apart.
  SubtaskResult run(const SubtaskContext& context) const override {
    constexpr std::int64_t check_every = 1 << 16;
    std::int64_t hits = 0;
    for (std::int64_t block = context.range.lo; block < context.range.hi; block += check_every) {
      if (context.stop.stop_requested()) throw std::runtime_error("stopped");
      const std::int64_t end = std::min(context.range.hi, block + check_every);
      for (std::int64_t i = block; i < end; ++i) {
        const auto index = static_cast<std::uint64_t>(i);
        const double x = random_.uniform(index, 0);
        const double y = random_.uniform(index, 1);
        hits += (x * x + y * y <= 1.0) ? 1 : 0;
      }
    }
    return {hits, {}};
  }

  std::unique_ptr<Reduction> make_reduction(const Partition&) const override {
    return std::make_unique<PiReduction>();
  }

 private:
  CounterRandom random_;
};

}  // namespace

KernelInfo pi_kernel_info() {
  return {
      .name = "pi",
      .description = "Monte Carlo estimate of pi, one random point per element of the range",
      .params = {{.name = "seed",
                  .type = ParamType::integer,
                  .default_value = "1",
                  .description = "random seed; the estimate depends on it and the range only",
                  .choices = {},
                  .min = 0}},
      .make =
          [](const ParamValues& values) {
            return std::make_unique<PiKernel>(static_cast<std::uint64_t>(values.integer("seed")));
          },
  };
}

}  // namespace tasktrack
