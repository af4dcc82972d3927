// thread_pool.hpp: every enqueued subtask gives exactly one outbox entry; throwing kernels fail
// their attempt; stop() ends blocked kernels and drops what has not started; running
// subtasks are reported once. Race-free by design: it also runs under ThreadSanitizer.
#include "runtime/thread_pool.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tasktrack {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Longest a test waits for something that should happen soon before calling it a bug.
constexpr auto hang_guard = 30s;

enum class Behaviour { value, throw_error, throw_other, block };

std::vector<std::byte> bytes_of(std::string_view text) {
  const auto* begin = reinterpret_cast<const std::byte*>(text.data());
  return std::vector<std::byte>(begin, begin + text.size());
}

std::string error_for(SubtaskId id) {
  return "boom in subtask " + std::to_string(id);
}

// A kernel whose behaviour per id is fixed at construction (so reading it is race-free):
// `value` returns value id * 10 with the id's text as payload; `throw_error` throws
// std::runtime_error(error_for(id)); `throw_other` throws an int; `block` waits until the
// stop token is set (then throws "stopped"), release() lets it through, or the hang guard
// passes. Everything it observes is counted in atomics.
class TestKernel final : public Kernel {
 public:
  TestKernel(Partition partition, std::function<Behaviour(SubtaskId)> behaviour)
      : partition_(partition),
        behaviour_(std::move(behaviour)),
        calls_(std::make_unique<std::atomic<int>[]>(partition.count())) {}

  SubtaskResult run(const SubtaskContext& context) const override {
    calls_[context.id].fetch_add(1);
    total_calls_.fetch_add(1);
    if (context.stop.stop_requested()) started_after_stop_.fetch_add(1);
    if (context.range != partition_.subtask(context.id)) wrong_ranges_.fetch_add(1);
    switch (behaviour_(context.id)) {
      case Behaviour::value:
        break;
      case Behaviour::throw_error:
        throw std::runtime_error(error_for(context.id));
      case Behaviour::throw_other:
        throw 42;
      case Behaviour::block: {
        blocked_.fetch_add(1);
        const auto give_up = Clock::now() + hang_guard;
        while (released_.load() <= context.id) {
          if (context.stop.stop_requested()) throw std::runtime_error("stopped");
          if (Clock::now() > give_up) {
            hang_guard_expired_.fetch_add(1);
            break;
          }
          std::this_thread::sleep_for(1ms);
        }
        break;
      }
    }
    return SubtaskResult{static_cast<std::int64_t>(context.id) * 10,
                         bytes_of(std::to_string(context.id))};
  }

  std::unique_ptr<Reduction> make_reduction(const Partition&) const override { return nullptr; }

  // Lets blocked subtasks with ids below `id` finish.
  void release_below(SubtaskId id) { released_.store(id); }

  int calls(SubtaskId id) const { return calls_[id].load(); }
  int total_calls() const { return total_calls_.load(); }
  int started_after_stop() const { return started_after_stop_.load(); }
  int wrong_ranges() const { return wrong_ranges_.load(); }
  int blocked() const { return blocked_.load(); }
  int hang_guard_expired() const { return hang_guard_expired_.load(); }

 private:
  Partition partition_;
  std::function<Behaviour(SubtaskId)> behaviour_;
  std::unique_ptr<std::atomic<int>[]> calls_;
  mutable std::atomic<int> total_calls_{0};
  mutable std::atomic<int> started_after_stop_{0};
  mutable std::atomic<int> wrong_ranges_{0};
  mutable std::atomic<int> blocked_{0};
  mutable std::atomic<int> hang_guard_expired_{0};
  std::atomic<SubtaskId> released_{0};
};

Behaviour always_value(SubtaskId) {
  return Behaviour::value;
}

// Takes entries from the outbox until `expected` arrived or the hang guard passed.
std::vector<OutboxEntry> collect(Outbox& outbox, std::size_t expected) {
  std::vector<OutboxEntry> all;
  std::vector<OutboxEntry> taken;
  const auto deadline = Clock::now() + hang_guard;
  while (all.size() < expected && Clock::now() < deadline) {
    outbox.wait_for(20ms);
    outbox.take(taken);
    std::move(taken.begin(), taken.end(), std::back_inserter(all));
  }
  return all;
}

// Everything left in the outbox (call after stop(): the threads are joined).
std::vector<OutboxEntry> leftovers(Outbox& outbox) {
  std::vector<OutboxEntry> taken;
  outbox.take(taken);
  return taken;
}

// Polls `condition` until it holds or the hang guard passes.
bool eventually(const std::function<bool()>& condition) {
  const auto deadline = Clock::now() + hang_guard;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Expected attempt per id; ids not enqueued hold -1.
using Attempts = std::vector<std::int64_t>;

// What is wrong with `entry` given the kernel's behaviour and the expected attempt; empty if
// nothing.
std::string problems_with(const OutboxEntry& entry, std::int64_t attempt, unsigned threads,
                          Behaviour behaviour) {
  const StatusRecord& record = entry.record;
  std::string problems;
  auto check = [&](bool ok, std::string_view what) {
    if (!ok) problems += std::string(problems.empty() ? "" : ", ") + std::string(what);
  };
  check(attempt >= 0, "never enqueued");
  check(record.attempt == attempt, "wrong attempt");
  check(record.thread < threads, "thread index out of range");
  check(record.start_seconds <= record.end_seconds, "ends before it starts");
  switch (behaviour) {
    case Behaviour::value:
    case Behaviour::block:
      check(record.state == SubtaskState::done, "not done");
      check(record.reason == FailureReason::none, "has a failure reason");
      check(record.value == static_cast<std::int64_t>(record.subtask) * 10, "wrong value");
      check(entry.payload == bytes_of(std::to_string(record.subtask)), "wrong payload");
      break;
    case Behaviour::throw_error:
      check(record.state == SubtaskState::failed, "not failed");
      check(record.reason == FailureReason::exception, "reason is not exception");
      check(entry.payload == bytes_of(error_for(record.subtask)), "detail is not the message");
      break;
    case Behaviour::throw_other:
      check(record.state == SubtaskState::failed, "not failed");
      check(record.reason == FailureReason::exception, "reason is not exception");
      break;
  }
  return problems;
}

// Checks that `entries` hold exactly one entry per enqueued id (attempt >= 0), each as the
// kernel made it.
void expect_one_entry_per_subtask(const std::vector<OutboxEntry>& entries, const Attempts& attempts,
                                  unsigned threads,
                                  const std::function<Behaviour(SubtaskId)>& behaviour) {
  std::vector<int> seen(attempts.size(), 0);
  std::size_t expected = 0;
  for (const std::int64_t attempt : attempts) expected += attempt >= 0 ? 1 : 0;
  EXPECT_EQ(entries.size(), expected);
  int wrong = 0;
  std::string examples;  // the first few, so one broken kernel does not print 10000 lines
  for (const OutboxEntry& entry : entries) {
    const SubtaskId id = entry.record.subtask;
    ASSERT_LT(id, attempts.size()) << "an entry for an unknown subtask";
    ++seen[id];
    const std::string problems = problems_with(entry, attempts[id], threads, behaviour(id));
    if (problems.empty()) continue;
    if (++wrong <= 5) examples += "\n  subtask " + std::to_string(id) + ": " + problems;
  }
  EXPECT_EQ(wrong, 0) << "entries not as the kernel made them:" << examples;
  int missing = 0;
  int repeated = 0;
  for (std::size_t id = 0; id < attempts.size(); ++id) {
    if (attempts[id] >= 0 && seen[id] == 0) ++missing;
    if (seen[id] > 1) ++repeated;
  }
  EXPECT_EQ(missing, 0) << "subtasks without an entry";
  EXPECT_EQ(repeated, 0) << "subtasks with more than one entry";
}

class ThreadPoolByThreads : public testing::TestWithParam<unsigned> {};

TEST_P(ThreadPoolByThreads, OneBigRunGivesOneEntryPerSubtask) {
  const unsigned threads = GetParam();
  constexpr std::uint32_t count = 3000;
  const Partition partition({-1000, 9000}, count);
  TestKernel kernel(partition, always_value);
  Outbox outbox;
  ThreadPool pool(kernel, partition, threads, outbox, JobClock{});
  EXPECT_EQ(pool.size(), threads);

  const std::vector<IdRun> runs = {IdRun{0, count, 0}};
  pool.enqueue(runs);
  std::vector<OutboxEntry> entries = collect(outbox, count);
  pool.stop();
  for (OutboxEntry& entry : leftovers(outbox)) entries.push_back(std::move(entry));

  expect_one_entry_per_subtask(entries, Attempts(count, 0), threads, always_value);
  for (SubtaskId id = 0; id < count; ++id) ASSERT_EQ(kernel.calls(id), 1) << id;
  EXPECT_EQ(kernel.wrong_ranges(), 0);
  EXPECT_EQ(pool.queued(), 0u);
}

TEST_P(ThreadPoolByThreads, ManySmallRunsGiveOneEntryPerSubtaskWithTheirAttempt) {
  const unsigned threads = GetParam();
  constexpr std::uint32_t count = 2000;
  const Partition partition({0, 2 * count + 1}, count);
  TestKernel kernel(partition, always_value);
  Outbox outbox;
  ThreadPool pool(kernel, partition, threads, outbox, JobClock{});

  // Runs of 1 to 5 ids at attempts 0 to 2, the second half in reverse order, over several
  // enqueue() calls; the id after each run is left out, and empty runs are mixed in.
  Attempts attempts(count, -1);
  std::vector<IdRun> runs;
  for (SubtaskId first = 0, length = 1; first < count;
       first += length + 1, length = length % 5 + 1) {
    const std::uint32_t size = std::min(length, count - first);
    const std::uint32_t attempt = first % 3;
    runs.push_back(IdRun{first, size, attempt});
    for (SubtaskId id = first; id < first + size; ++id) attempts[id] = attempt;
    if (first % 11 == 0) runs.push_back(IdRun{first, 0, 9});
  }
  std::reverse(runs.begin() + static_cast<std::ptrdiff_t>(runs.size() / 2), runs.end());
  std::size_t expected = 0;
  for (const std::int64_t attempt : attempts) expected += attempt >= 0 ? 1 : 0;
  for (std::size_t begin = 0; begin < runs.size(); begin += 37) {
    const std::size_t end = std::min(runs.size(), begin + 37);
    pool.enqueue(std::span(runs).subspan(begin, end - begin));
  }
  std::vector<OutboxEntry> entries = collect(outbox, expected);
  pool.stop();
  for (OutboxEntry& entry : leftovers(outbox)) entries.push_back(std::move(entry));

  expect_one_entry_per_subtask(entries, attempts, threads, always_value);
  for (SubtaskId id = 0; id < count; ++id) {
    ASSERT_EQ(kernel.calls(id), attempts[id] >= 0 ? 1 : 0) << id;
  }
  EXPECT_EQ(kernel.wrong_ranges(), 0);
}

TEST_P(ThreadPoolByThreads, ThrowingKernelFailsItsAttemptsAndTheThreadsCarryOn) {
  const unsigned threads = GetParam();
  constexpr std::uint32_t count = 600;
  const Partition partition({0, count}, count);
  const auto behaviour = [](SubtaskId id) {
    if (id % 3 == 0) return Behaviour::throw_error;
    if (id % 7 == 1) return Behaviour::throw_other;
    return Behaviour::value;
  };
  TestKernel kernel(partition, behaviour);
  Outbox outbox;
  ThreadPool pool(kernel, partition, threads, outbox, JobClock{});
  for (SubtaskId first = 0; first < count; first += 100) {
    const std::vector<IdRun> runs = {IdRun{first, 100, 1}};
    pool.enqueue(runs);
  }
  std::vector<OutboxEntry> entries = collect(outbox, count);
  pool.stop();
  for (OutboxEntry& entry : leftovers(outbox)) entries.push_back(std::move(entry));

  expect_one_entry_per_subtask(entries, Attempts(count, 1), threads, behaviour);
  EXPECT_EQ(kernel.total_calls(), static_cast<int>(count));
}

TEST_P(ThreadPoolByThreads, WorkEnqueuedLaterIsRunToo) {
  const unsigned threads = GetParam();
  constexpr std::uint32_t count = 64;
  const Partition partition({0, count}, count);
  TestKernel kernel(partition, always_value);
  Outbox outbox;
  ThreadPool pool(kernel, partition, threads, outbox, JobClock{});
  std::vector<OutboxEntry> entries;
  // One subtask at a time, each after the previous one came back: threads go idle between.
  for (SubtaskId id = 0; id < count; ++id) {
    const std::vector<IdRun> runs = {IdRun{id, 1, 0}};
    pool.enqueue(runs);
    std::vector<OutboxEntry> one = collect(outbox, 1);
    ASSERT_EQ(one.size(), 1u) << "subtask " << id << " never came back";
    EXPECT_EQ(one[0].record.subtask, id);
    entries.push_back(std::move(one[0]));
  }
  pool.stop();
  EXPECT_TRUE(leftovers(outbox).empty());
  expect_one_entry_per_subtask(entries, Attempts(count, 0), threads, always_value);
}

INSTANTIATE_TEST_SUITE_P(ThreadPool, ThreadPoolByThreads, testing::Values(1u, 2u, 8u),
                         [](const testing::TestParamInfo<unsigned>& info) {
                           return std::to_string(info.param) + "_threads";
                         });

TEST(ThreadPool, ZeroThreadsMeansOne) {
  const Partition partition({0, 10}, 10);
  TestKernel kernel(partition, always_value);
  Outbox outbox;
  ThreadPool pool(kernel, partition, 0, outbox, JobClock{});
  EXPECT_EQ(pool.size(), 1u);
  const std::vector<IdRun> runs = {IdRun{0, 10, 0}};
  pool.enqueue(runs);
  std::vector<OutboxEntry> entries = collect(outbox, 10);
  pool.stop();
  expect_one_entry_per_subtask(entries, Attempts(10, 0), 1, always_value);
}

TEST(ThreadPool, LongFailureDetailKeepsItsTail) {
  const Partition partition({0, 1}, 1);
  const std::string long_message = std::string(100'000, 'x') + " the end";
  class LongThrow final : public Kernel {
   public:
    explicit LongThrow(const std::string& message) : message_(message) {}
    SubtaskResult run(const SubtaskContext&) const override { throw std::runtime_error(message_); }
    std::unique_ptr<Reduction> make_reduction(const Partition&) const override { return nullptr; }

   private:
    std::string message_;
  } kernel(long_message);
  Outbox outbox;
  ThreadPool pool(kernel, partition, 1, outbox, JobClock{});
  const std::vector<IdRun> runs = {IdRun{0, 1, 0}};
  pool.enqueue(runs);
  const std::vector<OutboxEntry> entries = collect(outbox, 1);
  pool.stop();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].record.state, SubtaskState::failed);
  EXPECT_EQ(entries[0].record.reason, FailureReason::exception);
  const std::vector<std::byte>& payload = entries[0].payload;
  ASSERT_FALSE(payload.empty());
  // What travels is the end of the text, and small enough for a status message.
  EXPECT_LT(payload.size(), max_status_message_bytes);
  const std::vector<std::byte> whole = bytes_of(long_message);
  ASSERT_LE(payload.size(), whole.size());
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(),
                         whole.end() - static_cast<std::ptrdiff_t>(payload.size())));
}

TEST(ThreadPool, StopEndsABlockedKernelAndDropsQueuedWork) {
  constexpr std::uint32_t count = 100;
  const Partition partition({0, count}, count);
  const auto behaviour = [](SubtaskId id) { return id == 0 ? Behaviour::block : Behaviour::value; };
  TestKernel kernel(partition, behaviour);
  Outbox outbox;
  ThreadPool pool(kernel, partition, 1, outbox, JobClock{});

  const std::vector<IdRun> blocker = {IdRun{0, 1, 0}};
  pool.enqueue(blocker);
  ASSERT_TRUE(eventually([&] { return kernel.blocked() == 1; }));
  // The only thread is busy: all of these wait in the queue.
  const std::vector<IdRun> rest = {IdRun{1, count - 1, 0}};
  pool.enqueue(rest);
  EXPECT_EQ(pool.queued(), count - 1);

  pool.stop();  // returns: the kernel sees the stop token
  EXPECT_EQ(pool.queued(), 0u);
  EXPECT_EQ(kernel.hang_guard_expired(), 0) << "the kernel never saw the stop token";

  const std::vector<OutboxEntry> entries = leftovers(outbox);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].record.subtask, 0u);
  EXPECT_TRUE(entries[0].record.state == SubtaskState::failed ||
              entries[0].record.state == SubtaskState::done);
  EXPECT_EQ(kernel.total_calls(), 1) << "queued subtasks ran after stop()";
  pool.stop();  // a second stop is harmless
}

TEST(ThreadPool, StopStartsNoFurtherSubtaskOfARunAlreadyTaken) {
  // One thread takes a share of one big run, then blocks in its first subtask. After stop()
  // the rest of what it took must not be started: a kernel that ignores the stop token
  // would otherwise keep stop() waiting for the whole share.
  constexpr std::uint32_t count = 1000;
  const Partition partition({0, count}, count);
  const auto behaviour = [](SubtaskId id) { return id == 0 ? Behaviour::block : Behaviour::value; };
  TestKernel kernel(partition, behaviour);
  Outbox outbox;
  ThreadPool pool(kernel, partition, 1, outbox, JobClock{});
  const std::vector<IdRun> runs = {IdRun{0, count, 0}};
  pool.enqueue(runs);
  ASSERT_TRUE(eventually([&] { return kernel.blocked() == 1; }));
  pool.stop();
  EXPECT_EQ(kernel.hang_guard_expired(), 0);
  EXPECT_EQ(kernel.started_after_stop(), 0) << "subtasks started after stop()";
  EXPECT_EQ(kernel.total_calls(), 1);
  const std::vector<OutboxEntry> entries = leftovers(outbox);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].record.subtask, 0u);
}

// --timeout P%: the pool starts without a limit; one set later applies to the attempt that
// is already running, and the failure names the limit as it was described.
TEST(ThreadPool, ALimitSetLaterStopsAnAttemptAlreadyRunning) {
  const Partition partition({0, 2}, 2);
  const auto behaviour = [](SubtaskId id) { return id == 0 ? Behaviour::block : Behaviour::value; };
  TestKernel kernel(partition, behaviour);
  Outbox outbox;
  ThreadPool pool(kernel, partition, 1, outbox, JobClock{}, 0, /*timeout_may_change=*/true);
  const std::vector<IdRun> runs = {IdRun{0, 1, 0}};
  pool.enqueue(runs);
  ASSERT_TRUE(eventually([&] { return kernel.blocked() == 1; }));
  std::vector<OutboxEntry> expired;
  pool.expire_overdue(expired);
  EXPECT_TRUE(expired.empty()) << "no limit yet";

  pool.set_timeout(0.01, "the test's limit");
  ASSERT_TRUE(eventually([&] {
    pool.expire_overdue(expired);
    return !expired.empty();
  }));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].record.subtask, 0u);
  EXPECT_EQ(expired[0].record.reason, FailureReason::timeout);
  const std::string detail(reinterpret_cast<const char*>(expired[0].payload.data()),
                           expired[0].payload.size());
  EXPECT_EQ(detail, "attempt ran past the test's limit; its kernel was asked to stop");
  pool.stop();
  EXPECT_EQ(kernel.hang_guard_expired(), 0) << "the kernel never saw its stop token";
}

TEST(ThreadPool, DestructorStopsBlockedKernels) {
  constexpr std::uint32_t count = 8;
  const Partition partition({0, count}, count);
  const auto behaviour = [](SubtaskId) { return Behaviour::block; };
  TestKernel kernel(partition, behaviour);
  Outbox outbox;
  {
    ThreadPool pool(kernel, partition, 4, outbox, JobClock{});
    const std::vector<IdRun> runs = {IdRun{0, count, 0}};
    pool.enqueue(runs);
    ASSERT_TRUE(eventually([&] { return kernel.blocked() == 4; }));
  }  // ~ThreadPool stops and joins
  EXPECT_EQ(kernel.hang_guard_expired(), 0);
  const std::vector<OutboxEntry> entries = leftovers(outbox);
  EXPECT_EQ(entries.size(), 4u);  // the four that ran; the queued four were dropped
  EXPECT_EQ(kernel.total_calls(), 4);
}

TEST(ThreadPool, ReportsALongRunningSubtaskOnce) {
  constexpr std::uint32_t count = 10;
  const Partition partition({0, count}, count);
  const auto behaviour = [](SubtaskId id) { return id >= 5 ? Behaviour::block : Behaviour::value; };
  TestKernel kernel(partition, behaviour);
  Outbox outbox;
  const JobClock clock;
  ThreadPool pool(kernel, partition, 2, outbox, clock);

  std::vector<StatusRecord> running;
  pool.collect_newly_running(running);
  EXPECT_TRUE(running.empty()) << "nothing runs yet";

  for (const SubtaskId id : {SubtaskId{5}, SubtaskId{6}}) {
    SCOPED_TRACE(testing::Message() << "subtask " << id);
    const std::uint32_t attempt = id - 2;
    const std::vector<IdRun> runs = {IdRun{id, 1, attempt}};
    pool.enqueue(runs);

    std::vector<StatusRecord> reported;
    ASSERT_TRUE(eventually([&] {
      pool.collect_newly_running(reported);
      return !reported.empty();
    }));
    ASSERT_EQ(reported.size(), 1u);
    const StatusRecord& record = reported[0];
    EXPECT_EQ(record.subtask, id);
    EXPECT_EQ(record.attempt, attempt);
    EXPECT_EQ(record.state, SubtaskState::running);
    EXPECT_LT(record.thread, 2u);
    EXPECT_GE(record.start_seconds, 0.0);
    EXPECT_LE(record.start_seconds, clock.now());

    // Still running, already reported: not again.
    for (int i = 0; i < 50; ++i) {
      running.clear();
      pool.collect_newly_running(running);
      EXPECT_TRUE(running.empty()) << "reported again";
      std::this_thread::sleep_for(100us);
    }

    kernel.release_below(id + 1);
    const std::vector<OutboxEntry> entries = collect(outbox, 1);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].record.subtask, id);
    EXPECT_EQ(entries[0].record.state, SubtaskState::done);
    running.clear();
    pool.collect_newly_running(running);
    EXPECT_TRUE(running.empty()) << "a finished subtask reported as running";
  }
  pool.stop();
  EXPECT_EQ(kernel.hang_guard_expired(), 0);
}

// ---- cores and GPUs per attempt (issue 11) -------------------------------------------------

// Records what each attempt was given: checks, while the attempt runs, that no other running
// attempt holds one of its cores or GPUs, and returns the counts and ids as its payload
// ("2 1: 5 7 b"; a failure's detail carries the same).
// Subtasks with an odd id throw after that, so releasing on a throw is exercised too.
class ResourceRecordingKernel final : public Kernel {
 public:
  explicit ResourceRecordingKernel(const OwnedResources& owned)
      : core_holders_(64), gpu_holders_(owned.gpus.size()), owned_gpus_(owned.gpus) {}

  SubtaskResult run(const SubtaskContext& context) const override {
    for (const unsigned core : context.cores) {
      if (core_holders_.at(core).fetch_add(1) != 0) shared_.fetch_add(1);
    }
    for (const std::string& gpu : context.gpus) {
      if (gpu_holders_.at(gpu_index(gpu)).fetch_add(1) != 0) shared_.fetch_add(1);
    }
    for (int i = 0; i < 50; ++i) std::this_thread::yield();  // let the attempts overlap
    for (const unsigned core : context.cores) core_holders_[core].fetch_sub(1);
    for (const std::string& gpu : context.gpus) gpu_holders_[gpu_index(gpu)].fetch_sub(1);
    std::string text = fmt::format("{} {}:", context.cores.size(), context.gpus.size());
    for (const unsigned core : context.cores) text += fmt::format(" {}", core);
    for (const std::string& gpu : context.gpus) text += " " + gpu;
    if (context.id % 2 == 1) throw std::runtime_error(text);
    return SubtaskResult{0, bytes_of(text)};
  }
  std::unique_ptr<Reduction> make_reduction(const Partition&) const override { return nullptr; }

  int shared() const { return shared_.load(); }

 private:
  std::size_t gpu_index(const std::string& gpu) const {
    return static_cast<std::size_t>(std::find(owned_gpus_.begin(), owned_gpus_.end(), gpu) -
                                    owned_gpus_.begin());
  }

  mutable std::vector<std::atomic<int>> core_holders_;  // by core id
  mutable std::vector<std::atomic<int>> gpu_holders_;   // by owned index
  std::vector<std::string> owned_gpus_;
  mutable std::atomic<int> shared_{0};
};

std::string text_of(const std::vector<std::byte>& payload) {
  return std::string(reinterpret_cast<const char*>(payload.data()), payload.size());
}

TEST(ThreadPool, EachAttemptGetsItsRequirementAndNoRunningAttemptSharesOne) {
  constexpr std::uint32_t count = 400;
  const Partition partition({0, count}, count);
  const OwnedResources owned{{3, 4, 5, 6, 7}, {"a", "b", "c"}, 0};
  ResourceRecordingKernel kernel(owned);
  // 1 to 3 cores and 0 or 1 GPU: any two fit the five cores and three GPUs together.
  const auto requirement = [](SubtaskId id) {
    return Resources{1 + id % 2, id % 3 == 0 ? 1u : 0u, 0};
  };
  Outbox outbox;
  ThreadPool pool(kernel, partition, 2, outbox, JobClock{}, 0, false,
                  AttemptResources{owned, requirement});
  const std::vector<IdRun> runs = {IdRun{0, count, 0}};
  pool.enqueue(runs);
  std::vector<OutboxEntry> entries = collect(outbox, count);
  pool.stop();
  ASSERT_EQ(entries.size(), count);
  EXPECT_EQ(kernel.shared(), 0) << "two running attempts held the same core or GPU";
  for (const OutboxEntry& entry : entries) {
    const Resources need = requirement(entry.record.subtask);
    const std::string text = text_of(entry.payload);
    EXPECT_EQ(text.substr(0, text.find(':')), fmt::format("{} {}", need.cores, need.gpus))
        << "subtask " << entry.record.subtask << " got " << text;
  }
}

// One thread, one attempt at a time: each must find the lowest core and GPU free again,
// so every attempt's share was given back, the failed (odd) ones' too.
TEST(ThreadPool, AnAttemptGivesItsCoresAndGpusBackAlsoWhenItThrows) {
  constexpr std::uint32_t count = 20;
  const Partition partition({0, count}, count);
  const OwnedResources owned{{3, 4, 5}, {"a", "b"}, 0};
  ResourceRecordingKernel kernel(owned);
  Outbox outbox;
  ThreadPool pool(kernel, partition, 1, outbox, JobClock{}, 0, false,
                  AttemptResources{owned, [](SubtaskId) {
                                     return Resources{2, 1, 0};
                                   }});
  const std::vector<IdRun> runs = {IdRun{0, count, 0}};
  pool.enqueue(runs);
  std::vector<OutboxEntry> entries = collect(outbox, count);
  pool.stop();
  ASSERT_EQ(entries.size(), count);
  for (const OutboxEntry& entry : entries) {
    EXPECT_EQ(text_of(entry.payload), "2 1: 3 4 a") << "subtask " << entry.record.subtask;
  }
}

TEST(ThreadPool, ARequirementThatThrowsFailsItsAttemptOnly) {
  constexpr std::uint32_t count = 6;
  const Partition partition({0, count}, count);
  const OwnedResources owned{{3, 4}, {}, 0};
  ResourceRecordingKernel kernel(owned);
  Outbox outbox;
  const auto requirement = [](SubtaskId id) {
    if (id == 2) throw std::out_of_range("no requirement for subtask 2");
    return Resources{1, 0, 0};
  };
  ThreadPool pool(kernel, partition, 1, outbox, JobClock{}, 0, false,
                  AttemptResources{owned, requirement});
  const std::vector<IdRun> runs = {IdRun{0, count, 0}};
  pool.enqueue(runs);
  std::vector<OutboxEntry> entries = collect(outbox, count);
  pool.stop();
  ASSERT_EQ(entries.size(), count);
  for (const OutboxEntry& entry : entries) {
    if (entry.record.subtask != 2) {
      EXPECT_EQ(text_of(entry.payload), "1 0: 3") << "subtask " << entry.record.subtask;
      continue;
    }
    EXPECT_EQ(entry.record.state, SubtaskState::failed);
    EXPECT_EQ(entry.record.reason, FailureReason::exception);
    EXPECT_EQ(text_of(entry.payload), "no requirement for subtask 2");
  }
}

TEST(ThreadPool, WithoutRequirementsEachThreadHasOneCoreOfItsOwn) {
  constexpr std::uint32_t count = 300;
  const Partition partition({0, count}, count);
  const OwnedResources owned{{6, 9}, {"a"}, 0};
  ResourceRecordingKernel kernel(owned);
  Outbox outbox;
  ThreadPool pool(kernel, partition, 2, outbox, JobClock{}, 0, false, AttemptResources{owned, {}});
  const std::vector<IdRun> runs = {IdRun{0, count, 0}};
  pool.enqueue(runs);
  std::vector<OutboxEntry> entries = collect(outbox, count);
  pool.stop();
  ASSERT_EQ(entries.size(), count);
  EXPECT_EQ(kernel.shared(), 0);
  for (const OutboxEntry& entry : entries) {
    const unsigned core = owned.cores[entry.record.thread % 2];
    EXPECT_EQ(text_of(entry.payload), fmt::format("1 0: {}", core))
        << "thread " << entry.record.thread;
  }
}

// Each attempt's entry carries its placement: as many cores as it was given and a mask
// naming exactly the GPUs its kernel saw, failed attempts (odd ids) included.
TEST(ThreadPool, AttemptsWithRequirementsReportTheirCoresAndGpus) {
  constexpr std::uint32_t count = 60;
  const Partition partition({0, count}, count);
  const OwnedResources owned{{3, 4, 5, 6, 7}, {"a", "b", "c"}, 0};
  ResourceRecordingKernel kernel(owned);
  const auto requirement = [](SubtaskId id) { return Resources{1 + id % 2, id % 3, 0}; };
  Outbox outbox;
  ThreadPool pool(kernel, partition, 2, outbox, JobClock{}, 0, false,
                  AttemptResources{owned, requirement});
  const std::vector<IdRun> runs = {IdRun{0, count, 0}};
  pool.enqueue(runs);
  std::vector<OutboxEntry> entries = collect(outbox, count);
  pool.stop();
  ASSERT_EQ(entries.size(), count);
  for (const OutboxEntry& entry : entries) {
    const SubtaskId id = entry.record.subtask;
    ASSERT_NE(entry.report, nullptr) << "subtask " << id;
    EXPECT_EQ(entry.report->cores, requirement(id).cores) << "subtask " << id;
    // A kernel that measures nothing gets its thread's CPU time (issue 12), never a memory.
    EXPECT_TRUE(entry.report->measured);
    EXPECT_EQ(entry.report->usage.max_rss_bytes, 0u);
    // The GPU ids the kernel listed after its counts, as a mask over the owned ids.
    const std::string text = text_of(entry.payload);
    std::uint64_t seen = 0;
    std::istringstream words(text.substr(text.find(':') + 1));
    for (std::string word; words >> word;) {
      const auto at = std::find(owned.gpus.begin(), owned.gpus.end(), word);
      if (at != owned.gpus.end()) seen |= std::uint64_t{1} << (at - owned.gpus.begin());
    }
    EXPECT_EQ(entry.report->gpu_mask, seen) << "subtask " << id << ": " << text;
    EXPECT_EQ(std::popcount(entry.report->gpu_mask), static_cast<int>(requirement(id).gpus));
  }
}

// A kernel that measured what its attempt used says so through the context, also when it
// then fails; a range job's attempts (no requirements) carry no report at all.
class MeasuringKernel final : public Kernel {
 public:
  SubtaskResult run(const SubtaskContext& context) const override {
    if (context.report != nullptr) {
      context.report->measured = true;
      context.report->usage = AttemptUsage{1000u + context.id, 0.5, 0.25};
    }
    if (context.id % 2 == 1) throw SubtaskFailure(FailureReason::exit_code, "exit code 1");
    return {};
  }
  std::unique_ptr<Reduction> make_reduction(const Partition&) const override { return nullptr; }
};

TEST(ThreadPool, AKernelsMeasuredUsageReachesTheEntryAndRangeJobsReportNothing) {
  constexpr std::uint32_t count = 10;
  const Partition partition({0, count}, count);
  const OwnedResources owned{{0, 1}, {}, 0};
  const MeasuringKernel kernel;
  for (const bool with_requirements : {true, false}) {
    SCOPED_TRACE(with_requirements ? "with requirements" : "a range job");
    Outbox outbox;
    AttemptResources resources{owned, {}};
    if (with_requirements) resources.requirement_of = [](SubtaskId) { return Resources{1, 0, 0}; };
    ThreadPool pool(kernel, partition, 2, outbox, JobClock{}, 0, false, resources);
    const std::vector<IdRun> runs = {IdRun{0, count, 0}};
    pool.enqueue(runs);
    std::vector<OutboxEntry> entries = collect(outbox, count);
    pool.stop();
    ASSERT_EQ(entries.size(), count);
    for (const OutboxEntry& entry : entries) {
      if (!with_requirements) {
        EXPECT_EQ(entry.report, nullptr);
        continue;
      }
      ASSERT_NE(entry.report, nullptr);
      EXPECT_TRUE(entry.report->measured);
      EXPECT_EQ(entry.report->usage.max_rss_bytes, 1000u + entry.record.subtask);
      EXPECT_EQ(entry.report->cores, 1u);
    }
  }
}

TEST(ThreadPool, NoOwnedCoresMeansEmptyCores) {
  const Partition partition({0, 4}, 4);
  ResourceRecordingKernel kernel(OwnedResources{});
  Outbox outbox;
  ThreadPool pool(kernel, partition, 1, outbox, JobClock{});
  const std::vector<IdRun> runs = {IdRun{0, 4, 0}};
  pool.enqueue(runs);
  std::vector<OutboxEntry> entries = collect(outbox, 4);
  pool.stop();
  ASSERT_EQ(entries.size(), 4u);
  for (const OutboxEntry& entry : entries) EXPECT_EQ(text_of(entry.payload), "0 0:");
}

}  // namespace
}  // namespace tasktrack
