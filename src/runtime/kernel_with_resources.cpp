#include "runtime/kernel_with_resources.hpp"

#include <utility>

namespace tasktrack {

namespace {

// Gives an attempt's share back however its kernel ends.
class HeldAllocation {
 public:
  HeldAllocation(ResourceAllocator& allocator, const Resources& need)
      : allocator_(allocator), allocation_(allocator.take(need)) {}
  ~HeldAllocation() { allocator_.release(allocation_); }
  HeldAllocation(const HeldAllocation&) = delete;
  HeldAllocation& operator=(const HeldAllocation&) = delete;

  const Allocation& get() const { return allocation_; }

 private:
  ResourceAllocator& allocator_;
  Allocation allocation_;
};

}  // namespace

KernelWithResources::KernelWithResources(const Kernel& kernel, OwnedResources owned,
                                         std::function<Resources(SubtaskId)> requirement_of)
    : kernel_(kernel), requirement_of_(std::move(requirement_of)), allocator_(std::move(owned)) {}

SubtaskResult KernelWithResources::run(const SubtaskContext& context) const {
  const HeldAllocation held(allocator_, requirement_of_(context.id));
  // A copy (its stop_token copy writes a shared count): fine per command, and the noop path
  // never comes here.
  SubtaskContext with_resources = context;
  with_resources.cores = held.get().cores;
  with_resources.gpus = held.get().gpus;
  if (AttemptReport* report = context.report) {
    report->cores = static_cast<std::uint16_t>(held.get().cores.size());
    for (const std::uint32_t slot : held.get().gpu_slots) {
      if (slot < 64) report->gpu_mask |= std::uint64_t{1} << slot;
    }
  }
  return kernel_.run(with_resources);
}

}  // namespace tasktrack
