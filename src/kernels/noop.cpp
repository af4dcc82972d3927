// noop: does nothing. Measures the engine's cost per subtask, so it must cost nothing
// itself: no allocation, no stop check, no shared state.

#include <memory>
#include <string>

#include "kernels/builtin_kernels.hpp"

namespace tasktrack {

namespace {

class NoopReduction final : public Reduction {
 public:
  void add(SubtaskId, Range, std::int64_t value, std::span<const std::byte>) override {
    elements_ += value;
  }
  nlohmann::json finish() override { return {{"elements", elements_}}; }
  std::string describe() const override {
    return "noop: " + std::to_string(elements_) + " elements";
  }

 private:
  std::int64_t elements_ = 0;
};

class NoopKernel final : public Kernel {
 public:
  // value = the range's size, so the summary can show that every element was covered.
  SubtaskResult run(const SubtaskContext& context) const override {
    return {context.range.size(), {}};
  }

  std::unique_ptr<Reduction> make_reduction(const Partition&) const override {
    return std::make_unique<NoopReduction>();
  }
};

}  // namespace

KernelInfo noop_kernel_info() {
  return {
      .name = "noop",
      .description = "do nothing; measures the per-subtask overhead of the engine",
      .params = {},
      .make = [](const ParamValues&) { return std::make_unique<NoopKernel>(); },
  };
}

}  // namespace tasktrack
