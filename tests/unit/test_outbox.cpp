// outbox.hpp: many producers, one consumer; nothing lost, each producer's order kept, and the
// consumer's wait ends on a push or a wake().
#include "runtime/outbox.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <thread>
#include <vector>

namespace tasktrack {
namespace {

using namespace std::chrono_literals;

// Long enough that a wait which does not end early is taken for a hang.
constexpr auto forever = std::chrono::microseconds(std::chrono::hours(1));
// How long a test waits for something that should happen at once before calling it a bug.
constexpr auto hang_guard = 30s;

OutboxEntry entry(std::uint16_t producer, std::uint32_t sequence) {
  OutboxEntry e;
  e.record.thread = producer;
  e.record.subtask = sequence;
  e.record.state = SubtaskState::done;
  e.payload.assign(sequence % 5, std::byte{static_cast<unsigned char>(sequence & 0xFF)});
  return e;
}

// Runs one wait_for(forever) on another thread. The test checks that it returns; if it does
// not, wake() and a push release it so the test fails instead of hanging.
class WaitOnAnotherThread {
 public:
  explicit WaitOnAnotherThread(Outbox& outbox)
      : outbox_(outbox),
        done_(std::async(std::launch::async, [&outbox] { outbox.wait_for(forever); })) {}
  ~WaitOnAnotherThread() {
    while (done_.wait_for(10ms) != std::future_status::ready) {
      outbox_.wake();
      std::vector<OutboxEntry> one = {entry(99, 99)};
      outbox_.push(one);
    }
  }
  bool returned() { return done_.wait_for(hang_guard) == std::future_status::ready; }

 private:
  Outbox& outbox_;
  std::future<void> done_;
};

TEST(Outbox, TakeOnEmptyGivesNothingAndReplacesTheContents) {
  Outbox outbox;
  std::vector<OutboxEntry> out = {entry(0, 1), entry(0, 2)};
  outbox.take(out);
  EXPECT_TRUE(out.empty());
}

TEST(Outbox, PushMovesEverythingOutInOrder) {
  Outbox outbox;
  std::vector<OutboxEntry> first = {entry(0, 0), entry(0, 1), entry(0, 2)};
  outbox.push(first);
  EXPECT_TRUE(first.empty());
  std::vector<OutboxEntry> second = {entry(0, 3), entry(0, 4)};
  outbox.push(second);
  EXPECT_TRUE(second.empty());
  std::vector<OutboxEntry> none;
  outbox.push(none);

  std::vector<OutboxEntry> out = {entry(7, 77)};  // replaced, not appended to
  outbox.take(out);
  ASSERT_EQ(out.size(), 5u);
  for (std::uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(out[i].record.subtask, i);
    EXPECT_EQ(out[i].record.thread, 0);
    EXPECT_EQ(out[i].payload, entry(0, i).payload);
  }
  outbox.take(out);
  EXPECT_TRUE(out.empty());  // take() emptied the outbox
}

TEST(Outbox, ProducersCanReuseTheirVectorAfterPush) {
  Outbox outbox;
  std::vector<OutboxEntry> bundle;
  for (std::uint32_t i = 0; i < 10; ++i) {
    bundle.push_back(entry(1, i));
    if (bundle.size() == 3) outbox.push(bundle);
  }
  outbox.push(bundle);
  std::vector<OutboxEntry> out;
  outbox.take(out);
  ASSERT_EQ(out.size(), 10u);
  for (std::uint32_t i = 0; i < 10; ++i) EXPECT_EQ(out[i].record.subtask, i);
}

TEST(Outbox, ManyProducersLoseNothingAndKeepTheirOrder) {
  constexpr std::uint16_t producers = 8;
  constexpr std::uint32_t per_producer = 5000;
  Outbox outbox;
  std::atomic<int> running{producers};
  std::vector<std::thread> threads;
  for (std::uint16_t p = 0; p < producers; ++p) {
    threads.emplace_back([&outbox, &running, p] {
      std::vector<OutboxEntry> bundle;
      const std::size_t bundle_size = 1 + p % 4 * 20;  // 1, 21, 41, 61
      for (std::uint32_t i = 0; i < per_producer; ++i) {
        bundle.push_back(entry(p, i));
        if (bundle.size() >= bundle_size) outbox.push(bundle);
      }
      outbox.push(bundle);
      running.fetch_sub(1);
    });
  }

  std::vector<std::uint32_t> next(producers, 0);  // the sequence expected next per producer
  std::size_t received = 0;
  bool in_order = true;
  const auto deadline = std::chrono::steady_clock::now() + hang_guard;
  std::vector<OutboxEntry> taken;
  while (received < producers * per_producer && std::chrono::steady_clock::now() < deadline) {
    outbox.wait_for(100ms);
    outbox.take(taken);
    for (const OutboxEntry& e : taken) {
      if (e.record.thread >= producers) {
        in_order = false;
        continue;
      }
      if (e.record.subtask != next[e.record.thread]) in_order = false;
      next[e.record.thread] = e.record.subtask + 1;
      if (e.payload != entry(e.record.thread, e.record.subtask).payload) in_order = false;
      ++received;
    }
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(running.load(), 0);
  outbox.take(taken);
  EXPECT_TRUE(taken.empty()) << "entries beyond what was pushed";
  EXPECT_EQ(received, producers * per_producer);
  EXPECT_TRUE(in_order) << "an entry lost, repeated, reordered or damaged";
  for (std::uint16_t p = 0; p < producers; ++p) EXPECT_EQ(next[p], per_producer) << p;
}

TEST(Outbox, WaitReturnsWhenSomethingIsPushed) {
  Outbox outbox;
  WaitOnAnotherThread wait(outbox);
  std::vector<OutboxEntry> one = {entry(0, 0)};
  outbox.push(one);
  EXPECT_TRUE(wait.returned());
}

TEST(Outbox, WaitReturnsAtOnceWhileEntriesAreWaiting) {
  Outbox outbox;
  std::vector<OutboxEntry> one = {entry(0, 0)};
  outbox.push(one);
  {
    WaitOnAnotherThread wait(outbox);
    EXPECT_TRUE(wait.returned());
  }
  // Not taken yet: a second wait returns too.
  WaitOnAnotherThread again(outbox);
  EXPECT_TRUE(again.returned());
}

TEST(Outbox, WaitReturnsOnWake) {
  Outbox outbox;
  WaitOnAnotherThread wait(outbox);
  outbox.wake();
  EXPECT_TRUE(wait.returned());
  std::vector<OutboxEntry> out;
  outbox.take(out);
  EXPECT_TRUE(out.empty());  // woken, not given anything
}

TEST(Outbox, WakeBeforeTheWaitEndsTheNextWait) {
  Outbox outbox;
  outbox.wake();
  WaitOnAnotherThread wait(outbox);
  EXPECT_TRUE(wait.returned());
}

// A worker whose pool has queued work dozes (WorkerLoop): pushed results wait for the next
// turn, and only a wake() (a running notice, an idle pool) ends the doze early.
TEST(Outbox, WaitForWakeIgnoresPushesAndEndsOnWake) {
  Outbox outbox;
  std::vector<OutboxEntry> one = {entry(0, 0)};
  outbox.push(one);
  const auto start = std::chrono::steady_clock::now();
  outbox.wait_for_wake(50ms);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 40ms) << "a push ended the doze";
  auto woken = std::async(std::launch::async, [&outbox] { outbox.wait_for_wake(forever); });
  while (woken.wait_for(10ms) != std::future_status::ready) outbox.wake();
  std::vector<OutboxEntry> out;
  outbox.take(out);
  EXPECT_EQ(out.size(), 1u);  // the pushed entry waited, untouched
}

TEST(Outbox, WaitTimesOutWhenNothingHappens) {
  Outbox outbox;
  const auto start = std::chrono::steady_clock::now();
  outbox.wait_for(50ms);
  // Only a lower bound: the wait may last longer on a loaded machine, never much shorter.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 40ms);
}

TEST(Outbox, AWakeIsUsedUpByOneWait) {
  Outbox outbox;
  outbox.wake();
  {
    WaitOnAnotherThread woken(outbox);
    ASSERT_TRUE(woken.returned());
  }
  const auto start = std::chrono::steady_clock::now();
  outbox.wait_for(50ms);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 40ms) << "the old wake() ended this wait";
}

TEST(Outbox, TakenEntriesNoLongerEndAWait) {
  Outbox outbox;
  std::vector<OutboxEntry> one = {entry(0, 0)};
  outbox.push(one);
  outbox.take(one);
  ASSERT_EQ(one.size(), 1u);
  const auto start = std::chrono::steady_clock::now();
  outbox.wait_for(50ms);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 40ms);
}

}  // namespace
}  // namespace tasktrack
