// Google Benchmark micro-benchmarks of rank 0's per-subtask and per-message work (issue 7):
// the Tracker, the StatusBatch encode/decode, the Assign encode/decode and the journal's
// append (single records and run records). Every benchmark counts items (subtasks or records), so
// `items_per_second` is the rate and 1e9 / items_per_second the cost of one in ns. bench/run.sh
// runs them with
// --benchmark_format=json and puts the per-item costs in its table.

#include <benchmark/benchmark.h>

#include <unistd.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/tracker.hpp"
#include "journal/journal.hpp"
#include "runtime/protocol.hpp"

namespace {

using tasktrack::IdRun;
using tasktrack::SubtaskId;

constexpr std::uint32_t tracker_subtasks = 1u << 22;  // 4 Mi subtasks per Tracker

// One subtask's round trip through rank 0's state machine: assign_next hands out a batch of
// `range(0)` subtasks to rank 1, then each is completed, as a StatusBatch would report them.
void BM_TrackerAssignComplete(benchmark::State& state) {
  const auto batch = static_cast<std::uint32_t>(state.range(0));
  auto tracker = std::make_unique<tasktrack::Tracker>(tracker_subtasks, 2, 2);
  std::vector<IdRun> runs;
  std::int64_t subtasks = 0;
  for (auto _ : state) {
    if (tracker->finished() || tracker->never_dispatched() < batch) {
      state.PauseTiming();
      tracker = std::make_unique<tasktrack::Tracker>(tracker_subtasks, 2, 2);
      state.ResumeTiming();
    }
    runs.clear();
    const std::uint32_t given = tracker->assign_next(1, batch, runs);
    for (const IdRun& run : runs) {
      for (std::uint32_t i = 0; i < run.count; ++i) {
        benchmark::DoNotOptimize(tracker->complete(run.first + i, 1, run.attempt));
      }
    }
    subtasks += given;
  }
  state.SetItemsProcessed(subtasks);
}
BENCHMARK(BM_TrackerAssignComplete)->Arg(1)->Arg(16)->Arg(256)->Arg(4096);

// The same with a `running` report before `done`, as a slow subtask gets.
void BM_TrackerAssignRunningComplete(benchmark::State& state) {
  const auto batch = static_cast<std::uint32_t>(state.range(0));
  auto tracker = std::make_unique<tasktrack::Tracker>(tracker_subtasks, 2, 2);
  std::vector<IdRun> runs;
  std::int64_t subtasks = 0;
  for (auto _ : state) {
    if (tracker->finished() || tracker->never_dispatched() < batch) {
      state.PauseTiming();
      tracker = std::make_unique<tasktrack::Tracker>(tracker_subtasks, 2, 2);
      state.ResumeTiming();
    }
    runs.clear();
    const std::uint32_t given = tracker->assign_next(1, batch, runs);
    for (const IdRun& run : runs) {
      for (std::uint32_t i = 0; i < run.count; ++i) {
        benchmark::DoNotOptimize(tracker->mark_running(run.first + i, 1, run.attempt));
        benchmark::DoNotOptimize(tracker->complete(run.first + i, 1, run.attempt));
      }
    }
    subtasks += given;
  }
  state.SetItemsProcessed(subtasks);
}
BENCHMARK(BM_TrackerAssignRunningComplete)->Arg(256);

tasktrack::StatusRecord done_record(SubtaskId id) {
  tasktrack::StatusRecord record;
  record.subtask = id;
  record.state = tasktrack::SubtaskState::done;
  record.start_seconds = 1.0 + id * 1e-6;
  record.end_seconds = record.start_seconds + 1e-6;
  record.value = 1;
  return record;
}

// A worker's side: `range(0)` done records (no payload, like noop) into one message.
void BM_StatusBatchEncode(benchmark::State& state) {
  const auto batch = static_cast<SubtaskId>(state.range(0));
  tasktrack::StatusBatchWriter writer;
  for (auto _ : state) {
    for (SubtaskId id = 0; id < batch; ++id) writer.add(done_record(id), {});
    std::vector<std::byte> message = writer.finish();
    benchmark::DoNotOptimize(message.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * batch);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(sizeof(tasktrack::MessageHeader) +
                                                    batch * sizeof(tasktrack::StatusRecord)));
}
BENCHMARK(BM_StatusBatchEncode)->Arg(1)->Arg(16)->Arg(256)->Arg(4096);

// Rank 0's side: validate the message and visit every record.
void BM_StatusBatchDecode(benchmark::State& state) {
  const auto batch = static_cast<SubtaskId>(state.range(0));
  tasktrack::StatusBatchWriter writer;
  for (SubtaskId id = 0; id < batch; ++id) writer.add(done_record(id), {});
  const std::vector<std::byte> message = writer.finish();
  for (auto _ : state) {
    const tasktrack::StatusBatchReader reader(message);
    std::int64_t sum = 0;
    reader.for_each([&](const tasktrack::StatusRecord& record, std::span<const std::byte>) {
      sum += record.value + record.subtask;
    });
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * batch);
}
BENCHMARK(BM_StatusBatchDecode)->Arg(1)->Arg(16)->Arg(256)->Arg(4096);

// Rank 0 -> worker: one Assign of one run (the common case), encoded and decoded.
void BM_AssignEncodeDecode(benchmark::State& state) {
  const std::vector<IdRun> runs{IdRun{1000, static_cast<std::uint32_t>(state.range(0)), 0}};
  for (auto _ : state) {
    const std::vector<std::byte> message = tasktrack::encode_assign(runs);
    const std::vector<IdRun> decoded = tasktrack::decode_assign(message);
    benchmark::DoNotOptimize(decoded.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_AssignEncodeDecode)->Arg(256);

std::string temp_journal_path() {
  const char* dir = std::getenv("TMPDIR");
  return (std::filesystem::path(dir && *dir ? dir : "/tmp") /
          ("tasktrack-micro-" + std::to_string(::getpid()) + ".journal"))
      .string();
}

tasktrack::JournalAttempt done_attempt(SubtaskId id) {
  tasktrack::JournalAttempt attempt;
  attempt.subtask = id;
  attempt.state = tasktrack::SubtaskState::done;
  attempt.rank = 1;
  attempt.start_unix = 1.7e9 + id * 1e-6;
  attempt.end_unix = attempt.start_unix + 1e-6;
  attempt.value = 1;
  return attempt;
}

// JournalWriter::append of one done record (no payload, like noop), with the background
// group commit running as in a job (it writes and fdatasyncs every 200 ms). The last flush,
// in the destructor, is outside the timing.
void BM_JournalAppend(benchmark::State& state) {
  const std::string path = temp_journal_path();
  std::filesystem::remove(path);
  {
    tasktrack::JournalWriter writer(path, "{\"bench\":\"micro\"}");
    SubtaskId id = 0;
    for (auto _ : state) writer.append(done_attempt(id++));
  }  // the destructor's flush runs after the timed loop
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  std::filesystem::remove(path);
}
BENCHMARK(BM_JournalAppend)->MinTime(0.3)->UseRealTime();

// JournalWriter::append_run: `range(0)` consecutive done subtasks of one thread as one run
// record (how the coordinator journals fast subtasks), per subtask.
void BM_JournalAppendRun(benchmark::State& state) {
  const auto batch = static_cast<SubtaskId>(state.range(0));
  const std::string path = temp_journal_path();
  std::filesystem::remove(path);
  {
    tasktrack::JournalWriter writer(path, "{\"bench\":\"micro\"}");
    tasktrack::JournalRun run;
    run.rank = 1;
    run.start_unix = 1.7e9;
    run.end_unix = 1.7e9 + 1e-3;
    run.values.assign(batch, 1);
    for (auto _ : state) {
      writer.append_run(run);
      run.first += batch;
    }
  }  // the destructor's flush runs after the timed loop
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * batch);
  std::filesystem::remove(path);
}
BENCHMARK(BM_JournalAppendRun)->Arg(16)->Arg(256)->MinTime(0.3)->UseRealTime();

// `range(0)` appends and then flush(): the write and fdatasync cost included, per record.
void BM_JournalAppendFlush(benchmark::State& state) {
  const auto batch = static_cast<SubtaskId>(state.range(0));
  const std::string path = temp_journal_path();
  std::filesystem::remove(path);
  {
    tasktrack::JournalWriter writer(path, "{\"bench\":\"micro\"}");
    SubtaskId id = 0;
    for (auto _ : state) {
      for (SubtaskId i = 0; i < batch; ++i) writer.append(done_attempt(id++));
      writer.flush();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * batch);
  std::filesystem::remove(path);
}
BENCHMARK(BM_JournalAppendFlush)->Arg(1024)->Arg(65536)->MinTime(0.3)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
