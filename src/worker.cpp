#include "tasktrack/worker.hpp"

#include <algorithm>
#include <boost/mpi/status.hpp>
#include <chrono>
#include <deque>
#include <thread>

#include "tasktrack/mpi_transport.hpp"
#include "tasktrack/outbox.hpp"
#include "tasktrack/status_batcher.hpp"
#include "tasktrack/thread_pool.hpp"

namespace tasktrack {

namespace {

using std::chrono::microseconds;

// Sends in flight before the worker lets records pile up in the batcher instead: a slow
// rank 0 then gets fewer, larger batches.
constexpr std::size_t max_sends_in_flight = 8;

// How long the main thread sleeps when nothing happened: doubles from the first value up to
// the second. Bounds the delay before a new assignment is seen; credits keep the pool busy
// meanwhile.
constexpr microseconds first_pause{50};
constexpr microseconds longest_pause{1000};

// After Stop, how long a worker keeps trying to deliver its last batches to rank 0.
constexpr std::chrono::seconds final_send_deadline{10};

}  // namespace

Worker::Worker(boost::mpi::communicator world, const Kernel& kernel, Partition partition,
               unsigned threads, JobClock clock)
    : world_(std::move(world)),
      kernel_(kernel),
      partition_(partition),
      threads_(threads),
      clock_(clock) {}

void Worker::run() {
  Outbox outbox;
  ThreadPool pool(kernel_, partition_, threads_, outbox, clock_);
  StatusBatcher batcher;
  std::deque<PendingSend> sends;
  std::vector<OutboxEntry> finished;
  std::vector<StatusRecord> running;

  std::vector<char> inbox(max_assign_message_bytes);
  boost::mpi::request receive =
      world_.irecv(0, boost::mpi::any_tag, inbox.data(), static_cast<int>(inbox.size()));

  auto send_batches = [&] {
    for (auto& message : batcher.take()) {
      if (message.size() > max_status_message_bytes) {
        sends.push_back(start_send(
            world_, 0, Tag::status,
            encode_status_notice(0, static_cast<std::uint32_t>(message.size()))));
      }
      sends.push_back(start_send(world_, 0, Tag::status, std::move(message)));
    }
  };
  auto gather_reports = [&] {
    running.clear();
    pool.collect_newly_running(running);
    outbox.take(finished);
    batcher.add(running);
    batcher.add(finished);
  };

  microseconds pause = first_pause;
  while (true) {
    bool progressed = false;
    if (const auto status = receive.test()) {
      progressed = true;
      if (status->tag() == static_cast<int>(Tag::stop)) break;
      const auto bytes = status->count<char>();
      const std::span<const std::byte> message(reinterpret_cast<const std::byte*>(inbox.data()),
                                               bytes ? static_cast<std::size_t>(*bytes) : 0);
      pool.enqueue(decode_assign(message));
      receive = world_.irecv(0, boost::mpi::any_tag, inbox.data(), static_cast<int>(inbox.size()));
    }
    reap_completed(sends);
    gather_reports();
    if (!batcher.empty() && sends.size() < max_sends_in_flight) {
      send_batches();
      progressed = true;
    }
    if (progressed) {
      pause = first_pause;
    } else {
      outbox.wait_for(pause);
      pause = std::min(pause * 2, longest_pause);
    }
  }

  // Stop: rank 0 has everything it needs. Report whatever still finishes, then say goodbye
  // so rank 0 stops listening to this rank in order.
  pool.stop();
  gather_reports();
  send_batches();
  sends.push_back(start_send(world_, 0, Tag::status, encode_status_notice(final_batch_flag, 0)));
  const auto give_up = std::chrono::steady_clock::now() + final_send_deadline;
  while (!sends.empty() && std::chrono::steady_clock::now() < give_up) {
    reap_completed(sends);
    if (!sends.empty()) std::this_thread::sleep_for(pause);
  }
  for (PendingSend& send : sends) send.request.cancel();
}

}  // namespace tasktrack
