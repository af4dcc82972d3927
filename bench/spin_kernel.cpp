// tasktrack_spin: the tasktrack program with one more kernel, `spin`, a calibrated CPU loop
// for the task-size sweep of bench/run.sh (issue 7). Everything else is tasktrack's own
// run_main, so the sweep measures the real engine.
//
//   tasktrack_spin calibrate        prints the loop's iterations per microsecond
//   mpirun -np 3 tasktrack_spin run --kernel spin --range 0:300000 --subtasks 300000
//          --param micros=10 --param iterations_per_micro=RATE   (RATE: from calibrate)
//
// The loop does a fixed amount of work per subtask (iterations, not a clock), so a thread
// that loses its core to rank 0 or to another rank takes longer, as real work would: a
// spin-until-deadline loop would hide that contention from the efficiency figures.

#include <tasktrack/tasktrack.hpp>

#include <time.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace {

// A dependent xorshift chain the compiler can neither vectorise nor remove.
std::uint64_t spin(std::uint64_t iterations, std::uint64_t x = 0x9E3779B97F4A7C15ull) {
  for (std::uint64_t i = 0; i < iterations; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    asm volatile("" : "+r"(x));
  }
  return x;
}

// Iterations per microsecond of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID, so time
// the thread spends preempted by other processes does not count): the best of 15 rounds of
// about 5 ms.
double calibrate() {
  constexpr std::uint64_t round = 1u << 21;
  auto cpu_micros = [] {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
  };
  double best = 0;
  for (int i = 0; i < 15; ++i) {
    const double start = cpu_micros();
    volatile std::uint64_t sink = spin(round);
    (void)sink;
    best = std::max(best, static_cast<double>(round) / (cpu_micros() - start));
  }
  return best;
}

// Spins `micros` microseconds of calibrated work per element of the subtask's range; the
// value is the element count, so the result, {"elements": N}, checks that every element ran.
// Thread-safe: immutable state only. Checks the stop token every 2^16 iterations (~0.1 ms).
class SpinKernel final : public tasktrack::Kernel {
 public:
  explicit SpinKernel(double iterations) : iterations_(iterations) {}

  tasktrack::SubtaskResult run(const tasktrack::SubtaskContext& context) const override {
    const std::int64_t elements = context.range.size();
    auto left =
        static_cast<std::uint64_t>(std::llround(iterations_ * static_cast<double>(elements)));
    std::uint64_t x = 0x9E3779B97F4A7C15ull + context.id;
    while (left > 0) {
      const std::uint64_t step = std::min<std::uint64_t>(left, 1u << 16);
      x = spin(step, x);
      left -= step;
      if (left > 0 && context.stop.stop_requested()) throw std::runtime_error("stopped");
    }
    volatile std::uint64_t sink = x;
    (void)sink;
    return {.value = elements, .payload = {}};
  }

  std::unique_ptr<tasktrack::Reduction> make_reduction(const tasktrack::Partition&) const override {
    return std::make_unique<tasktrack::SumReduction>("elements");
  }

 private:
  double iterations_;  // per element
};

tasktrack::KernelInfo spin_kernel_info() {
  return {
      .name = "spin",
      .description = "calibrated CPU loop of `micros` per element (bench/ task-size sweep)",
      .params = {{.name = "micros",
                  .type = tasktrack::ParamType::real,
                  .default_value = "10",
                  .description = "microseconds of CPU work per element",
                  .min = 0,
                  .max = 1e9},
                 {.name = "iterations_per_micro",
                  .type = tasktrack::ParamType::real,
                  .default_value = "0",
                  .description = "loop iterations per microsecond (`tasktrack_spin calibrate`); "
                                 "0: calibrate in every process",
                  .min = 0,
                  .max = 1e6}},
      .make =
          [](const tasktrack::ParamValues& params) {
            double rate = params.real("iterations_per_micro");
            if (rate <= 0) rate = calibrate();
            return std::make_unique<SpinKernel>(rate * params.real("micros"));
          },
  };
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "calibrate") == 0) {
    std::printf("%.3f\n", calibrate());
    return 0;
  }
  tasktrack::KernelRegistry& registry = tasktrack::kernel_registry();  // holds the built-ins
  registry.add(spin_kernel_info());
  return tasktrack::run_main(argc, argv, registry);
}
