// my_tasktrack: the tasktrack program with one kernel of our own, `squares`, beside the
// built-ins. Every CLI feature (mpirun, schedules, retries, timeouts, journals, summaries)
// comes with run_main; all this file adds is the kernel and one line to register it.
//
//   mpirun -np 3 ./my_tasktrack run --kernel squares --range 0:1000000 --subtasks 100

#include <tasktrack/tasktrack.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>

namespace {

// Sums i*i over the subtask's range, or (i*i) mod `modulus` when modulus > 0. Thread-safe:
// no state but the immutable modulus. Throws when stopped (timeout, shutdown), and when the
// sum would overflow int64 (use a modulus for large ranges); a throw fails only the attempt.
class SquaresKernel final : public tasktrack::Kernel {
 public:
  explicit SquaresKernel(std::int64_t modulus) : modulus_(modulus) {}

  tasktrack::SubtaskResult run(const tasktrack::SubtaskContext& context) const override {
    std::int64_t sum = 0;
    for (std::int64_t i = context.range.lo; i < context.range.hi; ++i) {
      // Checking every element would cost more than the work; every 4096 is a few microseconds.
      if ((i - context.range.lo) % 4096 == 0 && context.stop.stop_requested()) {
        throw std::runtime_error("stopped");
      }
      const std::int64_t base = modulus_ > 0 ? i % modulus_ : i;
      std::int64_t square = 0;
      if (__builtin_mul_overflow(base, base, &square) ||
          __builtin_add_overflow(sum, modulus_ > 0 ? square % modulus_ : square, &sum)) {
        throw std::overflow_error("sum of squares overflows int64; pass --param modulus=M");
      }
    }
    return {.value = sum, .payload = {}};
  }

  // The per-subtask sums add up to the job's answer: a SumReduction, result {"squares": N}.
  std::unique_ptr<tasktrack::Reduction> make_reduction(const tasktrack::Partition&) const override {
    return std::make_unique<tasktrack::SumReduction>("squares");
  }

 private:
  std::int64_t modulus_;
};

tasktrack::KernelInfo squares_kernel_info() {
  return {
      .name = "squares",
      .description = "sum of i*i over the range (example of a user kernel)",
      .params = {{.name = "modulus",
                  .type = tasktrack::ParamType::integer,
                  .default_value = "0",
                  .description = "when > 0, sum (i*i) mod modulus instead of i*i",
                  .min = 0,
                  .max = 3037000499}},  // floor(sqrt(INT64_MAX)): (i mod m)^2 must fit
      .make =
          [](const tasktrack::ParamValues& params) {
            return std::make_unique<SquaresKernel>(params.integer("modulus"));
          },
  };
}

}  // namespace

int main(int argc, char** argv) {
  tasktrack::KernelRegistry& registry = tasktrack::kernel_registry();  // holds the built-ins
  registry.add(squares_kernel_info());
  return tasktrack::run_main(argc, argv, registry);
}
