#include "tasktrack/thread_pool.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

namespace tasktrack {

namespace {

// A failure's detail travels in the status record's payload; the tail is what matters.
constexpr std::size_t max_detail_bytes = 1024;

// Finished attempts are pushed to the outbox when this many are waiting, or when the oldest
// has waited this long: bundles for fast subtasks, prompt reports for slow ones.
constexpr std::size_t bundle_records = 256;
constexpr double bundle_seconds = 0.002;

// Largest run a thread takes at once; bounds how long it holds subtasks its siblings could
// run.
constexpr std::uint32_t max_run_per_take = 4096;

std::vector<std::byte> detail_bytes(std::string_view text) {
  if (text.size() > max_detail_bytes) text = text.substr(text.size() - max_detail_bytes);
  const auto* begin = reinterpret_cast<const std::byte*>(text.data());
  return std::vector<std::byte>(begin, begin + text.size());
}

}  // namespace

ThreadPool::ThreadPool(const Kernel& kernel, Partition partition, unsigned threads,
                       Outbox& outbox, JobClock clock)
    : kernel_(kernel),
      partition_(partition),
      outbox_(outbox),
      clock_(clock),
      thread_count_(std::max(threads, 1u)),
      slots_(std::make_unique<Slot[]>(thread_count_)) {
  threads_.reserve(thread_count_);
  for (unsigned i = 0; i < thread_count_; ++i) {
    threads_.emplace_back([this, i](std::stop_token stop) { run_thread(i, stop); });
  }
}

ThreadPool::~ThreadPool() { stop(); }

void ThreadPool::enqueue(std::span<const IdRun> runs) {
  std::size_t added = 0;
  {
    std::lock_guard lock(mutex_);
    for (const IdRun& run : runs) {
      if (run.count == 0) continue;
      queue_.push_back(run);
      added += run.count;
    }
    queued_ += added;
  }
  if (added == 1) {
    work_available_.notify_one();
  } else if (added > 1) {
    work_available_.notify_all();
  }
}

std::size_t ThreadPool::queued() const {
  std::lock_guard lock(mutex_);
  return queued_;
}

void ThreadPool::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    queue_.clear();
    queued_ = 0;
  }
  for (auto& thread : threads_) thread.request_stop();
  work_available_.notify_all();
  threads_.clear();  // jthread joins
}

bool ThreadPool::take_run(IdRun& run) {
  std::unique_lock lock(mutex_);
  work_available_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  if (stopping_) return false;
  // Take a share of what is queued: many at once when plenty waits, one at a time near
  // the end so the last subtasks spread over all threads.
  const std::size_t share = queued_ / (2 * thread_count_);
  const auto wanted =
      static_cast<std::uint32_t>(std::clamp<std::size_t>(share, 1, max_run_per_take));
  IdRun& front = queue_.front();
  run = IdRun{front.first, std::min(wanted, front.count), front.attempt};
  front.first += run.count;
  front.count -= run.count;
  if (front.count == 0) queue_.pop_front();
  queued_ -= run.count;
  return true;
}

OutboxEntry ThreadPool::run_one(unsigned index, SubtaskId id, std::uint32_t attempt,
                                std::stop_token stop) {
  Slot& slot = slots_[index];
  OutboxEntry entry;
  StatusRecord& record = entry.record;
  record.subtask = id;
  record.attempt = attempt;
  record.thread = static_cast<std::uint16_t>(index);
  record.start_seconds = clock_.now();

  slot.subtask.store(id, std::memory_order_relaxed);
  slot.attempt.store(attempt, std::memory_order_relaxed);
  slot.start.store(record.start_seconds, std::memory_order_relaxed);
  slot.sequence.fetch_add(1, std::memory_order_release);  // odd: running

  try {
    SubtaskResult result = kernel_.run(SubtaskContext{id, partition_.subtask(id), attempt, stop});
    record.state = SubtaskState::done;
    record.value = result.value;
    entry.payload = std::move(result.payload);
  } catch (const std::exception& error) {
    record.state = SubtaskState::failed;
    record.reason = FailureReason::exception;
    entry.payload = detail_bytes(error.what());
  } catch (...) {
    record.state = SubtaskState::failed;
    record.reason = FailureReason::exception;
    entry.payload = detail_bytes("unknown exception");
  }
  record.end_seconds = clock_.now();
  slot.sequence.fetch_add(1, std::memory_order_release);  // even: idle
  return entry;
}

void ThreadPool::run_thread(unsigned index, std::stop_token stop) {
  std::vector<OutboxEntry> finished;
  double oldest = 0;
  IdRun run;
  while (take_run(run)) {
    for (std::uint32_t i = 0; i < run.count; ++i) {
      finished.push_back(run_one(index, run.first + i, run.attempt, stop));
      if (finished.size() == 1) oldest = finished.front().record.end_seconds;
      if (finished.size() >= bundle_records ||
          finished.back().record.end_seconds - oldest >= bundle_seconds) {
        outbox_.push(finished);
      }
    }
    outbox_.push(finished);
  }
}

void ThreadPool::collect_newly_running(std::vector<StatusRecord>& out) {
  for (unsigned i = 0; i < thread_count_; ++i) {
    Slot& slot = slots_[i];
    const std::uint64_t sequence = slot.sequence.load(std::memory_order_acquire);
    if (sequence % 2 == 0 || sequence == slot.reported) continue;
    StatusRecord record;
    record.subtask = slot.subtask.load(std::memory_order_relaxed);
    record.attempt = slot.attempt.load(std::memory_order_relaxed);
    record.start_seconds = slot.start.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (slot.sequence.load(std::memory_order_relaxed) != sequence) continue;  // moved on
    record.state = SubtaskState::running;
    record.thread = static_cast<std::uint16_t>(i);
    slot.reported = sequence;
    out.push_back(record);
  }
}

unsigned default_thread_count(unsigned ranks_on_node) {
  if (const char* text = std::getenv("SLURM_CPUS_PER_TASK")) {
    unsigned value = 0;
    const std::string_view view(text);
    auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), value);
    if (error == std::errc() && end == view.data() + view.size() && value > 0) return value;
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return std::max(1u, cores / std::max(1u, ranks_on_node));
}

}  // namespace tasktrack
