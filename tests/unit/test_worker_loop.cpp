// worker_loop.hpp and in_process_transport.hpp: the one worker loop, driven through a fake
// channel (scripted messages in, every message it sends kept) and through the in-process
// channel pair the one-process run uses. No MPI.
#include "runtime/worker_loop.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "fake_worker_channel.hpp"
#include "runtime/in_process_transport.hpp"

namespace tasktrack {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing_worker::FakeChannel;

constexpr auto hang_guard = 30s;

// value = id; payload: `payload_bytes` bytes that depend on the id; each subtask first
// sleeps `sleep` (honouring its stop token).
class TestKernel final : public Kernel {
 public:
  TestKernel(std::size_t payload_bytes, std::chrono::microseconds sleep)
      : payload_bytes_(payload_bytes), sleep_(sleep) {}

  SubtaskResult run(const SubtaskContext& context) const override {
    const auto until = Clock::now() + sleep_;
    while (Clock::now() < until && !context.stop.stop_requested()) {
      std::this_thread::sleep_for(100us);
    }
    return SubtaskResult{static_cast<std::int64_t>(context.id), payload_for(context.id)};
  }
  std::unique_ptr<Reduction> make_reduction(const Partition&) const override { return nullptr; }

  std::vector<std::byte> payload_for(SubtaskId id) const {
    std::vector<std::byte> payload(payload_bytes_);
    for (std::size_t i = 0; i < payload.size(); ++i) {
      payload[i] = static_cast<std::byte>((id * 131 + i * 7 + 1) & 0xFF);
    }
    return payload;
  }

 private:
  std::size_t payload_bytes_;
  std::chrono::microseconds sleep_;
};

// The same, safe to fill from the test's thread while run() owns the loop on another.
class LockedChannel final : public WorkerChannel {
 public:
  std::optional<ToWorkerMessage> receive() override {
    std::lock_guard lock(mutex_);
    if (inbox_.empty()) return std::nullopt;
    ToWorkerMessage message = std::move(inbox_.front());
    inbox_.pop_front();
    return message;
  }
  void send(std::vector<std::byte> message) override {
    std::lock_guard lock(mutex_);
    sent_.push_back(std::move(message));
  }
  std::size_t sends_in_flight() override { return 0; }
  void flush(std::chrono::milliseconds) override {}

  void push(ToWorkerMessage message) {
    std::lock_guard lock(mutex_);
    inbox_.push_back(std::move(message));
  }
  std::vector<std::vector<std::byte>> sent() {
    std::lock_guard lock(mutex_);
    return sent_;
  }

 private:
  std::mutex mutex_;
  std::deque<ToWorkerMessage> inbox_;
  std::vector<std::vector<std::byte>> sent_;
};

// What the sent messages said, in order.
struct Heard {
  std::map<SubtaskId, int> done;  // subtask -> done reports
  std::vector<MessageKind> kinds;
  std::size_t payload_errors = 0;
};

Heard hear(const std::vector<std::vector<std::byte>>& sent, const TestKernel& kernel) {
  Heard heard;
  for (const auto& message : sent) {
    heard.kinds.push_back(message_kind(message));
    const FromWorkerMessage decoded = decode_from_worker(message);
    if (const auto* batch = std::get_if<StatusBatchReader>(&decoded)) {
      batch->for_each([&](const StatusRecord& record, std::span<const std::byte> payload) {
        if (record.state != SubtaskState::done) return;
        ++heard.done[record.subtask];
        const auto expected = kernel.payload_for(record.subtask);
        if (!std::equal(payload.begin(), payload.end(), expected.begin(), expected.end())) {
          ++heard.payload_errors;
        }
      });
    }
  }
  return heard;
}

template <typename Done>
void step_until(WorkerLoop& loop, Done done) {
  const auto give_up = Clock::now() + hang_guard;
  while (!done() && Clock::now() < give_up) {
    if (!loop.step()) loop.wait(1ms);
  }
  ASSERT_TRUE(done()) << "the hang guard passed";
}

std::size_t count(const std::vector<MessageKind>& kinds, MessageKind kind) {
  return static_cast<std::size_t>(std::count(kinds.begin(), kinds.end(), kind));
}

WorkerOptions options_with(unsigned threads) {
  WorkerOptions options;
  options.threads = threads;
  options.heartbeat_seconds = 3600;
  return options;
}

TEST(WorkerLoop, ReportsEveryAssignedSubtaskOnceAndSaysGoodbyeLast) {
  const TestKernel kernel(16, 0us);
  FakeChannel channel;
  WorkerLoop loop(channel, kernel, Partition({0, 1000}, 500), options_with(2), JobClock{});
  channel.inbox.push_back(Assign{{IdRun{0, 200, 0}, IdRun{300, 100, 0}}});
  step_until(loop, [&] { return hear(channel.sent, kernel).done.size() == 300; });
  channel.inbox.push_back(Stop{true});
  EXPECT_TRUE(loop.step());
  EXPECT_TRUE(loop.finished());
  EXPECT_TRUE(loop.ending().skip_finalize);
  EXPECT_EQ(loop.ending().threads_left_behind, 0u);
  EXPECT_EQ(channel.flushes, 1);
  EXPECT_FALSE(loop.step());  // finished: nothing more

  const Heard heard = hear(channel.sent, kernel);
  ASSERT_FALSE(heard.kinds.empty());
  EXPECT_EQ(heard.kinds.back(), MessageKind::goodbye);
  EXPECT_EQ(count(heard.kinds, MessageKind::goodbye), 1u);
  EXPECT_EQ(heard.payload_errors, 0u);
  for (const auto& [id, reports] : heard.done) {
    EXPECT_TRUE(id < 200 || (id >= 300 && id < 400)) << id;
    EXPECT_EQ(reports, 1) << id;
  }
}

TEST(WorkerLoop, DrainDropsTheQueueAndSaysDrainedOnceWhenNothingRuns) {
  const TestKernel kernel(0, 2000us);
  FakeChannel channel;
  WorkerLoop loop(channel, kernel, Partition({0, 1000}, 1000), options_with(1), JobClock{});
  channel.inbox.push_back(Assign{{IdRun{0, 1000, 0}}});
  step_until(loop, [&] { return !hear(channel.sent, kernel).done.empty(); });
  channel.inbox.push_back(Drain{});
  channel.inbox.push_back(Assign{{IdRun{0, 1, 1}}});  // after Drain: ignored
  step_until(loop, [&] { return count(hear(channel.sent, kernel).kinds, MessageKind::drained); });
  const std::size_t done_when_drained = hear(channel.sent, kernel).done.size();
  EXPECT_LT(done_when_drained, 1000u);
  for (int i = 0; i < 20; ++i) loop.step();
  const Heard heard = hear(channel.sent, kernel);
  EXPECT_EQ(count(heard.kinds, MessageKind::drained), 1u);
  EXPECT_EQ(heard.done.size(), done_when_drained);  // everything was in before Drained
  for (const auto& [id, reports] : heard.done) EXPECT_EQ(reports, 1) << id;
}

TEST(WorkerLoop, SendsAHeartbeatOnlyWhenQuiet) {
  const TestKernel kernel(0, 0us);
  FakeChannel channel;
  WorkerOptions options = options_with(1);
  options.heartbeat_seconds = 0.05;
  WorkerLoop loop(channel, kernel, Partition({0, 10}, 10), options, JobClock{});
  loop.step();
  EXPECT_TRUE(channel.sent.empty());
  std::this_thread::sleep_for(80ms);
  loop.step();
  ASSERT_EQ(channel.sent.size(), 1u);
  EXPECT_EQ(message_kind(channel.sent[0]), MessageKind::heartbeat);
  loop.step();
  EXPECT_EQ(channel.sent.size(), 1u);  // just sent one
}

TEST(WorkerLoop, HoldsRecordsWhileTooManySendsAreInFlight) {
  const TestKernel kernel(0, 0us);
  FakeChannel channel;
  channel.in_flight = 8;
  WorkerLoop loop(channel, kernel, Partition({0, 100}, 100), options_with(2), JobClock{});
  channel.inbox.push_back(Assign{{IdRun{0, 100, 0}}});
  const auto give_up = Clock::now() + 2s;
  while (Clock::now() < give_up) {
    loop.step();
    loop.wait(1ms);
  }
  EXPECT_TRUE(channel.sent.empty());
  channel.in_flight = 0;
  step_until(loop, [&] { return hear(channel.sent, kernel).done.size() == 100; });
}

// run() sleeps on the outbox while subtasks are queued behind the running one (issue 14:
// no MPI polling while the worker has work); it must still see Stop, stop the pool and say
// goodbye, with every finished subtask reported once.
TEST(WorkerLoop, RunTakesStopWhileSubtasksAreQueued) {
  const TestKernel kernel(0, 20ms);
  LockedChannel channel;
  WorkerLoop loop(channel, kernel, Partition({0, 1000}, 1000), options_with(1), JobClock{});
  channel.push(Assign{{IdRun{0, 1000, 0}}});
  auto ending = std::async(std::launch::async, [&] { return loop.run(); });
  const auto give_up = Clock::now() + hang_guard;
  while (hear(channel.sent(), kernel).done.empty() && Clock::now() < give_up) {
    std::this_thread::sleep_for(1ms);
  }
  channel.push(Stop{false});
  ASSERT_EQ(ending.wait_for(hang_guard), std::future_status::ready) << "run() missed Stop";
  EXPECT_FALSE(ending.get().skip_finalize);
  const Heard heard = hear(channel.sent(), kernel);
  ASSERT_FALSE(heard.kinds.empty());
  EXPECT_EQ(heard.kinds.back(), MessageKind::goodbye);
  EXPECT_GE(heard.done.size(), 1u);
  EXPECT_LT(heard.done.size(), 1000u);  // Stop came long before the queue ran out
  for (const auto& [id, reports] : heard.done) EXPECT_EQ(reports, 1) << id;
}

// The one-process pair: the coordinator's side sees rank 0 as its one worker, and gets the
// same messages a worker rank sends, a payload of a mebibyte and more included.
TEST(InProcessTransport, CarriesAssignmentsReportsDrainAndGoodbye) {
  const TestKernel kernel(1 << 20, 0us);
  WorkerOptions options = options_with(2);
  const WorkerInfo here{0, "here", 2, static_cast<long>(::getpid()), 2, {}, 0};
  InProcessTransport transport(kernel, Partition({0, 64}, 8), options, here, JobClock{});
  ASSERT_EQ(transport.workers().size(), 1u);
  EXPECT_EQ(transport.workers()[0], here);

  std::map<SubtaskId, int> done;
  std::size_t payload_errors = 0;
  int drained = 0;
  int goodbyes = 0;
  const WorkerMessageHandler handle = [&](int rank, const FromWorkerMessage& message) {
    EXPECT_EQ(rank, 0);
    EXPECT_EQ(goodbyes, 0) << "a message after the goodbye";
    if (const auto* batch = std::get_if<StatusBatchReader>(&message)) {
      batch->for_each([&](const StatusRecord& record, std::span<const std::byte> payload) {
        if (record.state != SubtaskState::done) return;
        ++done[record.subtask];
        const auto expected = kernel.payload_for(record.subtask);
        if (!std::equal(payload.begin(), payload.end(), expected.begin(), expected.end())) {
          ++payload_errors;
        }
      });
    }
    if (std::holds_alternative<Drained>(message)) ++drained;
    if (std::holds_alternative<Goodbye>(message)) ++goodbyes;
  };
  const std::vector<IdRun> runs = {IdRun{0, 8, 0}};
  transport.assign(0, runs);
  const auto give_up = Clock::now() + hang_guard;
  while (done.size() < 8 && Clock::now() < give_up) {
    if (transport.poll(handle) == 0) transport.wait(1ms);
  }
  EXPECT_EQ(done.size(), 8u);
  EXPECT_EQ(payload_errors, 0u);
  transport.drain(0);
  while (drained == 0 && Clock::now() < give_up) {
    if (transport.poll(handle) == 0) transport.wait(1ms);
  }
  EXPECT_EQ(drained, 1);
  transport.stop(0, false);
  while (goodbyes == 0 && Clock::now() < give_up) {
    if (transport.poll(handle) == 0) transport.wait(1ms);
  }
  EXPECT_EQ(goodbyes, 1);
  EXPECT_EQ(transport.threads_left_behind(), 0u);
  EXPECT_EQ(transport.poll(handle), 0u);
  for (const auto& [id, reports] : done) EXPECT_EQ(reports, 1) << id;
}

}  // namespace
}  // namespace tasktrack
