// terminal_outbox.hpp, terminal_relay.hpp and the WorkerLoop's relay of --output stdout
// blocks (issue 12 item 8): pool threads leave blocks in the TerminalOutbox, the loop sends
// each before the status record of its attempt, and rank 0's TerminalRelay prints every
// block whole, whatever the chunks of other workers between its own. Suites named Outbox*
// run under TSan in CI (.ci/run).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "fake_worker_channel.hpp"
#include "runtime/terminal_outbox.hpp"
#include "runtime/terminal_relay.hpp"
#include "runtime/worker_loop.hpp"

namespace tasktrack {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Bytes = std::vector<std::byte>;

constexpr auto hang_guard = 30s;

std::string block_of(int producer, int sequence) {
  std::string block = "P";
  block.append(std::to_string(producer)).append("-").append(std::to_string(sequence));
  return block.append("\n");
}

TEST(OutboxTerminalBlocks, ManyProducersLoseNothingAndKeepEachOnesOrder) {
  constexpr int producers = 4;
  constexpr int per_producer = 2000;
  const auto outbox = std::make_shared<TerminalOutbox>();
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([p, write = TerminalOutbox::writer(outbox)] {
      for (int i = 0; i < per_producer; ++i) write(block_of(p, i));
    });
  }
  std::map<int, int> next;  // producer -> next sequence expected
  std::vector<std::string> taken;
  int total = 0;
  const auto give_up = Clock::now() + hang_guard;
  while (total < producers * per_producer && Clock::now() < give_up) {
    outbox->take(taken);  // while the producers push
    for (const std::string& block : taken) {
      const int p = block[1] - '0';
      EXPECT_EQ(block, block_of(p, next[p])) << "out of order";
      ++next[p];
      ++total;
    }
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(total, producers * per_producer);
  outbox->take(taken);
  EXPECT_TRUE(taken.empty());
}

TEST(OutboxTerminalBlocks, TheWriterKeepsTheOutboxAlive) {
  TerminalBlockWriter write;
  std::weak_ptr<TerminalOutbox> watch;
  {
    const auto outbox = std::make_shared<TerminalOutbox>();
    watch = outbox;
    write = TerminalOutbox::writer(outbox);
  }
  ASSERT_FALSE(watch.expired());
  write("late\n");  // a pool thread left behind, after its loop is gone
  std::vector<std::string> taken;
  watch.lock()->take(taken);
  EXPECT_EQ(taken, std::vector<std::string>{"late\n"});
}

// Rank 0's side: chunks of two workers arrive interleaved; each block is printed once, whole,
// when its last chunk arrives.
TEST(TerminalRelay, JoinsEachWorkersChunksAndPrintsEveryBlockWhole) {
  std::vector<std::string> printed;
  TerminalRelay relay([&](std::string_view block) { printed.emplace_back(block); });
  const std::string big_a(2 * max_terminal_chunk_bytes + 5, 'a');
  const std::string big_b(max_terminal_chunk_bytes + 1, 'b');
  const std::vector<Bytes> a = encode_terminal_block(big_a);
  const std::vector<Bytes> b = encode_terminal_block(big_b);
  const std::vector<Bytes> small = encode_terminal_block("c\n");
  ASSERT_EQ(a.size(), 3u);
  ASSERT_EQ(b.size(), 2u);
  relay.add(1, decode_terminal_chunk(a[0]));
  relay.add(2, decode_terminal_chunk(b[0]));
  relay.add(3, decode_terminal_chunk(small[0]));  // a block of one chunk: printed at once
  relay.add(1, decode_terminal_chunk(a[1]));
  ASSERT_EQ(printed, std::vector<std::string>{"c\n"});
  relay.add(2, decode_terminal_chunk(b[1]));
  relay.add(1, decode_terminal_chunk(a[2]));
  ASSERT_EQ(printed.size(), 3u);
  EXPECT_EQ(printed[1], big_b);
  EXPECT_EQ(printed[2], big_a);
  relay.add(1, decode_terminal_chunk(small[0]));  // rank 1's next block starts afresh
  ASSERT_EQ(printed.size(), 4u);
  EXPECT_EQ(printed[3], "c\n");
}

// Each subtask's attempt leaves a block (through the writer, as its TerminalSink would)
// before it returns; a few are bigger than one chunk.
class BlockKernel final : public Kernel {
 public:
  explicit BlockKernel(TerminalBlockWriter write) : write_(std::move(write)) {}
  static std::string block_for(SubtaskId id) {
    std::string block = "S";
    block.append(std::to_string(id)).append(":");
    block.append(id % 10 == 0 ? max_terminal_chunk_bytes + id : 10 + id % 7,
                 static_cast<char>('a' + id % 26));
    block += '\n';
    return block;
  }
  SubtaskResult run(const SubtaskContext& context) const override {
    write_(block_for(context.id));
    return SubtaskResult{static_cast<std::int64_t>(context.id), {}};
  }
  std::unique_ptr<Reduction> make_reduction(const Partition&) const override { return nullptr; }

 private:
  TerminalBlockWriter write_;
};

// The loop of an MPI worker with --output stdout, four pool threads: every block reaches
// rank 0 whole, and before the record that reports its attempt done.
TEST(OutboxTerminalBlocks, TheWorkerLoopSendsEachBlockBeforeItsAttemptsRecord) {
  constexpr SubtaskId subtasks = 300;
  const auto outbox = std::make_shared<TerminalOutbox>();
  const BlockKernel kernel(TerminalOutbox::writer(outbox));
  WorkerOptions options;
  options.threads = 4;
  options.heartbeat_seconds = 3600;
  options.terminal_blocks = outbox;
  testing_worker::FakeChannel channel;
  WorkerLoop loop(channel, kernel, Partition({0, subtasks}, subtasks), options, JobClock{});
  channel.inbox.push_back(Assign{{IdRun{0, subtasks, 0}}});

  std::map<std::string, int> printed;  // block -> times printed
  std::map<SubtaskId, int> done;
  std::size_t heard = 0;
  TerminalRelay relay([&](std::string_view block) { ++printed[std::string(block)]; });
  const auto hear_new = [&] {
    for (; heard < channel.sent.size(); ++heard) {
      const FromWorkerMessage message = decode_from_worker(channel.sent[heard]);
      if (const auto* chunk = std::get_if<TerminalChunk>(&message)) relay.add(1, *chunk);
      if (const auto* batch = std::get_if<StatusBatchReader>(&message)) {
        batch->for_each([&](const StatusRecord& record, std::span<const std::byte>) {
          if (record.state != SubtaskState::done) return;
          ++done[record.subtask];
          EXPECT_EQ(printed[BlockKernel::block_for(record.subtask)], 1)
              << "subtask " << record.subtask << " reported before its block";
        });
      }
    }
  };
  const auto give_up = Clock::now() + hang_guard;
  while (done.size() < subtasks && Clock::now() < give_up) {
    if (!loop.step()) loop.wait(1ms);
    hear_new();
  }
  channel.inbox.push_back(Stop{});
  loop.step();
  hear_new();
  ASSERT_TRUE(loop.finished());
  EXPECT_EQ(done.size(), subtasks);
  for (SubtaskId id = 0; id < subtasks; ++id) {
    EXPECT_EQ(printed[BlockKernel::block_for(id)], 1) << id;
  }
}

}  // namespace
}  // namespace tasktrack
