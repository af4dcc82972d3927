// sleep: each subtask sleeps a seeded random duration. Stands in for real work of known
// cost when testing schedules, timeouts and load balance.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "kernels/builtin_kernels.hpp"
#include "kernels/counter_random.hpp"
#include "kernels/sleep_duration.hpp"

namespace tasktrack {

std::optional<SleepDistribution> parse_sleep_distribution(std::string_view text) {
  if (text == "fixed") return SleepDistribution::fixed;
  if (text == "exponential") return SleepDistribution::exponential;
  if (text == "pareto") return SleepDistribution::pareto;
  return std::nullopt;
}

std::int64_t sleep_duration_us(SleepDistribution distribution, double mean_seconds,
                               std::uint64_t seed, SubtaskId id) {
  // 1 - u lies in (0, 1], so the logarithm and the power below stay finite.
  const double tail = 1.0 - CounterRandom(seed).uniform(id);
  double seconds = mean_seconds;
  switch (distribution) {
    case SleepDistribution::fixed:
      break;
    case SleepDistribution::exponential:
      seconds = -mean_seconds * std::log(tail);
      break;
    case SleepDistribution::pareto: {
      const double scale = mean_seconds * (pareto_shape - 1.0) / pareto_shape;
      seconds = scale / std::pow(tail, 1.0 / pareto_shape);
      break;
    }
  }
  return std::llround(seconds * 1e6);
}

namespace {

class SleepReduction final : public Reduction {
 public:
  void add(SubtaskId, Range, std::int64_t value, std::span<const std::byte>) override {
    slept_us_ += value;
    ++subtasks_;
  }
  nlohmann::json finish() override { return {{"slept_seconds", seconds()}}; }
  std::string describe() const override {
    std::ostringstream out;
    out << "sleep: " << seconds() << " s slept by " << subtasks_ << " subtasks";
    return out.str();
  }

 private:
  double seconds() const { return static_cast<double>(slept_us_) / 1e6; }

  std::int64_t slept_us_ = 0;
  std::int64_t subtasks_ = 0;
};

class SleepKernel final : public Kernel {
 public:
  SleepKernel(SleepDistribution distribution, double mean_seconds, std::uint64_t seed)
      : distribution_(distribution), mean_seconds_(mean_seconds), seed_(seed) {}

  // Sleeps sleep_duration_us(...) in slices of at most 10 ms, so a stop is noticed within
  // 10 ms; then throws std::runtime_error("stopped"). value = the drawn duration in
  // microseconds (deterministic, unlike the time actually slept).
  SubtaskResult run(const SubtaskContext& context) const override {
    using Clock = std::chrono::steady_clock;
    constexpr auto slice = std::chrono::milliseconds(10);
    const std::int64_t duration_us =
        sleep_duration_us(distribution_, mean_seconds_, seed_, context.id);
    const auto deadline = Clock::now() + std::chrono::microseconds(duration_us);
    while (true) {
      if (context.stop.stop_requested()) throw std::runtime_error("stopped");
      const auto now = Clock::now();
      if (now >= deadline) break;
      std::this_thread::sleep_for(std::min<Clock::duration>(deadline - now, slice));
    }
    return {duration_us, {}};
  }

  std::unique_ptr<Reduction> make_reduction(const Partition&) const override {
    return std::make_unique<SleepReduction>();
  }

 private:
  SleepDistribution distribution_;
  double mean_seconds_;
  std::uint64_t seed_;
};

}  // namespace

KernelInfo sleep_kernel_info() {
  return {
      .name = "sleep",
      .description = "each subtask sleeps a seeded random duration (schedule and timeout tests)",
      .params =
          {
              {.name = "distribution",
               .type = ParamType::choice,
               .default_value = "fixed",
               .description = "how durations are drawn: fixed (= mean), exponential or pareto",
               .choices = {"fixed", "exponential", "pareto"}},
              {.name = "mean",
               .type = ParamType::real,
               .default_value = "0.01",
               .description = "mean duration of a subtask, in seconds",
               .choices = {},
               .min = 0,
               .max = 3600},
              {.name = "seed",
               .type = ParamType::integer,
               .default_value = "1",
               .description = "random seed; a subtask's duration depends on it and its id only",
               .choices = {},
               .min = 0},
          },
      .make =
          [](const ParamValues& values) {
            // validate() has checked the choice, so the parse cannot fail here.
            return std::make_unique<SleepKernel>(
                parse_sleep_distribution(values.text("distribution")).value(), values.real("mean"),
                static_cast<std::uint64_t>(values.integer("seed")));
          },
  };
}

}  // namespace tasktrack
