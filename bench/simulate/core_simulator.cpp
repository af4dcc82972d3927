// tasktrack_simulate: drives the pure core (JobState) with thousands of simulated workers
// and synthetic subtask durations, no MPI and no processes, and measures the CPU rank 0's
// core spends per event and per subtask. It is the measured basis of the scale model in
// bench/README.md: one rank-0 core feeds about (subtask seconds / core CPU per subtask)
// worker threads, before the transport's own cost per message.
//
//   tasktrack_simulate [--workers 16,256,4096,10000] [--durations 0.001,0.01,0.1]
//                      [--subtasks-per-worker 40] [--threads 1]   (at least 200,000 subtasks)
//
// The simulation is a discrete-event loop in virtual time. Every worker runs what the core
// assigned it on `threads` slots, each subtask taking its duration times a factor drawn
// uniformly in [0.5, 1.5) (seeded, so runs repeat); every completion is one StatusBatch of
// one record (what a worker sends for subtasks slower than 2 ms), followed by a tick, as
// rank 0's loop ticks after each poll: the worst case, one batch per poll. The clock around
// the core is the thread's CPU clock, read around a replay: the recorded batches fed at
// their times to a fresh core whose effects do nothing, so neither the simulator's
// bookkeeping nor the clock's own cost is in the figure.
//
// Output: one line per (workers, duration) as tab-separated values, after a header line:
//   workers  subtask_seconds  subtasks  events  core_ns_per_event  core_ns_per_subtask
//   threads_one_core_feeds
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <queue>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/job_state.hpp"
#include "runtime/protocol.hpp"

namespace tasktrack {
namespace {

double thread_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Effects that do nothing: what the timed replay's core hands out to.
struct NoEffects : JobEffects {
  void assign(int, std::span<const IdRun>) override {}
  void drain(int) override {}
  void set_time_limit(int, const TimeLimit&) override {}
  void accept_result(SubtaskId, std::int64_t, std::span<const std::byte>) override {}
  void journal_attempt(const JournalAttempt&) override {}
  void journal_run(const JournalRun&) override {}
  void trace_attempt(int, const StatusRecord&, const AttemptReport*, bool) override {}
  void trace_dispatch(double, int, std::uint32_t) override {}
  void trace_instant(double, int, const std::string&, const std::string&) override {}
  void notice(const std::string&) override {}
};

// What the simulated workers are asked to run: assignments queue up per worker.
struct SimulatedWorkers final : NoEffects {
  std::vector<std::deque<IdRun>> queued;  // by rank
  std::vector<int> touched;               // ranks assigned to since the last look

  explicit SimulatedWorkers(int ranks) : queued(static_cast<std::size_t>(ranks)) {}

  void assign(int rank, std::span<const IdRun> runs) override {
    for (const IdRun& run : runs) queued[rank].push_back(run);
    touched.push_back(rank);
  }

  // Takes the next queued subtask of `rank`, if any.
  bool next(int rank, SubtaskId& id, std::uint32_t& attempt) {
    auto& queue = queued[rank];
    if (queue.empty()) return false;
    IdRun& run = queue.front();
    id = run.first;
    attempt = run.attempt;
    ++run.first;
    if (--run.count == 0) queue.pop_front();
    return true;
  }
};

struct Completion {
  double at;
  int rank;
  SubtaskId id;
  std::uint32_t attempt;
  double started;
  bool operator>(const Completion& other) const { return at > other.at; }
};

// One status batch as the simulation delivered it.
struct Delivery {
  int rank;
  double at;
  std::vector<std::byte> batch;
};

struct Result {
  std::uint32_t subtasks = 0;
  std::uint64_t events = 0;
  double core_seconds = 0;
};

Result simulate(int worker_count, double duration, std::uint32_t subtasks, unsigned threads) {
  const int ranks = worker_count + 1;
  std::vector<WorkerInfo> workers;
  for (int rank = 1; rank < ranks; ++rank) {
    workers.push_back(WorkerInfo{rank, "node" + std::to_string(rank), threads, 0, threads, {}, 0});
  }
  JobRules rules;
  rules.subtasks = subtasks;
  rules.worker_timeout = 1e9;  // virtual time: nobody is silent
  SimulatedWorkers sim(ranks);
  std::vector<unsigned> free_threads(static_cast<std::size_t>(ranks), threads);
  std::priority_queue<Completion, std::vector<Completion>, std::greater<>> running;
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> factor(0.5, 1.5);

  Result result;
  result.subtasks = subtasks;
  std::vector<Delivery> deliveries;
  const auto start_what_fits = [&](int rank, double now) {
    SubtaskId id = 0;
    std::uint32_t attempt = 0;
    while (free_threads[rank] > 0 && sim.next(rank, id, attempt)) {
      --free_threads[rank];
      running.push(Completion{now + duration * factor(random), rank, id, attempt, now});
    }
  };

  JobState state(rules, workers, ranks, sim);
  state.start(0);
  for (int rank = 1; rank < ranks; ++rank) start_what_fits(rank, 0);
  sim.touched.clear();
  StatusBatchWriter writer;
  while (!running.empty()) {
    const Completion done = running.top();
    running.pop();
    ++free_threads[done.rank];
    StatusRecord record;
    record.subtask = done.id;
    record.state = SubtaskState::done;
    record.attempt = done.attempt;
    record.start_seconds = done.started;
    record.end_seconds = done.at;
    writer.add(record, {});
    deliveries.push_back(Delivery{done.rank, done.at, writer.finish()});
    state.handle_message(done.rank, StatusBatchReader(deliveries.back().batch), done.at);
    if (state.handle_tick(done.at)) break;
    start_what_fits(done.rank, done.at);
    for (const int rank : sim.touched) start_what_fits(rank, done.at);
    sim.touched.clear();
  }
  if (state.done() != subtasks) {
    std::fprintf(stderr, "tasktrack_simulate: only %u of %u subtasks done\n", state.done(),
                 subtasks);
    std::exit(1);
  }
  // The core is deterministic: fed the same batches at the same times, a fresh one decides
  // the same. Timing that replay, one clock reading at each end, measures the core alone.
  NoEffects none;
  JobState replay(rules, workers, ranks, none);
  const double before = thread_cpu_seconds();
  replay.start(0);
  for (const Delivery& delivery : deliveries) {
    replay.handle_message(delivery.rank, StatusBatchReader(delivery.batch), delivery.at);
    replay.handle_tick(delivery.at);
  }
  result.core_seconds = thread_cpu_seconds() - before;
  result.events = 1 + 2 * deliveries.size();
  if (replay.done() != subtasks) {
    std::fprintf(stderr, "tasktrack_simulate: the replay finished %u of %u\n", replay.done(),
                 subtasks);
    std::exit(1);
  }
  return result;
}

std::vector<double> numbers(const std::string& list) {
  std::vector<double> values;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) values.push_back(std::stod(item));
  return values;
}

}  // namespace
}  // namespace tasktrack

int main(int argc, char** argv) {
  std::string worker_list = "16,256,4096,10000";
  std::string duration_list = "0.001,0.01,0.1";
  std::uint32_t per_worker = 40;
  unsigned threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--workers") {
      worker_list = value;
    } else if (flag == "--durations") {
      duration_list = value;
    } else if (flag == "--subtasks-per-worker") {
      per_worker = static_cast<std::uint32_t>(std::stoul(value));
    } else if (flag == "--threads") {
      threads = static_cast<unsigned>(std::stoul(value));
    } else {
      std::fprintf(stderr, "tasktrack_simulate: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  std::printf(
      "workers\tsubtask_seconds\tsubtasks\tevents\tcore_ns_per_event\tcore_ns_per_subtask\t"
      "threads_one_core_feeds\n");
  for (const double workers : tasktrack::numbers(worker_list)) {
    for (const double duration : tasktrack::numbers(duration_list)) {
      // At least 200,000 subtasks, so that a few workers' figures are not a few thousand
      // events' noise.
      const auto count = std::max<std::uint32_t>(
          static_cast<std::uint32_t>(workers) * per_worker * threads, 200000);
      const auto r = tasktrack::simulate(static_cast<int>(workers), duration, count, threads);
      const double per_event = r.core_seconds / static_cast<double>(r.events);
      const double per_subtask = r.core_seconds / r.subtasks;
      std::printf("%d\t%g\t%u\t%llu\t%.0f\t%.0f\t%.0f\n", static_cast<int>(workers), duration,
                  r.subtasks, static_cast<unsigned long long>(r.events), per_event * 1e9,
                  per_subtask * 1e9, duration / per_subtask);
      std::fflush(stdout);
    }
  }
  return 0;
}
