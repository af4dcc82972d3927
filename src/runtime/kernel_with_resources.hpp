// The pool's kernel when attempts have requirements (issue 11): each attempt first takes its
// share of the worker's cores and GPUs, runs the kernel with them in its context, and gives
// them back when the kernel returns or throws. A decorator rather than a branch in the pool:
// the pool's per-subtask path (10^7 noop subtasks in W1) stays exactly as it was.
#pragma once

#include <functional>
#include <memory>

#include "core/resources.hpp"
#include "runtime/resource_allocator.hpp"
#include "runtime/worker_resources.hpp"
#include "tasktrack/kernel.hpp"

namespace tasktrack {

class KernelWithResources final : public Kernel {
 public:
  // `kernel` must outlive this. `requirement_of` is called on pool threads, concurrently.
  KernelWithResources(const Kernel& kernel, OwnedResources owned,
                      std::function<Resources(SubtaskId)> requirement_of);

  // Thread-safe, as the kernel it wraps. context.cores and .gpus are the attempt's share
  // (ResourceAllocator::take), valid while the wrapped kernel runs. A throwing
  // requirement_of fails the attempt like a throwing kernel.
  SubtaskResult run(const SubtaskContext& context) const override;
  std::unique_ptr<Reduction> make_reduction(const Partition& partition) const override {
    return kernel_.make_reduction(partition);
  }
  std::uint64_t subtask_key(SubtaskId id) const override { return kernel_.subtask_key(id); }

 private:
  const Kernel& kernel_;
  const std::function<Resources(SubtaskId)> requirement_of_;
  mutable ResourceAllocator allocator_;
};

}  // namespace tasktrack
