#include "runtime/thread_pool.hpp"

#include <fmt/format.h>

#include <algorithm>
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

// How long a task waits for its running notice to go out before it starts anyway: the main
// thread sends it within microseconds unless the node is badly overloaded.
constexpr std::chrono::milliseconds running_notice_patience{100};

std::vector<std::byte> detail_bytes(std::string_view text) {
  if (text.size() > max_detail_bytes) text = text.substr(text.size() - max_detail_bytes);
  const auto* begin = reinterpret_cast<const std::byte*>(text.data());
  return std::vector<std::byte>(begin, begin + text.size());
}

// Claims the outcome of attempt `sequence` for the caller; false when the other party (the
// thread or the watchdog) already did.
bool claim(std::atomic<std::uint64_t>& claimed, std::uint64_t sequence) {
  std::uint64_t seen = claimed.load(std::memory_order_acquire);
  while (seen != sequence) {
    if (claimed.compare_exchange_weak(seen, sequence, std::memory_order_acq_rel)) return true;
  }
  return false;
}

}  // namespace

ThreadPool::ThreadPool(const Kernel& kernel, Partition partition, unsigned threads, Outbox& outbox,
                       JobClock clock, double timeout_seconds, bool timeout_may_change,
                       AttemptResources resources)
    : kernel_(&kernel),
      partition_(partition),
      outbox_(outbox),
      clock_(clock),
      deadlines_(timeout_seconds > 0 || timeout_may_change),
      timeout_(timeout_seconds),
      timeout_text_(fmt::format("the {:g} s timeout", timeout_seconds)),
      thread_count_(std::max(threads, 1u)),
      owned_(std::move(resources.owned)) {
  if (resources.requirement_of) {
    with_resources_ =
        std::make_unique<KernelWithResources>(kernel, owned_, std::move(resources.requirement_of));
    kernel_ = with_resources_.get();
  }
  for (unsigned i = 0; i < thread_count_; ++i) start_thread();
}

ThreadPool::~ThreadPool() {
  stop();
}

void ThreadPool::start_thread() {
  Slot& slot = slots_.emplace_back();
  const auto index = static_cast<std::uint16_t>(slots_.size() - 1);
  threads_.emplace_back([this, &slot, index] { run_thread(slot, index); });
}

void ThreadPool::enqueue(std::span<const IdRun> runs) {
  std::size_t added = 0;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
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

void ThreadPool::requeue_front(IdRun run) {
  if (run.count == 0) return;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    queue_.push_front(run);
    queued_ += run.count;
  }
  work_available_.notify_all();
}

std::size_t ThreadPool::queued() const {
  std::lock_guard lock(mutex_);
  return queued_;
}

bool ThreadPool::busy() const {
  std::lock_guard lock(mutex_);
  return queued_ > 0 || running_ > 0;
}

std::size_t ThreadPool::drop_queued() {
  std::lock_guard lock(mutex_);
  const std::size_t dropped = queued_;
  queue_.clear();
  queued_ = 0;
  // Runs that threads already took are cut short too: they stop after their current
  // subtask (the rest of a run was only queued in the thread's hands).
  drops_.fetch_add(1, std::memory_order_release);
  return dropped;
}

bool ThreadPool::take_run(IdRun& run, std::vector<OutboxEntry>& unsent) {
  std::unique_lock lock(mutex_);
  if (queue_.empty()) {
    // Out of work: what it holds goes out, and the main thread hears at once (it may be
    // dozing while work was queued: WorkerLoop), so that rank 0 can send more.
    lock.unlock();
    outbox_.push(unsent);
    outbox_.wake();
    lock.lock();
  }
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
  ++running_;
  return true;
}

std::optional<OutboxEntry> ThreadPool::run_one(Slot& slot, std::uint16_t index,
                                               SubtaskContext& context, SubtaskId id,
                                               std::uint32_t attempt, double start,
                                               std::vector<OutboxEntry>& unsent) {
  OutboxEntry entry;
  StatusRecord& record = entry.record;
  record.subtask = id;
  record.attempt = attempt;
  record.thread = index;
  record.start_seconds = start;

  // With a deadline each attempt gets its own stop source, so the watchdog can stop this
  // attempt alone; without one, the thread's copy of the pool's shutdown token is all a
  // kernel needs.
  if (deadlines_) {
    std::lock_guard lock(slot.stop_mutex);
    slot.attempt_stop = std::stop_source();
    if (stopping_) slot.attempt_stop.request_stop();
    context.stop = slot.attempt_stop.get_token();
  }
  slot.subtask.store(id, std::memory_order_relaxed);
  slot.attempt.store(attempt, std::memory_order_relaxed);
  slot.start.store(record.start_seconds, std::memory_order_relaxed);
  const std::uint64_t sequence = slot.sequence.fetch_add(1, std::memory_order_acq_rel) + 1;
  // A task (a command) may take its worker down with it (`kill -9 $PPID`): it starts once
  // the main thread has sent its running notice, so that rank 0 knows what ran there and
  // charges it the crash (--crash-limit). Tasks take milliseconds; this costs one wake-up
  // of the main thread, which also takes the thread's finished attempts (`unsent`): one
  // message reports the last task done and this one running. Range jobs' subtasks are too
  // many and too small for it.
  if (holds_results()) {
    outbox_.push(unsent);
    outbox_.wake();  // the notice alone, when nothing was unsent
    std::unique_lock lock(sent_mutex_);
    notice_sent_.wait_for(lock, running_notice_patience, [&] {
      return slot.running_sent.load(std::memory_order_acquire) >= sequence ||
             stopping_.load(std::memory_order_relaxed);
    });
  }

  // Jobs with requirements (task lists) report each attempt's placement and cost; range
  // jobs report nothing, so their per-subtask path allocates nothing.
  if (with_resources_) {
    entry.report = std::make_unique<AttemptReport>();
    context.report = entry.report.get();
  }
  try {
    context.id = id;
    context.range = partition_.subtask(id);
    context.attempt = attempt;
    SubtaskResult result = kernel_->run(context);
    record.state = SubtaskState::done;
    record.value = result.value;
    entry.payload = std::move(result.payload);
  } catch (const SubtaskFailure& failure) {
    record.state = SubtaskState::failed;
    record.reason = failure.reason();
    entry.payload = detail_bytes(failure.what());
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
  context.report = nullptr;
  const bool mine = claim(slot.claimed, sequence);
  slot.sequence.fetch_add(1, std::memory_order_release);  // even: idle
  if (!mine) return std::nullopt;  // the watchdog already reported it timed out
  return entry;
}

void ThreadPool::run_thread(Slot& slot, std::uint16_t index) {
  std::vector<OutboxEntry> finished;
  // One context per thread, reused for every attempt: copying a stop_token writes the
  // reference count in the stop source's shared state, and with a fresh copy per subtask
  // every pool thread wrote that one shared cache line twice per subtask (measured: W1 in
  // one process, 10^7 noop subtasks on 2 cores, job wall 1.93 s -> 1.23 s).
  SubtaskContext context;
  context.stop = pool_stop_.get_token();
  context.slot = index;
  context.slots = thread_count_;
  // Without requirements a thread's attempts have its one core; set once, not per subtask.
  if (!with_resources_ && !owned_.cores.empty()) {
    context.cores = std::span(&owned_.cores[index % owned_.cores.size()], 1);
  }
  double oldest = 0;
  IdRun run;
  double previous_end = 0;
  while (take_run(run, finished)) {
    bool first_of_run = true;
    const std::uint64_t drops_at_take = drops_.load(std::memory_order_acquire);
    // The run's rest is published in the slot, and each subtask is claimed from it: the
    // watchdog can take the rest back at once when this thread gets stuck in a kernel.
    const std::uint64_t end = std::uint64_t{run.first} + run.count;
    slot.run_end.store(end, std::memory_order_relaxed);
    slot.run_attempt.store(run.attempt, std::memory_order_relaxed);
    slot.run_next.store(run.first, std::memory_order_release);
    while (true) {
      if (stopping_.load(std::memory_order_relaxed)) break;
      if (drops_.load(std::memory_order_relaxed) != drops_at_take) break;
      std::uint64_t next = slot.run_next.load(std::memory_order_acquire);
      if (next >= end || !slot.run_next.compare_exchange_strong(next, next + 1)) break;
      // One clock read per subtask: within a run, a subtask starts when the previous one
      // ended (the clock is most of the cost of a subtask that does nothing).
      const double start = first_of_run ? clock_.now() : previous_end;
      first_of_run = false;
      std::optional<OutboxEntry> entry =
          run_one(slot, index, context, static_cast<SubtaskId>(next), run.attempt, start, finished);
      if (slot.abandoned.load(std::memory_order_acquire)) {
        // A replacement thread took this one's place (and the rest of its run) while the
        // kernel overran: leave.
        outbox_.push(finished);
        thread_done(slot);
        return;
      }
      if (!entry) {
        first_of_run = true;  // it timed out: the clock moved on without us
        continue;
      }
      previous_end = entry->record.end_seconds;
      finished.push_back(std::move(*entry));
      if (finished.size() == 1) oldest = finished.front().record.end_seconds;
      // A bundle waits for the next subtask's end, which may be far off: a failure (rank 0
      // acts on it: a retry elsewhere, --max-failures withdrawing queued work, quarantine)
      // and a subtask that was slow itself go out at once.
      // Held results go out with the next task's running notice, or before this thread
      // waits for work (take_run).
      const StatusRecord& last = finished.back().record;
      if (!holds_results() &&
          (finished.size() >= bundle_records || last.end_seconds - oldest >= bundle_seconds ||
           last.state == SubtaskState::failed || last.end_seconds - start >= bundle_seconds)) {
        outbox_.push(finished);
      }
    }
    if (!holds_results()) outbox_.push(finished);
    std::lock_guard lock(mutex_);
    --running_;
  }
  outbox_.push(finished);
  thread_done(slot);
}

void ThreadPool::thread_done(Slot& slot) {
  {
    std::lock_guard lock(mutex_);
    slot.exited.store(true, std::memory_order_release);
  }
  thread_exited_.notify_all();
}

void ThreadPool::collect_newly_running(std::vector<StatusRecord>& out) {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    const std::uint64_t sequence = slot.sequence.load(std::memory_order_acquire);
    if (sequence % 2 == 0 || sequence == slot.reported_running) continue;
    if (slot.abandoned.load(std::memory_order_relaxed)) continue;
    StatusRecord record;
    record.subtask = slot.subtask.load(std::memory_order_relaxed);
    record.attempt = slot.attempt.load(std::memory_order_relaxed);
    record.start_seconds = slot.start.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (slot.sequence.load(std::memory_order_relaxed) != sequence) continue;  // moved on
    record.state = SubtaskState::running;
    record.thread = static_cast<std::uint16_t>(i);
    slot.reported_running = sequence;
    out.push_back(record);
  }
}

void ThreadPool::running_notices_sent() {
  bool any = false;
  for (Slot& slot : slots_) {
    if (slot.running_sent.load(std::memory_order_relaxed) != slot.reported_running) {
      slot.running_sent.store(slot.reported_running, std::memory_order_release);
      any = true;
    }
  }
  if (!any) return;
  { std::lock_guard lock(sent_mutex_); }  // a waiter between its check and its wait sees it
  notice_sent_.notify_all();
}

void ThreadPool::set_timeout(double seconds, std::string description) {
  timeout_ = deadlines_ ? seconds : 0;
  timeout_text_ = std::move(description);
}

void ThreadPool::expire_overdue(std::vector<OutboxEntry>& out) {
  if (timeout_ <= 0) return;
  const double now = clock_.now();
  const std::size_t slot_count = slots_.size();  // replacements started below are fresh
  for (std::size_t i = 0; i < slot_count; ++i) {
    Slot& slot = slots_[i];
    if (slot.abandoned.load(std::memory_order_relaxed)) continue;
    const std::uint64_t sequence = slot.sequence.load(std::memory_order_acquire);
    if (sequence % 2 == 0) continue;
    OutboxEntry entry;
    StatusRecord& record = entry.record;
    record.subtask = slot.subtask.load(std::memory_order_relaxed);
    record.attempt = slot.attempt.load(std::memory_order_relaxed);
    record.start_seconds = slot.start.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (slot.sequence.load(std::memory_order_relaxed) != sequence) continue;
    if (now - record.start_seconds < timeout_) continue;
    if (!claim(slot.claimed, sequence)) continue;  // it finished just now

    record.state = SubtaskState::failed;
    record.reason = FailureReason::timeout;
    record.thread = static_cast<std::uint16_t>(i);
    record.end_seconds = now;
    entry.payload = detail_bytes(
        fmt::format("attempt ran past {}; its kernel was asked to stop", timeout_text_));
    out.push_back(std::move(entry));
    {
      std::lock_guard lock(slot.stop_mutex);
      slot.attempt_stop.request_stop();
    }
    // The kernel may return at once (it checks its token) or never: either way this
    // thread's place, and the rest of its run, go to a replacement, unless too many are
    // stuck already.
    const auto live = static_cast<unsigned>(std::count_if(
        slots_.begin(), slots_.end(), [](const Slot& s) { return !s.exited.load(); }));
    if (live < 2 * thread_count_) {
      {
        std::lock_guard lock(mutex_);
        --running_;
        slot.abandoned.store(true, std::memory_order_release);
      }
      const std::uint64_t end = slot.run_end.load(std::memory_order_relaxed);
      const std::uint64_t next = slot.run_next.exchange(end, std::memory_order_acq_rel);
      if (next < end) {
        requeue_front(IdRun{static_cast<SubtaskId>(next), static_cast<std::uint32_t>(end - next),
                            slot.run_attempt.load(std::memory_order_relaxed)});
      }
      start_thread();
    }
  }
}

unsigned ThreadPool::stop(std::chrono::milliseconds patience) {
  {
    std::lock_guard lock(mutex_);
    if (threads_.empty()) return 0;
    stopping_ = true;
    queue_.clear();
    queued_ = 0;
  }
  pool_stop_.request_stop();
  for (Slot& slot : slots_) {
    std::lock_guard lock(slot.stop_mutex);
    if (slot.attempt_stop.stop_possible()) slot.attempt_stop.request_stop();
  }
  work_available_.notify_all();
  {
    std::unique_lock lock(mutex_);
    // Abandoned threads are waited for too: asked to stop, most return within moments.
    thread_exited_.wait_for(lock, patience, [this] {
      return std::all_of(slots_.begin(), slots_.end(),
                         [](const Slot& s) { return s.exited.load(); });
    });
  }
  unsigned left_behind = 0;
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    if (slots_[i].exited.load()) {
      threads_[i].join();
    } else {
      threads_[i].detach();
      ++left_behind;
    }
  }
  threads_.clear();
  return left_behind;
}

}  // namespace tasktrack
