#include "runtime/kernel_with_resources.hpp"

#include <sys/resource.h>

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

// This thread's user and system CPU seconds so far (RUSAGE_THREAD: Linux). A pool thread
// runs one attempt at a time, so the difference around run() is what the attempt used.
AttemptUsage thread_cpu_time() {
  struct rusage used {};
  AttemptUsage usage;
  if (::getrusage(RUSAGE_THREAD, &used) != 0) return usage;
  usage.user_cpu_seconds =
      static_cast<double>(used.ru_utime.tv_sec) + static_cast<double>(used.ru_utime.tv_usec) / 1e6;
  usage.system_cpu_seconds =
      static_cast<double>(used.ru_stime.tv_sec) + static_cast<double>(used.ru_stime.tv_usec) / 1e6;
  return usage;
}

// Records the thread's CPU time of an attempt whose kernel measured nothing itself (an
// in-process kernel, an @kernel line), however the kernel ends. A command measures its
// process instead (CommandListKernel), which this leaves alone. No memory: a thread has no
// resident size of its own.
class ThreadCpuMeter {
 public:
  explicit ThreadCpuMeter(AttemptReport* report)
      : report_(report), start_(report != nullptr ? thread_cpu_time() : AttemptUsage{}) {}
  ~ThreadCpuMeter() {
    if (report_ == nullptr || report_->measured) return;
    const AttemptUsage end = thread_cpu_time();
    report_->measured = true;
    report_->usage = AttemptUsage{0, end.user_cpu_seconds - start_.user_cpu_seconds,
                                  end.system_cpu_seconds - start_.system_cpu_seconds};
  }
  ThreadCpuMeter(const ThreadCpuMeter&) = delete;
  ThreadCpuMeter& operator=(const ThreadCpuMeter&) = delete;

 private:
  AttemptReport* report_;
  AttemptUsage start_;
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
  const ThreadCpuMeter meter(context.report);
  return kernel_.run(with_resources);
}

}  // namespace tasktrack
