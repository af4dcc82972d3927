#include "runtime/worker.hpp"

#include <algorithm>
#include <boost/mpi/status.hpp>
#include <chrono>
#include <deque>
#include <thread>

#include "runtime/mpi_transport.hpp"
#include "runtime/outbox.hpp"
#include "runtime/signals.hpp"
#include "runtime/status_batcher.hpp"
#include "runtime/thread_pool.hpp"

namespace tasktrack {

namespace {

using std::chrono::microseconds;
using Clock = std::chrono::steady_clock;

// Sends in flight before the worker lets records pile up in the batcher instead: a slow
// rank 0 then gets fewer, larger batches.
constexpr std::size_t max_sends_in_flight = 8;

// How long the main thread sleeps when nothing happened: doubles from the first value up to
// the second. Bounds the delay before a new assignment is seen; credits keep the pool busy
// meanwhile.
constexpr microseconds first_pause{50};
constexpr microseconds longest_pause{1000};

// After Stop: how long running kernels get to notice their stop token, and how long the
// worker keeps trying to deliver its last batches to rank 0.
constexpr std::chrono::milliseconds stop_patience{500};
constexpr std::chrono::seconds final_send_deadline{10};

}  // namespace

Worker::Worker(boost::mpi::communicator world, const Kernel& kernel, Partition partition,
               WorkerOptions options, JobClock clock)
    : world_(std::move(world)),
      kernel_(kernel),
      partition_(partition),
      options_(options),
      clock_(clock) {}

Worker::Ending Worker::run() {
  Outbox outbox;
  ThreadPool pool(kernel_, partition_, options_.threads, outbox, clock_, options_.timeout_seconds,
                  options_.timeout_may_change);
  StatusBatcher batcher;
  std::deque<PendingSend> sends;
  std::vector<OutboxEntry> finished;
  std::vector<OutboxEntry> expired;
  std::vector<StatusRecord> running;
  const auto heartbeat = std::chrono::duration<double>(options_.heartbeat_seconds);
  auto last_sent = Clock::now();

  std::vector<char> inbox(max_assign_message_bytes);
  auto post_receive = [&] {
    return world_.irecv(0, boost::mpi::any_tag, inbox.data(), static_cast<int>(inbox.size()));
  };
  boost::mpi::request receive = post_receive();

  auto send = [&](std::vector<std::byte> message) {
    sends.push_back(start_send(world_, 0, Tag::status, std::move(message)));
    last_sent = Clock::now();
  };
  auto send_batches = [&] {
    for (auto& message : batcher.take()) {
      if (message.size() > max_status_message_bytes) {
        send(encode_status_notice(0, static_cast<std::uint32_t>(message.size())));
      }
      send(std::move(message));
    }
  };
  auto gather_reports = [&] {
    running.clear();
    expired.clear();
    pool.collect_newly_running(running);
    pool.expire_overdue(expired);
    outbox.take(finished);
    batcher.add(running);
    batcher.add(expired);
    batcher.add(finished);
  };

  bool draining = false;
  bool drained_reported = false;
  bool dropped_on_signal = false;
  Ending ending;
  microseconds pause = first_pause;
  while (true) {
    bool progressed = false;
    if (const auto status = receive.test()) {
      progressed = true;
      const Tag tag = static_cast<Tag>(status->tag());
      const auto bytes = status->count<char>();
      const std::span<const std::byte> message(reinterpret_cast<const std::byte*>(inbox.data()),
                                               bytes ? static_cast<std::size_t>(*bytes) : 0);
      if (tag == Tag::stop) {
        ending.skip_finalize = (decode_stop(message) & stop_skip_finalize_flag) != 0;
        break;
      }
      if (tag == Tag::time_limit) {
        const TimeLimit limit = decode_time_limit(message);
        pool.set_timeout(limit.seconds, describe(limit));
      } else if (tag == Tag::drain) {
        pool.drop_queued();
        draining = true;
      } else if (tag == Tag::assign && !draining) {
        pool.enqueue(decode_assign(message));
      }
      receive = post_receive();
    }
    if (!dropped_on_signal && stop_requested() == StopRequest::fast) {
      pool.drop_queued();  // nothing new starts; rank 0 collects what finished and stops us
      dropped_on_signal = true;
    }
    reap_completed(sends);
    // Idle before gathering: a pool thread pushes its results before it stops counting as
    // busy, so once idle, this gather holds everything that finished.
    const bool idle = !pool.busy();
    gather_reports();
    if (!batcher.empty() && sends.size() < max_sends_in_flight) {
      send_batches();
      progressed = true;
    }
    if (draining && !drained_reported && idle && batcher.empty()) {
      send(encode_status_notice(drained_batch_flag, 0));
      drained_reported = true;
    }
    if (Clock::now() - last_sent >= heartbeat) send(encode_status_notice(0, 0));
    if (progressed) {
      pause = first_pause;
    } else {
      outbox.wait_for(pause);
      pause = std::min(pause * 2, longest_pause);
    }
  }

  // Stop: rank 0 has what it needs. Report whatever still finishes, then say goodbye so
  // rank 0 stops listening to this rank in order.
  ending.threads_left_behind = pool.stop(stop_patience);
  gather_reports();
  send_batches();
  send(encode_status_notice(final_batch_flag, 0));
  const auto give_up = Clock::now() + final_send_deadline;
  while (!sends.empty() && Clock::now() < give_up) {
    reap_completed(sends);
    if (!sends.empty()) std::this_thread::sleep_for(longest_pause);
  }
  for (PendingSend& pending : sends) pending.request.cancel();
  return ending;
}

}  // namespace tasktrack
